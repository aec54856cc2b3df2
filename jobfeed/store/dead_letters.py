"""The `dead_letters` collection: items and batches that still failed after retries."""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any

from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError


class DeadLetterRepo:
    """Parked work with its reason, payload and attempts, until `jobfeed redrive` takes it."""

    def __init__(self, collection: Collection[dict[str, Any]]) -> None:
        self.coll = collection

    def add(
        self,
        *,
        key: str,
        reason: str,
        message: str,
        feed: str,
        payload: Any,
        attempts: int,
        now: datetime,
        attempt_id: str | None = None,
    ) -> None:
        """Park one failed item or batch under a stable `key`: a retried recording, or the same broken
        item in the next hourly run, parks it once (attempts add up; a re-driven one is pending again).
        `attempt_id` (the ImportLog id) makes a retried recording of the same run add nothing."""
        query: dict[str, Any] = {"key": key}
        if attempt_id is not None:
            query["lastAttemptId"] = {"$ne": attempt_id}
        # a DuplicateKeyError means this attempt is parked already (unique key): a retried recording
        with contextlib.suppress(DuplicateKeyError):
            self.coll.update_one(
                query,
                {
                    "$setOnInsert": {"firstFailedAt": now, "payload": payload, "feed": feed},
                    "$set": {
                        "reason": reason,
                        "message": message,
                        "lastFailedAt": now,
                        "redrivenAt": None,
                        "lastAttemptId": attempt_id,
                    },
                    "$inc": {"attempts": attempts},
                },
                upsert=True,
            )

    def mark_redriven(self, key: str, *, now: datetime, result: dict[str, Any]) -> None:
        """Record that a re-drive resolved this letter (kept for the audit trail, no longer pending)."""
        self.coll.update_one({"key": key}, {"$set": {"redrivenAt": now, "redriveResult": result}})

    def mark_still_failing(self, key: str, *, now: datetime, message: str) -> None:
        """A re-drive that failed again: one more attempt, the newest message, still pending."""
        self.coll.update_one({"key": key}, {"$set": {"message": message, "lastFailedAt": now}, "$inc": {"attempts": 1}})

    def pending(self, *, reason: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Dead letters not yet re-driven, oldest first."""
        query: dict[str, Any] = {"redrivenAt": None}
        if reason:
            query["reason"] = reason
        return list(self.coll.find(query).sort("firstFailedAt", 1).limit(limit))

    def count_by_reason(self) -> dict[str, int]:
        """Pending (not re-driven) letters per reason, by reason name; index reason_redrivenAt."""
        rows = self.coll.aggregate(
            [{"$match": {"redrivenAt": None}}, {"$group": {"_id": "$reason", "n": {"$sum": 1}}}, {"$sort": {"_id": 1}}]
        )
        return {row["_id"]: row["n"] for row in rows}
