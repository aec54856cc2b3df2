"""/docs in a real headless Chromium: Swagger UI renders every operation offline, asking no other host."""

from __future__ import annotations

import pytest

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium (apt-get install chromium)")


def test_swagger_ui_renders_from_local_assets(serve_api) -> None:
    from playwright.sync_api import sync_playwright

    api = serve_api()
    base = str(api.base_url).rstrip("/")
    elsewhere: list[str] = []
    errors: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.on("request", lambda r: None if r.url.startswith(base) else elsewhere.append(r.url))
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(f"{base}/docs")
            page.wait_for_selector(".opblock", timeout=20_000)
            paths = set(page.locator(".opblock-summary-path").all_inner_texts())
            body = page.inner_text("body")
        finally:
            browser.close()
    assert {"/api/import-logs", "/api/feeds", "/api/jobs", "/healthz"} <= {p.replace("\u200b", "") for p in paths}
    assert "Unable to render" not in body
    assert elsewhere == [] and errors == []
