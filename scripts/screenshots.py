"""The README's pictures, docs/img/*.png, made from `make demo` data (`make screenshots`; never edit them by hand).

    .venv/bin/python scripts/screenshots.py [--out docs/img]

What it does, starting and stopping everything it needs:
1. `jobfeed stack up` (left running afterwards only when it was up already);
2. `jobfeed demo` into a database of its own (DB_NAME, emptied first, dropped at the end): the bundled sample
   feeds, all new — the README's first run;
3. a second import of the same samples from the same local server (all `not_modified`), plus a board that
   answers 404 and a board with two broken items, so that Run detail and Dead letters have something to show;
4. `jobfeed dashboard` on a free port, and Debian's Chromium (Playwright with `executable_path`, never
   `playwright install`) on its pages and on the second flow run's page in the Prefect UI.
Later features add their page to PAGES.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

JOBFEED = [sys.executable, "-m", "jobfeed"]
DB_NAME = "jobfeed_demo"  # what the dashboard's sidebar names
CHROMIUM = "/usr/bin/chromium"  # Debian's package
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--proxy-server=direct://",
                 "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]  # fmt: skip  # offline, and it shows
VIEWPORT = {"width": 1600, "height": 1000}
PREFECT_SHOT = "prefect-flow-run.png"  # the second run's page: its flow-run graph and logs
BROKEN_BOARD = "no-such-board.xml"  # not served: the sample server answers 404 -> http_4xx, a failed run
BROKEN_ITEMS = "board-with-broken-items.xml"
BROKEN_ITEMS_XML = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>A board with broken items</title><link>https://jobs.example.net/</link>
<item><title>QA Engineer</title><link>https://jobs.example.net/job/501</link><guid>jobs-example-501</guid>
  <pubDate>Mon, 03 Nov 2025 10:00:00 +0000</pubDate><description>Test all the things.</description></item>
<item><title>Mystery role</title><pubDate>Mon, 03 Nov 2025 11:00:00 +0000</pubDate>
  <description>This item has neither a guid nor a link.</description></item>
<item><title>Support Engineer</title><link>https://jobs.example.net/job/503</link><guid>jobs-example-503</guid>
  <pubDate>Mon, 03 Nov 2025 12:00:00 +0000</pubDate><description>Help customers.</description></item>
<item><title>Support Engineer (again)</title><link>https://jobs.example.net/job/503</link><guid>jobs-example-503</guid>
  <pubDate>Mon, 03 Nov 2025 12:30:00 +0000</pubDate><description>The same guid twice.</description></item>
</channel></rss>
"""
# (file, url path and query, text to wait for, extra step) per dashboard page
PAGES: list[tuple[str, str, str, str | None]] = [
    ("import-history.png", "/", "Newest first", None),
    ("run-detail.png", "/run?log={partial_log}", "Failures by reason", "open-failures"),
    ("feeds.png", "/feeds", "Feeds", None),
    ("jobs.png", "/jobs", "Jobs", None),
    ("dead-letters.png", "/dead-letters", "Dead letters", None),
]


def say(message: str) -> None:
    print(f"==> {message}", flush=True)


