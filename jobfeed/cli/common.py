"""What every `jobfeed` command shares: the consoles, the exit codes and loading the settings."""

from __future__ import annotations

import atexit
import os
import sys
import threading
from typing import NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console

from jobfeed.settings import Settings, get_settings, reset_settings

PIPE_WIDTH = 150  # rich assumes 80 columns when not on a terminal; logs and CI captures are wider
console = Console(width=None if sys.stdout.isatty() else PIPE_WIDTH)
err = Console(stderr=True, width=None if sys.stderr.isatty() else PIPE_WIDTH)

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def load_settings() -> Settings:
    """Settings, or one clear line and exit 2 when the environment holds a bad value."""
    reset_settings()
    try:
        return get_settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]).upper() if first["loc"] else "setting"
        err.print(f"[red]bad setting {name}:[/red] {first['msg']}")
        raise typer.Exit(EXIT_USAGE) from None


def exit_now(code: int) -> NoReturn:
    """Leave the process after its atexit handlers, without the interpreter's teardown.

    With Prefect loaded, tearing the interpreter down (every module, every object) took ~0.25 s of
    each `jobfeed import` (bench/README.md: ~10 % of an import where nothing changed). The atexit
    handlers still run first (Prefect flushes its event and log workers there, logging closes its
    handlers); if a non-daemon thread is still working, the normal exit waits for it instead.
    """
    others = [t for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon and t.is_alive()]
    if others:
        raise SystemExit(code)
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
