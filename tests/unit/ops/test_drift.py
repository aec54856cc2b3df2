"""Drift notices (jobfeed/ops/drift.py) as the channels get them: title, text and Slack payload, secrets hidden."""

from __future__ import annotations

from jobfeed.ops.drift import MAX_LINES, DriftNotification, notify_drift
from jobfeed.quality import Drift, DriftKind
from jobfeed.settings import OpsSettings

FEED = "https://board.example/feed?api_key=s3cr3t"
MISSING = Drift(DriftKind.ELEMENT_MISSING, "company", 1.0, 0.0)
MOVED = Drift(DriftKind.NAMESPACE_CHANGED, "namespaces", ["https://old.example"], ["https://new.example"])


def test_one_drift_is_named_in_the_title() -> None:
    notice = DriftNotification(FEED, "board", "log-1", [MISSING], link="http://dash.example/run?log=log-1")
    assert notice.title == "jobfeed: feed board drifted from its baseline (element_missing company: 1 → 0)"
    assert notice.text.splitlines()[1:3] == ["Feed: https://board.example/feed?api_key=***",
                                             "- element_missing company: 1 → 0"]  # fmt: skip
    assert "Run: http://dash.example/run?log=log-1" in notice.text and "s3cr3t" not in notice.text


def test_several_drifts_are_counted_listed_and_escaped_for_slack() -> None:
    many = [MOVED] + [Drift(DriftKind.ELEMENT_MISSING, f"e<{i}>", 1.0, 0.0) for i in range(MAX_LINES + 2)]
    notice = DriftNotification(FEED, "a&b", "log-7", many)
    assert notice.title.endswith(f"({MAX_LINES + 3} drifts)")
    assert "- namespace_changed namespaces: [https://old.example] → [https://new.example]" in notice.text
    assert "- … and 3 more" in notice.text and "Run: ImportLog log-7" in notice.text
    payload = notice.slack_payload()
    assert payload["text"] == ":mag: " + notice.title
    body = payload["blocks"][1]["text"]["text"]
    assert "e&lt;0&gt;" in body and "<" not in body and "s3cr3t" not in str(payload)
    assert "a&amp;b" in payload["blocks"][0]["text"]["text"]


def test_nothing_to_tell_sends_nothing() -> None:
    assert (
        notify_drift(FEED, "board", "log-1", [], OpsSettings(_env_file=None, notify_webhook_url=None, smtp_host=None))
        is None
    )  # type: ignore[call-arg]
