"""A real HTTP feed server for integration and end-to-end tests (stdlib only, 127.0.0.1, port 0).

Serves files under `root` (plus runtime overrides from `set_file`) with strong ETags, Last-Modified
and 304s, and a set of misbehaving routes for the fetcher's failure modes:

    /status/<code>[?retry_after=S]        that status, body "error <code>"
    /html-challenge?code=200|403          a bot-challenge HTML page (text/html)
    /slow-headers?delay=S                 waits S seconds before the headers, then a small feed
    /drip?interval=S&bytes=N              a feed of N bytes sent one byte every S seconds
    /endless                              a chunked body that never ends (server cap: 200 MB / 120 s)
    /redirect-loop                        302 to itself
    /redirect?to=URL[&code=302]           one redirect to any URL (only the header; never connects)
    /redirect-chain?n=N[&file=F]          N hops of 302, then F (or the built-in sample feed)
    /ratelimit?retry_after=S              429 with Retry-After: S (seconds or an HTTP date)
    /flaky/<key>?fail=N&code=500&file=F   fails N times per key (code=reset: mid-body TCP reset), then serves F
    /reset                                headers and part of the body, then a TCP reset
    /gzip-bomb[?mb=256]                   ~0.25 MB of gzip inflating to `mb` MB of whitespace
    /big?bytes=N                          a valid feed padded to exactly N bytes
    /paged/<path>?skip|offset=N&limit=L   a JSON board list served page by page (feed_routes._paged),
                                          `&fail_at=N&fail_code=C` for a failing middle page
    /<path>?conditional=0                 a static file without validators, ignoring If-* headers
    /<path>?encoding=gzip|deflate|raw-deflate   a static file sent with that Content-Encoding

Every loop is bounded in time and size and ends when the server stops. Requests are logged in
`.requests` as (method, path-with-query, headers with lower-cased names).
"""

from __future__ import annotations

import threading
import time
import zlib
from http.server import ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import unquote, urlsplit

from tests.support.feed_routes import CONTENT_TYPES, SAMPLE_FEED, FeedRequestHandler, RecordedRequest, padded_feed

__all__ = ["SAMPLE_FEED", "FeedServer", "RecordedRequest", "padded_feed"]


class FeedServer:
    """A threaded HTTP server on 127.0.0.1 serving feed files and failure-mode routes (see module doc)."""

    def __init__(self, root: Path | str | None = None) -> None:
        self.root = Path(root) if root is not None else None
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._overrides: dict[str, tuple[bytes, str, float]] = {}
        self._last_override_mtime = 0.0
        self._flaky: dict[str, int] = {}
        self._failing: dict[str, int] = {}
        self._bombs: dict[int, bytes] = {}
        self.stopping = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> FeedServer:
        """Bind a free port on 127.0.0.1 and serve in a daemon thread."""
        if self._httpd is None:
            self.stopping.clear()
            self._httpd = _HTTPServer(self)
            self._thread = threading.Thread(
                target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1}, name="FeedServer", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; handlers in slow loops notice `stopping` and end."""
        self.stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FeedServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd is not None, "FeedServer is not started"
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        """The absolute URL of a path ("feed.xml" or "/status/500")."""
        return f"{self.base_url}/{path.lstrip('/')}"

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every request received so far, oldest first."""
        with self._lock:
            return list(self._requests)

    def requests_to(self, path: str) -> list[RecordedRequest]:
        """The logged requests whose path (without query) is `path`."""
        want = "/" + path.lstrip("/")
        return [r for r in self.requests if urlsplit(r.path).path == want]

    def set_file(self, path: str, data: bytes | str, content_type: str | None = None) -> None:
        """Serve `data` at `path` from now on (overrides a file under root); Last-Modified moves forward."""
        body = data.encode("utf-8") if isinstance(data, str) else data
        key = _key(path)
        with self._lock:
            # strictly later than any earlier override, so If-Modified-Since sees a same-second edit
            mtime = max(float(int(time.time())), self._last_override_mtime + 1)
            self._last_override_mtime = mtime
            self._overrides[key] = (body, content_type or _content_type(key), mtime)

    def fail_with(self, path: str, code: int | None) -> None:
        """Answer every request for `path` with status `code` until called with None (a board's outage)."""
        with self._lock:
            if code is None:
                self._failing.pop(_key(path), None)
            else:
                self._failing[_key(path)] = code

    def failing(self, path: str) -> int | None:
        with self._lock:
            return self._failing.get(_key(path))

    def reset(self) -> None:
        """Forget overrides, outages, flaky counters and the request log."""
        with self._lock:
            self._failing.clear()
            self._overrides.clear()
            self._flaky.clear()
            self._requests.clear()

    # --- used by the handler -------------------------------------------------------------

    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def lookup(self, path: str) -> tuple[bytes, str, float] | None:
        """(body, content type, mtime) of a served file, or None."""
        key = _key(path)
        with self._lock:
            if key in self._overrides:
                return self._overrides[key]
        if self.root is None or not key:
            return None
        root = self.root.resolve()
        target = (root / key).resolve()
        if not target.is_relative_to(root) or not target.is_file():  # no ../ escapes
            return None
        return target.read_bytes(), _content_type(key), target.stat().st_mtime

    def flaky_attempt(self, key: str) -> int:
        """How many times `key` was requested before (then counts this one)."""
        with self._lock:
            seen = self._flaky.get(key, 0)
            self._flaky[key] = seen + 1
            return seen

    def gzip_bomb(self, megabytes: int) -> bytes:
        """A gzip body inflating to `megabytes` MB of XML-looking whitespace (built once per size)."""
        with self._lock:
            if megabytes not in self._bombs:
                z = zlib.compressobj(9, zlib.DEFLATED, 31)
                parts = [z.compress(b'<?xml version="1.0"?><rss version="2.0"><channel>')]
                block = b" " * (1 << 20)
                parts += [z.compress(block) for _ in range(megabytes)]
                parts.append(z.flush())
                self._bombs[megabytes] = b"".join(parts)
            return self._bombs[megabytes]


def _key(path: str) -> str:
    return unquote(urlsplit(path).path).lstrip("/")


def _content_type(path: str) -> str:
    return CONTENT_TYPES.get(Path(path).suffix.lower(), "application/octet-stream")


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True  # a stuck handler never blocks interpreter exit
    allow_reuse_address = True

    def __init__(self, owner: FeedServer) -> None:
        self.owner = owner
        super().__init__(("127.0.0.1", 0), FeedRequestHandler)

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients hang up mid-body on purpose in these tests; tracebacks would be noise
