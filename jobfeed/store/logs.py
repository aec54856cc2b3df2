"""The `import_logs` collection: one document per feed per run, opened `running`, finished once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo import DESCENDING
from pymongo.collection import Collection

from jobfeed.importlog import LogStatus


class ImportLogRepo:
    """Writes and reads of ImportLogs (contract: shared/contract.md)."""

    def __init__(self, collection: Collection) -> None:
        self.coll = collection

    def open(self, *, feed_url: str, feed_name: str, flow_run_id: str | None, started_at: datetime) -> str:
        """Write the `running` document a run starts with; returns its id as a string."""
        doc = {
            "fileName": feed_url,
            "feedName": feed_name,
            "flowRunId": flow_run_id,
            "startedAt": started_at,
            "finishedAt": None,
            "timestamp": None,
            "durationMs": None,
            "status": LogStatus.RUNNING.value,
            "totalFetched": 0,
            "totalImported": 0,
            "newJobs": 0,
            "updatedJobs": 0,
            "unchangedJobs": 0,
            "failedJobs": 0,
            "failures": [],
            "failuresTruncated": False,
            "error": None,
        }
        return str(self.coll.insert_one(doc).inserted_id)

    def finish(self, log_id: str, *, finished_at: datetime, fields: dict[str, Any]) -> dict[str, Any] | None:
        """Finish a `running` log exactly once; returns the final document (None if already finished)."""
        current = self.coll.find_one({"_id": ObjectId(log_id)}, {"startedAt": 1})
        if current is None:
            return None
        duration_ms = int((finished_at - current["startedAt"]).total_seconds() * 1000)
        update = {**fields, "finishedAt": finished_at, "timestamp": finished_at, "durationMs": max(duration_ms, 0)}
        return self.coll.find_one_and_update(
            {"_id": ObjectId(log_id), "status": LogStatus.RUNNING.value},
            {"$set": update},
            return_document=True,
        )

    def get(self, log_id: str) -> dict[str, Any] | None:
        return self.coll.find_one({"_id": ObjectId(log_id)})

    def latest(
        self,
        *,
        limit: int = 20,
        feed: str | None = None,
        status: str | None = None,
        before: datetime | None = None,
    ) -> list[dict[str, Any]]:
        """Newest ImportLogs first, optionally for one feed URL / status / before a time."""
        query: dict[str, Any] = {}
        if feed:
            query["fileName"] = feed
        if status:
            query["status"] = status
        if before:
            query["startedAt"] = {"$lt": before}
        return list(self.coll.find(query).sort("startedAt", DESCENDING).limit(limit))

    def for_flow_run(self, flow_run_id: str) -> list[dict[str, Any]]:
        return list(self.coll.find({"flowRunId": flow_run_id}).sort("startedAt", DESCENDING))

    def running(self, *, exclude_flow_run_id: str | None = None) -> list[dict[str, Any]]:
        """`running` logs, for crash recovery (never those of the calling run)."""
        query: dict[str, Any] = {"status": LogStatus.RUNNING.value}
        if exclude_flow_run_id:
            query["flowRunId"] = {"$ne": exclude_flow_run_id}
        return list(self.coll.find(query, {"flowRunId": 1, "startedAt": 1, "fileName": 1}).limit(1000))
