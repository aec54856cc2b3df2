"""Flow `prune-archive`: the raw feed archive's retention, daily (`prune-archive/daily`, docs/provenance.md)."""

from prefect import flow

from tasks.archive import prune_bodies

# No `from __future__ import annotations` here: Prefect's flow.serve() cannot handle it (notes/stack.md).


@flow(name="prune-archive")
def prune_archive() -> int:
    """Delete archived bodies older than ARCHIVE_KEEP_DAYS except those the feeds' latest runs stand on;
    returns how many went."""
    return prune_bodies()
