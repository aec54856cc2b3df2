"""An HTTP feed server whose answers a test can hold back, so it knows a run sits inside its fetch."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

MAX_HOLD_S = 30.0  # longest a held response waits for release(): a forgotten gate never pins a test


@dataclass
class _Route:
    body: bytes
    content_type: str
    gate: threading.Event | None  # set -> answer; None -> answer at once
    delay_s: float


class GatedFeedServer:
    """An HTTP server on 127.0.0.1 serving registered bodies. A route registered with hold=True keeps
    each request waiting (headers not yet sent) until the test calls release(path), bounded by
    MAX_HOLD_S: that is how a test knows a run sits inside its fetch when it kills a database or
    starts a second run."""

    def __init__(self) -> None:
        self._routes: dict[str, _Route] = {}
        self._lock = threading.Lock()
        self._requests: list[str] = []
        self._holding: dict[str, int] = {}
        self.stopping = threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = 30

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                owner._serve(self)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def set(self, path: str, body: bytes, *, content_type: str = "application/rss+xml",
            hold: bool = False, delay_s: float = 0.0) -> str:  # fmt: skip
        """Serve body at path (held until release() when hold); returns the absolute URL."""
        with self._lock:
            self._routes["/" + path.lstrip("/")] = _Route(
                body, content_type, threading.Event() if hold else None, delay_s
            )
        return self.url(path)

    def release(self, path: str) -> None:
        """Let held requests of path (and later ones) be answered."""
        route = self._routes["/" + path.lstrip("/")]
        if route.gate is not None:
            route.gate.set()

    def holding(self, path: str) -> int:
        """How many requests of path are waiting for release() right now."""
        with self._lock:
            return self._holding.get("/" + path.lstrip("/"), 0)

    def requests_to(self, path: str) -> list[str]:
        want = "/" + path.lstrip("/")
        with self._lock:
            return [p for p in self._requests if urlsplit(p).path == want]

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        path = urlsplit(handler.path).path
        with self._lock:
            self._requests.append(handler.path)
            route = self._routes.get(path)
        try:
            if route is None:
                body = b"not found"
                handler.send_response(404)
                handler.send_header("Content-Type", "text/plain")
                handler.send_header("Content-Length", str(len(body)))
                handler.end_headers()
                handler.wfile.write(body)
                return
            if route.gate is not None:
                with self._lock:
                    self._holding[path] = self._holding.get(path, 0) + 1
                try:
                    deadline = time.monotonic() + MAX_HOLD_S
                    while not route.gate.wait(0.05):
                        if self.stopping.is_set() or time.monotonic() > deadline:
                            return
                finally:
                    with self._lock:
                        self._holding[path] -= 1
            if route.delay_s and self.stopping.wait(min(route.delay_s, MAX_HOLD_S)):
                return
            handler.send_response(200)
            handler.send_header("Content-Type", route.content_type)
            handler.send_header("Content-Length", str(len(route.body)))
            handler.send_header("Connection", "close")
            handler.end_headers()
            handler.wfile.write(route.body)
            handler.close_connection = True
        except OSError:  # the client went away
            handler.close_connection = True

    def stop(self) -> None:
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)
