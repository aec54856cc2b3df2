"""`ARCHIVE=gridfs` (the default): parsed feed bodies in the GridFS bucket `feed_bodies` (docs/provenance.md).

One GridFS file per body: `filename` = the SHA-256 of its bytes, the bytes gzip-compressed, and
`metadata` = `{encoding: "gzip", pages, seenAt}` (`pages`: a board's manifest; `seenAt`: when the body
was last stored or fetched again, which retention looks at). Each upload has an ObjectId of its own,
so a crashed upload's chunks never block a later one; two runs storing the same body at once leave
the oldest upload and delete their own. Everything streams: memory holds one GridFS chunk (255 KB).
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from bson import ObjectId
from gridfs import GridFSBucket, NoFile
from pymongo import ASCENDING
from pymongo.database import Database

from jobfeed import constants as C

BUCKET = "feed_bodies"


class Readable(Protocol):  # jobfeed.pipeline.ports.Readable (the store does not import the pipeline)
    def read(self, size: int = -1, /) -> bytes: ...


class Writable(Protocol):
    def write(self, data: bytes, /) -> int: ...


class GridFSArchive:
    """jobfeed.pipeline.ports.Archive in MongoDB GridFS."""

    def __init__(self, db: Database[dict[str, Any]], bucket: str = BUCKET) -> None:
        self.bucket = GridFSBucket(db, bucket_name=bucket)
        self.files = db[f"{bucket}.files"]
        self.chunks = db[f"{bucket}.chunks"]

    def put(self, sha256: str, source: Path | Readable, *, pages: bool = False) -> bool:
        now = datetime.now(UTC)
        if self.files.update_many({"filename": sha256}, {"$set": {"metadata.seenAt": now}}).matched_count:
            return False  # kept already: seen now
        metadata = {"encoding": "gzip", "pages": pages, "seenAt": now}
        upload = self.bucket.open_upload_stream(sha256, metadata=metadata)
        try:
            packing = gzip.GzipFile(fileobj=upload, mode="wb", compresslevel=C.ARCHIVE_GZIP_LEVEL, mtime=0)
            with _opened(source) as stream, packing as packed:
                digest = _copy_hashed(stream, packed)
            if digest != sha256:
                raise ValueError(f"the body's SHA-256 is {digest}, not {sha256}")
            upload.close()  # the files document: the body is readable from now on
        except BaseException:
            upload.abort()  # its chunks go (a GridIn's own `with` would leave them)
            raise
        oldest = self.files.find_one({"filename": sha256}, {"_id": 1}, sort=[("_id", ASCENDING)])
        if oldest is not None and oldest["_id"] != upload._id:  # another run stored it a moment ago
            self.bucket.delete(upload._id)
            return False
        return True

    def has(self, sha256: str) -> bool:
        return self.files.find_one({"filename": sha256}, {"_id": 1}) is not None

    def is_pages(self, sha256: str) -> bool:
        doc = self.files.find_one({"filename": sha256}, {"metadata.pages": 1})
        return bool(doc and (doc.get("metadata") or {}).get("pages"))

    @contextmanager
    def open(self, sha256: str) -> Iterator[Readable]:
        try:
            stored = self.bucket.open_download_stream_by_name(sha256, revision=0)
        except NoFile:
            raise KeyError(sha256) from None
        with stored, gzip.GzipFile(fileobj=stored, mode="rb") as stream:
            yield stream

    def prune(self, keep: Collection[str], older_than: datetime) -> int:
        kept = set(keep)
        for manifest in self.files.find({"filename": {"$in": list(kept)}, "metadata.pages": True}, {"filename": 1}):
            with self.open(manifest["filename"]) as stream:
                kept.update(stream.read().decode("ascii").split())
        removed: set[str] = set()
        for doc in self.files.find({"metadata.seenAt": {"$lt": older_than}}, {"filename": 1}):
            if doc["filename"] not in kept:
                self.bucket.delete(doc["_id"])
                removed.add(doc["filename"])
        self._drop_orphans()
        return len(removed)

    def _drop_orphans(self) -> None:
        """Chunks of uploads that died without a files document (kill -9), once surely nobody writes them."""
        started = self.chunks.distinct("files_id", {"n": 0})  # one per upload: few, unlike the chunks
        finished = {doc["_id"] for doc in self.files.find({"_id": {"$in": started}}, {"_id": 1})}
        cutoff = datetime.now(UTC) - timedelta(seconds=C.ARCHIVE_ORPHAN_AGE_S)
        for files_id in started:
            if files_id not in finished and isinstance(files_id, ObjectId) and files_id.generation_time < cutoff:
                self.chunks.delete_many({"files_id": files_id})


@contextmanager
def _opened(source: Path | Readable) -> Iterator[Readable]:
    if isinstance(source, Path):
        with open(source, "rb") as stream:
            yield stream
    else:
        yield source


def _copy_hashed(source: Readable, out: Writable) -> str:
    digest = hashlib.sha256()
    while chunk := source.read(C.ARCHIVE_CHUNK_BYTES):
        digest.update(chunk)
        out.write(chunk)
    return digest.hexdigest()
