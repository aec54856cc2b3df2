"""The routes of FeedServer (see tests/support/feed_server.py): one request handler, every loop bounded."""

from __future__ import annotations

import hashlib
import json
import socket
import struct
import time
import zlib
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler
from typing import Any, NamedTuple
from urllib.parse import parse_qs, urlencode, urlsplit

MAX_WAIT_S = 60.0  # longest any route sleeps or drips, so a forgotten client never pins a thread
ENDLESS_MAX_BYTES = 200 * 1024 * 1024  # /endless stops here even if the client keeps reading
ENDLESS_MAX_S = 120.0
BIG_MAX_BYTES = 512 * 1024 * 1024
CHUNK = 64 * 1024
CONTENT_TYPES = {
    ".xml": "application/rss+xml",
    ".rss": "application/rss+xml",
    ".atom": "application/atom+xml",
    ".rdf": "application/rdf+xml",
    ".json": "application/json",
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}
ENCODERS = {  # /<file>?encoding=...: what Content-Encoding the body is sent with
    "gzip": lambda data: zlib.compress(data, wbits=31),
    "deflate": zlib.compress,  # RFC 9110 "deflate" = zlib-wrapped
    "raw-deflate": lambda data: zlib.compress(data, wbits=-15),  # what many servers send as "deflate"
}
SAMPLE_FEED = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>FeedServer sample</title><link>http://127.0.0.1/</link>
<description>Two jobs</description>
<item><title>Python Developer</title><link>http://127.0.0.1/jobs/1</link><guid>sample-1</guid>
<pubDate>Mon, 06 Jan 2025 10:00:00 +0000</pubDate><description>Write Python.</description></item>
<item><title>Data Engineer</title><link>http://127.0.0.1/jobs/2</link><guid>sample-2</guid>
<pubDate>Tue, 07 Jan 2025 10:00:00 +0000</pubDate><description>Move data.</description></item>
</channel></rss>
"""
CHALLENGE_HTML = b"""<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8"><meta name="robots" content="noindex,nofollow">
<meta name="viewport" content="width=device-width,initial-scale=1"></head><body><div class="main-wrapper" role="main">
<div class="main-content"><h1 class="zone-name-title h1">jobs.example.com</h1>
<h2 class="h2" id="challenge-running">Checking if the site connection is secure</h2>
<noscript><div class="h2"><span id="challenge-error-text">Enable JavaScript and cookies to continue</span></div></noscript>
<div id="challenge-body-text" class="core-msg spacer">jobs.example.com needs to review the security of your connection before proceeding.</div>
<form id="challenge-form" action="/?__cf_chl_f_tk=abc123" method="POST" enctype="application/x-www-form-urlencoded">
<input type="hidden" name="md" value="x"></form></div></div>
<script>(function(){window._cf_chl_opt={cvId:'3',cType:'managed',cNounce:'12345'};}());</script></body></html>
"""


class RecordedRequest(NamedTuple):
    method: str
    path: str  # with the query string
    headers: dict[str, str]  # names lower-cased


def padded_feed(size: int) -> bytes:
    """A well-formed RSS document of exactly `size` bytes (an XML comment pads it), or a prefix if tiny."""
    head, tail = SAMPLE_FEED.split(b"</channel>")
    filler = size - len(SAMPLE_FEED) - len(b"<!--") - len(b"-->")
    if filler < 0:
        return SAMPLE_FEED[:size]
    return head + b"<!--" + b"x" * filler + b"-->" + b"</channel>" + tail


class FeedRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FeedServer/1.0"
    timeout = 30  # idle keep-alive connections and stalled writes end after 30 s
    server: Any  # feed_server._HTTPServer, whose .owner is the FeedServer

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self._dispatch(head=False)

    def do_HEAD(self) -> None:
        self._dispatch(head=True)

    # --- routing ---------------------------------------------------------------------------

    def _dispatch(self, head: bool) -> None:
        owner = self.server.owner
        owner.record(RecordedRequest(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}))
        parts = urlsplit(self.path)
        route, q = parts.path, {k: v[-1] for k, v in parse_qs(parts.query).items()}
        self._head = head
        try:
            if route.startswith("/status/"):
                code = _int(route.rsplit("/", 1)[1], 500, 100, 599)
                extra = {"Retry-After": q["retry_after"]} if "retry_after" in q else {}
                self._send(code, f"error {code}".encode(), "text/plain; charset=utf-8", extra)
            elif route == "/html-challenge":
                self._send(
                    _int(q.get("code"), 403, 200, 599),
                    CHALLENGE_HTML,
                    "text/html; charset=UTF-8",
                    {"Server": "cloudflare", "cf-mitigated": "challenge", "Cache-Control": "no-store"},
                )
            elif route == "/slow-headers":
                if not self._wait(_float(q.get("delay"), 5.0)):
                    self._send(200, SAMPLE_FEED, "application/rss+xml")
            elif route == "/drip":
                self._drip(_float(q.get("interval"), 0.1), _int(q.get("bytes"), 4096, 1, 10 * 1024 * 1024))
            elif route == "/endless":
                self._endless()
            elif route == "/redirect-loop":
                self._send(302, b"", "text/plain", {"Location": "/redirect-loop"})
            elif route == "/redirect":
                self._send(_int(q.get("code"), 302, 300, 399), b"", "text/plain", {"Location": q.get("to", "/")})
            elif route == "/redirect-chain":
                n = _int(q.get("n"), 1, 0, 100)
                if n > 0:
                    more = "&" + urlencode({"file": q["file"]}) if "file" in q else ""
                    self._send(302, b"", "text/plain", {"Location": f"/redirect-chain?n={n - 1}{more}"})
                else:
                    self._serve_file_or_sample(q.get("file"), q)
            elif route == "/ratelimit":
                self._send(429, b"rate limited", "text/plain", {"Retry-After": q.get("retry_after", "30")})
            elif route.startswith("/flaky/"):
                if self.server.owner.flaky_attempt(route[len("/flaky/") :]) < _int(q.get("fail"), 1, 0, 1000):
                    if q.get("code") == "reset":  # part of a body, then a TCP reset
                        self._reset()
                        return
                    code = _int(q.get("code"), 500, 100, 599)
                    extra = {"Retry-After": q["retry_after"]} if "retry_after" in q else {}
                    self._send(code, f"error {code}".encode(), "text/plain; charset=utf-8", extra)
                else:
                    self._serve_file_or_sample(q.get("file"), q)
            elif route == "/reset":
                self._reset()
            elif route == "/gzip-bomb":
                bomb = owner.gzip_bomb(_int(q.get("mb"), 256, 1, 1024))
                self._send(200, bomb, "application/rss+xml", {"Content-Encoding": "gzip"})
            elif route == "/big":
                self._big(_int(q.get("bytes"), 1024 * 1024, 1, BIG_MAX_BYTES))
            elif route.startswith("/paged/"):
                self._paged(route, q)
            else:
                self._static(route, q)
        except (OSError, ValueError):  # the client went away, or the socket timed out
            self.close_connection = True

    # --- responses -------------------------------------------------------------------------

    def _send(self, code: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(code)
        no_body = code in (204, 304) or code < 200
        if not no_body:
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if body and not no_body and not self._head:
            self.wfile.write(body)

    def _static(self, route: str, q: dict[str, str]) -> None:
        outage = self.server.owner.failing(route)
        if outage is not None:  # FeedServer.fail_with
            self._send(outage, f"error {outage}".encode(), "text/plain; charset=utf-8")
            return
        found = self.server.owner.lookup(route)
        if found is None:
            self._send(404, b"not found", "text/plain; charset=utf-8")
            return
        body, content_type, mtime = found
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        validators = {"ETag": etag, "Last-Modified": formatdate(int(mtime), usegmt=True)}
        if q.get("conditional") == "0":
            validators = {}
        elif _not_modified(self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since"), etag, int(mtime)):
            self._send(304, b"", content_type, validators)
            return
        encoding = q.get("encoding", "")
        if encoding in ENCODERS:
            body = ENCODERS[encoding](body)
            validators["Content-Encoding"] = encoding.removeprefix("raw-")
        self._send(200, body, content_type, validators)

    def _paged(self, route: str, q: dict[str, str]) -> None:
        """A job board's JSON list served page by page, like Lever (`skip`) or SmartRecruiters (`offset`).

        /paged/<file>?skip=S&limit=L      the list <file> (a JSON array) from S, L entries
        /paged/<file>?offset=O&limit=L    <file>'s "content" from O, as {offset, limit, totalFound, content}
        /paged/<file>                     <file> whole (a posting's detail answer)
        &fail_at=N[&fail_code=C]          the page starting at N answers C (default 500): a failing middle page
        FeedServer.fail_with("/paged/<file>@N", C) does the same without changing the feed's URL
        """
        owner = self.server.owner
        outage = owner.failing(route)
        found = owner.lookup(route[len("/paged") :])
        if outage is not None or found is None:
            code = outage or 404
            self._send(code, f"error {code}".encode(), "text/plain; charset=utf-8")
            return
        start = q.get("skip", q.get("offset"))
        page_outage = owner.failing(f"{route}@{start}") if start is not None else None
        if page_outage is not None or (start is not None and start == q.get("fail_at")):
            code = page_outage or _int(q.get("fail_code"), 500, 400, 599)
            self._send(code, f"error {code}".encode(), "text/plain; charset=utf-8")
            return
        data = json.loads(found[0])
        first, limit = _int(start, 0, 0, 1 << 30), _int(q.get("limit"), 100, 1, 1000)
        if "skip" in q and isinstance(data, list):
            data = data[first : first + limit]
        elif "offset" in q and isinstance(data, dict):
            content = data.get("content") or []
            data = {
                "offset": first,
                "limit": limit,
                "totalFound": len(content),
                "content": content[first : first + limit],
            }
        self._send(200, json.dumps(data).encode(), "application/json")

    def _serve_file_or_sample(self, file: str | None, q: dict[str, str]) -> None:
        if file:
            self._static("/" + file.lstrip("/"), q)
        else:
            self._send(200, SAMPLE_FEED, "application/rss+xml")

    def _wait(self, seconds: float) -> bool:
        """Sleep up to MAX_WAIT_S; True when the server is stopping."""
        return self.server.owner.stopping.wait(min(max(seconds, 0.0), MAX_WAIT_S))

    def _drip(self, interval: float, size: int) -> None:
        body = padded_feed(size)
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.flush()
        ends = time.monotonic() + MAX_WAIT_S
        for i in range(len(body)):
            self.wfile.write(body[i : i + 1])
            if time.monotonic() > ends or self._wait(interval):
                break
        self.close_connection = True  # a cut-short body must not be followed by another response

    def _endless(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        item = (
            b"<item><title>endless</title><guid>endless</guid><description>" + b"y" * 400 + b"</description></item>\n"
        )
        chunk = b'<?xml version="1.0"?><rss version="2.0"><channel>' + item * (CHUNK // len(item))
        sent, ends = 0, time.monotonic() + ENDLESS_MAX_S
        while sent < ENDLESS_MAX_BYTES and time.monotonic() < ends and not self.server.owner.stopping.is_set():
            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            sent += len(chunk)
            chunk = item * (CHUNK // len(item))
        self.wfile.write(b"0\r\n\r\n")

    def _big(self, size: int) -> None:
        body = padded_feed(size)
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        ends = time.monotonic() + ENDLESS_MAX_S
        view = memoryview(body)
        for start in range(0, len(body), CHUNK):
            if time.monotonic() > ends or self.server.owner.stopping.is_set():
                self.close_connection = True
                return
            self.wfile.write(view[start : start + CHUNK])

    def _reset(self) -> None:
        body = padded_feed(100_000)
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[:2000])
        self.wfile.flush()
        time.sleep(0.05)  # let the client read the first part, so the reset hits it mid-body
        # SO_LINGER with a zero timeout makes close() send RST instead of FIN
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True


def _not_modified(if_none_match: str | None, if_modified_since: str | None, etag: str, mtime: int) -> bool:
    """RFC 9110 13.2.2: If-None-Match (weak comparison) wins; If-Modified-Since only without it."""
    if if_none_match is not None:
        tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        return "*" in tags or etag in tags
    if if_modified_since:
        try:
            return mtime <= int(parsedate_to_datetime(if_modified_since).timestamp())
        except (TypeError, ValueError, IndexError):
            return False
    return False


def _int(value: str | None, default: int, low: int, high: int) -> int:
    try:
        return min(max(int(value), low), high) if value is not None else default
    except ValueError:
        return default


def _float(value: str | None, default: float) -> float:
    try:
        return float(value) if value is not None else default
    except ValueError:
        return default
