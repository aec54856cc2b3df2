"""Screenshot of a flow run page in the Prefect UI with a failed feed, for the README (docs/img/prefect-flow-run.png).

    .venv/bin/python scripts/screenshot_prefect.py [--flow-run-id ID] [--out docs/img/prefect-flow-run.png]

Against the Prefect server of PREFECT_API_URL (or the local stack's). Without --flow-run-id it first runs a
demo-like import in this process: the bundled sample feeds (served from 127.0.0.1 as `jobfeed demo` does)
plus one board that answers 404, into the MongoDB/Redis of the current settings. Debian's Chromium is driven
by Playwright through `executable_path` (never `playwright install`, which downloads a browser).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--proxy-server=direct://"]  # fmt: skip
BROKEN_FEED = "no-such-board.xml"  # not among the samples: the demo server answers 404 -> http_4xx


def run_demo_import() -> str:
    """Import the sample feeds and one broken board now; returns the flow run id."""
    import yaml

    from jobfeed.cli.demo import serve_samples

    with serve_samples() as feeds_file:
        spec = yaml.safe_load(feeds_file.read_text())
        first = spec["feeds"][0]["url"]
        spec["feeds"].append({"url": first.rsplit("/", 1)[0] + "/" + BROKEN_FEED, "name": "broken-board"})
        feeds_file.write_text(yaml.safe_dump(spec))
        from flows.import_feeds import import_feeds

        state = import_feeds(feeds_file=str(feeds_file), return_state=True)
    print(f"demo import: {state.name}: {state.message}")
    return str(state.state_details.flow_run_id)


def screenshot(url: str, out: Path, *, wait_for: str) -> None:
    """Open `url` in headless Chromium and save a PNG once `wait_for` is on the page."""
    from playwright.sync_api import sync_playwright

    out.parent.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 2600})  # tall: the logs pane scrolls inside
            page.goto(url, wait_until="networkidle", timeout=60_000)
            page.get_by_text(wait_for).first.wait_for(timeout=30_000)
            time.sleep(2)  # the logs and task-run graph fill in after the state badge
            page.screenshot(path=str(out))
        finally:
            browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flow-run-id", help="an existing flow run (default: run a demo-like import first)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img" / "prefect-flow-run.png")
    args = parser.parse_args()

    if not args.flow_run_id:  # before the settings are read: the sample server is on loopback
        os.environ.setdefault("FETCH_ALLOW_HOSTS", "127.0.0.1")
    from jobfeed.ops.prefect import flow_run_url, prefect_api_url
    from jobfeed.settings import get_settings

    settings = get_settings()
    api_url = prefect_api_url(settings)
    if not api_url:
        sys.exit("No Prefect server: `jobfeed stack up` or set PREFECT_API_URL.")
    os.environ["PREFECT_API_URL"] = api_url
    run_id = args.flow_run_id or run_demo_import()
    url = flow_run_url(run_id, settings, api_url)
    screenshot(url, args.out, wait_for="feed broken-board failed")
    print(f"saved {args.out} ({url})")


if __name__ == "__main__":
    main()
