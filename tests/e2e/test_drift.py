"""Source-shape drift end to end: the import flow on the real servers, a local feed server and a webhook receiver.

A WP Job Manager feed served as v1 (with `job_listing:company`), then v2 (the element renamed), then v2′ (v2
with one job edited): one drift and one notification on v2; on v2′ the drift is stored again and not told again.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from jobfeed.quality import COVERAGE_FIELDS
from jobfeed.settings import reset_settings
from jobfeed.store import Store
from tests.support.feeds import load
from tests.support.pipeline import import_once
from tests.support.receivers import WebhookReceiver

pytestmark = pytest.mark.usefixtures("prefect_harness")

V1 = load("jobicy_job_feed.xml")  # jobicy.com's WP Job Manager feed: 5 jobs, job_listing:company in each
V2 = V1.replace(b"job_listing:company", b"job_listing:employer")
V2_EDITED = V2.replace(b"<title>", b"<title>Senior ", 2).replace(b"<title>Senior ", b"<title>", 1)  # one job


@pytest.fixture
def webhook(monkeypatch: pytest.MonkeyPatch) -> Iterator[WebhookReceiver]:
    """A webhook receiver, set as the notification channel of the flow's tasks (NOTIFY_WEBHOOK_URL)."""
    with WebhookReceiver() as receiver:
        monkeypatch.setenv("NOTIFY_WEBHOOK_URL", receiver.url())
        reset_settings()
        yield receiver
    reset_settings()


def serve(served: Any, path: str, body: bytes, store: Store) -> dict[str, Any]:
    """Serve `body` at `path` and run the import flow once over it; the feed's ImportLog."""
    url = served.url(path)
    served.set_file(path, body, "application/rss+xml")
    return import_once(store, [url])[url]


def test_a_renamed_element_is_one_drift_notified_once(store: Store, served: Any, webhook: WebhookReceiver) -> None:
    assert V2 != V1 and V2_EDITED.count(b"<title>Senior ") == 1
    path = f"wpjm-{store.db.name}.xml"
    v1 = serve(served, path, V1, store)
    assert (v1["status"], v1["newJobs"], v1["drift"]) == ("success", 5, [])  # the first parsed body: no baseline
    assert v1["fieldCoverage"] == dict.fromkeys(COVERAGE_FIELDS, 1.0)
    assert {"name": "company", "share": 1.0} in v1["shape"]["elements"]
    assert "https://jobicy.com" in v1["shape"]["namespaces"]  # the board's job_listing namespace URI

    v2 = serve(served, path, V2, store)
    missing = {"kind": "element_missing", "field": "company", "before": 1.0, "now": 0.0}
    assert v2["status"] == "success" and v2["drift"] == [missing]  # one drift
    assert v2["fieldCoverage"] == v1["fieldCoverage"]  # dc:creator still names each company: no coverage drop
    (notice,) = webhook.posts  # one notification
    assert "element_missing company: 1 → 0" in notice.json()["text"]

    again = serve(served, path, V2, store)
    assert again["status"] == "not_modified" and "drift" not in again  # the same bytes: nothing parsed

    v2_edited = serve(served, path, V2_EDITED, store)
    assert (v2_edited["status"], v2_edited["updatedJobs"], v2_edited["unchangedJobs"]) == ("success", 1, 4)
    assert v2_edited["drift"] == [{**missing, "before": 0.5}]  # stored again: half the baseline had it
    assert len(webhook.posts) == 1  # and not notified again
