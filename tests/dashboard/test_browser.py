"""The real-browser tests: `streamlit run` as a subprocess, headless Chromium (Playwright) against it.

Chromium comes from the OS (`apt-get install chromium`); `playwright install` is never used. The README's
pictures are not taken here (test data): `make screenshots` takes them from `make demo` data.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from jobfeed.importlog import LogStatus
from jobfeed.stack.procs import free_port
from jobfeed.store import Store
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS
from tests.support.dashboard import served_dashboard
from tests.support.seed import FEEDS, SECRET, add_log, make_job, seed_history, seed_jobs

PASSWORD = "browser-test-pw"
UI_TIMEOUT_MS = 30_000
XSS_HTML = ('<p>Build <b>things</b>.<script>window.__pwned=1</script>'
            '<img src=x onerror="window.__pwned=2"><a href="javascript:window.__pwned=4">apply</a></p>')  # fmt: skip
XSS_TITLE = "Staff engineer [apply](javascript:window.__pwned=3)"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium (apt-get install chromium)")


@pytest.fixture
def dashboard(store: Store, tmp_path: Path) -> Iterator[str]:
    """The dashboard as a real `streamlit run` subprocess on a free port, on this test's database."""
    with served_dashboard({**os.environ, "DASHBOARD_PASSWORD": PASSWORD}, tmp_path) as url:
        yield url


def test_history_and_a_hostile_job_in_chromium(dashboard: str, store: Store, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    now = datetime.now(UTC).replace(microsecond=0)
    seed_history(store, 11, t0=now - timedelta(minutes=20))
    add_log(
        store, url=list(FEEDS)[1], started=now - timedelta(minutes=1), status=LogStatus.RUNNING, flow_run_id="run-now"
    )
    seed_jobs(store, [make_job(1, title=XSS_TITLE, html=XSS_HTML), make_job(2)], now=now)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(timezone_id="Europe/Berlin", viewport={"width": 1440, "height": 1200})
            page = context.new_page()
            page.set_default_timeout(UI_TIMEOUT_MS)

            # a deep link shows the password form and nothing else
            page.goto(f"{dashboard}/jobs")
            page.get_by_role("button", name="Sign in").wait_for()
            assert page.locator("h1").all_inner_texts() == ["jobfeed dashboard"]
            page.get_by_label("Password", exact=True).fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.locator("h1", has_text="Jobs").wait_for()

            # open the hostile job: nothing of its HTML or title may run
            page.get_by_label("Open a job").click()
            page.get_by_role("option", name="Staff engineer").click()
            description = page.locator(".job-description")
            description.wait_for()
            page.wait_for_timeout(1000)  # time for an onerror handler to fire, were it there
            assert page.evaluate("typeof window.__pwned") == "undefined"
            html = description.inner_html()
            assert "<b>things</b>" in html
            for bad in ("<script", "onerror", "<img", "javascript:", "__pwned"):
                assert bad not in html, bad
            title = page.locator("h3", has_text="Staff engineer")  # st.subheader
            assert title.locator("a[href^='javascript']").count() == 0 and "[apply]" in title.inner_text()

            # the landing page: history rows in the browser's zone, newest first
            page.get_by_role("link", name="Import history").click()
            page.locator("h1", has_text="Import history").wait_for()
            grid = page.locator("table[role=grid]")
            grid.wait_for(state="attached")
            cells = grid.locator("td").all_inner_texts()
            for expected in ("jobicy-all", "wwr", "jobspresso", "running", "success", "failed", "partial"):
                assert expected in cells, expected
            assert SECRET not in page.content()
            berlin = (now - timedelta(minutes=1)).astimezone(ZoneInfo("Europe/Berlin"))  # the running one
            assert berlin.strftime("%Y-%m-%d %H:%M:%S") in cells
            assert (
                page.get_by_text("Times are shown in").first.inner_text().startswith("Times are shown in Europe/Berlin")
            )
            assert page.get_by_text("this table refreshes every 5 s").count() == 1
            page.wait_for_timeout(500)  # let the grid finish painting before the picture
            shot = tmp_path / "import-history.png"
            page.screenshot(path=str(shot))

            # a feed run that starts now appears by itself: the table's fragment re-reads, the page never reloads
            page.evaluate("window.__stayed = true")
            later = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2)
            add_log(store, url=list(FEEDS)[2], started=later, status=LogStatus.RUNNING, flow_run_id="run-later")
            shown = later.astimezone(ZoneInfo("Europe/Berlin")).strftime("%Y-%m-%d %H:%M:%S")
            deadline = time.monotonic() + 20  # one 5 s tick, the 2 s query cache, and a slow shared machine
            while shown not in grid.locator("td").all_inner_texts():
                assert time.monotonic() < deadline, "the new run never appeared"
                page.wait_for_timeout(500)
            assert page.evaluate("window.__stayed") is True
        finally:
            browser.close()
    assert shot.stat().st_size > 10_000


def test_database_down_shows_one_clean_hint_and_no_spinner(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    dead = free_port()  # nothing listens: every query fails after server selection
    env = {
        **os.environ,
        "MONGODB_URI": f"mongodb://127.0.0.1:{dead}/?directConnection=true&serverSelectionTimeoutMS=1500",
    }
    with served_dashboard(env, tmp_path) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            page.set_default_timeout(UI_TIMEOUT_MS)
            page.goto(url)
            alert = page.get_by_text("The database is unreachable")
            alert.wait_for()
            page.get_by_text("Start the local stack with").wait_for()
            page.wait_for_timeout(2000)  # a spinner left behind would still be showing now
            text = page.locator("[data-testid=stMain]").inner_text()
        finally:
            browser.close()
    assert f"127.0.0.1:{dead}" in text and "Connection refused" in text
    for raw in ("Topology", "ServerSelectionTimeoutError", "configured timeouts"):
        assert raw not in text, raw
    assert "Loading" not in text
