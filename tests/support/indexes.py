"""Index checks shared by the tests of read-only clients (API, dashboard, metrics) and of `jobfeed db init`."""

from __future__ import annotations

from typing import Any

from jobfeed.store.indexes import INDEXES


def declared_indexes() -> dict[str, set[str]]:
    """Every index jobfeed declares, by collection (besides MongoDB's own `_id_`)."""
    return {coll: {model.document["name"] for model in models} for coll, models in INDEXES.items()}


def extra_indexes(db: Any) -> dict[str, set[str]]:
    """Indexes other than `_id_` on jobfeed's collections of `db` (a pymongo Database); {} when none."""
    found = {coll: set(db[coll].index_information()) - {"_id_"} for coll in INDEXES}
    return {coll: names for coll, names in found.items() if names}
