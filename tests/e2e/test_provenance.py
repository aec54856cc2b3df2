"""The raw feed archive and replays end to end: the import and replay flows on the real servers (Mongo-compatible
server, Redis, Prefect harness, the local feed server that logs every request)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from jobfeed.importlog import BODY_SHA256, CONTENT_TYPE, REPLAY_DRY_RUN, REPLAY_OF
from jobfeed.ops.locks import FeedLocks
from jobfeed.pipeline import normalize
from jobfeed.pipeline.archive_dir import DirArchive
from jobfeed.settings import get_settings, reset_settings
from jobfeed.store import Store
from jobfeed.store.archive import GridFSArchive
from tests.support.cli import jobfeed, user_env, without_prefect
from tests.support.provenance import V1, V2, body, import_once, jobs_of, replay, sha256

pytestmark = pytest.mark.usefixtures("prefect_harness")

COUNTS = ("totalFetched", "failedJobs", "failuresByReason", "status", "format")


@pytest.fixture
def feed(store: Store, served: Any) -> Iterator[tuple[str, str]]:
    """This test's feed on the local feed server: (path, URL)."""
    path = f"prov-{store.db.name}.xml"
    yield path, served.url(path)


@pytest.fixture
def archive_setting(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """archive_setting(ARCHIVE=..., ARCHIVE_DIR=...): settings for this test, read again at once."""

    def apply(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        reset_settings()

    yield apply
    reset_settings()


def test_gridfs_keeps_each_parsed_body_once_and_logs_name_their_body(
    store: Store, served: Any, feed: tuple[str, str]
) -> None:
    path, url = feed
    archive = GridFSArchive(store.db)
    served.set_file(path, body(V1))
    first = import_once(store, url)
    assert first["status"] == "partial" and first[BODY_SHA256] == sha256(body(V1))  # one item has no identity
    assert first[CONTENT_TYPE].startswith("application/rss+xml") or "xml" in first[CONTENT_TYPE]
    with archive.open(first[BODY_SHA256]) as stored:
        assert stored.read() == body(V1)
    again = import_once(store, url)  # 304: the body it confirmed
    assert again["status"] == "not_modified" and again[BODY_SHA256] == first[BODY_SHA256]
    served.set_file(path, body(V2))
    second = import_once(store, url)
    assert second[BODY_SHA256] == sha256(body(V2)) and archive.has(second[BODY_SHA256])
    assert store.db["feed_bodies.files"].count_documents({}) == 2  # one per body, however often it came


def test_the_directory_archive_and_no_archive(
    store: Store, served: Any, feed: tuple[str, str], tmp_path: Path, archive_setting: Any
) -> None:
    path, url = feed
    archive_setting(ARCHIVE="dir", ARCHIVE_DIR=str(tmp_path / "bodies"))
    served.set_file(path, body(V1))
    kept = import_once(store, url)
    assert DirArchive(tmp_path / "bodies").has(kept[BODY_SHA256])
    assert store.db["feed_bodies.files"].count_documents({}) == 0

    archive_setting(ARCHIVE="off")
    served.set_file(path, body(V2))
    unkept = import_once(store, url)
    assert unkept[BODY_SHA256] == sha256(body(V2))  # the log still names its body ...
    assert not DirArchive(tmp_path / "bodies").has(unkept[BODY_SHA256])  # ... which nobody kept
    from jobfeed.ops.replay import ReplayError, prepare_replay

    with pytest.raises(ReplayError, match="ARCHIVE=off"):
        prepare_replay(get_settings(), store, log_id=str(unkept["_id"]), feed=None, at=None)


def test_a_replay_of_the_latest_body_counts_as_its_run_did_without_a_request_or_a_trace_on_the_feed(
    store: Store, served: Any, feed: tuple[str, str], redis_service: Any
) -> None:
    path, url = feed
    served.set_file(path, body(V1, invalid=2))
    original = import_once(store, url)
    before = {
        "jobs": jobs_of(store),
        "feed": store.db.feeds.find_one({"url": url}),
        "snapshot": store.db.feed_snapshots.find_one({"_id": url}),
        "letters": store.db.dead_letters.count_documents({}),
    }
    requests = len(served.requests_to(path))
    log = replay(store, log_id=str(original["_id"]))
    assert len(served.requests_to(path)) == requests  # no request: the body came from the archive
    assert {k: log[k] for k in COUNTS} == {k: original[k] for k in COUNTS}
    assert (log["newJobs"], log["updatedJobs"], log["unchangedJobs"], log["failedJobs"]) == (0, 0, 4, 2)
    assert original["newJobs"] == 4  # every job the original run wrote is unchanged to its replay
    assert log["failuresByReason"] == {"item_invalid": 2}
    assert (log[REPLAY_OF], log[REPLAY_DRY_RUN], log[BODY_SHA256]) == (
        str(original["_id"]),
        False,
        original[BODY_SHA256],
    )
    after = {
        "jobs": jobs_of(store),
        "feed": store.db.feeds.find_one({"url": url}),
        "snapshot": store.db.feed_snapshots.find_one({"_id": url}),
        "letters": store.db.dead_letters.count_documents({}),
    }
    assert after == before  # no job seen, no feed state, no snapshot, no dead letter
    assert FeedLocks(redis_service.url, ttl_s=60).holder(url) is None  # the lock was taken and given back


def test_a_replay_of_an_older_body_is_a_dry_run_against_todays_jobs(
    store: Store, served: Any, feed: tuple[str, str]
) -> None:
    path, url = feed
    served.set_file(path, body(V1))
    old = import_once(store, url)
    served.set_file(path, body(V2))
    import_once(store, url)
    before, changes = jobs_of(store), store.db.job_changes.count_documents({})
    at = (old["startedAt"] + timedelta(milliseconds=1)).isoformat()  # v1's run is the latest at that time
    log = replay(store, feed=url, at=at)
    assert (log[REPLAY_OF], log[REPLAY_DRY_RUN]) == (str(old["_id"]), True)
    # v1 against today (v2): job 2 differs, 1, 3 and 4 (still stored, closing after misses) are the same
    assert (log["newJobs"], log["updatedJobs"], log["unchangedJobs"], log["failedJobs"]) == (0, 1, 3, 1)
    assert jobs_of(store) == before and store.db.job_changes.count_documents({}) == changes  # nothing written


def test_after_a_normalize_change_a_replay_shows_the_changed_jobs_as_updated(
    store: Store, served: Any, feed: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path, url = feed
    served.set_file(path, body(V1))
    original = import_once(store, url)
    seen = {key: doc["lastSeenAt"] for key, doc in jobs_of(store).items()}
    clean_line = normalize.clean_line

    def renamed(value: Any, clean: Any) -> str | None:  # today's parser spells one title differently
        text = clean_line(value, clean)
        return "Job 2 (renamed by the new parser)" if text == "Job 2" else text

    monkeypatch.setattr(normalize, "clean_line", renamed)
    log = replay(store, log_id=str(original["_id"]))
    assert (log["newJobs"], log["updatedJobs"], log["unchangedJobs"], log[REPLAY_DRY_RUN]) == (0, 1, 3, False)
    jobs = jobs_of(store)
    (job,) = [doc for doc in jobs.values() if doc["title"].startswith("Job 2")]
    assert job["title"] == "Job 2 (renamed by the new parser)"
    assert {key: doc["lastSeenAt"] for key, doc in jobs.items()} == seen  # a replay sees nothing of the feed
    (change,) = store.db.job_changes.find({"jobId": job["_id"]})
    assert change["flowRunId"] == log["flowRunId"] and change["changes"]["title"]["old"] == "Job 2"


def test_a_replay_waits_for_no_one_it_is_skipped_while_a_run_holds_the_feed(
    store: Store, served: Any, feed: tuple[str, str], redis_service: Any
) -> None:
    path, url = feed
    served.set_file(path, body(V1))
    original = import_once(store, url)
    locks = FeedLocks(redis_service.url, ttl_s=60)
    assert locks.acquire(url, "another-run").acquired
    try:
        log = replay(store, log_id=str(original["_id"]))
    finally:
        locks.release(url, "another-run")
    assert (log["status"], log["error"]["reason"], log[REPLAY_OF]) == ("skipped", "locked", str(original["_id"]))


def test_pruning_keeps_the_bodies_in_use(store: Store, served: Any, feed: tuple[str, str]) -> None:
    from flows.prune_archive import prune_archive

    path, url = feed
    served.set_file(path, body(V1))
    old = import_once(store, url)
    served.set_file(path, body(V2))
    latest = import_once(store, url)
    files = store.db["feed_bodies.files"]
    files.update_many({}, {"$set": {"metadata.seenAt": old["startedAt"] - timedelta(days=40)}})
    assert prune_archive() == 1
    assert [doc["filename"] for doc in files.find({})] == [latest[BODY_SHA256]]  # the feed's latest body stays
    result = jobfeed(without_prefect(MONGODB_DB=store.db.name), "archive", "prune")
    assert result.returncode == 0 and "Pruned 0 archived bodies" in result.stdout, result.stdout + result.stderr


def test_jobfeed_replay_on_the_command_line(store: Store, served: Any, feed: tuple[str, str]) -> None:
    path, url = feed
    served.set_file(path, body(V1))
    original = import_once(store, url)
    env = user_env(MONGODB_DB=store.db.name, SPOOL_DIR=os.environ["SPOOL_DIR"])
    result = jobfeed(env, "replay", "--feed", url, "--json")
    assert result.returncode == 1, result.stdout + result.stderr  # partial, like its source: an item failed
    assert f'"{REPLAY_OF}": "{original["_id"]}"' in result.stdout
    missing = jobfeed(env, "replay", "--log", "0" * 24)
    assert missing.returncode == 2 and "no import log" in missing.stderr and "Traceback" not in missing.stderr
    usage = jobfeed(env, "replay", "--at", "2026-01-01")
    assert usage.returncode == 2 and "--log ID" in usage.stderr


def test_a_paged_board_is_kept_page_by_page_and_replayed_whole(
    store: Store, served: Any, tmp_path: Path, archive_setting: Any
) -> None:
    import json

    import yaml

    from flows.import_feeds import import_feeds
    from tests.support.sources import fixture

    base = f"src/{store.db.name}/lever"
    postings = json.loads(fixture("lever", "postings_page1.json")) + json.loads(fixture("lever", "postings_page2.json"))
    served.set_file(f"{base}/postings", json.dumps(postings).encode(), content_type="application/json")
    entry = {"kind": "lever", "company": "acme", "url": served.url(f"paged/{base}/postings?mode=json&limit=1")}
    (tmp_path / "feeds.yaml").write_text(yaml.safe_dump({"feeds": [entry]}), encoding="utf-8")
    archive_setting(FEEDS_FILE=str(tmp_path / "feeds.yaml"))  # the replay finds the feed's kind there
    state = import_feeds(return_state=True)
    (original,) = store.logs.for_flow_run(str(state.state_details.flow_run_id))
    assert original["newJobs"] == len(postings) == 3  # one posting a page: 3 pages
    archive = GridFSArchive(store.db)
    assert archive.is_pages(original[BODY_SHA256])  # the manifest; its pages are kept beside it
    with archive.open(original[BODY_SHA256]) as manifest:
        pages = manifest.read().decode().split()
    assert len(pages) >= 3 and all(archive.has(page) for page in pages)  # 3 postings, then the empty last page
    requests = len(served.requests)
    log = replay(store, feed="lever:acme")  # the feed's name (its source) in feeds.yaml
    assert len(served.requests) == requests
    assert (log[REPLAY_OF], log["newJobs"], log["updatedJobs"], log["unchangedJobs"]) == (str(original["_id"]), 0, 0, 3)
