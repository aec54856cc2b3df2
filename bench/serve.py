"""A local HTTP server for generated feeds: strong ETag + Last-Modified, 304s, files streamed from disk.

Stdlib only, threaded, 127.0.0.1 on a kernel-picked port. The served directory can be swapped while
it runs (`set_root`), so one feed URL can change content between two imports, as a real board's does.
"""

from __future__ import annotations

import argparse
import os
import threading
import time
from collections import Counter
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Self

CONTENT_TYPE = "application/rss+xml; charset=utf-8"


def etag_of(stat: os.stat_result) -> str:
    """A strong validator from inode, size and mtime (like nginx): a rewritten file gets a new one."""
    return f'"{stat.st_ino:x}-{stat.st_size:x}-{stat.st_mtime_ns:x}"'


def _matches(if_none_match: str, etag: str) -> bool:
    """RFC 9110 If-None-Match: weak comparison against a comma-separated list, or `*`."""
    if if_none_match.strip() == "*":
        return True
    bare = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == bare for tag in if_none_match.split(","))


def _not_modified_since(if_modified_since: str, mtime: float) -> bool:
    try:
        since = parsedate_to_datetime(if_modified_since).timestamp()
    except (TypeError, ValueError, IndexError):
        return False  # an unreadable date means "send it"
    return int(mtime) <= since  # HTTP dates have whole seconds


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "jobfeed-bench/1.0"
    timeout = 60  # an idle or stalled client frees its thread after a minute
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass  # the benchmark counts requests itself; a line per request would be noise

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def do_GET(self) -> None:
        self._serve(head=False)

    def _serve(self, *, head: bool) -> None:
        path = self.server.resolve(self.path.split("?", 1)[0])
        if path is None:
            self._empty(404)
            return
        with path.open("rb") as fh:  # open first: stat of the open file cannot race a swap of the root
            stat = os.fstat(fh.fileno())
            headers = {"ETag": etag_of(stat), "Last-Modified": formatdate(stat.st_mtime, usegmt=True),
                       "Cache-Control": "no-cache"}  # fmt: skip
            inm, ims = self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since")
            if inm is not None:  # If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2)
                fresh = _matches(inm, headers["ETag"])
            else:
                fresh = bool(ims) and _not_modified_since(str(ims), stat.st_mtime)
            if fresh:
                self._empty(304, headers)
                return
            self.send_response(200)
            for name, value in {**headers, "Content-Type": CONTENT_TYPE, "Content-Length": str(stat.st_size)}.items():
                self.send_header(name, value)
            self.end_headers()
            self.server.count(200, 0 if head else stat.st_size)
            if not head:
                self._stream(fh, stat.st_size)

    def _stream(self, fh: Any, size: int) -> None:
        """Zero-copy sendfile where the OS allows, else bounded chunks: a file is never read whole."""
        try:
            self.connection.sendfile(fh, 0, size)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _empty(self, code: int, headers: dict[str, str] | None = None) -> None:
        self.send_response(code)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", "0")
        self.end_headers()
        self.server.count(code, 0)


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a stuck client thread never blocks shutdown
    allow_reuse_address = True

    def __init__(self, root: Path) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.root = root.resolve()
        self.lock = threading.Lock()
        self.statuses: Counter[int] = Counter()
        self.bytes_sent = 0

    def resolve(self, url_path: str) -> Path | None:
        """The file a URL path names under the current root, or None (no `..`, no directories)."""
        with self.lock:
            root = self.root
        candidate = (root / url_path.lstrip("/")).resolve()
        if candidate.parent != root and root not in candidate.parents:
            return None
        return candidate if candidate.is_file() else None

    def count(self, status: int, sent: int) -> None:
        with self.lock:
            self.statuses[status] += 1
            self.bytes_sent += sent


class FeedServer:
    """Serve a directory on 127.0.0.1 in a background thread: `with FeedServer(dir) as s: s.url(name)`."""

    def __init__(self, root: Path) -> None:
        self._server = _Server(root)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.2},
                                        name="bench-feed-server", daemon=True)  # fmt: skip

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, name: str) -> str:
        """The URL of a file under the served root."""
        return f"http://127.0.0.1:{self.port}/{name}"

    def set_root(self, root: Path) -> None:
        """Serve another directory from now on (same URLs, other bytes and validators)."""
        with self._server.lock:
            self._server.root = root.resolve()

    def stats(self) -> dict[str, Any]:
        """Responses by status code and body bytes sent so far."""
        with self._server.lock:
            return {"statuses": dict(self._server.statuses), "bytes_sent": self._server.bytes_sent}

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:  # fmt: skip
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def main() -> None:
    """`python -m bench.serve DIR [--seconds N]`: serve DIR and print its URL (bounded lifetime)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("root", type=Path)
    parser.add_argument("--seconds", type=float, default=3600.0, help="stop after this long")
    args = parser.parse_args()
    with FeedServer(args.root) as server:
        print(f"serving {args.root} at {server.url('')}", flush=True)
        deadline = time.monotonic() + args.seconds
        try:
            while time.monotonic() < deadline:
                time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
