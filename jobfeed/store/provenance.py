"""Which archived body each ImportLog stands on (docs/provenance.md): the reads of replay and retention."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo import DESCENDING
from pymongo.database import Database

from jobfeed.importlog import BODY_SHA256, REPLAY_OF, LogField

Doc = dict[str, Any]
_HAS_BODY = {BODY_SHA256: {"$type": "string"}, REPLAY_OF: None}  # a run of the feed itself (not a replay)


class BodyIndex:
    """Reads of `import_logs`, `feeds` and `feed_snapshots` about bodies (read-only)."""

    def __init__(self, db: Database[Doc]) -> None:
        self.logs = db["import_logs"]
        self.feeds = db["feeds"]
        self.heads = db["feed_snapshots"]

    def log(self, log_id: str) -> Doc | None:
        """One ImportLog by id (None for an id that is not one)."""
        if not ObjectId.is_valid(log_id):
            return None
        return self.logs.find_one({LogField.ID: ObjectId(log_id)})

    def latest_with_body(self, feed_url: str, *, at: datetime | None = None) -> Doc | None:
        """The feed's latest run (started at or before `at`) that parsed or confirmed a body; replays left out."""
        query: Doc = {LogField.FILE_NAME: feed_url, **_HAS_BODY}
        if at is not None:
            query[LogField.STARTED_AT] = {"$lte": at}
        return self.logs.find_one(query, sort=[(LogField.STARTED_AT, DESCENDING)])

    def latest_body(self, feed_url: str) -> str | None:
        """The SHA-256 of the feed's latest body (that of its latest run with one)."""
        doc = self.latest_with_body(feed_url)
        return str(doc[BODY_SHA256]) if doc else None

    def feed_url_named(self, name: str) -> str | None:
        """The feed URL of the latest log whose feed has this name (for a feed no longer in the feeds file)."""
        doc = self.logs.find_one({LogField.FEED_NAME: name}, {LogField.FILE_NAME: 1}, sort=[(LogField.STARTED_AT, -1)])
        return str(doc[LogField.FILE_NAME]) if doc else None

    def in_use(self) -> set[str]:
        """Bodies retention must keep: each feed's latest body, the body its state compares the next fetch
        with (`feeds.bodyHash`), and the body behind its snapshot (the log the snapshot head was saved by)."""
        keep: set[str] = set()
        for state in self.feeds.find({}, {"url": 1, "bodyHash": 1}):
            if isinstance(state.get("bodyHash"), str):
                keep.add(state["bodyHash"])
            latest = self.latest_body(str(state.get("url")))
            if latest:
                keep.add(latest)
        versions = [head.get("version") for head in self.heads.find({}, {"version": 1})]
        ids = [ObjectId(v) for v in versions if isinstance(v, str) and ObjectId.is_valid(v)]
        for doc in self.logs.find({LogField.ID: {"$in": ids}, BODY_SHA256: {"$type": "string"}}, {BODY_SHA256: 1}):
            keep.add(doc[BODY_SHA256])
        return keep
