"""The configured raw feed archive (ARCHIVE=gridfs|dir|off) and the bodies it must keep (docs/provenance.md)."""

from __future__ import annotations

from datetime import UTC, datetime

from jobfeed.pipeline.archive import prune_archive
from jobfeed.pipeline.archive_dir import DirArchive
from jobfeed.pipeline.ports import Archive
from jobfeed.settings import Settings
from jobfeed.store import Store
from jobfeed.store.archive import GridFSArchive
from jobfeed.store.provenance import BodyIndex


def get_archive(settings: Settings, store: Store) -> Archive | None:
    """The archive ARCHIVE names: GridFS in the store's database, ARCHIVE_DIR, or None (off)."""
    if settings.archive == "gridfs":
        return GridFSArchive(store.db)
    if settings.archive == "dir":
        return DirArchive(settings.archive_path)
    return None


def prune(settings: Settings, store: Store, *, now: datetime | None = None) -> int:
    """Delete archived bodies older than ARCHIVE_KEEP_DAYS that no feed's latest snapshot or log stands on;
    returns how many went (0 with ARCHIVE=off)."""
    archive = get_archive(settings, store)
    if archive is None:
        return 0
    keep = BodyIndex(store.db).in_use()
    return prune_archive(archive, keep, now=now or datetime.now(UTC), keep_days=settings.archive_keep_days)
