"""The dashboard's write actions: enable/disable a feed, re-drive dead letters, run the deployment now.

Plain functions returning plain results (no Streamlit), so they are testable on their own; the sections
show the result and clear the query cache.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime

from jobfeed.redact import redact_text
from jobfeed.settings import Settings, get_settings
from jobfeed.store import Store

DEPLOYMENT = "import-feeds/hourly"  # flow name / deployment name, as registered by `jobfeed deploy`
LOCAL_PREFECT_UI_URL = "http://127.0.0.1:4200"


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
    """Re-process pending dead letters (oldest first) with `jobfeed.redrive.redrive_letter`.

    The same per-letter code as `jobfeed redrive`, called directly rather than through its Prefect flow:
    the dashboard must not need a Prefect server (or start a temporary one) for this.
    """
    from jobfeed.redrive import redrive_letter

    now = datetime.now(UTC)
    outcomes = [redrive_letter(store, letter, now=now) for letter in store.dead_letters.pending(reason=reason, limit=limit)]
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


def prefect_api_url(settings: Settings) -> str | None:
    """The Prefect API to talk to, as the CLI picks it: PREFECT_API_URL, the setting, or a healthy local stack."""
    from jobfeed import stack

    return os.environ.get("PREFECT_API_URL") or settings.prefect_api_url or stack.local_prefect_api_url(settings)


def prefect_ui_url(settings: Settings, api_url: str | None = None) -> str:
    """Base URL of the Prefect UI: PREFECT_UI_URL, else the API URL without `/api`, else the local one."""
    if settings.prefect_ui_url:
        return settings.prefect_ui_url.rstrip("/")
    api = (api_url or settings.prefect_api_url or "").rstrip("/")
    return api.removesuffix("/api") if api else LOCAL_PREFECT_UI_URL


def flow_run_url(flow_run_id: str, settings: Settings | None = None) -> str:
    """Link to a flow run in the Prefect UI."""
    return f"{prefect_ui_url(settings or get_settings())}/runs/flow-run/{flow_run_id}"


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
    ui = prefect_ui_url(settings, api_url)
    return RunNowResult(True, f"Started flow run {flow_run.name}.", run_id, flow_run.name, f"{ui}/runs/flow-run/{run_id}")


def _unreachable(api_url: str, exc: BaseException) -> RunNowResult:
    detail = redact_text(f"{type(exc).__name__}: {exc}")[:300]
    return RunNowResult(False, f"Could not trigger `{DEPLOYMENT}` on {redact_text(api_url)}: {detail}. "
                               "Is the Prefect server up (`jobfeed stack up`) and the deployment registered "
                               "(`jobfeed deploy`)?")  # fmt: skip
