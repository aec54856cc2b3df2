"""The cross-board duplicate key: what it folds, what it keeps apart, and its precision on the labelled set."""

from __future__ import annotations

import importlib.util
import json
from types import ModuleType

import pytest

from jobfeed.dupkey import dupkey, dupkey_parts, fold_company, fold_location, fold_title
from jobfeed.models import Job
from tests.support.paths import ROOT

DUPLICATES = ROOT / "tests" / "fixtures" / "duplicates"
PRECISION_GOAL = 0.95


def _builder() -> ModuleType:
    """tests/fixtures/duplicates/build.py: the one definition of how the set is scored."""
    spec = importlib.util.spec_from_file_location("duplicates_build", DUPLICATES / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Acme, Inc.", "ACME"),
        ("Acme L.L.C.", "acme"),
        ("The Acme Company", "Acme"),
        ("Brightdesk GmbH", "Brightdesk"),
        ("Fable &amp; Fig Studio", "Fable & Fig Studio"),
        ("Fable &amp;amp; Fig Studio", "Fable and Fig Studio"),
        ("Zürich Café AG", "Zurich Cafe"),
    ],
)
def test_company_variants_fold_together(a: str, b: str) -> None:
    assert fold_company(a) == fold_company(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Sr. Front-End Engineer", "Senior Frontend Engineer"),
        ("Data Scientist (m/f/d)", "Data Scientist"),
        ("Senior Engineer (Remote)", "Remote Senior Engineer"),
        ("UI/UX Designer", "UI / UX designer"),
        ("Engineering Mgr", "Engineering Manager"),
    ],
)
def test_title_variants_fold_together(a: str, b: str) -> None:
    assert fold_title(a).replace(" ", "") == fold_title(b).replace(" ", "")
    assert dupkey("Acme", a, "Berlin") == dupkey("Acme", b, "Berlin")


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Remote", "Anywhere in the World"),
        ("Worldwide (Remote)", "anywhere"),
        ("USA", "United States"),
        ("Remote - USA", "United States (Remote)"),
        ("UK", "United Kingdom"),
        ("Berlin, Germany", "Berlin"),
        ("San Francisco, California", "San Francisco, CA"),
        ("Germany / Austria", "Germany, Austria"),
    ],
)
def test_location_variants_fold_together(a: str, b: str) -> None:
    assert fold_location(a) == fold_location(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (("Acme", "Backend Engineer", "Berlin"), ("Globex", "Backend Engineer", "Berlin")),  # other company
        (("Acme", "Backend Engineer", "Portland, OR"), ("Acme", "Backend Engineer", "Portland, ME")),  # other city
        (("Acme", "Backend Engineer", "Paris, France"), ("Acme", "Backend Engineer", "Paris, TX")),
        (("Acme", "Backend Engineer", "Remote"), ("Acme", "Senior Backend Engineer", "Remote")),  # seniority
        (("Acme", "Backend Engineer", "Germany, Austria"), ("Acme", "Backend Engineer", "Germany")),  # other list
        (("Limited Editions", "Editor", None), ("Editions", "Editor", None)),  # a suffix word that is the name
    ],
)
def test_other_positions_keep_other_keys(a: tuple[str, str, str | None], b: tuple[str, str, str | None]) -> None:
    assert dupkey(*a) != dupkey(*b), (dupkey_parts(*a), dupkey_parts(*b))


def test_no_key_without_company_or_title() -> None:
    assert dupkey(None, "Engineer", "Remote") is None
    assert dupkey("Acme", "", "Remote") is None
    assert dupkey("Inc.", "&nbsp;", None) is None


def test_colon_title_names_the_company_when_the_board_does_not() -> None:
    """We Work Remotely writes "Company: Title" and leaves the company empty."""
    assert dupkey(None, "Summedd: Full Stack Engineer", "Anywhere in the World") == dupkey(
        "Summedd", "Full Stack Engineer", "Remote"
    )
    assert dupkey("Acme", "Team: Payments", None) != dupkey("Team", "Payments", None)  # a company given wins


def test_job_carries_its_key() -> None:
    job = Job(source="a.example", externalId="1", title="Sr. Engineer", company="Acme Inc.", location="USA",
              jobType=None, category=None, url=None, descriptionHtml=None, publishedAt=None, contentHash="h")  # fmt: skip
    assert job.dupKey == dupkey("ACME", "Senior Engineer", "United States") and len(job.dupKey or "") == 20


def test_labelled_set_precision_and_recall(capsys: pytest.CaptureFixture[str]) -> None:
    """The figures of docs/duplicates.md: precision must reach the goal; recall is reported."""
    builder = _builder()
    pairs = json.loads((DUPLICATES / "pairs.json").read_text(encoding="utf-8"))["pairs"]
    result = builder.evaluate(pairs)
    with capsys.disabled():
        print("\n" + builder.report(result))
    assert result["pairs"] >= 60 and result["positives"] >= 30
    assert {p["b"]["source"] for p in pairs if p["label"]} == {"board-b.example"}  # positives are synthetic
    assert result["precision"] >= PRECISION_GOAL, result
    designed = [p for p in pairs if p["label"] and not p["kind"].startswith("hard_")]
    assert builder.evaluate(designed)["recall"] == 1.0  # every documented variation is folded


def test_labelled_set_is_what_the_builder_makes() -> None:
    """pairs.json is reproducible from the captured feeds (nobody edited it by hand)."""
    stored = json.loads((DUPLICATES / "pairs.json").read_text(encoding="utf-8"))["pairs"]
    assert _builder().build() == stored
