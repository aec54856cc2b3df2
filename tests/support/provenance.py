"""The raw feed archive and replays through the real flows (tests/e2e/test_provenance.py, the dashboard's tests)."""

from __future__ import annotations

import hashlib
from typing import Any

from jobfeed.store import Store
from tests.support.feeds import item, rss
from tests.support.pipeline import check_log

# a body of one feed in three versions: v2 edits job 2, drops job 4 and adds job 5
V1 = {n: f"Job {n}" for n in (1, 2, 3, 4)}
V2 = {1: "Job 1", 2: "Job 2 (senior)", 3: "Job 3", 5: "Job 5"}


def body(titles: dict[int, str], *, invalid: int = 1) -> bytes:
    """An RSS body listing these jobs (guid prov-<n>) and `invalid` items without any identity."""
    items = [item(f"prov-{n}", title) for n, title in titles.items()]
    items += [item("", f"No identity {i}") for i in range(invalid)]
    return rss("\n".join(items))


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def import_once(store: Store, url: str) -> dict[str, Any]:
    """One import-feeds run of one feed, in this process; its ImportLog (checked against the contract)."""
    from flows.import_feeds import import_feeds

    state = import_feeds(feed_urls=[url], return_state=True)
    (log,) = store.logs.for_flow_run(str(state.state_details.flow_run_id))
    check_log(log)
    return log


def replay(store: Store, **source: str | None) -> dict[str, Any]:
    """One replay-import run (log_id=..., or feed=... at=...), in this process; its ImportLog (checked)."""
    from flows.replay import replay_import

    state = replay_import(**source, return_state=True)
    (log,) = store.logs.for_flow_run(str(state.state_details.flow_run_id))
    check_log(log)
    return log


def jobs_of(store: Store) -> dict[str, dict[str, Any]]:
    """Every job document by externalId."""
    return {doc["externalId"]: doc for doc in store.db.jobs.find({})}
