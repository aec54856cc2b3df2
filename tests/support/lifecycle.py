"""Test data of the job lifecycle as the import writes it: `jobs.status/closedAt/dupKey` and `job_changes`.

Jobs go in through the pipeline's batch write (`seed.seed_jobs`); the lifecycle fields and change
documents are then written in the shape the import flow writes them (jobfeed/store/changes.py), so the
read side (API, dashboard, export) is tested against that shape.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from jobfeed.models import Job
from jobfeed.store import Store
from tests.support.seed import FEEDS, T0, make_job, seed_jobs

JOBICY, WWR, JOBSPRESSO = list(FEEDS)


def set_dupkeys(store: Store, jobs: list[Job]) -> None:
    """`dupKey` as the upsert writes it (`Job.dupKey`), for jobs already stored."""
    for job in jobs:
        store.jobs.coll.update_one(
            {"source": job.source, "externalId": job.externalId}, {"$set": {"dupKey": job.dupKey}}
        )


def close(store: Store, job: Job, at: datetime) -> None:
    """Close a stored job as a run that no longer finds it does."""
    store.jobs.coll.update_one(
        {"source": job.source, "externalId": job.externalId}, {"$set": {"status": "closed", "closedAt": at}}
    )


def job_id(store: Store, job: Job) -> Any:
    doc = store.jobs.coll.find_one({"source": job.source, "externalId": job.externalId}, {"_id": 1})
    assert doc is not None, job.key
    return doc["_id"]


def add_change(store: Store, job: Job, at: datetime, changes: dict[str, Any], *, flow_run_id: str = "run-1",
               feed: str = JOBICY) -> None:  # fmt: skip
    """One `job_changes` document: `{jobId, source, externalId, at, flowRunId, feed, changes}`."""
    store.db["job_changes"].insert_one({
        "_id": f"{flow_run_id}:{job.externalId}:{at.isoformat()}", "jobId": job_id(store, job), "source": job.source,
        "externalId": job.externalId, "at": at, "flowRunId": flow_run_id, "feed": feed, "changes": changes,
    })  # fmt: skip


def seed_duplicates(store: Store) -> dict[str, Job]:
    """One position on three boards (spelled three ways), one on two boards, and jobs listed once.

    Returns the named jobs: `acme_jobicy`, `acme_wwr`, `acme_jobspresso`, `globex_jobicy`, `globex_wwr`, `solo`.
    """
    named = {
        "acme_jobicy": make_job(1, company="Acme Inc.", title="Sr. Backend Engineer", location="USA"),
        "globex_jobicy": make_job(2, company="Globex", title="Data Engineer", location="Berlin, Germany"),
        "solo": make_job(3, company="Initech", title="Data Engineer", location="Berlin"),  # other company
        "acme_wwr": make_job(
            11, source="weworkremotely.com", company="ACME", title="Senior Backend Engineer", location="United States"
        ),
        "globex_wwr": make_job(
            12, source="weworkremotely.com", company="Globex GmbH", title="Data Engineer", location="Berlin"
        ),
        "acme_jobspresso": make_job(
            21, source="jobspresso.co", company="Acme, Inc", title="Senior Backend Engineer", location="US"
        ),
    }
    by_feed = {JOBICY: "jobicy.com", WWR: "weworkremotely.com", JOBSPRESSO: "jobspresso.co"}
    for i, (feed, source) in enumerate(by_feed.items()):
        seed_jobs(store, [job for job in named.values() if job.source == source], feed_url=feed,
                  now=T0 + timedelta(hours=i))  # fmt: skip
    set_dupkeys(store, list(named.values()))
    return named
