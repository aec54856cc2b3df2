"""Which Prefect server and UI to talk to, links into that UI, and triggering the deployment now.

Shared by the `jobfeed` command and the dashboard, which must not import each other: both ask here.
Prefect is imported inside the functions, so a page or command that only builds a link loads none of it.
"""

from __future__ import annotations

import os
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

from jobfeed import constants as C
from jobfeed.settings import LOCAL_PREFECT_API_URL, Settings

LOCAL_PREFECT_UI_URL = LOCAL_PREFECT_API_URL.removesuffix("/api")
DEPLOYMENT = "import-feeds/hourly"  # flow name / deployment name in prefect.yaml
_LOOPBACK = frozenset({"127.0.0.1", "localhost"})  # where `jobfeed stack up` serves Prefect


class PrefectUnavailableError(Exception):
    """No Prefect server to talk to, or the deployment is missing there; the message says what to do."""


class DeploymentMissingError(PrefectUnavailableError):
    """The server answered but knows no such deployment (`jobfeed deploy` creates it)."""


@dataclass(frozen=True)
class RunInfo:
    """A flow run started by hand: its id, name, state when we stopped watching, and its UI link."""

    id: str
    name: str
    state: str
    url: str


def prefect_api_url(settings: Settings) -> str | None:
    """The Prefect API to talk to: PREFECT_API_URL, the setting, or a healthy local stack; None = none."""
    return os.environ.get("PREFECT_API_URL") or settings.prefect_api_url or local_prefect_api_url(settings)


def local_prefect_api_url(settings: Settings) -> str | None:
    """The stack's Prefect API URL when that server is on this machine (plain http) and healthy, else None."""
    api_url = settings.prefect_api_url or LOCAL_PREFECT_API_URL
    try:
        parts = urlsplit(api_url)
        local = parts.scheme == "http" and parts.hostname in _LOOPBACK
    except ValueError:
        return None
    return api_url if local and _http_ok(api_url.rstrip("/") + "/health") else None


def _http_ok(url: str) -> bool:
    """True when GET url answers 200 (bypassing any HTTP proxy from the environment)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # a proxy cannot reach our loopback
    try:
        with opener.open(url, timeout=C.HEALTH_CHECK_TIMEOUT_S) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def prefect_ui_url(settings: Settings, api_url: str | None = None) -> str:
    """Base URL of the Prefect UI: PREFECT_UI_URL, else the API URL without `/api`, else the local one."""
    if settings.prefect_ui_url:
        return settings.prefect_ui_url.rstrip("/")
    api = (api_url or settings.prefect_api_url or "").rstrip("/")
    return api.removesuffix("/api") if api else LOCAL_PREFECT_UI_URL


def flow_run_url(flow_run_id: str, settings: Settings, api_url: str | None = None) -> str:
    """Link to a flow run in the Prefect UI."""
    return f"{prefect_ui_url(settings, api_url)}/runs/flow-run/{flow_run_id}"
