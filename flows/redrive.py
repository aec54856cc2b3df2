"""Flow `redrive-dead-letters`: re-process parked items and batches with today's code."""

from typing import Any

from prefect import flow

from jobfeed.importlog import chunked
from tasks.redrive import load_dead_letters, redrive_chunk

REDRIVE_CHUNK = 100  # letters per task run: few task runs, and one bad chunk does not block the rest


@flow(name="redrive-dead-letters")
def redrive_dead_letters(reason: str | None = None, limit: int = 1000) -> list[dict[str, Any]]:
    """Re-drive pending dead letters (optionally of one reason); returns one row per letter."""
    letters = load_dead_letters(reason, limit)
    futures = [redrive_chunk.submit(list(chunk), i) for i, chunk in enumerate(chunked(letters, REDRIVE_CHUNK))]
    return [row for future in futures for row in future.result()]
