"""The dashboard's write actions: enable/disable a feed, re-drive dead letters, start and cancel runs.

Plain functions returning plain results (no Streamlit), so they are testable on their own; the sections
show the result and clear the query cache.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from jobfeed.ops import prefect, runs
from jobfeed.ops.runs import Priority, RunView
from jobfeed.redact import redact_text
from jobfeed.settings import Settings, get_settings
from jobfeed.store import Store


def set_feed_disabled(store: Store, url: str, disabled: bool) -> None:
    """Disable (runs skip it) or re-enable a feed."""
    store.feeds.set_disabled(url, disabled, now=datetime.now(UTC))


REDRIVE_LIMIT = 200  # letters per click, oldest first: keeps one page request to seconds, not minutes


@dataclass(frozen=True)
class RedriveResult:
    """What one re-drive click did, in words for the page."""

    attempted: int
    resolved: int
    message: str


def redrive(store: Store, *, reason: str | None = None, limit: int = REDRIVE_LIMIT) -> RedriveResult:
    """Re-process pending dead letters (oldest first) with `jobfeed.pipeline.redrive.redrive_letter`.

    The same per-letter code as `jobfeed redrive`, called directly rather than through its Prefect flow:
    the dashboard must not need a Prefect server (or start a temporary one) for this.
    """
    from jobfeed.pipeline.redrive import redrive_letter

    now = datetime.now(UTC)
    outcomes = [
        redrive_letter(store, letter, now=now) for letter in store.dead_letters.pending(reason=reason, limit=limit)
    ]
    resolved = sum(outcome.resolved for outcome in outcomes)
    failing = [outcome for outcome in outcomes if not outcome.resolved]
    message = f"Re-drove {len(outcomes)} letter(s): {resolved} resolved, {len(failing)} still failing."
    if failing:
        message += f" First: {redact_text(failing[0].message)[:200]}"
    return RedriveResult(len(outcomes), resolved, message)


@dataclass(frozen=True)
class RunResult:
    """What a run-control click did (start or cancel a run), or why it could not."""

    ok: bool
    message: str
    run: RunView | None = None


def flow_run_url(flow_run_id: str, settings: Settings | None = None) -> str:
    """Link to a flow run in the Prefect UI (`jobfeed.ops.prefect.flow_run_url` with this process's settings)."""
    return prefect.flow_run_url(flow_run_id, settings or get_settings())


def submit(settings: Settings | None = None, *, feed_urls: list[str] | None = None,
           priority: Priority = Priority.NORMAL, scheduled_for: datetime | None = None) -> RunResult:  # fmt: skip
    """Queue a run of `import-feeds/on-demand` (run control: queued behind a running one, never cancelling
    it); `feed_urls` None = every enabled feed. Never raises for setup gaps or an unreachable server."""
    settings = settings or get_settings()
    try:
        run, _ = runs.submit_run(settings, feed_urls=feed_urls, priority=priority, scheduled_for=scheduled_for,
                                 source="dashboard")  # fmt: skip
    except Exception as exc:  # noqa: BLE001 - no server, no deployment, httpx/HTTP errors: explained, no traceback
        return RunResult(False, prefect_problem(exc, settings))
    when = "" if scheduled_for is None else f", to start at {scheduled_for:%Y-%m-%d %H:%M} UTC"
    return RunResult(True, f"Queued run {run.name} ({priority.value} priority{when}).", run)


def replay(log_id: str, settings: Settings | None = None) -> RunResult:
    """Queue a run of `replay-import/on-demand` for one ImportLog's archived body (docs/provenance.md).

    Through the deployment, like Run now: the worker runs it and the page links to its Prefect run. The
    dashboard never runs a flow in its own process (without a server Prefect would start a temporary one).
    """
    settings = settings or get_settings()
    from jobfeed.ops.replay import submit_replay

    try:
        run = submit_replay(settings, log_id)
    except Exception as exc:  # noqa: BLE001 - as in submit: explained, no traceback
        return RunResult(False, prefect_problem(exc, settings))
    return RunResult(True, f"Queued replay {run.name}: its ImportLog appears in the history when it ran.", run)


def cancel(run_id: str, settings: Settings | None = None) -> RunResult:
    """Cancel a run that has not finished (a waiting one at once, a running one through its worker)."""
    settings = settings or get_settings()
    try:
        run = runs.cancel_run(settings, run_id)
    except runs.RunFinishedError as exc:
        return RunResult(False, f"Nothing to cancel: {exc}.")
    except runs.RunNotFoundError:
        return RunResult(False, f"Prefect knows no run `{run_id}`.")
    except Exception as exc:  # noqa: BLE001 - as in submit
        return RunResult(False, prefect_problem(exc, settings))
    return RunResult(True, f"Cancel requested for {run.name}: it is {run.state_name} now.", run)


def prefect_problem(exc: BaseException, settings: Settings | None = None) -> str:
    """What to tell the user when a Prefect call failed: no server / no deployment say what to do; anything
    else (connection refused, an HTTP error) names the server and the error, secrets masked."""
    if isinstance(exc, prefect.PrefectUnavailableError):
        return str(exc)
    api_url = prefect.prefect_api_url(settings or get_settings()) or ""
    detail = redact_text(f"{type(exc).__name__}: {exc}")[:300]
    return (f"Could not reach Prefect at {redact_text(api_url)}: {detail}. Is the Prefect server up "
            "(`jobfeed stack up`) and the deployment registered (`jobfeed deploy`)?")  # fmt: skip
