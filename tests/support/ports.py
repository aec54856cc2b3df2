"""Ports for network-failure tests, and waiting for a server to answer or to be gone."""

from __future__ import annotations

import socket


def closed_port() -> int:
    """A loopback port nobody listens on: bound once to let the OS pick a free one, closed on return,
    so a connection to it is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_answering(url: str, *, timeout_s: float) -> bool:
    """True once GET url gets any HTTP answer (a 503 counts: the server is up), False after timeout_s."""
    import time

    import httpx

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=2)
            return True
        except httpx.TransportError:
            time.sleep(0.2)
    return False


def wait_until_closed(host: str, port: int, *, timeout_s: float) -> bool:
    """True once nothing accepts connections on host:port any more, False after timeout_s."""
    import time

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=1):
                pass
        except OSError:
            return True
        time.sleep(0.2)
    return False
