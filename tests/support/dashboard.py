"""Running the Streamlit dashboard under AppTest (the app file, page switching, the no-crash check), and as a
real `streamlit run` server for the browser tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.support.paths import ROOT

APP = ROOT / "dashboard" / "app.py"
RUN_TIMEOUT_S = 30  # first runs import pandas/altair; a DB-down run waits out server selection (~2-5 s)


def switch_to(at: Any, url_path: str) -> None:
    """Go to the page registered under `url_path`, as a deep link /<url_path> does.

    AppTest.switch_page() finds only page *files*; our pages are functions, which Streamlit identifies
    by the hash of their url_path (streamlit.navigation.page.Page._script_hash), so the next run opens it.
    """
    from streamlit.util import calc_hash

    known = {info.get("url_pathname") for info in at._registered_pages.values()}
    assert url_path in known, f"no page {url_path!r}; registered: {sorted(map(str, known))}"
    at._page_hash = calc_hash(url_path)


def render_alone(section: str) -> None:
    """An AppTest script (AppTest.from_function) that renders one section without app.py around it."""
    import importlib

    importlib.import_module(f"dashboard.sections.{section}").render()


def no_exception(at: Any) -> None:
    """The page rendered without an uncaught exception (which AppTest shows as an element)."""
    assert not at.exception, [e.value for e in at.exception]


@contextmanager
def served_dashboard(env: dict[str, str], cwd: Path, *, start_timeout_s: float = 60) -> Iterator[str]:
    """The dashboard as a real `streamlit run` subprocess on a free port with `env`; yields its URL.

    cwd should be a temporary directory, so that no developer .env or .streamlit/secrets.toml is read."""
    import subprocess

    from jobfeed.cli.dashboard import streamlit_command
    from jobfeed.stack.procs import ServiceStartError, free_port, wait_until
    from jobfeed.stack.servers import http_ok

    port = free_port()
    log_path = cwd / "streamlit.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(streamlit_command(port, "127.0.0.1"), env=env, cwd=cwd, stdout=log,
                                stderr=subprocess.STDOUT)  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            try:
                wait_until(lambda: http_ok(f"{url}/_stcore/health"), start_timeout_s, "streamlit", proc=proc,
                           log_path=log_path, interval=0.2)  # fmt: skip
            except ServiceStartError as exc:
                raise AssertionError(f"streamlit did not start:\n{exc}") from None
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
