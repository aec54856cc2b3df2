"""jobfeed.quality: the profile of a body, its document form, and drift against a baseline (pure)."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from jobfeed.importlog import LogField
from jobfeed.quality import (
    BASELINE_RUNS,
    COVERAGE_FIELDS,
    DRIFT,
    FIELD_COVERAGE,
    MAX_ELEMENTS,
    SHAPE,
    Drift,
    DriftKind,
    Profile,
    Shape,
    detect_drift,
    drifts_from,
    element_shares,
    unreported,
)

WPJM_NS = ("http://purl.org/dc/elements/1.1/", "https://board.example")
FULL = dict.fromkeys(COVERAGE_FIELDS, 1.0)


def profile(*, coverage: dict[str, float] | None = None, elements: dict[str, float] | None = None, items: int = 10,
            format: str = "rss", item: str | None = "item",
            namespaces: tuple[str, ...] | None = WPJM_NS) -> Profile:  # fmt: skip
    """A body's profile: full coverage and WP Job Manager elements unless told otherwise."""
    shape = Shape(format, item, namespaces, items, {"title": 1.0, "company": 1.0} if elements is None else elements)
    return Profile(shape, FULL if coverage is None else coverage)


def kinds(drift: list[Drift]) -> list[tuple[str, str]]:
    return [d.key for d in drift]


def test_no_baseline_no_drift_and_an_unchanged_body_has_none() -> None:
    assert detect_drift(profile(coverage={"title": 0.0}), []) == []
    assert detect_drift(profile(), [profile(), profile()]) == []


def test_coverage_drop_is_measured_from_the_baseline_median() -> None:
    baseline = [profile(coverage={**FULL, "company": share}) for share in (0.9, 0.8, 0.2)]  # median 0.8
    drop = detect_drift(profile(coverage={**FULL, "company": 0.6}), baseline)
    assert drop == [Drift(DriftKind.COVERAGE_DROP, "company", 0.8, 0.6)]  # exactly 0.2 below: a drift
    assert detect_drift(profile(coverage={**FULL, "company": 0.61}), baseline) == []
    rise = detect_drift(profile(coverage={**FULL, "company": 1.0}), baseline)
    assert rise == []  # more coverage is never a drift


def test_coverage_is_compared_only_where_both_sides_have_it() -> None:
    older = Profile(profile().shape, None)  # a job board whose postings were all unchanged: nothing read
    assert detect_drift(profile(coverage={**FULL, "url": 0.0}), [older]) == []
    assert detect_drift(Profile(profile().shape, None), [profile()]) == []


def test_element_missing_uses_the_share_of_all_baseline_items() -> None:
    baseline = [profile(items=30, elements={"title": 1.0, "company": 0.4}),
                profile(items=10, elements={"title": 1.0, "company": 0.8})]  # fmt: skip  # company: (12+8)/40 = 0.5
    missing = detect_drift(profile(elements={"title": 1.0, "company": 0.1}), baseline)
    assert missing == [Drift(DriftKind.ELEMENT_MISSING, "company", 0.5, 0.1)]
    assert detect_drift(profile(elements={"title": 1.0, "company": 0.5}), baseline) == []  # half is still there
    rare = [profile(elements={"title": 1.0, "salary": 0.3})]
    assert detect_drift(profile(elements={"title": 1.0}), rare) == []  # never in half of the items


def test_a_new_format_is_one_drift_not_a_list_of_missing_elements() -> None:
    atom = profile(format="atom", item="entry", elements={"id": 1.0, "title": 1.0},
                   namespaces=("http://www.w3.org/2005/Atom",))  # fmt: skip
    drift = detect_drift(atom, [profile()])
    assert kinds(drift) == [("format_changed", "format"), ("item_element_changed", "itemElement"),
                            ("namespace_changed", "namespaces")]  # fmt: skip
    assert (drift[0].before, drift[0].now, drift[1].before, drift[1].now) == ("rss", "atom", "item", "entry")
    assert drift[2].before == sorted(WPJM_NS) and drift[2].now == ["http://www.w3.org/2005/Atom"]


def test_a_changed_namespace_uri_and_an_unreadable_root() -> None:
    moved = profile(namespaces=("http://purl.org/dc/elements/1.1/", "https://new-board.example"))
    (drift,) = detect_drift(moved, [profile()])
    assert drift.kind is DriftKind.NAMESPACE_CHANGED and drift.now == sorted(moved.shape.namespaces or ())
    assert detect_drift(profile(namespaces=None), [profile()]) == []  # unknown: not compared
    assert detect_drift(profile(), [profile(namespaces=None)]) == []


def test_a_drift_lasts_while_the_baseline_majority_still_says_otherwise() -> None:
    """The issue's v1 -> v2 (`job_listing:company` renamed) -> v2' (one job edited), then more runs of v2."""
    v1 = profile(elements={"title": 1.0, "company": 1.0, "dc:creator": 1.0})
    v2 = profile(elements={"title": 1.0, "employer": 1.0, "dc:creator": 1.0})
    on_v2 = detect_drift(v2, [v1])
    assert on_v2 == [Drift(DriftKind.ELEMENT_MISSING, "company", 1.0, 0.0)]
    assert unreported(on_v2, []) == on_v2  # the first time: told
    on_v2_again = detect_drift(v2, [v2, v1])  # baseline newest first: company in half of its items
    assert on_v2_again == [Drift(DriftKind.ELEMENT_MISSING, "company", 0.5, 0.0)]
    assert unreported(on_v2_again, on_v2) == []  # the same drift: stored, not told again
    assert detect_drift(v2, [v2, v2, v1]) == []  # the baseline has moved on


