"""Fetch one feed over HTTP: conditional GET, guarded redirects, a size cap and a wall-clock deadline.

Every failure leaves as a FeedError with a FailureReason and a short, redacted message; no httpx,
socket or zlib exception escapes for a network condition.
"""

from __future__ import annotations

import math
import socket
import ssl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx

from jobfeed import constants as C
from jobfeed.fetch.client import base_headers, make_client, timeouts
from jobfeed.fetch.limits import BodySink, Watchdog, read_body
from jobfeed.fetch.netguard import check_url_allowed
from jobfeed.models import ConditionalState, FetchResult, FetchStatus
from jobfeed.reasons import FailureReason, FeedError
from jobfeed.redact import redact_text, redact_url
from jobfeed.settings import Settings, get_settings

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
__all__ = ["fetch_feed", "make_client", "parse_retry_after"]


def fetch_feed(
    url: str,
    *,
    state: ConditionalState | None = None,
    settings: Settings | None = None,
    client: httpx.Client | None = None,
    body_path: Path | None = None,
) -> FetchResult:
    """GET a feed (conditionally when state is given) and return its body or NOT_MODIFIED; else FeedError.

    With `body_path`, the body streams into that file (FetchResult.body_path) instead of memory.
    """
    settings = settings or get_settings()
    started = time.monotonic()
    watchdog = Watchdog(settings.http_timeout_s)
    http = client or make_client(settings)
    try:
        return _fetch(http, url, state or ConditionalState(), settings, watchdog, started, body_path)
    finally:
        watchdog.cancel()
        if client is None:
            http.close()


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or HTTP date), capped at RETRY_AFTER_CAP_S."""
    if not value or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)  # HTTP dates are GMT by definition
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if math.isnan(seconds):
        return None
    return min(max(seconds, 0.0), C.RETRY_AFTER_CAP_S)


# --- the exchange ----------------------------------------------------------------------------


def _fetch(
    http: httpx.Client,
    url: str,
    state: ConditionalState,
    settings: Settings,
    watchdog: Watchdog,
    started: float,
    body_path: Path | None,
) -> FetchResult:
    headers = base_headers()  # per request too, so a caller's client cannot ask for codings we cannot cap
    if state.etag:
        headers["If-None-Match"] = state.etag
    if state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    current = url
    for _hop in range(C.MAX_REDIRECTS + 1):
        check_url_allowed(current, settings.allow_hosts)  # before connecting, on every hop
        watchdog.check(_where(current))
        with (
            _mapped_errors(current, watchdog),
            http.stream(
                "GET",
                current,
                headers=headers,
                timeout=timeouts(watchdog.remaining()),
                follow_redirects=False,
                extensions={"trace": watchdog.trace},
            ) as response,
        ):
            watchdog.watch(response.extensions.get("network_stream"))  # a reused connection
            location = response.headers.get("location")
            if response.status_code in REDIRECT_STATUSES and location:
                current = urljoin(current, location.strip())
                continue
            return _final(response, current, state, settings, watchdog, started, body_path)
    raise FeedError(
        FailureReason.TOO_MANY_REDIRECTS, f"more than {C.MAX_REDIRECTS} redirects, starting at {redact_url(url)}"
    )


def _final(
    response: httpx.Response,
    url: str,
    state: ConditionalState,
    settings: Settings,
    watchdog: Watchdog,
    started: float,
    body_path: Path | None,
) -> FetchResult:
    status, where, h = response.status_code, _where(url), response.headers
    if status == 304:
        return FetchResult(
            FetchStatus.NOT_MODIFIED,
            url,
            status,
            content_type=h.get("content-type"),
            etag=h.get("etag") or state.etag,
            last_modified=h.get("last-modified") or state.last_modified,
            body_hash=state.body_hash,
            elapsed_ms=_ms_since(started),
        )
    if 200 <= status < 300:
        with BodySink(body_path) as sink:
            read_body(response, settings.max_feed_bytes, watchdog, where, sink)
        digest = sink.hash.hexdigest()
        unchanged = state.body_hash is not None and digest == state.body_hash
        if unchanged and body_path is not None:
            body_path.unlink(missing_ok=True)
        return FetchResult(
            FetchStatus.NOT_MODIFIED if unchanged else FetchStatus.OK,
            url,
            status,
            body=b"" if unchanged else sink.value(),
            content_type=h.get("content-type"),
            etag=h.get("etag"),
            last_modified=h.get("last-modified"),
            body_hash=digest,
            elapsed_ms=_ms_since(started),
            body_path=None if unchanged or body_path is None else str(body_path),
            body_size=sink.size,
        )
    retry_after = parse_retry_after(h.get("retry-after"))
    if status == 429:
        raise FeedError(FailureReason.RATE_LIMITED, f"HTTP 429 (rate limited) from {where}", retry_after_s=retry_after)
    if status >= 500:
        raise FeedError(FailureReason.HTTP_5XX, f"HTTP {status} from {where}", retry_after_s=retry_after)
    if status in (401, 403) and _is_html(response, watchdog, where):
        raise FeedError(
            FailureReason.BLOCKED_HTML, f"HTTP {status} from {where}: an HTML page (bot challenge or login wall)"
        )
    if 400 <= status < 500:
        raise FeedError(FailureReason.HTTP_4XX, f"HTTP {status} from {where}")
    raise FeedError(FailureReason.HTTP_4XX, f"unexpected HTTP {status} (no usable redirect) from {where}")


def _is_html(response: httpx.Response, watchdog: Watchdog, where: str) -> bool:
    """True when an error response is an HTML page rather than a terse API/feed error."""
    if "html" in response.headers.get("content-type", "").lower():
        return True
    try:
        with BodySink(None) as sink:
            read_body(response, C.ERROR_BODY_SNIFF_BYTES, watchdog, where, sink, truncate=True)
        head = sink.value()
    except (FeedError, httpx.HTTPError, OSError):
        return False  # an unreadable error body: the status code alone decides (HTTP_4XX)
    start = head[:1024].lstrip().lower()
    return start.startswith((b"<!doctype html", b"<html")) or b"<html" in start


# --- errors ----------------------------------------------------------------------------------


@contextmanager
def _mapped_errors(url: str, watchdog: Watchdog) -> Iterator[None]:
    """Turn httpx/socket/ssl exceptions raised inside into a classified FeedError."""
    try:
        yield
    except FeedError:
        raise
    except (httpx.HTTPError, httpx.InvalidURL, OSError) as exc:
        raise _classify(exc, url, watchdog) from None


def _classify(exc: BaseException, url: str, watchdog: Watchdog) -> FeedError:
    where = _where(url)
    if watchdog.expired:  # whatever the read died of, the deadline killed it
        return watchdog.timeout_error(where)
    if isinstance(exc, httpx.ConnectTimeout):
        return FeedError(FailureReason.TIMEOUT, f"timed out connecting to {where}")
    if isinstance(exc, httpx.PoolTimeout):
        return FeedError(FailureReason.TIMEOUT, f"timed out waiting for a free connection to {where}")
    if isinstance(exc, httpx.TimeoutException):
        return FeedError(FailureReason.TIMEOUT, f"timed out waiting for {where}")
    chain = _causes(exc)
    detail = redact_text(next((str(e) for e in reversed(chain) if str(e)), type(exc).__name__))[:200]
    if any(isinstance(e, socket.gaierror) for e in chain):
        return FeedError(FailureReason.DNS_ERROR, f"cannot resolve {urlsplit(url).hostname or where}")
    if any(isinstance(e, ssl.SSLError) for e in chain) or "SSL" in detail or "CERTIFICATE" in detail.upper():
        return FeedError(FailureReason.TLS_ERROR, f"TLS with {where} failed: {detail}")
    if any(isinstance(e, ConnectionRefusedError) for e in chain):
        return FeedError(FailureReason.NETWORK_ERROR, f"connection refused by {where}")
    if any(isinstance(e, ConnectionResetError) for e in chain):
        return FeedError(FailureReason.NETWORK_ERROR, f"connection reset by {where}")
    if isinstance(exc, httpx.InvalidURL):
        return FeedError(FailureReason.HTTP_4XX, f"invalid URL {redact_url(url)}: {detail}")
    if isinstance(exc, httpx.RemoteProtocolError):
        return FeedError(FailureReason.NETWORK_ERROR, f"{where} broke off the HTTP exchange: {detail}")
    return FeedError(FailureReason.NETWORK_ERROR, f"network error talking to {where}: {detail}")


def _causes(exc: BaseException) -> list[BaseException]:
    """exc and everything in its __cause__/__context__ chain (httpx wraps httpcore wraps OSError)."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain and len(chain) < 10:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


# --- small helpers ---------------------------------------------------------------------------


def _where(url: str) -> str:
    """host[:port] of a URL for messages (never userinfo, path or query)."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return redact_url(url)
    if not host:
        return redact_url(url)
    host = f"[{host}]" if ":" in host else host
    return f"{host}:{port}" if port else host


def _ms_since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
