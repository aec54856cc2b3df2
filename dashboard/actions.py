"""The dashboard's write actions: enable/disable a feed, re-drive dead letters, run the deployment now.

Plain functions returning plain results (no Streamlit), so they are testable on their own; the sections
show the result and clear the query cache.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from jobfeed.cli.deploy import DEPLOYMENT, prefect_api_url, prefect_ui_url  # noqa: F401 - prefect_ui_url re-exported for pages
from jobfeed.cli.deploy import flow_run_url as _flow_run_url
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
class RunNowResult:
    """The flow run a "Run now" created, or why none was."""

    ok: bool
    message: str
    flow_run_id: str | None = None
    flow_run_name: str | None = None
    url: str | None = None


def flow_run_url(flow_run_id: str, settings: Settings | None = None) -> str:
    """Link to a flow run in the Prefect UI (jobfeed.cli.deploy.flow_run_url with this process's settings)."""
    return _flow_run_url(flow_run_id, settings or get_settings())


def run_now(settings: Settings | None = None, *, deployment: str = DEPLOYMENT) -> RunNowResult:
    """Create a flow run of the hourly deployment now (a worker picks it up); never raises for setup gaps."""
    settings = settings or get_settings()
    api_url = prefect_api_url(settings)
    if not api_url:
        # without this check Prefect would start a temporary server here, which knows no deployment
        return RunNowResult(False, "No Prefect server is running. Start one with `jobfeed stack up`, "
                                   "then register the deployment with `jobfeed deploy`.")  # fmt: skip
    from prefect.deployments import run_deployment
    from prefect.exceptions import ObjectNotFound
    from prefect.settings import PREFECT_API_URL, temporary_settings

    try:
        with temporary_settings(updates={PREFECT_API_URL: api_url}):
            flow_run = run_deployment(name=deployment, timeout=0, as_subflow=False)
    except ObjectNotFound:
        return RunNowResult(False, f"No deployment `{deployment}` on the Prefect server at "
                                   f"{redact_text(api_url)}. Create it with `jobfeed deploy`.")  # fmt: skip
    except Exception as exc:  # noqa: BLE001 - httpx/Prefect/HTTP errors alike: the page explains, no traceback
        return _unreachable(api_url, exc)
    run_id = str(flow_run.id)
    return RunNowResult(
        True, f"Started flow run {flow_run.name}.", run_id, flow_run.name, _flow_run_url(run_id, settings, api_url)
    )


def _unreachable(api_url: str, exc: BaseException) -> RunNowResult:
    detail = redact_text(f"{type(exc).__name__}: {exc}")[:300]
    return RunNowResult(False, f"Could not trigger `{DEPLOYMENT}` on {redact_text(api_url)}: {detail}. "
                               "Is the Prefect server up (`jobfeed stack up`) and the deployment registered "
                               "(`jobfeed deploy`)?")  # fmt: skip
