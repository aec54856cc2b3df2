"""The raw feed archive's logic (docs/provenance.md): keep a parsed body, get it back, prune what nobody uses.

Where bodies go is an `Archive` (jobfeed/pipeline/ports.py): GridFS, a directory, or none (`ARCHIVE=off`).
A body is kept by the SHA-256 of its bytes, the hash the fetch computed anyway (FeedState.bodyHash), so a
body seen twice is stored once. A board fetched page by page is kept as its pages plus a manifest listing
their hashes, one a line: the manifest's own SHA-256 is the board's combined hash (jobfeed/fetch/pages.py).
A board that needs one request per posting (its detail) is not kept: a replay could not redo those.
Archiving never fails a run: the import does not depend on it, so a failure is logged and the run goes on.
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from jobfeed import constants as C
from jobfeed.importlog import BODY_SHA256, CONTENT_TYPE, REPLAY_DRY_RUN
from jobfeed.pipeline.ports import Archive
from jobfeed.pipeline.runs import FeedOutcome, FeedRun, Fetched, NotModified
from jobfeed.redact import redact_text
from jobfeed.sources.kind import SourceKind
from jobfeed.streams import copy_hashed

log = logging.getLogger(__name__)


def archivable(kind: SourceKind | None) -> bool:
    """True unless the board needs a detail request per posting (a replay must make no request)."""
    return kind is None or kind.detail_url is None


def keep_body(archive: Archive | None, paths: Sequence[Path], body_sha256: str | None, *, paged: bool) -> bool:
    """Archive a parsed body (its pages and their manifest, when `paged`); True when it is kept now.

    Streams from the spool files; never raises (the import goes on without its archive copy).
    """
    if archive is None or not body_sha256 or not paths:
        return False
    try:
        if not paged:
            archive.put(body_sha256, paths[0])
            return True
        hashes = [_file_sha256(path) for path in paths]
        manifest = "".join(f"{sha}\n" for sha in hashes).encode("ascii")
        if hashlib.sha256(manifest).hexdigest() != body_sha256:
            raise ValueError("the pages' hashes do not add up to the board's hash")
        for sha, path in zip(hashes, paths, strict=True):
            archive.put(sha, path)
        archive.put(body_sha256, io.BytesIO(manifest), pages=True)  # last: a kept manifest has its pages
        return True
    except Exception as exc:  # noqa: BLE001 - the archive is a copy for later; the import must not fail for it
        log.warning("could not archive body %s: %s", body_sha256[:12], redact_text(f"{type(exc).__name__}: {exc}"))
        return False


def restore_body(archive: Archive, body_sha256: str, into: Path) -> list[Path]:
    """Write an archived body back as spool files (`body`, or a board's `page-0000`, ...); its paths in order.

    Each file is checked against its hash on the way; KeyError when the body (or a page) is not kept.
    """
    if not archive.is_pages(body_sha256):
        return [_restore(archive, body_sha256, into / "body")]
    with archive.open(body_sha256) as manifest:
        hashes = manifest.read().decode("ascii").split()
    return [_restore(archive, sha, into / f"page-{number:04d}") for number, sha in enumerate(hashes)]


def _restore(archive: Archive, sha256: str, path: Path) -> Path:
    with archive.open(sha256) as stored, open(path, "wb") as out:
        digest = copy_hashed(stored, out)
    if digest != sha256:
        raise ValueError(f"archived body {sha256[:12]} is damaged (its bytes hash to {digest[:12]})")
    return path


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        while chunk := source.read(C.ARCHIVE_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def prune_archive(archive: Archive, keep: Collection[str], *, now: datetime, keep_days: int) -> int:
    """Delete bodies last seen more than `keep_days` ago, except those in `keep` (the bodies each feed's
    latest snapshot and latest logs stand on); returns how many went."""
    return archive.prune(set(keep), now - timedelta(days=keep_days))


def body_fields(run: FeedRun, outcome: FeedOutcome) -> dict[str, Any]:
    """What the ImportLog says of the body: `bodySha256` of a parsed body, or of the body a `not_modified`
    run confirmed; its `contentType` (a replay reads the body as it was served); a replay's `dryRun`."""
    fields: dict[str, Any] = {}
    if isinstance(outcome, Fetched | NotModified) and outcome.conditional.body_hash:
        fields[BODY_SHA256] = outcome.conditional.body_hash
    if isinstance(outcome, Fetched) and outcome.content_type:
        fields[CONTENT_TYPE] = outcome.content_type
    if run.replay is not None:
        fields[REPLAY_DRY_RUN] = run.replay.dry_run
    return fields
