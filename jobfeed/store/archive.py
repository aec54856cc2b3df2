"""`ARCHIVE=gridfs` (the default): parsed feed bodies in the GridFS bucket `feed_bodies` (docs/provenance.md).

One GridFS file per body: `filename` = the SHA-256 of its bytes, the bytes gzip-compressed, `metadata` =
`{encoding: "gzip", pages, seenAt}` (`pages`: a board's manifest; `seenAt`: when the body was last stored or
fetched again, which retention looks at). The layout is the GridFS spec's (`feed_bodies.files`,
`feed_bodies.chunks`), so pymongo's GridFSBucket, `mongofiles` and Compass read it; the reading and writing
are done here because GridFSBucket holds too much: its upload stream buffers up to 48 MB of chunks before it
inserts them, and a download's first cursor batch is 101 chunks (25 MB). Here memory holds a few chunks,
whatever the body's size.

Each upload has an ObjectId of its own, so a crashed upload's chunks never block a later one (retention
drops them); of two runs storing the same body at once, the second's files document is refused by the
unique `filename` index (jobfeed/store/indexes.py) and it deletes its chunks.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bson import Binary, ObjectId
from pymongo import ASCENDING
from pymongo.collection import Collection as MongoCollection
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from jobfeed import constants as C
from jobfeed.streams import Readable, copy_hashed, opened

BUCKET = "feed_bodies"
CHUNK_BYTES = 255 * 1024  # the GridFS default chunk size
CHUNKS_PER_INSERT = 2  # ~0.5 MB per round trip on the way in
CHUNKS_PER_BATCH = 4  # and per cursor batch on the way out
Doc = dict[str, Any]


class GridFSArchive:
    """jobfeed.pipeline.ports.Archive in MongoDB GridFS."""

    def __init__(self, db: Database[Doc], bucket: str = BUCKET) -> None:
        self.files = db[f"{bucket}.files"]
        self.chunks = db[f"{bucket}.chunks"]

    def put(self, sha256: str, source: Path | Readable, *, pages: bool = False) -> bool:
        now = datetime.now(UTC)
        if self.files.update_many({"filename": sha256}, {"$set": {"metadata.seenAt": now}}).matched_count:
            return False  # kept already: seen now
        upload = _Upload(self.chunks, ObjectId())
        try:
            packing = gzip.GzipFile(fileobj=upload, mode="wb", compresslevel=C.ARCHIVE_GZIP_LEVEL, mtime=0)
            with opened(source) as stream, packing as packed:
                digest = copy_hashed(stream, packed)
            if digest != sha256:
                raise ValueError(f"the body's SHA-256 is {digest}, not {sha256}")
            upload.flush(final=True)
            self.files.insert_one(  # last: the body is readable from now on
                {"_id": upload.id, "length": upload.length, "chunkSize": CHUNK_BYTES, "uploadDate": now,
                 "filename": sha256, "metadata": {"encoding": "gzip", "pages": pages, "seenAt": now}}
            )  # fmt: skip
        except DuplicateKeyError:  # another run stored it a moment ago (the filename index is unique)
            self.chunks.delete_many({"files_id": upload.id})
            return False
        except BaseException:
            self.chunks.delete_many({"files_id": upload.id})
            raise
        return True

    def has(self, sha256: str) -> bool:
        return self.files.find_one({"filename": sha256}, {"_id": 1}) is not None

    def is_pages(self, sha256: str) -> bool:
        doc = self.files.find_one({"filename": sha256}, {"metadata.pages": 1})
        return bool(doc and (doc.get("metadata") or {}).get("pages"))

    @contextmanager
    def open(self, sha256: str) -> Iterator[Readable]:
        doc = self.files.find_one({"filename": sha256}, sort=[("_id", ASCENDING)])
        if doc is None:
            raise KeyError(sha256)
        with _Download(self.chunks, doc) as stored, gzip.GzipFile(fileobj=stored, mode="rb") as stream:
            yield stream

    def prune(self, keep: Collection[str], older_than: datetime) -> int:
        kept = set(keep)
        for manifest in self.files.find({"filename": {"$in": list(kept)}, "metadata.pages": True}, {"filename": 1}):
            with self.open(manifest["filename"]) as stream:
                kept.update(stream.read().decode("ascii").split())
        removed: set[str] = set()
        for doc in self.files.find({"metadata.seenAt": {"$lt": older_than}}, {"filename": 1}):
            if doc["filename"] not in kept:
                self._delete(doc["_id"])
                removed.add(doc["filename"])
        self._drop_orphans()
        return len(removed)

    def _delete(self, files_id: Any) -> None:
        self.files.delete_one({"_id": files_id})  # first: nobody starts reading what goes next
        self.chunks.delete_many({"files_id": files_id})

    def _drop_orphans(self) -> None:
        """Chunks of uploads that died without a files document (kill -9), once surely nobody writes them."""
        started = self.chunks.distinct("files_id", {"n": 0})  # one per upload: few, unlike the chunks
        finished = {doc["_id"] for doc in self.files.find({"_id": {"$in": started}}, {"_id": 1})}
        cutoff = datetime.now(UTC) - timedelta(seconds=C.ARCHIVE_ORPHAN_AGE_S)
        for files_id in started:
            if files_id not in finished and isinstance(files_id, ObjectId) and files_id.generation_time < cutoff:
                self.chunks.delete_many({"files_id": files_id})


class _Upload:
    """A writable stream of GridFS chunks: every CHUNKS_PER_INSERT full chunks go in one insert."""

    def __init__(self, chunks: MongoCollection[Doc], files_id: ObjectId) -> None:
        self.chunks, self.id = chunks, files_id
        self.pending = bytearray()
        self.number = 0
        self.length = 0

    def write(self, data: bytes) -> int:
        self.pending += data
        self.length += len(data)
        if len(self.pending) >= CHUNK_BYTES * CHUNKS_PER_INSERT:
            self.flush()
        return len(data)

    def flush(self, *, final: bool = False) -> None:
        """Insert the full chunks pending (and, when final, the last short one)."""
        whole = len(self.pending) // CHUNK_BYTES * CHUNK_BYTES
        cut = len(self.pending) if final else whole
        docs = []
        for start in range(0, cut, CHUNK_BYTES):
            piece = bytes(self.pending[start : min(start + CHUNK_BYTES, cut)])
            docs.append({"files_id": self.id, "n": self.number, "data": Binary(piece)})
            self.number += 1
        if docs:
            self.chunks.insert_many(docs, ordered=True)
        del self.pending[:cut]


class _Download:
    """A readable stream of a GridFS file's chunks, in order, a few per cursor batch; checks none is missing."""

    def __init__(self, chunks: MongoCollection[Doc], doc: Doc) -> None:
        self.cursor = chunks.find({"files_id": doc["_id"]}, {"n": 1, "data": 1}).sort("n", ASCENDING)
        self.cursor.batch_size(CHUNKS_PER_BATCH)
        self.length, self.name = int(doc["length"]), str(doc["filename"])
        self.buffer = b""
        self.number = 0
        self.delivered = 0

    def read(self, size: int = -1, /) -> bytes:
        while size < 0 or len(self.buffer) < size:
            chunk = next(self.cursor, None)
            if chunk is None:
                break
            if chunk["n"] != self.number:
                raise ValueError(f"archived body {self.name[:12]} lacks chunk {self.number}")
            self.number += 1
            self.buffer += bytes(chunk["data"])
        out, self.buffer = (self.buffer, b"") if size < 0 else (self.buffer[:size], self.buffer[size:])
        self.delivered += len(out)
        if not out and self.delivered != self.length:
            raise ValueError(f"archived body {self.name[:12]} is cut short ({self.delivered} of {self.length} bytes)")
        return out

    def seek(self, offset: int, /) -> int:  # gzip asks for it; a stream of chunks goes forward only
        raise io.UnsupportedOperation("an archived body is read from the start, once")

    def __enter__(self) -> _Download:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.cursor.close()
