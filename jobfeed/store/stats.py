"""Read-only aggregates for the metrics exporter (`jobfeed/ops/metrics.py`): the Mongo side of a scrape.

The exporter decides what the numbers mean (metric names, labels, caching of settled totals); these
functions only say how to read them, each served by an index named in `jobfeed/store/indexes.py`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from jobfeed.importlog import LogStatus

if TYPE_CHECKING:
    from jobfeed.store import Store

# The feed-state fields the metrics show: health gauges and the URL -> name info metric.
FEED_STATE_FIELDS = dict.fromkeys(("url", "name", "lastSuccessAt", "consecutiveFailures", "disabled"), 1)


def _sums_stage(fields: Sequence[str], histograms: Mapping[str, tuple[str, Sequence[float]]]) -> dict[str, Any]:
    """One $group computing every additive number of a (feed, status): runs, field sums, histogram buckets.

    `histograms` maps a prefix to (a millisecond field, bucket upper bounds in seconds); each gives
    `<prefix>Count`, `<prefix>SumMs` and `<prefix>Le<i>` (runs with the field <= bound i).
    """
    group: dict[str, Any] = {"_id": {"feed": "$fileName", "status": "$status"}, "runs": {"$sum": 1}}
    for name in fields:
        group[name] = {"$sum": f"${name}"}  # $sum skips missing and non-numeric values
    for prefix, (field, buckets) in histograms.items():
        # null sorts below numbers: without this a null would fall in every bucket
        is_number = {"$isNumber": f"${field}"}
        group[f"{prefix}Count"] = {"$sum": {"$cond": [is_number, 1, 0]}}
        group[f"{prefix}SumMs"] = {"$sum": f"${field}"}
        for index, upper_s in enumerate(buckets):
            within = {"$and": [is_number, {"$lte": [f"${field}", upper_s * 1000]}]}
            group[f"{prefix}Le{index}"] = {"$sum": {"$cond": [within, 1, 0]}}
    return group


def finished_log_sums(
    store: Store,
    *,
    after: datetime | None,
    until: datetime | None,
    fields: Sequence[str],
    histograms: Mapping[str, tuple[str, Sequence[float]]],
) -> list[dict[str, Any]]:
    """Sums per (feed, status) over the ImportLogs finished in (after, until]; an open end is unbounded.

    Rows look like `{"_id": {"feed": url, "status": s}, "runs": n, <field>: sum, ...}`. A `running`
    log has no finishedAt, and a range never matches null, so it is never counted. Index finishedAt.
    """
    pipeline = [{"$match": {"finishedAt": _finished_window(after, until)}}, {"$group": _sums_stage(fields, histograms)}]
    return list(store.logs.coll.aggregate(pipeline))


def _finished_window(after: datetime | None, until: datetime | None) -> dict[str, Any]:
    """A finishedAt condition for (after, until]; both open = every finished log (never a `running` one)."""
    window: dict[str, Any] = {}
    if after is not None:
        window["$gt"] = after
    if until is not None:
        window["$lte"] = until
    if not window:
        window["$type"] = "date"  # everything finished, still not the running ones
    return window


def finished_failure_counts(store: Store, *, after: datetime | None, until: datetime | None) -> list[dict[str, Any]]:
    """Failures by reason over the ImportLogs finished in (after, until], per feed.

    Rows look like `{"_id": {"feed": url, "kind": "feed" | "item", "reason": r}, "count": n}`: `feed` counts
    logs whose whole feed failed (`error.reason`), `item` sums the exact per-reason item counts
    (`failuresByReason`, not the capped `failures` list). Index finishedAt.
    """
    feed_error = {"$cond": [{"$eq": [{"$type": "$error.reason"}, "string"]},
                            [{"kind": "feed", "reason": "$error.reason", "n": 1}], []]}  # fmt: skip
    item_counts = {"$map": {"input": {"$objectToArray": {"$ifNull": ["$failuresByReason", {}]}}, "as": "p",
                            "in": {"kind": "item", "reason": "$$p.k", "n": "$$p.v"}}}  # fmt: skip
    pipeline: list[dict[str, Any]] = [
        {"$match": {"finishedAt": _finished_window(after, until),
                    "$or": [{"error.reason": {"$type": "string"}}, {"failuresByReason": {"$type": "object", "$ne": {}}}]}},
        {"$project": {"fileName": 1, "pairs": {"$concatArrays": [feed_error, item_counts]}}},
        {"$unwind": "$pairs"},
        {"$group": {"_id": {"feed": "$fileName", "kind": "$pairs.kind", "reason": "$pairs.reason"},
                    "count": {"$sum": "$pairs.n"}}},
    ]  # fmt: skip
    return list(store.logs.coll.aggregate(pipeline))


def finished_drift_counts(store: Store, *, after: datetime | None, until: datetime | None) -> list[dict[str, Any]]:
    """Drift findings by kind over the ImportLogs finished in (after, until], per feed (jobfeed/quality.py).

    Rows look like `{"_id": {"feed": url, "kind": k}, "count": n}`; a drift lasting three runs is stored,
    and counted, three times. Index finishedAt.
    """
    pipeline: list[dict[str, Any]] = [
        {"$match": {"finishedAt": _finished_window(after, until), "drift": {"$type": "array", "$ne": []}}},
        {"$project": {"fileName": 1, "drift.kind": 1}},
        {"$unwind": "$drift"},
        {"$group": {"_id": {"feed": "$fileName", "kind": "$drift.kind"}, "count": {"$sum": 1}}},
    ]
    return list(store.logs.coll.aggregate(pipeline))


def feed_states(store: Store) -> list[dict[str, Any]]:
    """Every feed's health fields (FEED_STATE_FIELDS), by URL; `feeds` holds one small document per feed."""
    return list(store.feeds.coll.find({}, FEED_STATE_FIELDS).sort("url", 1))


def runs_in_progress(store: Store) -> int:
    """ImportLogs still `running` (index status_startedAt)."""
    return store.logs.coll.count_documents({"status": LogStatus.RUNNING.value})


def pending_dead_letters(store: Store) -> dict[str, int]:
    """Dead letters not yet re-driven, per reason, by reason name (index reason_redrivenAt)."""
    return store.dead_letters.count_by_reason()
