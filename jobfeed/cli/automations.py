"""`jobfeed automations install`: the Prefect automation that reports a feed failing N runs in a row."""

from __future__ import annotations

from typing import Annotated

import typer

from jobfeed.cli.common import EXIT_FAILED, EXIT_USAGE, console, err, load_settings


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
