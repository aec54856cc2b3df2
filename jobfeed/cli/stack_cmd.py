"""`jobfeed stack up|down|status`: start, stop and show the local servers."""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table

from jobfeed.cli.common import EXIT_FAILED, console, load_settings


def stack_up(
    prefect: bool = typer.Option(True, help="also start the Prefect server"),
    worker: bool = typer.Option(False, "--worker", help="also start a Prefect worker on the work pool"),
    workers: int = typer.Option(
        1, "--workers", min=1, help="how many workers --worker starts, each with its own name (N > 1 implies --worker)"
    ),
) -> None:
    """Start (or confirm) the local servers; idempotent."""
    from jobfeed.stack import local as stack

    statuses = stack.up(load_settings(), prefect=prefect, worker=worker or workers > 1, workers=workers)
    _print_stack(statuses)
    if any(s.state == "failed" for s in statuses):
        raise typer.Exit(EXIT_FAILED)


def stack_down() -> None:
    """Stop the local servers this project started (never anyone else's)."""
    from jobfeed.stack import local as stack

    _print_stack(stack.down(load_settings()))


def stack_status() -> None:
    """Show whether each local server is running and healthy."""
    from jobfeed.stack import local as stack

    _print_stack(stack.status(load_settings()))


def _print_stack(statuses: list[Any]) -> None:
    table = Table(title="jobfeed local stack")
    for column in ("service", "state", "url", "pid", "detail"):
        table.add_column(column)
    colors = {"running": "green", "started": "green", "external": "cyan", "failed": "red"}
    for s in statuses:
        color = colors.get(s.state, "yellow")
        table.add_row(s.name, f"[{color}]{s.state}[/{color}]", s.url or "", str(s.pid or ""), s.detail or "")
    console.print(table)
