"""Running the Streamlit dashboard under AppTest: the app file, page switching, and the no-crash check."""

from __future__ import annotations

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