def test_categories_settle_on_the_majority_and_a_tie_on_the_older_value() -> None:
    json_run = profile(format="jobicy_json", item=None, namespaces=())
    assert kinds(detect_drift(json_run, [json_run, profile()]))[:2] == [("format_changed", "format"),
                                                                         ("item_element_changed", "itemElement")]  # fmt: skip
    assert detect_drift(json_run, [json_run, json_run, profile()]) == []


def test_only_the_last_baseline_runs_count() -> None:
    old = [profile(coverage={**FULL, "location": 1.0})] * 10
    recent = [profile(coverage={**FULL, "location": 0.3})] * BASELINE_RUNS
    assert detect_drift(profile(coverage={**FULL, "location": 0.3}), [*recent, *old]) == []


def test_unreported_compares_kind_and_field_only() -> None:
    before = [Drift(DriftKind.COVERAGE_DROP, "company", 1.0, 0.2)]
    now = [Drift(DriftKind.COVERAGE_DROP, "company", 0.6, 0.1), Drift(DriftKind.ELEMENT_MISSING, "company", 1.0, 0.0)]
    assert unreported(now, before) == now[1:]


def test_documents_round_trip_and_use_the_log_field_names() -> None:
    assert (FIELD_COVERAGE, SHAPE, DRIFT) == (LogField.FIELD_COVERAGE, LogField.SHAPE, LogField.DRIFT)
    body = profile(elements={"title": 1.0, "a.b": 0.5, "$x": 0.25})
    drift = [Drift(DriftKind.NAMESPACE_CHANGED, "namespaces", ["a"], ["b"])]
    fields = body.to_fields(drift)
    assert [e["name"] for e in fields[SHAPE]["elements"]] == ["title", "a.b", "$x"]  # names are values, not keys
    assert Profile.from_log(fields) == body
    assert drifts_from(fields[DRIFT]) == drift
    assert Profile.from_log({"status": "not_modified"}) is None  # a log of no parsed body
    assert drifts_from([{"kind": "some_future_kind", "field": "x"}, drift[0].to_doc()]) == drift


def test_element_shares_leave_attributes_out_and_are_capped() -> None:
    counts = {"title": 4, "@rdf:about": 4, "#text": 1, "company": 2, "x" * 101: 4}
    assert element_shares(counts, 4) == {"title": 1.0, "company": 0.5}
    many = {f"e{i:04d}": i + 1 for i in range(MAX_ELEMENTS + 50)}
    kept = element_shares(many, 10_000)
    assert len(kept) == MAX_ELEMENTS and "e0249" in kept and "e0000" not in kept  # the most frequent stay
    assert element_shares({}, 0) == {}


def test_drift_texts_say_what_moved() -> None:
    assert Drift(DriftKind.ELEMENT_MISSING, "company", 1.0, 0.0).text == "element_missing company: 1 → 0"
    assert Drift(DriftKind.FORMAT_CHANGED, "format", "rss", "atom").text == "format_changed format: rss → atom"
    assert Drift(DriftKind.ITEM_ELEMENT_CHANGED, "itemElement", "item", None).text.endswith("item → —")


# --- Properties --------------------------------------------------------------------------------

shares = st.floats(0, 1).map(lambda x: round(x, 4))
coverages = st.fixed_dictionaries(dict.fromkeys(COVERAGE_FIELDS, shares))
element_maps = st.dictionaries(st.sampled_from(["title", "company", "location", "guid", "link"]), shares)


@st.composite
def profiles(draw: Any) -> Profile:
    return profile(coverage=draw(coverages), elements=draw(element_maps), items=draw(st.integers(1, 500)),
                   namespaces=draw(st.sampled_from([WPJM_NS, WPJM_NS[:1], None])))  # fmt: skip


@given(profiles(), st.integers(1, BASELINE_RUNS))
def test_a_body_like_all_of_its_baseline_never_drifts(body: Profile, runs: int) -> None:
    assert detect_drift(body, [body] * runs) == []


@given(profiles(), st.lists(profiles(), min_size=1, max_size=8))
def test_drift_follows_its_rules(body: Profile, baseline: list[Profile]) -> None:
    drift = detect_drift(body, baseline)
    assert len({d.key for d in drift}) == len(drift)  # one finding per kind and field
    assert unreported(drift, drift) == [] and unreported(drift, []) == drift
    for d in drift:
        assert isinstance(d.before, float) or d.kind not in {DriftKind.COVERAGE_DROP, DriftKind.ELEMENT_MISSING}
        if d.kind is DriftKind.COVERAGE_DROP:
            assert isinstance(d.before, float) and isinstance(d.now, float) and d.before - d.now >= 0.2 - 1e-9
        if d.kind is DriftKind.ELEMENT_MISSING:
            assert isinstance(d.before, float) and isinstance(d.now, float) and d.before >= 0.5 - 1e-9 > d.now
    assert drifts_from([d.to_doc() for d in drift]) == drift
