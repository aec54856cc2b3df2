"""Test data: jobs as the parser makes them, and logs, feeds and dead letters written through the real Store
repositories (the same calls the pipeline makes)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from jobfeed.importlog import FeedFailure, LogStatus, UpsertCounts, summary_fields
from jobfeed.models import FeedFormat, ItemFailure, Job
from jobfeed.pipeline.redrive import batch_payload, item_letter
from jobfeed.quality import Drift, Profile, Shape
from jobfeed.reasons import FailureReason
from jobfeed.store import Store

T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)  # fixed, so day filters and time zones are predictable
FEEDS = {
    "https://jobicy.com/?feed=job_feed&token=s3cr3t-token": "jobicy-all",
    "https://weworkremotely.com/remote-jobs.rss": "wwr",
    "https://jobspresso.co/?feed=job_feed": "jobspresso",
}
SECRET = "s3cr3t-token"  # inside a feed URL: must never appear on a page or in an API response


def add_log(store: Store, *, url: str, started: datetime, status: LogStatus = LogStatus.SUCCESS,
            new: int = 3, updated: int = 1, unchanged: int = 5, failures: list[ItemFailure] | None = None,
            error: FeedFailure | None = None, flow_run_id: str = "run-1", seconds: float = 2.5) -> str:  # fmt: skip
    """One ImportLog, opened `running` and (unless status is RUNNING) finished like record-import-log does."""
    log_id = store.logs.open(feed_url=url, feed_name=FEEDS.get(url, url), flow_run_id=flow_run_id, started_at=started)
    if status is not LogStatus.RUNNING:
        counts = UpsertCounts(new, updated, unchanged, list(failures or []))
        fields = summary_fields(status=status, counts=counts, error=error)
        store.logs.finish(log_id, finished_at=started + timedelta(seconds=seconds), fields=fields)
    return log_id


def add_profiled_log(store: Store, *, url: str, started: datetime, coverage: dict[str, float] | None,
                     drift: list[Drift] | None = None, items: int = 5) -> str:  # fmt: skip
    """A finished log of a parsed body with its data quality (fieldCoverage, shape, drift), as finish_feed writes it."""
    log_id = store.logs.open(feed_url=url, feed_name=FEEDS.get(url, url), flow_run_id="run-q", started_at=started)
    shape = Shape("rss", "item", (), items, {"title": 1.0})
    fields = {**summary_fields(status=LogStatus.SUCCESS, counts=UpsertCounts(new=items), error=None),
              **Profile(shape, coverage).to_fields(drift or [])}  # fmt: skip
    store.logs.finish(log_id, finished_at=started + timedelta(seconds=2), fields=fields)
    return log_id


def seed_history(store: Store, n: int = 45, *, t0: datetime = T0) -> list[str]:
    """n finished logs, one per hour back from t0, round-robin over FEEDS; every 5th failed, every 7th partial.

    Written oldest first, as runs happen, so feed state (last status, failure streak) ends as of t0.
    Returns the log ids newest first (index i = i hours before t0).
    """
    urls = list(FEEDS)
    ids = []
    for i in reversed(range(n)):
        url = urls[i % len(urls)]
        status = LogStatus.FAILED if i % 5 == 4 else LogStatus.PARTIAL if i % 7 == 6 else LogStatus.SUCCESS
        error = FeedFailure(FailureReason.HTTP_5XX, f"503 from {url}") if status is LogStatus.FAILED else None
        failures = (
            [ItemFailure(FailureReason.ITEM_INVALID, "no guid and no link", f"item-{i}")]
            if status is LogStatus.PARTIAL
            else []
        )
        ids.append(add_log(store, url=url, started=t0 - timedelta(hours=i), status=status, error=error,
                           failures=failures, flow_run_id=f"run-{i // 3}", new=0 if error else 3))  # fmt: skip
        store.feeds.record_run(url, name=FEEDS[url], status=status.value, now=t0 - timedelta(hours=i), conditional=None,
                               error_reason=error.reason.value if error else None)  # fmt: skip
    return ids[::-1]


def make_job(i: int, *, source: str = "jobicy.com", title: str | None = None, company: str = "Acme",
             location: str = "Remote", html: str | None = None) -> Job:  # fmt: skip
    """A normalized job as the parser would produce it: job i of `source`, published i days before T0.

    The content hash follows title and html, so the same arguments upsert as unchanged and a new title
    or description as updated. The default description spans two lines, as real HTML does.
    """
    return Job(
        source=source, externalId=f"https://{source}/?p={i}", title=title or f"Engineer {i}", company=company,
        location=location, jobType="full-time", category="dev", url=f"https://{source}/jobs/{i}",
        descriptionHtml=html or "<p>line one</p>\n<p>line two</p>", publishedAt=T0 - timedelta(days=i),
        contentHash=f"hash-{source}-{i}-{title}-{html}",
    )  # fmt: skip


def seed_jobs(store: Store, jobs: list[Job], *, feed_url: str = "https://jobicy.com/?feed=job_feed&token=s3cr3t-token",
              now: datetime = T0) -> UpsertCounts:  # fmt: skip
    """Upsert jobs through the pipeline's batch write, and record the feed's run as record-import-log does."""
    counts = store.jobs.upsert_batch(jobs, feed_url=feed_url, token=f"seed-{now.isoformat()}", now=now)
    store.feeds.record_run(feed_url, name=FEEDS.get(feed_url, feed_url), status="success", now=now, conditional=None,
                           error_reason=None)  # fmt: skip
    return counts


def seed_dead_letters(store: Store, spec: dict[str, int], *, broken_items: int = 0) -> list[str]:
    """Dead letters as the pipeline parks them; returns their keys.

    `spec[reason]` batches per reason, each holding one valid job (a re-drive resolves it), and
    `broken_items` invalid RSS items (no title, no link: a re-drive fails again).
    """
    keys: list[str] = []
    for reason, count in spec.items():
        for i in range(count):
            key = f"{reason}-{i}"
            store.dead_letters.add(key=key, reason=reason, message=f"{reason} #{i} at https://u:pw@db.example/x",
                                   feed=next(iter(FEEDS)), payload=batch_payload([make_job(1000 + len(keys))]),
                                   attempts=3, now=T0 + timedelta(minutes=len(keys)))  # fmt: skip
            keys.append(key)
    for i in range(broken_items):
        failure = ItemFailure(
            FailureReason.ITEM_INVALID, "no guid and no link", None, raw={"description": f"orphan {i}"}
        )
        key, payload = item_letter(next(iter(FEEDS)), FeedFormat.RSS, failure)
        store.dead_letters.add(key=key, reason="item_invalid", message="no guid and no link", feed=next(iter(FEEDS)),
                               payload=payload, attempts=1, now=T0 + timedelta(minutes=len(keys)))  # fmt: skip
        keys.append(key)
    return keys


def texts(at: Any) -> str:
    """Every text an AppTest run rendered (markdown, captions, alerts, tables, widgets' labels), joined."""
    parts: list[str] = []
    for kind in ("title", "subheader", "markdown", "caption", "error", "warning", "info", "success", "text", "metric"):
        parts.extend(str(getattr(el, "value", "")) for el in getattr(at, kind))
    for frame in at.dataframe:
        parts.append(frame.value.to_csv(index=False))
    return "\n".join(parts)
