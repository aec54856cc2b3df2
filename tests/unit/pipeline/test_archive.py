"""The raw feed archive's pure side: the directory archive, keeping and restoring bodies (a board's pages
too), retention, what an ImportLog says of its body, and when a replay is possible."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import time
import tracemalloc
from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from jobfeed.importlog import BODY_SHA256, CONTENT_TYPE, REPLAY_DRY_RUN, FeedFailure
from jobfeed.models import ConditionalState, FeedFormat, FeedSpec
from jobfeed.pipeline.archive import body_fields, keep_body, prune_archive, restore_body
from jobfeed.pipeline.archive_dir import DirArchive
from jobfeed.pipeline.ports import Archive
from jobfeed.pipeline.replay import ReplayError, plan_replay
from jobfeed.pipeline.runs import Failed, FeedRun, Fetched, NotModified, Replay
from jobfeed.reasons import FailureReason
from jobfeed.streams import Readable
from tests.support.feeds import many_items_feed

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
MiB = 1024 * 1024


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def body_file(tmp_path: Path, data: bytes, name: str = "body") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def read_back(archive: Archive, digest: str) -> bytes:
    with archive.open(digest) as stream:
        return stream.read()


def age(archive: DirArchive, digest: str, days: float) -> None:
    """Make a kept body look last seen `days` before NOW."""
    for path in archive.root.glob(f"??/{digest}*"):
        when = (NOW - timedelta(days=days)).timestamp()
        os.utime(path, (when, when))


@pytest.fixture
def archive(tmp_path: Path) -> DirArchive:
    return DirArchive(tmp_path / "archive")


def test_a_body_is_kept_compressed_under_its_hash_and_read_back_whole(tmp_path: Path, archive: DirArchive) -> None:
    data = many_items_feed("keep", 200)
    digest = sha(data)
    assert archive.put(digest, body_file(tmp_path, data)) is True
    (stored,) = archive.root.glob("??/*")
    assert stored == archive.root / digest[:2] / f"{digest}.gz"
    assert gzip.decompress(stored.read_bytes()) == data and stored.stat().st_size < len(data) / 4
    assert archive.has(digest) and not archive.is_pages(digest)
    assert read_back(archive, digest) == data


def test_keeping_a_body_twice_stores_it_once_and_marks_it_seen(tmp_path: Path, archive: DirArchive) -> None:
    data = many_items_feed("twice", 5)
    digest = sha(data)
    archive.put(digest, body_file(tmp_path, data))
    age(archive, digest, days=40)
    assert archive.put(digest, io.BytesIO(data)) is False  # kept already
    (stored,) = archive.root.glob("??/*")
    assert stored.stat().st_mtime > time.time() - 60  # seen now: retention counts from here


def test_bytes_that_do_not_match_their_hash_are_refused_and_leave_nothing(tmp_path: Path, archive: DirArchive) -> None:
    with pytest.raises(ValueError, match="SHA-256"):
        archive.put(sha(b"other bytes"), body_file(tmp_path, b"these bytes"))
    assert list(archive.root.rglob("*.gz*")) == [] and not archive.has(sha(b"other bytes"))
    with pytest.raises(ValueError, match="not a SHA-256"):
        archive.has("../../etc/passwd")
    with pytest.raises(KeyError):
        read_back(archive, sha(b"never kept"))


def test_a_board_is_kept_as_its_pages_and_a_manifest_that_hashes_to_the_board_hash(
    tmp_path: Path, archive: DirArchive
) -> None:
    pages = [b'{"page": 1, "jobs": [1, 2]}', b'{"page": 2, "jobs": [3]}']
    paths = [body_file(tmp_path, page, f"page-{n:04d}") for n, page in enumerate(pages)]
    combined = hashlib.sha256()
    for page in pages:  # how jobfeed/fetch/pages.py hashes a board
        combined.update(f"{sha(page)}\n".encode())
    board = combined.hexdigest()
    assert keep_body(archive, paths, board, paged=True) is True
    assert archive.is_pages(board) and all(archive.has(sha(page)) for page in pages)
    into = tmp_path / "into"
    into.mkdir()
    restored = restore_body(archive, board, into)
    assert [path.name for path in restored] == ["page-0000", "page-0001"]
    assert [path.read_bytes() for path in restored] == pages


def test_restoring_writes_the_body_where_the_fetch_would(tmp_path: Path, archive: DirArchive) -> None:
    data = many_items_feed("restore", 30)
    keep_body(archive, [body_file(tmp_path, data)], sha(data), paged=False)
    into = tmp_path / "spool"
    into.mkdir()
    (path,) = restore_body(archive, sha(data), into)
    assert path == into / "body" and path.read_bytes() == data


class Broken:
    """An archive whose every write fails (a full disk, a database that went away)."""

    def put(self, sha256: str, source: Path | Readable, *, pages: bool = False) -> bool:
        raise OSError("no space left on device")

    def has(self, sha256: str) -> bool:
        return False

    def is_pages(self, sha256: str) -> bool:
        return False

    def open(self, sha256: str) -> object:
        raise KeyError(sha256)

    def prune(self, keep: Collection[str], older_than: datetime) -> int:
        return 0


def test_archiving_never_fails_the_import(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    data = b"<rss/>"
    assert keep_body(Broken(), [body_file(tmp_path, data)], sha(data), paged=False) is False  # type: ignore[arg-type]
    assert "could not archive body" in caplog.text and "no space left" in caplog.text
    assert keep_body(None, [body_file(tmp_path, data)], sha(data), paged=False) is False  # ARCHIVE=off


def test_pruning_keeps_young_and_used_bodies_and_the_pages_of_a_kept_board(tmp_path: Path, archive: DirArchive) -> None:
    bodies = {name: many_items_feed(name, 3) for name in ("young", "old", "in-use")}
    for name, data in bodies.items():
        archive.put(sha(data), body_file(tmp_path, data, name))
    age(archive, sha(bodies["old"]), days=31)
    age(archive, sha(bodies["in-use"]), days=90)
    pages = [b"[1]", b"[2]"]
    board = sha("".join(f"{sha(p)}\n" for p in pages).encode())
    keep_body(archive, [body_file(tmp_path, p, f"page-{n}") for n, p in enumerate(pages)], board, paged=True)
    for digest in (board, *map(sha, pages)):
        age(archive, digest, days=90)
    removed = prune_archive(archive, {sha(bodies["in-use"]), board}, now=NOW, keep_days=30)
    assert removed == 1
    assert not archive.has(sha(bodies["old"]))
    assert all(archive.has(d) for d in (sha(bodies["young"]), sha(bodies["in-use"]), board, *map(sha, pages)))
    assert prune_archive(archive, set(), now=NOW, keep_days=30) == 4  # nothing in use: the 90-day-old ones go


def test_memory_stays_flat_for_a_20_mib_body(tmp_path: Path, archive: DirArchive) -> None:
    data = os.urandom(MiB) * 20  # 20 MiB (incompressible blocks repeated)
    path = body_file(tmp_path, data)
    digest = sha(data)
    del data
    tracemalloc.start()
    try:
        keep_body(archive, [path], digest, paged=False)
        into = tmp_path / "spool"
        into.mkdir()
        (restored,) = restore_body(archive, digest, into)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert restored.stat().st_size == 20 * MiB
    assert peak < 5 * MiB, f"archiving and restoring a 20 MiB body peaked at {peak / MiB:.1f} MiB"


FEED = FeedSpec(url="https://jobs.example/feed.xml", name="jobs")
RUN = FeedRun(FEED, "log-1", "flow-1", NOW)
STATE = ConditionalState('"e"', None, "a" * 64)


def test_an_import_log_names_the_body_it_parsed_or_confirmed() -> None:
    fetched = Fetched([], [], STATE, FeedFormat.RSS, content_type="application/rss+xml")
    assert body_fields(RUN, fetched) == {BODY_SHA256: "a" * 64, CONTENT_TYPE: "application/rss+xml"}
    assert body_fields(RUN, NotModified(STATE, http_status=304)) == {BODY_SHA256: "a" * 64}
    assert body_fields(RUN, Failed(FeedFailure(FailureReason.HTTP_5XX, "down"))) == {}
    replay = FeedRun(FEED, "log-2", "flow-2", NOW, replay=Replay("log-1", "a" * 64, dry_run=True))
    assert body_fields(replay, fetched)[REPLAY_DRY_RUN] is True


def test_a_replay_needs_an_archived_body_of_a_feed_that_makes_one_request(tmp_path: Path, archive: DirArchive) -> None:
    data = many_items_feed("plan", 2)
    archive.put(sha(data), body_file(tmp_path, data))
    source = {"_id": "log-1", "status": "success", BODY_SHA256: sha(data), CONTENT_TYPE: "text/xml"}
    latest = plan_replay(source, FEED, latest_sha256=sha(data), archive=archive)
    assert latest == Replay("log-1", sha(data), dry_run=False, content_type="text/xml")
    assert plan_replay(source, FEED, latest_sha256="b" * 64, archive=archive).dry_run is True  # an older body
    failed = {"_id": "log-2", "status": "failed"}
    with pytest.raises(ReplayError, match="has no body"):
        plan_replay(failed, FEED, latest_sha256=None, archive=archive)
    with pytest.raises(ReplayError, match="ARCHIVE=off"):
        plan_replay(source, FEED, latest_sha256=None, archive=None)
    with pytest.raises(ReplayError, match="not archived"):
        plan_replay({**source, BODY_SHA256: "c" * 64}, FEED, latest_sha256=None, archive=archive)
    greenhouse = FeedSpec(url="https://boards-api.greenhouse.io/v1/boards/acme/jobs", kind="greenhouse", board="acme")
    with pytest.raises(ReplayError, match="request per posting"):
        plan_replay(source, greenhouse, latest_sha256=None, archive=archive)
