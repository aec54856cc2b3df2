"""Working files of one feed in one run: the fetched body and its normalized jobs, in batches.

A feed is never held in memory whole. The body streams from the socket into `body`, the parser
streams items out of that file, and every BATCH_SIZE jobs go to a batch file that one upsert task
reads back. Memory stays at about one batch however big the feed (bench/README.md, peak RSS).

The files live on the machine that runs the flow: Prefect runs a flow run's tasks in that flow
run's process (ThreadPoolTaskRunner), so every task of a run sees them. Batch files are pickles
written and read by this process only, in a directory only its user can open.
"""

from __future__ import annotations

import os
import pickle
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from jobfeed import constants as C
from jobfeed.models import Job


@dataclass(frozen=True, slots=True)
class BatchRef:
    """One batch of normalized jobs waiting on disk for its upsert task."""

    index: int
    path: str
    size: int


def spool_root(configured: str | Path | None = None) -> Path:
    """Where runs keep their working files: SPOOL_DIR, else a private folder in the system temp dir."""
    root = Path(configured) if configured else Path(tempfile.gettempdir()) / f"jobfeed-spool-{os.getuid()}"
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    return root


class FeedSpool:
    """The working directory of one feed in one run (named by its ImportLog id, so unique)."""

    def __init__(self, root: Path, name: str) -> None:
        self.dir = root / name
        self.body_path = self.dir / "body"
        self.listing_path = self.dir / "listing.pickle"  # what the body says about the feed's snapshot

    def reset(self) -> FeedSpool:
        """Start empty (a retried fetch must not see the batches of its failed attempt)."""
        self.remove()
        self.dir.mkdir(mode=0o700, parents=True)
        return self

    def remove(self) -> None:
        """Delete every file of this feed's run."""
        shutil.rmtree(self.dir, ignore_errors=True)

    def remove_body(self) -> None:
        """The body (or a board's list pages) is not needed once its jobs are in batch files."""
        self.body_path.unlink(missing_ok=True)
        for page in self.dir.glob("page-*"):  # jobfeed/fetch/pages.py
            page.unlink(missing_ok=True)


class BatchWriter:
    """Collects normalized jobs and writes every `size` of them to a new batch file."""

    def __init__(self, spool: FeedSpool, size: int) -> None:
        self.spool = spool
        self.size = size
        self.pending: list[Job] = []
        self.batches: list[BatchRef] = []

    def add(self, job: Job) -> None:
        self.pending.append(job)
        if len(self.pending) >= self.size:
            self.flush()

    def flush(self) -> None:
        """Write what is pending as one batch file (nothing when nothing is pending)."""
        if not self.pending:
            return
        index = len(self.batches)
        path = self.spool.dir / f"batch-{index:05d}.pickle"
        with open(path, "wb") as out:
            pickle.dump(self.pending, out, protocol=pickle.HIGHEST_PROTOCOL)
        self.batches.append(BatchRef(index, str(path), len(self.pending)))
        self.pending = []

    def discard(self) -> None:
        """Forget every batch (the parser restarts from the top of the body)."""
        for ref in self.batches:
            Path(ref.path).unlink(missing_ok=True)
        self.batches = []
        self.pending = []


def save_value(path: Path, value: object) -> str:
    """Pickle one of the run's own values (e.g. a snapshot Listing) into its private spool; returns the path."""
    with open(path, "wb") as out:
        pickle.dump(value, out, protocol=pickle.HIGHEST_PROTOCOL)
    return str(path)


def load_value(path: str | None) -> object | None:
    """A value saved by save_value, or None when there is none (never saved, or the spool is gone)."""
    if not path:
        return None
    try:
        with open(path, "rb") as source:
            value: object = pickle.load(source)
    except FileNotFoundError:
        return None
    return value


def load_batch(ref: BatchRef) -> list[Job]:
    """The jobs of one batch file (written by BatchWriter in this process's private spool)."""
    with open(ref.path, "rb") as source:
        jobs: list[Job] = pickle.load(source)
    return jobs


def prune(root: Path, older_than_s: float = C.SPOOL_MAX_AGE_S) -> int:
    """Remove run directories left by runs that died (kill -9, power loss); returns how many."""
    cutoff = time.time() - older_than_s
    removed = 0
    for entry in root.iterdir() if root.is_dir() else ():
        try:
            if entry.is_dir() and entry.stat().st_mtime < cutoff:
                shutil.rmtree(entry, ignore_errors=True)
                removed += 1
        except OSError:
            continue  # another worker removed it first
    return removed
