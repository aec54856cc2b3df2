"""Binary streams of feed bodies: what the archive reads and writes, on disk (pipeline) or in GridFS (store).

Vocabulary, so that both sides share one copy loop without the store importing the pipeline.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from jobfeed import constants as C


class Readable(Protocol):
    """A binary stream to read from (a file, BytesIO, a gzip or GridFS stream)."""

    def read(self, size: int = -1, /) -> bytes: ...


class Writable(Protocol):
    def write(self, data: bytes, /) -> int: ...


@contextmanager
def opened(source: Path | Readable) -> Iterator[Readable]:
    """A binary stream of `source`: a file opened (and closed) here, or the caller's stream as it is."""
    if isinstance(source, Path):
        with open(source, "rb") as stream:
            yield stream
    else:
        yield source


def copy_hashed(source: Readable, out: Writable) -> str:
    """Copy `source` into `out` chunk by chunk (memory stays flat); returns the SHA-256 of what was copied."""
    digest = hashlib.sha256()
    while chunk := source.read(C.ARCHIVE_CHUNK_BYTES):
        digest.update(chunk)
        out.write(chunk)
    return digest.hexdigest()
