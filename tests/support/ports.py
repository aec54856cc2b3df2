"""Ports for network-failure tests."""

from __future__ import annotations

import socket


def closed_port() -> int:
    """A loopback port nobody listens on: bound once to let the OS pick a free one, closed on return,
    so a connection to it is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
