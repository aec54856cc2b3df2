"""The `feeds` collection: per-feed conditional-GET state and health."""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime
from typing import Any

from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from jobfeed.importlog import LogStatus, is_ok
from jobfeed.models import ConditionalState


class FeedStateRepo:
    """Reads and writes of per-feed state (ETag, Last-Modified, body hash, failure streaks)."""

    def __init__(self, collection: Collection[dict[str, Any]]) -> None:
        self.coll = collection

    def get(self, url: str) -> dict[str, Any] | None:
        return self.coll.find_one({"url": url})

    def conditional_state(self, url: str) -> ConditionalState:
        """What to send as If-None-Match / If-Modified-Since, and the last body's hash."""
        return self.run_state(url)[1]

    def run_state(self, url: str) -> tuple[bool, ConditionalState]:
        """What a run needs to know of a feed, in one read: is it disabled, and its conditional state."""
        doc = self.coll.find_one({"url": url}, {"disabled": 1, "etag": 1, "lastModified": 1, "bodyHash": 1}) or {}
        return bool(doc.get("disabled")), ConditionalState(
            doc.get("etag"), doc.get("lastModified"), doc.get("bodyHash")
        )

    def is_disabled(self, url: str) -> bool:
        doc = self.coll.find_one({"url": url}, {"disabled": 1})
        return bool(doc and doc.get("disabled"))

    def set_disabled(self, url: str, disabled: bool, *, now: datetime) -> None:
        """Enable or disable a feed (dashboard, operators); disabled feeds are skipped by runs."""
        self.coll.update_one(
            {"url": url},
            {"$set": {"disabled": disabled, "updatedAt": now}, "$setOnInsert": {"consecutiveFailures": 0}},
            upsert=True,
        )

    def record_run(
        self,
        url: str,
        *,
        name: str,
        status: str,
        now: datetime,
        conditional: ConditionalState | None,
        error_reason: str | None,
        log_id: str | None = None,
    ) -> None:
        """Update health after a run. `conditional` is saved only when the body was fully stored,
        so a run whose writes failed is never short-circuited as `not_modified` next time.
        With `log_id`, recording the same run twice (a retried task) counts it once.

        Streaks count `failed` runs only and end on an OK run (success, not_modified). A `partial` run
        neither adds to a streak nor ends one: some jobs were stored, but the feed is not healthy either,
        so it must not reset the count that notifications and auto-disable follow."""
        set_fields: dict[str, Any] = {
            "name": name,
            "lastStatus": status,
            "lastRunAt": now,
            "lastErrorReason": error_reason,
            "lastLogId": log_id,
        }
        on_insert: dict[str, Any] = {"disabled": False}
        update: dict[str, Any] = {"$set": set_fields, "$setOnInsert": on_insert}
        if is_ok(status):
            set_fields.update(consecutiveFailures=0, lastSuccessAt=now)
        elif status == LogStatus.FAILED.value:
            update["$inc"] = {"consecutiveFailures": 1}
        else:  # partial: the streak stays as it is (a feed first seen here starts at 0)
            on_insert["consecutiveFailures"] = 0
        if conditional is not None:
            set_fields.update(
                etag=conditional.etag, lastModified=conditional.last_modified, bodyHash=conditional.body_hash
            )
        query: dict[str, Any] = {"url": url}
        if log_id is not None:
            query["lastLogId"] = {"$ne": log_id}
        with suppress(DuplicateKeyError):  # the upsert found this run already recorded (unique url): nothing to count
            self.coll.update_one(query, update, upsert=True)
