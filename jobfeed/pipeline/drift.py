"""The finish step's data-quality part: a parsed body's profile against the feed's baseline.

`assess` reads the feed's last up to BASELINE_RUNS earlier logs that parsed a body (LogRepo.profiled_before),
computes the drift (jobfeed/quality.py) and says which of it is new since the previous parsed run: only
that is handed to the `on_drift` hook (notifications, Prefect event), so a drift is told once however
many runs it lasts, and again only after it went away and came back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from jobfeed.pipeline.ports import LogRepo
from jobfeed.pipeline.runs import FeedOutcome, FeedRun, Fetched
from jobfeed.quality import BASELINE_RUNS, DRIFT, Drift, Profile, detect_drift, drifts_from, unreported

# Called once a log with new drift is finished: (feed URL, feed name, log id, the new drifts). Lives
# above the pipeline (jobfeed/ops/drift.py) and must never fail a run.
OnDrift = Callable[[str, str, str, Sequence[Drift]], object]


@dataclass(frozen=True, slots=True)
class Assessment:
    """A run's profile (None without a parsed body), its drift, and the part of it not told before."""

    profile: Profile | None = None
    drift: list[Drift] = field(default_factory=list)
    new: list[Drift] = field(default_factory=list)

    def fields(self) -> dict[str, Any]:
        """What the ImportLog stores: fieldCoverage, shape and drift for a parsed body, else nothing."""
        return {} if self.profile is None else self.profile.to_fields(self.drift)


def assess(run: FeedRun, outcome: FeedOutcome, logs: LogRepo) -> Assessment:
    """The profile and drift of a fetched body; an empty assessment for any other outcome."""
    if not isinstance(outcome, Fetched) or outcome.profile is None:
        return Assessment()
    docs = logs.profiled_before(run.feed.public_url, before=run.started_at, limit=BASELINE_RUNS)
    baseline = [profile for doc in docs if (profile := Profile.from_log(doc)) is not None]
    drift = detect_drift(outcome.profile, baseline)
    previous = drifts_from(docs[0].get(DRIFT)) if docs else []
    return Assessment(outcome.profile, drift, unreported(drift, previous))
