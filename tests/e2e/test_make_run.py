"""`make run`'s import step (scripts/run_import.sh) as a user sees it: the last line says what happened and
what `jobfeed import`'s exit code meant; make succeeds when the import ran, failed feeds included."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import user_env
from tests.support.paths import ROOT

SCRIPT = ROOT / "scripts" / "run_import.sh"


def run_import(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    env = env | {"JOBFEED": f"{shlex.quote(sys.executable)} -m jobfeed"}
    return subprocess.run(["bash", str(SCRIPT), *args], check=False, env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=300)  # fmt: skip


def last_line(result: subprocess.CompletedProcess[str]) -> str:
    return result.stdout.strip().splitlines()[-1]


@pytest.fixture
def env(db_name: str, prefect_harness: None) -> dict[str, str]:
    return user_env(MONGODB_DB=db_name)


def _feeds(tmp_path: Path, url: str) -> str:
    path = tmp_path / "feeds.yaml"
    path.write_text(f"feeds:\n  - url: {url}\n")
    return str(path)


def test_every_feed_ok(env, feed_server, tmp_path: Path) -> None:
    result = run_import(env, "import", "--feeds-file", _feeds(tmp_path, feed_server.url("single_item_feed.xml")))
    assert result.returncode == 0, result.stdout + result.stderr
    assert last_line(result) == "Import finished: every feed ok (`jobfeed import` exit 0)."
    assert ".venv/bin/jobfeed" in result.stdout and "source .venv/bin/activate" in result.stdout


def test_failed_feeds_are_a_result_not_a_make_error(env, feed_server, tmp_path: Path) -> None:
    result = run_import(
        env, "import", "--feeds-file", _feeds(tmp_path, feed_server.base_url + "/html-challenge?code=200")
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "blocked_html" in result.stdout
    assert last_line(result) == (
        "Import finished: some feeds failed or were partial, see above (`jobfeed import` exit 1; make run still succeeds)."
    )


def test_bad_configuration_stops_make(env, tmp_path: Path) -> None:
    result = run_import(env, "import", "--feeds-file", str(tmp_path / "missing.yaml"))
    assert result.returncode == 2
    assert "cannot read feeds file" in result.stderr
    assert last_line(result) == "Import did not run: bad configuration, see above (`jobfeed import` exit 2)."


def test_an_unreachable_database_stops_make(env, feed_server, tmp_path: Path) -> None:
    from jobfeed.stack.procs import free_port

    dead = env | {
        "MONGODB_URI": f"mongodb://127.0.0.1:{free_port()}/?directConnection=true&serverSelectionTimeoutMS=1000"
    }
    result = run_import(dead, "import", "--feeds-file", _feeds(tmp_path, feed_server.url("single_item_feed.xml")))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "database unreachable" in result.stderr
    assert last_line(result) == "Import did not run: the database did not answer, see above (`jobfeed import` exit 1)."
