"""`ARCHIVE=dir`: parsed feed bodies as gzip files in a directory, named by their SHA-256 (docs/provenance.md).

`<root>/<first two hex digits>/<sha256>.gz`, a board's manifest `<sha256>.pages.gz`. A file's mtime is
when its body was last seen (stored, or fetched again), which is what retention looks at. Files are
written to a temporary name and renamed, so a reader or a crash never sees half a body.
"""

from __future__ import annotations

import gzip
import os
import re
import time
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from jobfeed import constants as C
from jobfeed.streams import Readable, copy_hashed, opened

SHA256 = re.compile(r"[0-9a-f]{64}")
BODY, PAGES = ".gz", ".pages.gz"


def check_sha(sha256: str) -> str:
    """The hash, if it is a lowercase hex SHA-256 (it names files: nothing else may pass)."""
    if not SHA256.fullmatch(sha256):
        raise ValueError(f"not a SHA-256: {sha256[:80]!r}")
    return sha256


class DirArchive:
    """jobfeed.pipeline.ports.Archive on a local (or mounted) directory."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, sha256: str, suffix: str) -> Path:
        return self.root / check_sha(sha256)[:2] / f"{sha256}{suffix}"

    def _stored(self, sha256: str) -> Path | None:
        for suffix in (BODY, PAGES):
            path = self._path(sha256, suffix)
            if path.is_file():
                return path
        return None

    def put(self, sha256: str, source: Path | Readable, *, pages: bool = False) -> bool:
        path = self._path(sha256, PAGES if pages else BODY)
        try:
            os.utime(path)  # kept already: seen now
            return False
        except FileNotFoundError:
            pass
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{time.monotonic_ns()}.tmp")
        try:
            with opened(source) as stream, gzip.open(tmp, "wb", compresslevel=C.ARCHIVE_GZIP_LEVEL) as out:
                digest = copy_hashed(stream, out)
            if digest != sha256:
                raise ValueError(f"the body's SHA-256 is {digest}, not {sha256}")
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        return True

    def has(self, sha256: str) -> bool:
        return self._stored(sha256) is not None

    def is_pages(self, sha256: str) -> bool:
        return self._path(sha256, PAGES).is_file()

    @contextmanager
    def open(self, sha256: str) -> Iterator[Readable]:
        path = self._stored(sha256)
        if path is None:
            raise KeyError(sha256)
        with gzip.open(path, "rb") as stream:
            yield stream

    def prune(self, keep: Collection[str], older_than: datetime) -> int:
        kept = set(keep)
        for sha in list(kept):
            if SHA256.fullmatch(sha) and self.is_pages(sha):
                with self.open(sha) as manifest:
                    kept.update(manifest.read().decode("ascii").split())
        cutoff, stale_tmp = older_than.timestamp(), time.time() - C.ARCHIVE_ORPHAN_AGE_S
        removed = 0
        for path in self.root.glob("??/*"):
            try:
                mtime = path.stat().st_mtime
                if path.name.endswith(".tmp"):  # a write that died: removed once surely nobody is writing it
                    if mtime < stale_tmp:
                        path.unlink()
                    continue
                if path.name.split(".", 1)[0] not in kept and mtime < cutoff:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:
                continue  # another prune got there first
        return removed
