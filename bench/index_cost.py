"""`python -m bench.index_cost`: what each `jobs` index costs the database server per insert.

Inserts 5,000 job-sized documents (bulk_write, batches of 500) into fresh collections with only `_id`,
with all of jobfeed's `jobs` indexes, and with each one alone, on this benchmark's own secantusd
(bench.stack.BenchStack); prints the server CPU each took (median of 3) and the extra over `_id` only.
"""

from __future__ import annotations

import random
import statistics
from typing import Any

from pymongo import InsertOne

from bench.stack import BenchStack
from jobfeed.store.indexes import INDEXES

DOCS = 5_000
REPS = 3


def job_doc(i: int) -> dict[str, Any]:
    """About the size and shape of a bench job (3.3 KB HTML, 2.8 KB text)."""
    return {"source": f"s{i % 20}.example", "externalId": f"https://x.example/?p={i}", "title": "t" * 40,
            "lastSeenAt": i, "status": "open", "dupKey": f"{random.getrandbits(128):032x}",
            "descriptionHtml": "x" * 3300, "description": "y" * 2800, "company": "c", "location": "l"}  # fmt: skip


def main() -> None:
    models = {model.document["name"]: model for model in INDEXES["jobs"]}
    variants = {"_id only": [], "all": list(models.values())} | {f"only {name}": [m] for name, m in models.items()}
    docs = [job_doc(i) for i in range(DOCS)]
    cpu: dict[str, list[float]] = {name: [] for name in variants}
    with BenchStack(services=("mongo",)) as stack:
        client = stack.client()
        for rep in range(REPS):
            for name, indexes in variants.items():
                coll = client[f"rep{rep}"][name.replace(" ", "_")]
                if indexes:
                    coll.create_indexes(indexes)
                before = stack.server_cpu()["mongo"]
                for start in range(0, DOCS, 500):
                    coll.bulk_write([InsertOne(dict(d)) for d in docs[start : start + 500]], ordered=False)
                cpu[name].append(stack.server_cpu()["mongo"] - before)
    base = statistics.median(cpu["_id only"])
    print(f"server CPU for {DOCS:,} inserts (median of {REPS}):")
    for name, values in cpu.items():
        median = statistics.median(values)
        print(f"  {name:28} {median:5.2f} s  (+{median - base:4.2f} s over _id only)")


if __name__ == "__main__":
    main()
