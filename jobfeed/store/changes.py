"""The `job_changes` collection: one document per update of a job, naming what changed.

Shape (read by the API's job history and the dashboard's job detail):
`{_id, jobId, source, externalId, at, flowRunId, feed, changes}` where `changes` maps a field to
`{old, new}` for title, company, location, jobType, category, url, publishedAt (and `status` when a run
closes or reopens the job), and `description` to `{diff, oldHash, newHash}`: a unified diff of the
plain text (capped at CHANGE_DIFF_MAX_BYTES, `diffTruncated` then true) and the sha256 of the old and
new `descriptionHtml`.

`_id` is derived from the write that caused the change (batch token or log id + job id), so a retried
batch or finish never records one change twice.
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pymongo import InsertOne
from pymongo.collection import Collection
from pymongo.errors import BulkWriteError

from jobfeed import constants as C

DUPLICATE_KEY = 11000
TRACKED_FIELDS = ("title", "company", "location", "jobType", "category", "url", "publishedAt")
Doc = dict[str, Any]


def changed_fields(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """`{field: {old, new}}` for the tracked fields that differ, and `description` when its HTML does."""
    changes: dict[str, Any] = {
        name: {"old": old.get(name), "new": new.get(name)}
        for name in TRACKED_FIELDS
        if not _same(old.get(name), new.get(name))
    }
    if (old.get("descriptionHtml") or None) != (new.get("descriptionHtml") or None):
        changes["description"] = description_change(
            old.get("descriptionHtml"),
            new.get("descriptionHtml"),
            old.get("descriptionText"),
            new.get("descriptionText"),
        )
    return changes


def description_change(old_html: str | None, new_html: str | None, old_text: str | None, new_text: str | None) -> Doc:
    """A unified diff of the description's text (capped) and the hashes of both HTML versions."""
    lines = difflib.unified_diff(
        (old_text or "").splitlines(), (new_text or "").splitlines(), "old", "new", lineterm="", n=1
    )
    diff = "\n".join(lines)
    encoded = diff.encode("utf-8", "surrogatepass")
    truncated = len(encoded) > C.CHANGE_DIFF_MAX_BYTES
    if truncated:
        diff = encoded[: C.CHANGE_DIFF_MAX_BYTES].decode("utf-8", "ignore")  # never split a character
    return {"diff": diff, "diffTruncated": truncated, "oldHash": _sha(old_html), "newHash": _sha(new_html)}


def _sha(text: str | None) -> str | None:
    return None if text is None else hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, datetime) and isinstance(b, datetime) and (a.tzinfo is None) != (b.tzinfo is None):
        return a.replace(tzinfo=None) == b.replace(tzinfo=None)  # stored naive by an old client: same instant
    return bool(a == b)


def change_doc(
    change_id: str, job: Mapping[str, Any], changes: Doc, *, at: datetime, flow_run_id: str | None, feed: str | None
) -> Doc:
    """One `job_changes` document for a stored job (`job` needs `_id`, `source`, `externalId`)."""
    return {
        "_id": change_id,
        "jobId": job["_id"],
        "source": job["source"],
        "externalId": job["externalId"],
        "at": at,
        "flowRunId": flow_run_id,
        "feed": feed,
        "changes": changes,
    }


class ChangeRepo:
    """Writes and reads of `job_changes`."""

    def __init__(self, collection: Collection[Doc]) -> None:
        self.coll = collection

    def add(self, docs: Sequence[Doc]) -> None:
        """Insert change documents; one already recorded (same `_id`: a retried write) is kept as it is."""
        if not docs:
            return
        try:
            self.coll.bulk_write([InsertOne(doc) for doc in docs], ordered=False)
        except BulkWriteError as exc:
            others = [err for err in exc.details.get("writeErrors", []) if err.get("code") != DUPLICATE_KEY]
            if others or exc.details.get("writeConcernErrors"):
                raise

    def for_job(self, job_id: Any, *, limit: int = 100) -> list[Doc]:
        """A job's changes, newest first."""
        return list(self.coll.find({"jobId": job_id}).sort("at", -1).limit(limit))
