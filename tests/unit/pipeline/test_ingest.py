"""Streaming ingest: a spooled body becomes batch files of jobs, the same jobs the in-memory path makes."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from jobfeed.pipeline.ingest import ingest_body
from jobfeed.pipeline.normalize import normalize_items
from jobfeed.pipeline.spool import BatchWriter, FeedSpool, load_batch, prune
from jobfeed.reasons import FailureReason, FeedError
from jobfeed.sources import parse_feed, xmlsafe

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "feeds"
FEEDS = [  # (fixture, feed URL, content type)
    ("jobicy_job_feed.xml", "https://jobicy.com/?feed=job_feed", "application/rss+xml"),
    ("jobspresso_wpjm_job_feed.xml", "https://jobspresso.co/?feed=job_feed", "application/rss+xml"),
    ("weworkremotely_opencruit_feed.xml", "https://weworkremotely.com/remote-jobs.rss", None),
    ("higheredjobs_category_feed.xml", "https://www.higheredjobs.com/rss/categoryFeed.cfm?catID=68", None),
    ("atom_feed.xml", "https://careers.acme.example/jobs.atom", None),
    ("rdf_feed.xml", "https://rdf.example.org/rss", None),
    ("duplicate_guid_feed.xml", "https://dupes.example/feed", None),
    ("item_without_identity.xml", "https://noid.example/feed", None),
    ("windows1252_feed.xml", "https://cp1252.example/feed", None),
    ("utf16_feed.xml", "https://utf16.example/feed", None),
    ("jobicy_api_opencruit_response.json", "https://jobicy.com/api/v2/remote-jobs", "application/json"),
]


def spooled(tmp_path: Path, fixture: str) -> FeedSpool:
    spool = FeedSpool(tmp_path, "log-1").reset()
    spool.body_path.write_bytes((FIXTURES / fixture).read_bytes())
    return spool


@pytest.mark.parametrize(("fixture", "url", "content_type"), FEEDS, ids=[f[0] for f in FEEDS])
@pytest.mark.parametrize("batch_size", [1, 2, 500])
def test_same_jobs_and_failures_as_the_in_memory_path(
    tmp_path: Path, fixture: str, url: str, content_type: str | None, batch_size: int
) -> None:
    spool = spooled(tmp_path, fixture)
    ingested = ingest_body(spool.body_path, content_type, url, BatchWriter(spool, batch_size))
    expected = normalize_items(parse_feed((FIXTURES / fixture).read_bytes(), content_type), url)
    jobs = [job for ref in ingested.batches for job in load_batch(ref)]
    assert [job.contentHash for job in jobs] == [job.contentHash for job in expected.jobs]
    assert jobs == expected.jobs
    assert [(f.reason, f.itemKey) for f in ingested.failures] == [(f.reason, f.itemKey) for f in expected.failures]
    assert all(ref.size == batch_size for ref in ingested.batches[:-1])  # only the last batch is short
    assert [ref.index for ref in ingested.batches] == list(range(len(ingested.batches)))
    assert sum(ref.size for ref in ingested.batches) == len(expected.jobs)
    assert expected.jobs  # every fixture here has importable jobs: the comparison is never vacuous


def test_a_restart_drops_the_first_pass(tmp_path: Path) -> None:
    # an undeclared prefix is found late: the parser starts over without namespaces, and the
    # batches of the first pass must not be counted twice
    items = "".join(f"<item><title>T{i}</title><guid>g{i}</guid></item>" for i in range(5))
    body = f'<?xml version="1.0"?><rss><channel><title>x</title>{items}<item><title>late</title><guid>g9</guid><job_listing:company>Acme</job_listing:company></item></channel></rss>'
    spool = FeedSpool(tmp_path, "log-2").reset()
    spool.body_path.write_bytes(body.encode())
    ingested = ingest_body(spool.body_path, None, "https://late.example/feed", BatchWriter(spool, 2))
    jobs = [job for ref in ingested.batches for job in load_batch(ref)]
    assert [job.externalId for job in jobs] == ["g0", "g1", "g2", "g3", "g4", "g9"]
    assert jobs[-1].company == "Acme"
    assert sorted(p.name for p in spool.dir.glob("batch-*")) == [f"batch-0000{i}.pickle" for i in range(3)]


def test_a_truncated_feed_is_malformed(tmp_path: Path) -> None:
    spool = spooled(tmp_path, "truncated_feed.xml")
    with pytest.raises(FeedError) as caught:
        ingest_body(spool.body_path, None, "https://cut.example/feed", BatchWriter(spool, 1))
    assert caught.value.reason is FailureReason.XML_MALFORMED


def test_a_big_feed_is_read_in_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the body never sits in memory whole: expat gets READ_CHUNK_BYTES at a time
    monkeypatch.setattr(xmlsafe, "READ_CHUNK_BYTES", 4096)
    sizes: list[int] = []
    real = xmlsafe._raw_chunks

    def spy(source: object):  # type: ignore[no-untyped-def]
        for chunk in real(source):  # type: ignore[arg-type]
            sizes.append(len(chunk))
            yield chunk

    monkeypatch.setattr(xmlsafe, "_raw_chunks", spy)
    spool = spooled(tmp_path, "jobspresso_wpjm_job_feed.xml")
    ingest_body(spool.body_path, None, "https://jobspresso.co/?feed=job_feed", BatchWriter(spool, 500))
    assert len(sizes) > 3 and max(sizes) == 4096


def test_spool_reset_remove_and_prune(tmp_path: Path) -> None:
    spool = FeedSpool(tmp_path, "log-3").reset()
    (spool.dir / "batch-00000.pickle").write_bytes(b"old attempt")
    spool.reset()  # a retried fetch starts clean
    assert list(spool.dir.iterdir()) == [] and oct(spool.dir.stat().st_mode & 0o777) == "0o700"
    stale = FeedSpool(tmp_path, "log-dead").reset()
    old = time.time() - 2 * 24 * 3600
    os.utime(stale.dir, (old, old))
    assert prune(tmp_path) == 1  # a dead run's leftovers go; the live run's stay
    assert spool.dir.exists() and not stale.dir.exists()
    spool.remove()
    assert not spool.dir.exists()
