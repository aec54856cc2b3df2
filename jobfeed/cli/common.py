"""What every `jobfeed` command shares: the consoles, the exit codes and loading the settings."""

from __future__ import annotations

import atexit
import difflib
import os
import sys
import threading
from typing import Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from typer.core import TyperGroup

from jobfeed.settings import Settings, get_settings, reset_settings

PIPE_WIDTH = 150  # rich assumes 80 columns when not on a terminal; logs and CI captures are wider
console = Console(width=None if sys.stdout.isatty() else PIPE_WIDTH)
err = Console(stderr=True, width=None if sys.stderr.isatty() else PIPE_WIDTH)

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class JobfeedGroup(TyperGroup):
    """The `jobfeed` command group: an unknown option is answered with every option of its command.

    Click suggests only the close matches of a mistyped option (`import --bogus` offered `--verbose`
    alone); a newcomer needs the whole list, and the close match first when there is one.
    """

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as exc:
            # by name: newer typer raises its own copy of click's NoSuchOption, older typer click's
            if type(exc).__name__ != "NoSuchOption":
                raise
            raise with_every_option(exc) from None


def with_every_option(exc: Any) -> Any:
    """The same NoSuchOption error, its message naming every option of the command it was given to."""
    ctx = exc.ctx
    if ctx is None:
        return exc
    options = [
        "/".join([*param.opts, *param.secondary_opts])
        for param in ctx.command.get_params(ctx)
        if getattr(param, "param_type_name", "") == "option" and not getattr(param, "hidden", False)
    ]
    names = [name for param in options for name in param.split("/") if name.startswith("--")]
    close = difflib.get_close_matches(exc.option_name, names, n=1, cutoff=0.7)
    hint = f" Did you mean {close[0]}?" if close else ""
    message = f"{exc.message}.{hint} Options of `{ctx.command_path}`: {', '.join(options)}"
    return type(exc)(exc.option_name, message=message, ctx=ctx)


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
