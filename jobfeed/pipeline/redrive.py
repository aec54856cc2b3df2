"""Dead letters in and out: what a parked item/batch holds, and re-processing one idempotently."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from jobfeed.importlog import UpsertCounts
from jobfeed.models import FeedFormat, ItemFailure, Job, ParsedFeed
from jobfeed.pipeline.normalize import normalize_items
from jobfeed.pipeline.ports import RunStore

Key = tuple[str, str]
MAX_RAW_ITEM_CHARS = 256 * 1024  # a parked raw item is for diagnosis and re-drive, not an archive


@dataclass(frozen=True, slots=True)
class RedriveOutcome:
    """What re-driving one dead letter did."""

    key: str
    kind: str
    resolved: bool
    counts: UpsertCounts
    message: str = ""


def item_letter(feed_url: str, fmt: FeedFormat | None, failure: ItemFailure) -> tuple[str, dict[str, Any]]:
    """Key and payload for one invalid item; the key is stable, so the same broken item parks once."""
    raw = json.dumps(failure.raw, default=str, ensure_ascii=False)[:MAX_RAW_ITEM_CHARS]
    key = "item:" + hashlib.sha1(f"{feed_url}\n{raw}".encode()).hexdigest()
    payload = {"kind": "item", "format": fmt.value if fmt else None, "itemKey": failure.itemKey, "raw": raw}
    if failure.source:  # a job board's "<kind>:<board>" cannot be told from the feed URL again
        payload["source"] = failure.source
    return key, payload


def batch_payload(jobs: list[Job]) -> dict[str, Any]:
    """Payload for a batch whose writes failed after every retry: the normalized jobs themselves."""
    return {"kind": "batch", "jobs": [asdict(job) for job in jobs]}


def superseded_jobs(store: RunStore, letter: dict[str, Any], jobs: list[Job], *, tokens: tuple[str, ...]) -> set[Key]:
    """The jobs of a parked batch that a later run of its feed wrote, or listed as its snapshot shows: what is
    stored for them is newer than the batch, which must not write its old content back (found with the chaos
    soak, bench/soak: a batch parked while the database was down, the board's next edit stored meanwhile)."""
    since = letter.get("firstFailedAt")
    if since is None or not jobs:
        return set()
    keys = [job.key for job in jobs]
    newer = store.jobs.written_since(keys, since=since, except_tokens=tokens)
    wanted = set(keys) - newer
    head = store.snapshots.head(letter["feed"]) if wanted else None
    if head:
        rows = store.snapshots.load(letter["feed"], head)
        newer |= {key for key in wanted if (row := rows.get(key)) is not None and row[2] is not None and row[2] > since}
    return newer


def redrive_letter(store: RunStore, letter: dict[str, Any], *, now: datetime) -> RedriveOutcome:
    """Re-process one dead letter with today's code; mark it when it succeeds. Safe to repeat."""
    payload = letter.get("payload") or {}
    kind = payload.get("kind", "?")
    key = letter["key"]
    token = f"redrive:{key}"  # idempotent: a repeated re-drive counts and writes the same way
    superseded = 0
    if kind == "batch":
        jobs = [Job.from_doc(doc) for doc in payload.get("jobs", [])]
        newer = superseded_jobs(store, letter, jobs, tokens=(key, token))
        todo = [job for job in jobs if job.key not in newer]
        superseded = len(jobs) - len(todo)
        counts = UpsertCounts(unchanged=superseded)
        if todo:
            counts = counts.add(store.jobs.upsert_batch(todo, feed_url=letter["feed"], token=token, now=now))
    elif kind == "item" and payload.get("format") and payload.get("raw"):
        parsed = ParsedFeed(FeedFormat(payload["format"]), [json.loads(payload["raw"])])
        normalized = normalize_items(parsed, letter["feed"], source=payload.get("source"))
        counts = UpsertCounts(failures=list(normalized.failures))
        if normalized.jobs:
            counts = counts.add(store.jobs.upsert_batch(normalized.jobs, feed_url=letter["feed"], token=token, now=now))
    else:
        return RedriveOutcome(key, kind, False, UpsertCounts(), "payload cannot be re-processed")
    if counts.failed:
        message = "; ".join(f"{f.reason.value}: {f.message}" for f in counts.failures[:3])
        store.dead_letters.mark_still_failing(key, now=now, message=message)
        return RedriveOutcome(key, kind, False, counts, message)
    result = {"new": counts.new, "updated": counts.updated, "unchanged": counts.unchanged}
    if superseded:
        result["superseded"] = superseded  # counted unchanged: a later run of the feed stored newer content
    store.dead_letters.mark_redriven(key, now=now, result=result)
    return RedriveOutcome(key, kind, True, counts)


def redrive_rows(store: RunStore, letters: list[dict[str, Any]], *, now: datetime) -> list[dict[str, Any]]:
    """Re-drive a chunk of dead letters; one report row per letter (the redrive flow's result)."""
    rows = []
    for letter in letters:
        outcome = redrive_letter(store, letter, now=now)
        counts = outcome.counts
        rows.append(
            {
                "key": outcome.key,
                "kind": outcome.kind,
                "feed": letter.get("feed"),
                "reason": letter.get("reason"),
                "resolved": outcome.resolved,
                "new": counts.new,
                "updated": counts.updated,
                "unchanged": counts.unchanged,
                "failed": counts.failed,
                "message": outcome.message,
            }
        )
    return rows
