"""Process plumbing for local servers: spawn, wait until healthy, pid files, stop and kill safely."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from jobfeed import constants as C

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost"})  # hosts we serve; we bind IPv4 loopback only
BIND_HOST = "127.0.0.1"  # every local server binds loopback only: nothing is exposed to the network
START_ATTEMPTS = 3  # a free port can be taken by another process between free_port() and the server's bind

# Popen handles of servers this interpreter spawned, so exited ones are reaped (no zombies that look
# alive to kill(pid, 0)) and Popen.__del__ does not warn about a still-running child.
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


class ServiceStartError(RuntimeError):
    """A server did not become healthy in time, or exited while starting (message has the log tail)."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((BIND_HOST, 0))
        return int(sock.getsockname()[1])


def port_in_use(port: int, host: str = BIND_HOST) -> bool:
    """True when something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def log_tail(path: Path | None, lines: int = C.LOG_TAIL_LINES) -> str:
    """The last `lines` lines of a log file, or '' when there is none."""
    if path is None or not path.exists():
        return ""
    with path.open("rb") as fh:
        fh.seek(max(0, path.stat().st_size - 64 * 1024))  # a traceback fits in the last 64 KB
        text = fh.read().decode("utf-8", "replace")
    return "\n".join(text.splitlines()[-lines:])


def with_log_tail(message: str, log_path: Path | None) -> str:
    """`message` followed by the log's last lines, if any."""
    tail = log_tail(log_path)
    return f"{message}\n--- last lines of {log_path} ---\n{tail}" if tail else message


def wait_until(
    check: Callable[[], bool],
    timeout: float,
    what: str,
    *,
    proc: subprocess.Popen[bytes] | None = None,
    log_path: Path | None = None,
    interval: float = 0.1,
) -> None:
    """Poll `check` until it returns True; raise ServiceStartError on timeout or when `proc` exits."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return
        except Exception:  # noqa: BLE001 - a refused connection while the server boots is the normal case
            pass
        if proc is not None and proc.poll() is not None:
            raise ServiceStartError(with_log_tail(f"{what}: process exited with code {proc.returncode}", log_path))
        if time.monotonic() >= deadline:
            raise ServiceStartError(with_log_tail(f"{what}: not ready after {timeout:.0f} s", log_path))
        time.sleep(interval)


def spawn(
    argv: Sequence[str], log_path: Path, *, env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> subprocess.Popen[bytes]:
    """Start a detached server (own session, so the terminal's Ctrl-C does not reach it) logging to log_path."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        log.write(f"\n--- {time.strftime('%Y-%m-%dT%H:%M:%S%z')} starting: {argv[0]} ---\n".encode())
        log.flush()
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=dict(env) if env is not None else None,
            close_fds=True,
            cwd=cwd,
        )
    _CHILDREN[proc.pid] = proc
    return proc


def start_on_free_port(
    start: Callable[[int], subprocess.Popen[bytes]],
    healthy: Callable[[int], bool],
    what: str,
    *,
    timeout: float,
    log_path: Path | None = None,
    port: int | None = None,
    attempts: int = START_ATTEMPTS,
) -> tuple[subprocess.Popen[bytes], int]:
    """Start a server on `port` (default: a free one), wait until healthy; retry elsewhere if it exits."""
    port = free_port() if port is None else port
    for attempt in range(1, attempts + 1):
        proc = start(port)
        try:
            wait_until(partial(healthy, port), timeout, f"{what} on {BIND_HOST}:{port}", proc=proc, log_path=log_path)
        except ServiceStartError:
            exited = proc.poll() is not None
            stop_process(proc.pid, timeout_s=5)
            proc.wait()
            if not exited or attempt == attempts:
                raise  # a server that hangs (rather than losing the port race) would hang on any port
            port = free_port()  # it exited: most likely another process bound the port first
            continue
        return proc, port
    raise AssertionError("unreachable")


# --- pid files and stopping ------------------------------------------------------------------


@dataclass(frozen=True)
class PidRecord:
    """What a pid file says: the pid, and strings its /proc cmdline must contain to still be ours."""

    pid: int
    markers: tuple[str, ...]


def write_pid_file(path: Path, pid: int, markers: Sequence[str]) -> None:
    """Write `pid` on the first line (the usual format) and the identity markers as JSON on the second."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(f"{pid}\n{json.dumps({'markers': list(markers)})}\n")
    tmp.replace(path)  # atomic: a concurrent reader never sees half a file


def read_pid_file(path: Path) -> PidRecord | None:
    """The record in a pid file, or None when it is missing or unreadable."""
    try:
        first, _, rest = path.read_text().partition("\n")
        markers = json.loads(rest or "{}").get("markers", [])
        return PidRecord(int(first.strip()), tuple(str(m) for m in markers))
    except (OSError, ValueError):
        return None


def process_alive(pid: int) -> bool:
    """True when pid is a live (not zombie) process; reaps it first if it is our exited child."""
    proc = _CHILDREN.get(pid)
    if proc is not None and proc.poll() is not None:
        _CHILDREN.pop(pid, None)
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def cmdline(pid: int) -> str:
    """The process's command line with NULs as spaces ('' when it is gone)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace").strip()
    except OSError:
        return ""


def is_ours(record: PidRecord) -> bool:
    """True when the recorded pid is alive and its command line still matches what we started."""
    if not process_alive(record.pid):
        return False
    line = cmdline(record.pid)
    return bool(record.markers) and all(marker in line for marker in record.markers)


def _signal_group(pid: int, sig: signal.Signals) -> None:
    try:
        # start_new_session made the server a group leader: signal the group so helper children go too
        if os.getpgid(pid) == pid:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)
    except ProcessLookupError:
        pass


def stop_process(pid: int, timeout_s: float = C.SERVICE_STOP_TIMEOUT_S) -> bool:
    """SIGTERM the process (group), wait up to timeout_s, then SIGKILL; True if it had to be killed."""
    _signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while process_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    killed = process_alive(pid)
    if killed:
        _signal_group(pid, signal.SIGKILL)
        while process_alive(pid):
            time.sleep(0.02)
    if _group_has_members(pid):  # helpers the leader left behind; while they live, the pgid cannot be reused
        _signal_group_only(pid, signal.SIGKILL)
    return killed


def _group_has_members(pgid: int) -> bool:
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if len(fields) > 2 and fields[2] == str(pgid) and fields[0] not in ("Z", "X"):
            return True
    return False


def _signal_group_only(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def kill_process(pid: int) -> None:
    """SIGKILL the process (group) at once and wait until it is gone (fault-injection tests)."""
    _signal_group(pid, signal.SIGKILL)
    while process_alive(pid):
        time.sleep(0.02)
