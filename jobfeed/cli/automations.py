"""`jobfeed automations install|zombies`: report a feed failing N runs in a row; crash runs without heartbeats."""

from __future__ import annotations

from typing import Annotated

import typer

from jobfeed.cli.common import EXIT_FAILED, EXIT_USAGE, console, err, load_settings
from jobfeed.ops.automations import ZOMBIE_WITHIN_S


def automations_install_cmd(
    webhook_url: Annotated[
        str | None, typer.Option("--webhook-url", help="where the automation posts (default: NOTIFY_WEBHOOK_URL)")
    ] = None,
    after: Annotated[
        int | None, typer.Option("--after", min=1, help="consecutive failures (default: NOTIFY_FAIL_AFTER)")
    ] = None,
) -> None:
    """Create (or replace) the automation on the configured Prefect server: when a feed's
    `jobfeed.feed.failed` event says consecutiveFailures = N, call a webhook (docs/operations.md)."""
    from jobfeed.cli.runner import use_prefect_server
    from jobfeed.ops.automations import describe, install
    from jobfeed.ops.prefect import PrefectUnavailableError, prefect_api_url

    settings = load_settings()
    use_prefect_server(settings)
    try:
        installed = install(settings, webhook_url=webhook_url, threshold=after)
    except ValueError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(EXIT_USAGE) from None
    except PrefectUnavailableError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(EXIT_FAILED) from None
    console.print(f"installed {describe(installed, prefect_api_url(settings))}")


def automations_zombies_cmd(
    within: Annotated[
        int, typer.Option("--within", min=10, help="seconds without a heartbeat before a run is marked Crashed")
    ] = ZOMBIE_WITHIN_S,
) -> None:
    """Create (or replace) the automation that marks a flow run `Crashed` when it sent no heartbeat and did
    not end for `--within` seconds (keep it above 2x the workers' PREFECT_FLOWS_HEARTBEAT_FREQUENCY)."""
    from jobfeed.cli.runner import use_prefect_server
    from jobfeed.ops.automations import describe, install_zombie_detection
    from jobfeed.ops.prefect import PrefectUnavailableError, prefect_api_url

    settings = load_settings()
    use_prefect_server(settings)
    try:
        installed = install_zombie_detection(settings, within_s=within)
    except PrefectUnavailableError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(EXIT_FAILED) from None
    console.print(f"installed {describe(installed, prefect_api_url(settings))}")
