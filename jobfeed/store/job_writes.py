"""The write operations of one job in a batch (jobfeed/store/jobs.py): the content fields and the insert,
update, reopen and touch statements, stamped with who writes (`Write`)."""

from __future__ import annotations

from dataclasses import asdict, is_dataclass
from datetime import datetime
from typing import Any

from pymongo import InsertOne, UpdateOne

from jobfeed.models import Job

OPEN, CLOSED = "open", "closed"  # jobs.status
CONTENT_FIELDS = (
    "title", "company", "location", "jobType", "category", "url",
    "descriptionHtml", "descriptionText", "publishedAt", "contentHash", "dupKey",
    "remote", "department", "salary", "salaryText",
)  # fmt: skip


def content_of(job: Job) -> dict[str, Any]:
    """The fields of a job document that come from the feed (identity excluded), derived ones included."""
    doc = {name: getattr(job, name, None) for name in CONTENT_FIELDS}
    if is_dataclass(doc["salary"]) and not isinstance(doc["salary"], type):
        doc["salary"] = asdict(doc["salary"])
    return doc


class Write:
    """Who writes a batch: the feed, the batch token, the run's clock, log and flow run, and whether it is a
    replay (docs/provenance.md: a replay updates content only, never `lastSeenAt` or `feeds`)."""

    __slots__ = ("feed_url", "flow_run_id", "log_id", "now", "replay", "token")

    def __init__(
        self,
        feed_url: str,
        token: str,
        now: datetime,
        log_id: str | None,
        flow_run_id: str | None,
        *,
        replay: bool = False,
    ) -> None:
        self.feed_url, self.token, self.now, self.log_id, self.flow_run_id = feed_url, token, now, log_id, flow_run_id
        self.replay = replay


def insert_op(job: Job, ctx: Write) -> InsertOne[dict[str, Any]]:
    # A plain insert, not an upsert: the batch's read just found no such job, and an insert is ~3x
    # cheaper for the server than an upsert (bench/README.md). If another feed of the board inserts
    # it in between, the unique index refuses ours (duplicate key) and _write sends the job round again.
    return InsertOne(
        {
            "source": job.source,
            "externalId": job.externalId,
            **content_of(job),
            "status": OPEN,
            "closedAt": None,
            "firstSeenAt": ctx.now,
            "lastSeenAt": ctx.now,
            "lastChangedAt": ctx.now,
            "feeds": [ctx.feed_url],
            "lastWrite": {"token": ctx.token, "op": "insert", "at": ctx.now},
        }
    )


def needs_touch(doc: dict[str, Any], feed_url: str, touch_before: datetime) -> bool:
    """An unchanged job is written only when its lastSeenAt is older than the refresh interval or
    this feed is new to it: hourly re-runs then write nothing for the jobs they merely see again."""
    seen = doc.get("lastSeenAt")
    if seen is None or seen < touch_before:  # the Store's client is tz_aware
        return True
    return feed_url not in (doc.get("feeds") or ())


def update_op(doc_id: Any, job: Job, ctx: Write, *, reopen: bool) -> UpdateOne:
    changed = {
        **content_of(job),
        **(reopened(ctx) if reopen else {}),
        "lastChangedAt": ctx.now,
        "lastWrite": {"token": ctx.token, "op": "update", "at": ctx.now},
    }
    if ctx.replay:  # a replay re-reads an old body: it saw nothing of the feed today
        return UpdateOne({"_id": doc_id}, {"$set": changed})
    return UpdateOne(
        {"_id": doc_id}, {"$set": {**changed, "lastSeenAt": ctx.now}, "$addToSet": {"feeds": ctx.feed_url}}
    )


def reopen_op(doc_id: Any, ctx: Write) -> UpdateOne:
    # lastWrite is not stamped: the content did not change, and a retry recognises the reopening by reopenedBy
    return UpdateOne(
        {"_id": doc_id},
        {"$set": {**reopened(ctx), "lastSeenAt": ctx.now}, "$addToSet": {"feeds": ctx.feed_url}},
    )


def reopened(ctx: Write) -> dict[str, Any]:
    return {"status": OPEN, "closedAt": None, "reopenedBy": ctx.log_id, "reopenedAt": ctx.now}
