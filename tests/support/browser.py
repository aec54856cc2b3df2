"""Debian's Chromium for the browser tests, launched so that it can reach nothing but loopback.

Chromium is not a Python process, so the sealed test network (tests/support/netseal.py) cannot reach inside
it; its own resolver rules do the same job: every name resolves to nothing, and only 127.0.0.1 is let through.
"""

from __future__ import annotations

from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")  # Debian's package; a downloaded browser is never used
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",  # no name resolves; loopback IPs still connect
    "--proxy-server=direct://",
]
