"""The Data quality page through AppTest, on the real database: latest coverage, coverage over time, drifts."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from dashboard.sections.common import fmt_time
from dashboard.sections.quality import coverage_frame
from jobfeed.quality import COVERAGE_FIELDS, Drift, DriftKind
from jobfeed.store import Store
from tests.support.dashboard import no_exception
from tests.support.seed import FEEDS, SECRET, add_log, add_profiled_log, texts

pytestmark = pytest.mark.usefixtures("db_name")
JOBICY, WWR = list(FEEDS)[:2]
FULL = dict.fromkeys(COVERAGE_FIELDS, 1.0)


def test_coverage_and_drifts_of_every_feed(open_page, store: Store) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    for hours in (30, 20):
        add_profiled_log(store, url=JOBICY, started=now - timedelta(hours=hours), coverage=FULL)
    drop = Drift(DriftKind.COVERAGE_DROP, "company", 1.0, 0.25)
    dropped = add_profiled_log(store, url=JOBICY, started=now - timedelta(hours=10), coverage={**FULL, "company": 0.25},
                               drift=[drop], items=4)  # fmt: skip
    add_profiled_log(store, url=WWR, started=now - timedelta(hours=5), coverage={**FULL, "jobType": 0.0}, items=7)
    add_log(store, url=WWR, started=now - timedelta(hours=1))  # a run of no parsed body: not on this page
    at = open_page("quality")
    no_exception(at)
    latest = at.dataframe[0].value
    assert list(latest["feed"]) == ["jobicy-all", "wwr"]
    assert list(latest["company"]) == [25.0, 100.0] and list(latest["jobType"]) == [100.0, 0.0]
    assert list(latest["items"]) == [4, 7] and list(latest["drifts"]) == [1, 0]
    assert at.selectbox(key="quality-feed").options[0].startswith("jobicy-all — https://jobicy.com/")
    (chart,) = at.get("vega_lite_chart")
    assert json.loads(chart.proto.spec)["title"] == "Field coverage of jobicy-all"
    drifts = at.dataframe[1].value
    assert "Times in UTC." in texts(at)
    assert drifts.to_dict("records") == [{
        "when": fmt_time(now - timedelta(hours=10), "UTC"), "feed": "jobicy-all", "kind": "coverage_drop",
        "field": "company", "before": "1", "now": "0.25", "detail": f"run?log={dropped}",
    }]  # fmt: skip
    assert SECRET not in texts(at)

    at.selectbox(key="quality-feed").set_value(WWR).run()
    no_exception(at)
    assert json.loads(at.get("vega_lite_chart")[0].proto.spec)["title"] == "Field coverage of wwr"


def test_coverage_frame_is_one_point_per_run_and_field() -> None:
    started = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    docs = [
        {"startedAt": started, "fieldCoverage": {**FULL, "url": 0.5}},
        {"startedAt": started, "fieldCoverage": None},
    ]
    frame = coverage_frame(docs, "Europe/Berlin")
    assert len(frame) == len(COVERAGE_FIELDS)  # a run that read no item's fields has no point
    assert set(frame["time"]) == {"2026-03-10T13:00:00Z"}  # wall-clock time in the viewer's zone
    assert frame.set_index("field")["coverage"].to_dict() == {**dict.fromkeys(COVERAGE_FIELDS, 100.0), "url": 50.0}


def test_without_parsed_bodies_the_page_says_why(open_page, store: Store) -> None:
    add_log(store, url=JOBICY, started=datetime.now(UTC) - timedelta(hours=1))  # e.g. not_modified runs only
    at = open_page("quality")
    no_exception(at)
    assert "No feed body was parsed in the last 30 days" in at.info[0].value
    at.segmented_control(key="quality-window").set_value(7).run()
    assert "No feed body was parsed in the last 7 days" in at.info[0].value


def test_run_detail_shows_the_drift_and_coverage_of_its_body(open_page, store: Store) -> None:
    renamed = Drift(DriftKind.ELEMENT_MISSING, "job_listing*company", 1.0, 0.0)  # a name from the feed: escaped
    log_id = add_profiled_log(store, url=JOBICY, started=datetime.now(UTC), coverage={**FULL, "url": 0.5},
                              drift=[renamed], items=6)  # fmt: skip
    at = open_page("run", query={"log": log_id})
    no_exception(at)
    assert at.warning[0].value == (
        "**The body drifted from the feed's baseline:** element\\_missing job\\_listing\\*company\\: 1 → 0"
    )
    assert "Field coverage of the body's 6 items: title 100 % · " in texts(at) and "url 50 %" in texts(at)
    plain = add_log(store, url=JOBICY, started=datetime.now(UTC))  # no parsed body: nothing about quality
    at = open_page("run", query={"log": plain})
    assert not at.warning and "Field coverage" not in texts(at)
