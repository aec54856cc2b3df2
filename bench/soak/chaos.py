"""The soak's feed server: serves the Board's current feeds with ETag/Last-Modified/304 and injects
random faults, decided per request from the seed (so a soak replays the same faults in the same order).

Fault kinds (each is what a real board does now and then):

    5xx        500/502/503 with a short body                        -> http_5xx (retried)
    429        429 with Retry-After: 1                              -> rate_limited (retried, waits 1 s)
    reset      headers and part of the body, then a TCP reset       -> network_error (retried)
    drip       the body one byte every 0.5 s, past HTTP_TIMEOUT_S  -> timeout (retried)
    truncated  200 with an honest Content-Length, body cut short    -> xml_malformed (not retried)
    bot        a bot-challenge HTML page with 200                   -> blocked_html (not retried)
    slow       the whole body in chunks over ~1 s                   -> success, just late

Every loop is bounded (SLOW_MAX_S) and ends when the server stops. Stdlib only, 127.0.0.1, port 0.
"""

from __future__ import annotations

import random
import socket
import struct
import threading
import time
from dataclasses import dataclass
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

from bench.soak.model import Board, Version

FAULT_KINDS = ("5xx", "429", "reset", "drip", "truncated", "bot", "slow")
TRANSIENT = frozenset({"5xx", "429", "reset", "drip"})  # jobfeed retries these (FETCH_RETRIES)
REASON_OF = {
    "5xx": "http_5xx",
    "429": "rate_limited",
    "reset": "network_error",
    "drip": "timeout",
    "truncated": "xml_malformed",
    "bot": "blocked_html",
}
SLOW_MAX_S = 20.0  # no response of this server takes longer, whatever the client does
BOT_PAGE = (
    b"<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>"
    b"<h2>Checking if the site connection is secure</h2><noscript>Enable JavaScript and cookies to continue"
    b"</noscript></body></html>"
)


@dataclass(frozen=True)
class Served:
    """One answer of the server: which run (epoch), feed, attempt, what it did, and which version."""

    epoch: int
    feed: str
    attempt: int
    kind: str  # "ok", "304" or a fault kind
    status: int
    etag: str | None  # the version a complete 200 carried, or a 304 confirmed
    at: float


class ChaosFeedServer:
    """`/<feed>.xml` for every feed of the Board, with faults at `fault_rate` (seeded, per request)."""

    def __init__(
        self, board: Board, *, seed: int, fault_rate: float, drip_s: float, weights: dict[str, float] | None = None
    ) -> None:
        self.board, self.seed, self.fault_rate, self.drip_s = board, seed, fault_rate, drip_s
        self.weights = weights or dict.fromkeys(FAULT_KINDS, 1.0)
        self.epoch = 0
        self.faults_on = True
        self.lock = threading.Lock()
        self.log: list[Served] = []
        self._attempts: dict[tuple[int, str], int] = {}
        self.stopping = threading.Event()
        self._httpd = _HTTPServer(self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1}, name="soak-feed-server", daemon=True
        )

    def url(self, feed: str) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/{feed}.xml"

    def set_epoch(self, epoch: int) -> None:
        with self.lock:
            self.epoch = epoch

    def served(self, epoch: int) -> list[Served]:
        with self.lock:
            return [s for s in self.log if s.epoch == epoch]

    def decide(self, feed: str) -> tuple[int, int, str | None]:
        """(epoch, attempt, fault kind or None) for the next request of `feed`: from the seed, not the clock."""
        with self.lock:
            epoch = self.epoch
            attempt = self._attempts.get((epoch, feed), 0)
            self._attempts[(epoch, feed)] = attempt + 1
        rng = random.Random(f"{self.seed}:{epoch}:{feed}:{attempt}")
        if not self.faults_on or rng.random() >= self.fault_rate:
            return epoch, attempt, None
        kinds = list(self.weights)
        return epoch, attempt, rng.choices(kinds, weights=[self.weights[k] for k in kinds])[0]

    def record(self, served: Served) -> None:
        with self.lock:
            self.log.append(served)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, owner: ChaosFeedServer) -> None:
        self.owner = owner
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients hang up on dripping bodies on purpose


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "soak-feeds/1.0"
    timeout = 30
    server: Any

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        owner: ChaosFeedServer = self.server.owner
        feed = self.path.split("?", 1)[0].strip("/").removesuffix(".xml")
        with owner.lock:
            model = owner.board.feeds.get(feed)
            version = model.current if model is not None else None
        if version is None:
            self._send(404, b"not found", "text/plain")
            return
        epoch, attempt, fault = owner.decide(feed)

        def note(kind: str, status: int, etag: str | None = None) -> None:
            owner.record(Served(epoch, feed, attempt, kind, status, etag, time.time()))

        try:
            if fault is None or fault == "slow":
                if self._fresh(version):
                    note("304", 304, version.etag)
                    self._send(304, b"", "", self._validators(version))
                    return
                note(fault or "ok", 200, version.etag)
                self._send(200, version.body, "application/rss+xml", self._validators(version), slow=fault == "slow")
            elif fault == "5xx":
                code = random.Random(f"{owner.seed}:{epoch}:{feed}:{attempt}:code").choice((500, 502, 503))
                note(fault, code)
                self._send(code, f"error {code}".encode(), "text/plain")
            elif fault == "429":
                note(fault, 429)
                self._send(429, b"slow down", "text/plain", {"Retry-After": "1"})
            elif fault == "bot":
                note(fault, 200)
                self._send(200, BOT_PAGE, "text/html; charset=utf-8", {"Server": "cloudflare"})
            elif fault == "truncated":
                note(fault, 200)
                cut = version.body[: max(60, len(version.body) * 2 // 3)]
                self._send(200, cut, "application/rss+xml", self._validators(version))
            elif fault == "reset":
                note(fault, 200)
                self._reset(version.body)
            elif fault == "drip":
                note(fault, 200)
                self._drip(version.body, owner.drip_s)
        except OSError:
            self.close_connection = True

    def _validators(self, version: Version) -> dict[str, str]:
        return {"ETag": version.etag, "Last-Modified": format_datetime(version.modified, usegmt=True)}

    def _fresh(self, version: Version) -> bool:
        inm, ims = self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since")
        if inm is not None:
            return version.etag in {tag.strip().removeprefix("W/") for tag in inm.split(",")}
        if ims:
            try:
                return int(version.modified.timestamp()) <= int(parsedate_to_datetime(ims).timestamp())
            except (TypeError, ValueError, IndexError):
                return False
        return False

    def _send(
        self, code: int, body: bytes, content_type: str, headers: dict[str, str] | None = None, *, slow: bool = False
    ) -> None:
        self.send_response(code)
        if code != 304:
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if code == 304 or not body:
            return
        if not slow:
            self.wfile.write(body)
            return
        pieces = 8  # ~1 s in all: slow, well inside HTTP_TIMEOUT_S
        step = max(1, len(body) // pieces + 1)
        for start in range(0, len(body), step):
            self.wfile.write(body[start : start + step])
            self.wfile.flush()
            if self.server.owner.stopping.wait(1.0 / pieces):
                return

    def _reset(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 3])
        self.wfile.flush()
        time.sleep(0.05)  # the client reads the first part; the reset then hits it mid-body
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def _drip(self, body: bytes, seconds: float) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        ends = time.monotonic() + min(seconds, SLOW_MAX_S)
        for i in range(len(body)):
            self.wfile.write(body[i : i + 1])
            self.wfile.flush()
            if time.monotonic() > ends or self.server.owner.stopping.wait(0.5):
                break
        self.close_connection = True  # a cut-short body must not be followed by another response