def jobfeed(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """`jobfeed *args` as a user runs it; its output passes through unless captured for --json."""
    capture = "--json" in args
    done = subprocess.run([*JOBFEED, *args], env=env, check=False, text=True, capture_output=capture, timeout=600)
    if check and done.returncode not in (0, 1):  # 1: a feed failed, which step 3 wants
        sys.exit(f"`jobfeed {' '.join(args)}` exited {done.returncode}:\n{done.stderr or ''}")
    return done


@contextmanager
def local_stack() -> Iterator[None]:
    """The local stack up; stopped again when this script started all of it."""
    from jobfeed.settings import get_settings
    from jobfeed.stack import local as stack

    settings = get_settings()
    statuses = stack.up(settings, prefect=True, worker=False)
    if any(s.state in ("failed", "external") for s in statuses):
        sys.exit(
            "the local stack did not come up (or points elsewhere): "
            + "; ".join(f"{s.name} {s.state}: {s.detail}" for s in statuses)
        )
    started_here = all(s.state == "started" for s in statuses)
    try:
        yield
    finally:
        if started_here:
            say("stopping the local stack (this script started it)")
            stack.down(settings)
        else:
            say("the local stack was up already: left running")


def second_import(env: dict[str, str]) -> list[dict[str, Any]]:
    """Step 3: the samples again from the demo's server and port, plus the two broken boards; its ImportLogs."""
    import yaml

    from jobfeed.cli.demo import SAMPLES_DIR, serve_samples

    with tempfile.TemporaryDirectory(prefix="jobfeed-shots-") as tmp:
        served = Path(tmp)
        for sample in SAMPLES_DIR.iterdir():
            if sample.is_file():
                shutil.copy2(sample, served / sample.name)  # same bytes and mtimes: Last-Modified answers 304
        (served / BROKEN_ITEMS).write_text(BROKEN_ITEMS_XML, encoding="utf-8")
        with serve_samples(served) as feeds_file:
            spec = yaml.safe_load(feeds_file.read_text())
            base = spec["feeds"][0]["url"].rsplit("/", 1)[0]
            spec["feeds"].append({"url": f"{base}/{BROKEN_BOARD}", "name": "broken-board"})
            feeds_file.write_text(yaml.safe_dump(spec, sort_keys=False))
            allow = {"FETCH_ALLOW_HOSTS": "127.0.0.1"}  # the local server, as `jobfeed demo` allows it
            done = jobfeed(env | allow, "import", "--feeds-file", str(feeds_file), "--json")
    logs: list[dict[str, Any]] = json.loads(done.stdout)
    for doc in logs:
        print(f"   {doc['feedName']}: {doc['status']}")
    return logs


@contextmanager
def dashboard(env: dict[str, str]) -> Iterator[str]:
    """`jobfeed dashboard` on a free port until the block ends (SIGTERM: it stops its Streamlit child)."""
    from jobfeed.stack.procs import ServiceStartError, free_port, wait_until
    from jobfeed.stack.servers import http_ok

    port = free_port()
    proc = subprocess.Popen([*JOBFEED, "dashboard", "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_until(lambda: http_ok(f"{url}/_stcore/health"), 90, "the dashboard", proc=proc, interval=0.3)
        except ServiceStartError as exc:
            sys.exit(f"the dashboard did not start: {exc}")
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def shoot(dashboard_url: str, flow_run_url: str, partial_log: str, out: Path) -> list[Path]:
    """Every page of PAGES and the Prefect flow run, as PNGs in `out`."""
    from playwright.sync_api import sync_playwright

    made = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport=VIEWPORT, timezone_id="UTC", locale="en-GB")
            page = context.new_page()
            page.set_default_timeout(60_000)
            for name, path, wait_for, extra in PAGES:
                page.goto(dashboard_url + path.format(partial_log=partial_log))
                page.get_by_text(wait_for).first.wait_for()
                if extra == "open-failures":  # both reasons' lists, not only their headings
                    for reason in ("item_invalid", "duplicate_in_feed"):
                        page.get_by_text(f"{reason} ×").first.click()
                _settle(page)
                page.screenshot(path=str(out / name))
                made.append(out / name)
            page.goto(flow_run_url, wait_until="networkidle")
            page.get_by_text("feed broken-board failed").first.wait_for()
            time.sleep(3)  # the flow-run graph and the logs fill in after the state badge
            page.screenshot(path=str(out / PREFECT_SHOT))
            made.append(out / PREFECT_SHOT)
        finally:
            browser.close()
    return made


def _settle(page: Any) -> None:
    """Wait until Streamlit has finished the run (no spinner, no "Running" status) and charts are drawn."""
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=stSpinner]') && "
        "!document.querySelector('[data-testid=stStatusWidget] [data-testid=stStatusWidgetRunningIcon]')"
    )
    time.sleep(2)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    args = parser.parse_args()
    out = args.out.resolve()
    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} is missing: `apt-get install chromium` (make screenshots does it when run as root)")
    out.mkdir(parents=True, exist_ok=True)
    # The default local services and a database of our own, whatever a .env or the shell says: read no .env
    # (cwd elsewhere), and drop the settings that would point elsewhere.
    os.chdir(tempfile.mkdtemp(prefix="jobfeed-shots-cwd-"))
    for name in ("MONGODB_URI", "REDIS_URL", "PREFECT_API_URL", "PREFECT_UI_URL", "DASHBOARD_PASSWORD", "DASHBOARD_TZ",
                 "FEEDS_FILE", "DASHBOARD_URL"):  # fmt: skip
        os.environ.pop(name, None)
    os.environ["MONGODB_DB"] = DB_NAME
    env = dict(os.environ)

    from jobfeed.ops.prefect import flow_run_url, prefect_api_url
    from jobfeed.settings import get_settings
    from jobfeed.store import get_store

    with local_stack():
        settings = get_settings()
        store = get_store(settings)
        store.client.drop_database(DB_NAME)
        try:
            say("jobfeed demo (the bundled sample feeds, into a fresh database)")
            jobfeed(env, "demo")
            say("a second import: the samples again, a board that answers 404, a board with broken items")
            logs = second_import(env)
            partial = next(doc for doc in logs if doc["fileName"].endswith(BROKEN_ITEMS))
            run_url = flow_run_url(partial["flowRunId"], settings, prefect_api_url(settings))
            say("the dashboard and the Prefect UI in Chromium")
            with dashboard(env) as url:
                made = shoot(url, run_url, str(partial["id"]), out)
        finally:
            store.client.drop_database(DB_NAME)
    for path in made:
        say(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path} ({path.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
