"""Start the Streamlit dashboard (`jobfeed dashboard`): `streamlit run dashboard/app.py` on 127.0.0.1."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from jobfeed.settings import get_settings


def app_path() -> Path:
    """dashboard/app.py, found through the installed `dashboard` package (editable or not)."""
    import dashboard

    locations = list(getattr(dashboard, "__path__", [])) or [str(Path(dashboard.__file__ or "").parent)]
    for location in locations:
        candidate = Path(location) / "app.py"
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("dashboard/app.py not found next to the installed `dashboard` package")


def streamlit_command(port: int, host: str) -> list[str]:
    """The exact `streamlit run` command line (this interpreter, so the venv's Streamlit runs)."""
    return [
        sys.executable, "-m", "streamlit", "run", str(app_path()),
        "--server.address", host,
        "--server.port", str(port),
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
        "--client.toolbarMode", "viewer",  # no "Deploy" button or developer menu in an admin tool
    ]  # fmt: skip


def run_dashboard(port: int | None = None, host: str | None = None) -> int:
    """Run the dashboard in the foreground until Ctrl-C; returns Streamlit's exit code."""
    ui = get_settings()
    command = streamlit_command(port or ui.dashboard_port, host or ui.dashboard_host)
    try:
        # a child process, not exec: the CLI keeps control of the exit code and Ctrl-C reaches both
        return subprocess.call(command, env=os.environ.copy())
    except KeyboardInterrupt:
        return 130
