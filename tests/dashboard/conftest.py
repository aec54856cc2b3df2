"""Dashboard tests: AppTest runs dashboard/app.py in this process, against this test's database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.conftest import ROOT

APP = ROOT / "dashboard" / "app.py"
RUN_TIMEOUT_S = 30  # first runs import pandas/altair; a DB-down run waits out server selection (~2-5 s)
UI_ENV = ("DASHBOARD_PASSWORD", "DASHBOARD_TZ", "API_TOKEN", "PREFECT_UI_URL", "PREFECT_API_URL")


@pytest.fixture(autouse=True)
def clean_ui(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No password, zone or Prefect URL leaks in from the environment; caches empty before and after."""
    import streamlit as st

    from jobfeed.settings import reset_settings

    for name in UI_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(ROOT / "tests")  # no developer .env (settings read ./.env) and no .streamlit/secrets.toml
    reset_settings()
    reset_settings()
    st.cache_data.clear()
    yield
    st.cache_data.clear()
    reset_settings()
    reset_settings()


@pytest.fixture
def open_page(db_name: str) -> Callable[..., Any]:
    """open_page("views/jobs.py", context=..., secrets=...) -> an AppTest that has run that page."""
    from streamlit.testing.v1 import AppTest

    def _open(page: str | None = None, *, context: dict[str, Any] | None = None,
              secrets: dict[str, Any] | None = None, query: dict[str, str] | None = None) -> AppTest:  # fmt: skip
        at = AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT_S)
        at.context.update(context or {})
        at.secrets.update(secrets or {})
        at.run()
        if page is not None:
            at.query_params.update(query or {})
            at.switch_page(page).run()
        return at

    return _open


def no_exception(at: Any) -> None:
    """The page rendered without an uncaught exception (which AppTest shows as an element)."""
    assert not at.exception, [e.value for e in at.exception]
