"""The `import_logs` collection: one document per feed per run, opened `running`, finished once."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bson import ObjectId
from pymongo import DESCENDING
from pymongo.collection import Collection

from jobfeed.importlog import REPLAY_OF, ImportLog, LogField, LogStatus

_RUNNING = LogStatus.RUNNING.value
# The drift baseline is looked for in widening windows before a run (days): most feeds find it in the first.
PROFILE_WINDOWS_DAYS = (7, 60, 730)
_PROFILE_FIELDS = dict.fromkeys(
    (LogField.STARTED_AT, LogField.FIELD_COVERAGE, LogField.SHAPE, LogField.DRIFT, "replayOf"), 1
)


class ImportLogRepo:
    """Writes and reads of ImportLogs (contract: shared/contract.md; document form: jobfeed.importlog)."""

    def __init__(self, collection: Collection[dict[str, Any]]) -> None:
        self.coll = collection

    def open(
        self,
        *,
        feed_url: str,
        feed_name: str,
        flow_run_id: str | None,
        started_at: datetime,
        replay_of: str | None = None,
    ) -> str:
        """Write the `running` document a run starts with (a replay names its source log); returns its id."""
        doc = ImportLog(file_name=feed_url, feed_name=feed_name, flow_run_id=flow_run_id, started_at=started_at)
        if replay_of is not None:
            doc.extra[REPLAY_OF] = replay_of
        return str(self.coll.insert_one(doc.to_doc()).inserted_id)

    def finish(self, log_id: str, *, finished_at: datetime, fields: dict[str, Any]) -> dict[str, Any] | None:
        """Finish a `running` log exactly once; returns the final document (None if already finished)."""
        current = self.coll.find_one({LogField.ID: ObjectId(log_id)}, {LogField.STARTED_AT: 1})
        if current is None:
            return None
        duration_ms = int((finished_at - current[LogField.STARTED_AT]).total_seconds() * 1000)
        update = {
            **fields,
            LogField.FINISHED_AT.value: finished_at,
            LogField.TIMESTAMP.value: finished_at,  # = finishedAt (contract)
            LogField.DURATION_MS.value: max(duration_ms, 0),
        }
        return self.coll.find_one_and_update(
            {LogField.ID: ObjectId(log_id), LogField.STATUS: _RUNNING},
            {"$set": update},
            return_document=True,
        )

    def get(self, log_id: str) -> dict[str, Any] | None:
        return self.coll.find_one({LogField.ID: ObjectId(log_id)})

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
            query[LogField.FILE_NAME] = feed
        if status:
            query[LogField.STATUS] = status
        if before:
            query[LogField.STARTED_AT] = {"$lt": before}
        return list(self.coll.find(query).sort(LogField.STARTED_AT, DESCENDING).limit(limit))

    def for_flow_run(self, flow_run_id: str) -> list[dict[str, Any]]:
        return list(self.coll.find({LogField.FLOW_RUN_ID: flow_run_id}).sort(LogField.STARTED_AT, DESCENDING))

    def running(self, *, exclude_flow_run_id: str | None = None) -> list[ImportLog]:
        """`running` logs, for crash recovery (never those of the calling run)."""
        query: dict[str, Any] = {LogField.STATUS: _RUNNING}
        if exclude_flow_run_id:
            query[LogField.FLOW_RUN_ID] = {"$ne": exclude_flow_run_id}
        return [ImportLog.from_doc(doc) for doc in self.coll.find(query).limit(1000)]

    def count_finished_since(self, started_at: datetime) -> int:
        """Logs started at or after a time that are no longer `running` (the CLI's progress bar)."""
        query: dict[str, Any] = {LogField.STARTED_AT: {"$gte": started_at}, LogField.STATUS: {"$ne": _RUNNING}}
        return self.coll.count_documents(query)

    def profiled_before(self, feed_url: str, *, before: datetime, limit: int) -> list[dict[str, Any]]:
        """A feed's latest logs started before `before` that parsed a body (they have a `shape`; replays of
        archived bodies do not count), newest first, at most `limit`: the drift baseline (jobfeed/quality.py).

        Each query holds only the (fileName, startedAt) range of index fileName_startedAt and the rest is
        filtered here: a range is what every server serves from the index (secantusdb scans the collection
        for a `$type` condition), and the windows keep a long history of `not_modified` runs out of reach.
        """
        found: list[dict[str, Any]] = []
        upper = before
        for days in PROFILE_WINDOWS_DAYS:
            lower = before - timedelta(days=days)
            window = {LogField.FILE_NAME: feed_url, LogField.STARTED_AT: {"$gte": lower, "$lt": upper}}
            cursor = self.coll.find(window, _PROFILE_FIELDS).sort(LogField.STARTED_AT, DESCENDING)
            for doc in cursor.batch_size(2 * limit):  # most logs of a window are never read
                if isinstance(doc.get(LogField.SHAPE), dict) and not doc.get("replayOf"):
                    found.append(doc)
                    if len(found) >= limit:
                        return found
            upper = lower
        return found
