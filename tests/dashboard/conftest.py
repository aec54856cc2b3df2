"""Dashboard tests: AppTest runs dashboard/app.py in this process, against this test's database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support.dashboard import APP, RUN_TIMEOUT_S, switch_to
from tests.support.paths import ROOT

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
    """open_page("jobs", context=..., secrets=...) -> an AppTest that has run app.py, then that page (url_path)."""
    from streamlit.testing.v1 import AppTest

    def _open(page: str | None = None, *, context: dict[str, Any] | None = None,
              secrets: dict[str, Any] | None = None, query: dict[str, str] | None = None) -> AppTest:  # fmt: skip
        at = AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT_S)
        at.context.update(context or {})
        at.secrets.update(secrets or {})
        at.run()
        if page is not None:
            at.query_params.update(query or {})
            switch_to(at, page)
            at.run()
        return at

    return _open


class Timers:
    """The browser's side of `st.fragment(run_every=...)` under AppTest, which has none.

    `declared` holds the auto-rerun timers of the last run (fragment id -> seconds), as the frontend
    receives them; `tick(at, fragment_id)` runs that fragment alone, as its timer does in a browser: the
    returned tree then holds only what the fragment drew (everything else of the page stays as it was).
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from streamlit.runtime.scriptrunner import ScriptRunnerEvent
        from streamlit.testing.v1 import local_script_runner

        self.declared: dict[str, float] = {}
        self._pending: str | None = None
        runner_class = local_script_runner.LocalScriptRunner
        original_forward, original_rerun_data = runner_class.forward_msgs, local_script_runner.RerunData
        timers = self

        def forward_msgs(runner: Any) -> list[Any]:
            msgs = original_forward(runner)
            starts = [data for event, data in zip(runner.events, runner.event_data, strict=True)
                      if event == ScriptRunnerEvent.SCRIPT_STARTED]  # fmt: skip
            if not starts or not starts[-1].get("fragment_ids_this_run"):  # a full run declares the timers anew
                timers.declared = {m.auto_rerun.fragment_id: m.auto_rerun.interval for m in msgs
                                   if m.HasField("auto_rerun")}  # fmt: skip
            return msgs

        def rerun_data(**kwargs: Any) -> Any:
            # Both the runner's initial request and run()'s name the fragment: a full request would absorb it.
            if timers._pending is not None:
                fragment = timers._pending
                if kwargs:  # run()'s request: the last of the two
                    timers._pending = None
                kwargs.update(fragment_id_queue=[fragment], is_auto_rerun=True)
            return original_rerun_data(**kwargs)

        monkeypatch.setattr(runner_class, "forward_msgs", forward_msgs)
        monkeypatch.setattr(local_script_runner, "RerunData", rerun_data)

    def only(self) -> tuple[str, float]:
        """The one timer of the page: (fragment id, interval in seconds)."""
        assert len(self.declared) == 1, self.declared
        return next(iter(self.declared.items()))

    def tick(self, at: Any, fragment_id: str | None = None) -> Any:
        """Run one fragment (default: the page's only timed one) as its timer would."""
        self._pending = fragment_id or self.only()[0]
        return at.run()


@pytest.fixture
def timers(monkeypatch: pytest.MonkeyPatch) -> Timers:
    return Timers(monkeypatch)
