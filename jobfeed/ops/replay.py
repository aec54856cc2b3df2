"""Starting a replay (docs/provenance.md): which log's body, which feed, and a run of `replay-import/on-demand`.

The logic of a replay is jobfeed/pipeline/replay.py; this module finds its source in the store (a log id,
or a feed's latest run at or before a time), the feed's spec in the feeds file, and starts the flow on a
worker for the dashboard and the API (the CLI runs it in its own process).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from jobfeed.feeds_config import ConfigError, feed_index, load_feeds_file
from jobfeed.importlog import LogField, UpsertCounts
from jobfeed.models import FeedSpec
from jobfeed.ops.archive import get_archive
from jobfeed.ops.prefect import DeploymentMissingError
from jobfeed.ops.runs import RunView, prefect_client, view_of
from jobfeed.pipeline.ports import Locks
from jobfeed.pipeline.replay import ReplayError, open_replay, plan_replay
from jobfeed.pipeline.runs import FeedRun, Replay
from jobfeed.pipeline.spool import BatchRef, load_batch
from jobfeed.settings import Settings
from jobfeed.store import Store
from jobfeed.store.provenance import BodyIndex

FLOW = "replay-import"
ON_DEMAND = f"{FLOW}/on-demand"

__all__ = [
    "FLOW",
    "ON_DEMAND",
    "ReplayError",
    "parse_at",
    "prepare_replay",
    "replay_batch",
    "start_replay",
    "submit_replay",
]


def parse_at(text: str | None) -> datetime | None:
    """An ISO 8601 time (a date alone = its midnight; no zone = UTC); ReplayError when it is none."""
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ReplayError(f"not an ISO 8601 time: {text!r} (e.g. 2026-12-01T09:00:00Z)") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _feeds(settings: Settings) -> dict[str, FeedSpec]:
    try:
        return feed_index(load_feeds_file(settings.feeds_file))
    except ConfigError:
        return {}  # no feeds file (or a broken one): feeds are known by their logs alone


def find_source(
    index: BodyIndex, settings: Settings, *, log_id: str | None, feed: str | None, at: datetime | None
) -> dict[str, Any]:
    """The ImportLog whose body to replay: by id, or the latest run of `feed` (name or URL) at or before `at`
    (now when None) that has a body."""
    if log_id:
        doc = index.log(log_id)
        if doc is None:
            raise ReplayError(f"no import log with id {log_id!r}")
        return doc
    if not feed:
        raise ReplayError("say which run: a log id, or a feed (and a time)")
    spec = _feeds(settings).get(feed)
    url = spec.public_url if spec else index.feed_url_named(feed) or feed
    doc = index.latest_with_body(url, at=at)
    if doc is None:
        when = f" at or before {at.isoformat()}" if at else ""
        raise ReplayError(f"no run of {feed}{when} has a body to replay")
    return doc


def feed_of(source: dict[str, Any], settings: Settings) -> FeedSpec:
    """The source log's feed as the feeds file has it (its kind and real URL), else as the log names it."""
    public_url = str(source.get(LogField.FILE_NAME) or "")
    spec = _feeds(settings).get(public_url)
    return spec or FeedSpec(url=public_url, name=str(source.get(LogField.FEED_NAME) or ""))


def prepare_replay(
    settings: Settings, store: Store, *, log_id: str | None, feed: str | None, at: str | None
) -> tuple[FeedSpec, Replay]:
    """The feed and the body to replay, checked (archived, replayable); ReplayError when there is none.
    Writes nothing: the CLI asks this first, to say why before any flow run starts."""
    index = BodyIndex(store.db)
    source = find_source(index, settings, log_id=log_id, feed=feed, at=parse_at(at))
    spec = feed_of(source, settings)
    archive = get_archive(settings, store)
    return spec, plan_replay(source, spec, latest_sha256=index.latest_body(spec.public_url), archive=archive)


def start_replay(
    settings: Settings,
    store: Store,
    locks: Locks,
    *,
    log_id: str | None,
    feed: str | None,
    at: str | None,
    flow_run_id: str | None,
    now: datetime,
) -> FeedRun:
    """prepare_replay, then open the replay's ImportLog and take the feed's lock."""
    spec, replay = prepare_replay(settings, store, log_id=log_id, feed=feed, at=at)
    return open_replay(spec, replay, logs=store.logs, locks=locks, flow_run_id=flow_run_id, now=now)


def replay_batch(store: Store, run: FeedRun, batch: BatchRef, *, now: datetime) -> UpsertCounts:
    """One batch of a replay: its new and changed content written (the feed's latest body; no job reopened,
    touched or seen), or, for an older body, only counted against today's jobs."""
    assert run.replay is not None, "not a replay"
    jobs = load_batch(batch)
    if run.replay.dry_run:
        return store.jobs.compare_batch(jobs)
    repo = store.jobs.for_replay(flow_run_id=run.flow_run_id)
    return repo.upsert_batch(jobs, feed_url=run.feed.public_url, token=run.batch_token(batch.index), now=now)


def submit_replay(settings: Settings, log_id: str, *, source: str = "dashboard") -> RunView:
    """Queue a run of `replay-import/on-demand` for one log's body (the worker runs it); PrefectUnavailableError
    / DeploymentMissingError when there is no server / no deployment (`jobfeed deploy` makes it)."""
    from prefect.exceptions import ObjectNotFound

    with prefect_client(settings) as client:
        try:
            deployment = client.read_deployment_by_name(ON_DEMAND)
        except ObjectNotFound:
            raise DeploymentMissingError(f"No deployment `{ON_DEMAND}`: create it with `jobfeed deploy`.") from None
        run = client.create_flow_run_from_deployment(
            deployment.id, parameters={"log_id": log_id}, tags=["manual", "replay", source]
        )
        return view_of(client, run, settings)
