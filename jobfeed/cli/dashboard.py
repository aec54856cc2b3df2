"""Start the Streamlit dashboard (`jobfeed dashboard`): `streamlit run dashboard/app.py` on 127.0.0.1."""

from __future__ import annotations

import os
import signal
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
    """Run the dashboard in the foreground until Ctrl-C or SIGTERM; returns Streamlit's exit code.

    Streamlit runs as a child process (the CLI keeps the exit code). Ctrl-C reaches both through the
    terminal; SIGTERM and SIGHUP, sent to this process alone (`kill`, a process manager), are passed on
    to the child, so stopping `jobfeed dashboard` never leaves Streamlit serving. The child also gets
    SIGTERM from the kernel should this process die without running any handler (kill -9).
    """
    ui = get_settings()
    command = streamlit_command(port or ui.dashboard_port, host or ui.dashboard_host)
    child = subprocess.Popen(command, env=os.environ.copy(), preexec_fn=_die_with_parent)  # noqa: PLW1509 - one thread here
    return wait_forwarding_signals(child)


FORWARDED = (signal.SIGTERM, signal.SIGHUP)
STOP_GRACE_S = 10  # Streamlit stops within a second or two; after this it is killed


def wait_forwarding_signals(child: subprocess.Popen[bytes]) -> int:
    """Wait for `child`, passing SIGTERM/SIGHUP on to it; its exit code (128 + signal when it was stopped)."""
    received: list[int] = []

    def forward(signum: int, _frame: object) -> None:
        received.append(signum)
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)

    previous = {signum: signal.signal(signum, forward) for signum in FORWARDED}
    try:
        try:
            code = child.wait()
        except KeyboardInterrupt:  # the terminal sent SIGINT to the child too: let it finish
            received.append(signal.SIGINT)
            code = _stop(child, signal.SIGINT)
        else:
            if received:
                code = _stop(child, signal.SIGTERM)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 128 + received[0] if received else code


def _stop(child: subprocess.Popen[bytes], signum: int) -> int:
    """Ask the child to stop (it may have been asked already), kill it after STOP_GRACE_S."""
    if child.poll() is None:
        child.send_signal(signum)
    try:
        return child.wait(timeout=STOP_GRACE_S)
    except subprocess.TimeoutExpired:
        child.kill()
        return child.wait()


def _die_with_parent() -> None:
    """In the child, before exec: SIGTERM when the parent dies (Linux prctl PR_SET_PDEATHSIG; elsewhere none)."""
    if sys.platform != "linux":
        return
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


PR_SET_PDEATHSIG = 1
