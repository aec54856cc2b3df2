"""Closed and reopened jobs, and the change history, end to end: the import flow on the real servers.

A feed served as v1 -> v2 (2 removed, 2 edited, 1 added) -> a 500 -> v2 again -> v3 (a removed job back).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from jobfeed.store import Store
from tests.support.pipeline import import_once

pytestmark = pytest.mark.usefixtures("prefect_harness")

BASE = {n: (f"Job {n}", f"<p>Description of job {n}.</p>\n<p>Apply now.</p>") for n in range(1, 7)}


def rss(items: dict[int, tuple[str, str]]) -> bytes:
    """An RSS 2.0 body listing these items (guid = /job/<n>)."""
    body = "".join(
        f"<item><title>{title}</title><link>https://life.example/job/{n}</link>"
        f'<guid isPermaLink="false">https://life.example/job/{n}</guid>'
        f"<description><![CDATA[{html}]]></description>"
        f"<pubDate>Mon, 01 Dec 2025 10:00:00 GMT</pubDate></item>"
        for n, (title, html) in items.items()
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>life</title>{body}</channel></rss>'.encode()


def counts(log: dict[str, Any]) -> tuple[Any, ...]:
    return (log["status"], log["newJobs"], log["updatedJobs"], log["unchangedJobs"], log["failedJobs"],
            log["closedJobs"], log["reopenedJobs"])  # fmt: skip


def statuses(store: Store) -> dict[str, str]:
    """Job number -> status of every job of the test's feed."""
    return {
        doc["externalId"].rsplit("/", 1)[1]: doc["status"]
        for doc in store.db.jobs.find({}, {"externalId": 1, "status": 1})
    }


def job(store: Store, n: int) -> dict[str, Any]:
    doc = store.db.jobs.find_one({"externalId": f"https://life.example/job/{n}"})
    assert doc is not None
    return doc


@pytest.fixture
def served(feed_server: Any) -> Iterator[Any]:
    """The feed server, with any edits and outages a test makes undone afterwards."""
    yield feed_server
    feed_server.reset()


def test_closed_reopened_and_history_through_the_flow(store: Store, served: Any) -> None:
    path = f"life-{store.db.name}.xml"
    url = served.url(path)
    v2 = {n: BASE[n] for n in (1, 2, 3, 4)}
    v2[1] = ("Job 1 (senior)", BASE[1][1])  # title edited
    v2[2] = (BASE[2][0], BASE[2][1] + "\n<p>Now with a budget.</p>")  # description edited
    v2[7] = ("Job 7", "<p>A new one.</p>")

    served.set_file(path, rss(BASE), "application/rss+xml")
    assert counts(import_once(store, [url])[url]) == ("success", 6, 0, 0, 0, 0, 0)
    assert set(statuses(store).values()) == {"open"}

    served.set_file(path, rss(v2), "application/rss+xml")
    log = import_once(store, [url])[url]
    assert counts(log) == ("success", 1, 2, 2, 0, 0, 0)  # 5 and 6 missed once: nothing closed yet
    assert set(statuses(store).values()) == {"open"}
    changes = {doc["externalId"].rsplit("/", 1)[1]: doc for doc in store.db.job_changes.find()}
    assert set(changes) == {"1", "2"}  # one document per updated job
    assert changes["1"]["changes"] == {"title": {"old": "Job 1", "new": "Job 1 (senior)"}}
    assert set(changes["2"]["changes"]) == {"description"}
    description = changes["2"]["changes"]["description"]
    assert "+Now with a budget." in description["diff"] and description["oldHash"] != description["newHash"]
    assert changes["1"]["flowRunId"] == log["flowRunId"] and changes["1"]["feed"] == url
    job1 = job(store, 1)
    assert changes["1"]["jobId"] == job1["_id"] and job1["dupKey"] is None  # no company: no duplicate key

    before = {doc["_id"]: doc for doc in store.db.jobs.find()}
    snapshot = store.db.feed_snapshots.find_one({"_id": url})
    served.fail_with(path, 500)
    failed = import_once(store, [url])[url]
    assert failed["status"] == "failed" and (failed.get("error") or {}).get("reason") == "http_5xx"
    assert (failed["closedJobs"], failed["reopenedJobs"]) == (0, 0)
    assert {doc["_id"]: doc for doc in store.db.jobs.find()} == before  # a failed run changes nothing
    assert store.db.feed_snapshots.find_one({"_id": url}) == snapshot

    served.fail_with(path, None)  # v2 again: the same bytes, answered 304
    again = import_once(store, [url])[url]
    assert counts(again) == ("not_modified", 0, 0, 0, 0, 2, 0)
    assert statuses(store) == {"1": "open", "2": "open", "3": "open", "4": "open", "5": "closed", "6": "closed",
                               "7": "open"}  # fmt: skip
    closed = job(store, 5)
    assert closed["closedAt"] is not None and closed["closedBy"] == str(again["_id"])

    served.set_file(path, rss({**v2, 5: BASE[5]}), "application/rss+xml")
    back = import_once(store, [url])[url]
    assert counts(back) == ("success", 0, 0, 6, 0, 0, 1)
    reopened = job(store, 5)
    assert (reopened["status"], reopened["closedAt"], reopened["reopenedBy"]) == ("open", None, str(back["_id"]))
    assert statuses(store)["6"] == "closed"
    history = [doc["changes"] for doc in store.db.job_changes.find({"jobId": reopened["_id"]}).sort("at", 1)]
    assert history == [{"status": {"old": "open", "new": "closed"}}, {"status": {"old": "closed", "new": "open"}}]


def test_a_job_listed_by_two_feeds_stays_open_while_one_still_lists_it(store: Store, served: Any) -> None:
    a, b = f"a-{store.db.name}.xml", f"b-{store.db.name}.xml"
    urls = [served.url(a), served.url(b)]
    shared, only_b = {1: BASE[1], 2: BASE[2]}, {3: BASE[3]}
    served.set_file(a, rss(shared), "application/rss+xml")
    served.set_file(b, rss({**shared, **only_b}), "application/rss+xml")
    first = import_once(store, urls)
    assert first[urls[0]]["newJobs"] + first[urls[1]]["newJobs"] == 3  # a shared job is one document
    served.set_file(b, rss(only_b), "application/rss+xml")  # b drops the shared jobs
    for _ in range(3):
        logs = import_once(store, urls)
        assert logs[urls[1]]["closedJobs"] == 0
    assert set(statuses(store).values()) == {"open"}  # a still lists 1 and 2
    served.set_file(a, rss({1: BASE[1]}), "application/rss+xml")  # now a drops job 2 as well
    assert import_once(store, urls)[urls[0]]["closedJobs"] == 0  # first miss of a
    assert counts(import_once(store, urls)[urls[0]]) == ("not_modified", 0, 0, 0, 0, 1, 0)
    assert statuses(store) == {"1": "open", "2": "closed", "3": "open"}
