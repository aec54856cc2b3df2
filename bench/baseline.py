"""The simplest practical importer doing jobfeed's work without Prefect: the speed limit to compare with.

Per feed, in order: conditional GET (remembered ETag), `xmltodict.parse`, the same identity (guid
text) and unchanged rule (sha256 over the content fields), then batches of 500: one `$in` read of
the stored hashes, one unordered `bulk_write` of upserts for new/changed jobs and one `UpdateMany`
of `lastSeenAt` for the unchanged ones (jobfeed re-stamps those at most every 6 hours). The ETag is saved after the jobs are stored.
Prints one JSON object with its counts.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import re
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import httpx
import xmltodict  # type: ignore[import-untyped]
import yaml
from pymongo import ASCENDING, DESCENDING, IndexModel, MongoClient, UpdateMany, UpdateOne

BATCH = 500
JOBFEED_INDEXES: list[tuple[list[tuple[str, int]], dict[str, Any]]] = [
    ([("source", ASCENDING), ("externalId", ASCENDING)], {"unique": True}),
    ([("lastSeenAt", DESCENDING)], {}),
    ([("source", ASCENDING), ("lastSeenAt", DESCENDING)], {}),
]
_TAG = re.compile(r"<[^>]*>")
_BLOCK = re.compile(r"</?(?:p|br|li|ul|ol|div|h[1-6])\b[^>]*>", re.IGNORECASE)
_BLANKS = re.compile(r"[ \t\r\f\v]+")


def text_of(value: Any) -> str | None:
    """xmltodict gives a str, or a dict with '#text' once the element has attributes."""
    if isinstance(value, dict):
        value = value.get("#text")
    return value.strip() if isinstance(value, str) else None


def html_text(fragment: str) -> str:
    """Plain text the quick way: block tags to newlines, other tags dropped, entities decoded."""
    text = html.unescape(_TAG.sub("", _BLOCK.sub("\n", fragment)))
    return "\n".join(line for line in (_BLANKS.sub(" ", raw).strip() for raw in text.split("\n")) if line)


def to_doc(item: dict[str, Any], source: str) -> dict[str, Any] | None:
    """One RSS item as the stored document (None without a guid or title); `_id` is the guid."""
    guid, title = text_of(item.get("guid")), text_of(item.get("title"))
    if not guid or not title:
        return None
    body = text_of(item.get("content:encoded")) or text_of(item.get("description")) or ""
    published = text_of(item.get("pubDate"))
    fields: dict[str, Any] = {
        "title": html.unescape(title),
        "company": text_of(item.get("job_listing:company")),
        "location": html.unescape(text_of(item.get("job_listing:location")) or ""),
        "jobType": text_of(item.get("job_listing:job_type")),
        "category": text_of(item.get("job_listing:job_category")),
        "url": text_of(item.get("link")),
        "descriptionHtml": body,
        "publishedAt": parsedate_to_datetime(published).astimezone(UTC) if published else None,
    }
    canonical = json.dumps([fields[k] for k in sorted(fields) if k != "descriptionHtml"], default=str)
    digest = hashlib.sha256(canonical.encode() + hashlib.sha256(body.encode()).digest()).hexdigest()
    return {"_id": guid, "source": source, "externalId": guid, **fields, "descriptionText": html_text(body),
            "contentHash": digest}  # fmt: skip


def chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def upsert(coll: Any, docs: list[dict[str, Any]], feed_url: str, now: datetime, counts: dict[str, int]) -> None:
    """One read for the batch's stored hashes; writes only for new and changed jobs."""
    stored = {
        d["_id"]: d.get("contentHash")
        for d in coll.find({"_id": {"$in": [d["_id"] for d in docs]}}, {"contentHash": 1})
    }
    ops: list[Any] = []
    unchanged: list[str] = []
    for doc in docs:
        old = stored.get(doc["_id"])
        if doc["_id"] in stored and old == doc["contentHash"]:
            unchanged.append(doc["_id"])
            continue
        counts["updated" if doc["_id"] in stored else "new"] += 1
        content = {k: v for k, v in doc.items() if k != "_id"}
        ops.append(UpdateOne({"_id": doc["_id"]}, {"$set": {**content, "lastSeenAt": now, "lastChangedAt": now},
                                                   "$setOnInsert": {"firstSeenAt": now}, "$addToSet": {"feeds": feed_url}},
                             upsert=True))  # fmt: skip
    if unchanged:
        counts["unchanged"] += len(unchanged)
        ops.append(UpdateMany({"_id": {"$in": unchanged}}, {"$set": {"lastSeenAt": now}}))
    if ops:
        coll.bulk_write(ops, ordered=False)


def import_feed(http: httpx.Client, db: Any, url: str, counts: dict[str, int], *, conditional: bool = True) -> None:
    """Fetch one feed (conditionally unless told not to) and store its jobs; remember the ETag once they are stored."""
    state = db.feed_state.find_one({"_id": url}) or {} if conditional else {}
    headers = {"If-None-Match": state["etag"]} if state.get("etag") else {}
    response = http.get(url, headers=headers)
    if response.status_code == 304:
        counts["not_modified"] += 1
        return
    response.raise_for_status()
    channel = xmltodict.parse(response.content, force_list=("item",))["rss"]["channel"]
    items = channel.get("item") or []
    counts["fetched"] += len(items)
    now = datetime.now(UTC)
    source = httpx.URL(url).host
    for batch in chunks(items, BATCH):
        docs = [doc for doc in (to_doc(item, source) for item in batch) if doc is not None]
        counts["invalid"] += len(batch) - len(docs)
        upsert(db.jobs, docs, url, now, counts)
    db.feed_state.update_one({"_id": url}, {"$set": {"etag": response.headers.get("etag")}}, upsert=True)


def main() -> None:
    """`python -m bench.baseline --feeds-file F --mongodb-uri URI --db NAME`: import and print counts."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--feeds-file", type=Path, required=True, help="jobfeed's feeds YAML (url entries)")
    parser.add_argument("--mongodb-uri", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--indexes", action="store_true", help="also keep jobfeed's secondary indexes on jobs")
    parser.add_argument(
        "--no-conditional",
        action="store_true",
        help="the plain script: no If-None-Match, every body downloaded and parsed (the issues' 'plain script')",
    )
    args = parser.parse_args()
    started = time.monotonic()
    entries = yaml.safe_load(args.feeds_file.read_text())["feeds"]
    urls = [entry if isinstance(entry, str) else entry["url"] for entry in entries]
    counts = dict.fromkeys(("fetched", "new", "updated", "unchanged", "invalid", "not_modified"), 0)
    client: MongoClient[dict[str, Any]] = MongoClient(args.mongodb_uri, tz_aware=True)
    try:
        if args.indexes:  # the same keys as jobfeed/store/indexes.py: what they cost on writes
            client[args.db].jobs.create_indexes([IndexModel(keys, **opts) for keys, opts in JOBFEED_INDEXES])
        with httpx.Client(timeout=60.0, trust_env=False) as http:
            for url in urls:
                import_feed(http, client[args.db], url, counts, conditional=not args.no_conditional)
    finally:
        client.close()
    json.dump({**counts, "feeds": len(urls), "seconds": round(time.monotonic() - started, 3)}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
