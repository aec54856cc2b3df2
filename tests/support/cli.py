"""The `jobfeed` command as a user runs it: a real child process, in the repository, with a given environment."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.support.paths import ROOT

JOBFEED = [sys.executable, "-m", "jobfeed"]


def jobfeed(env: dict[str, str], *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """Run `jobfeed *args` and return its exit code and output (never raises on a non-zero exit)."""
    return subprocess.run(
        [*JOBFEED, *args], check=False, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


def without_prefect(**extra: str) -> dict[str, str]:
    """This process's environment without its PREFECT_* settings (the test harness's), plus `extra`."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")} | extra


def user_env(**extra: str) -> dict[str, str]:
    """A user's environment pointed at the test servers (Prefect: the harness's API; feeds: loopback)."""
    from prefect.settings import PREFECT_API_URL

    return without_prefect(PREFECT_API_URL=str(PREFECT_API_URL.value()), FETCH_ALLOW_HOSTS="127.0.0.1") | extra
