"""fetch_feed over real sockets against FeedServer: every success path and every failure reason."""

from __future__ import annotations

import hashlib
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from jobfeed import constants as C
from jobfeed.fetch.fetcher import fetch_feed, make_client, parse_retry_after
from jobfeed.models import ConditionalState, FetchStatus
from jobfeed.reasons import FailureReason, FeedError
from jobfeed.settings import Settings
from tests.support.feed_server import FeedServer
from tests.support.ports import closed_port

FEED = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Tiny</title><link>https://jobs.example/</link><description>t</description>
<item><title>Backend Engineer</title><link>https://jobs.example/1</link><guid>job-1</guid></item>
</channel></rss>
"""
# Deadline tests prove *which* limit ended a fetch, never that it was fast: each server here would go on
# for ≥ 10 s past the deadline, and SLACK_S of scheduling jitter (a loaded 2-core machine) stays below that.
SLACK_S = 5.0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FeedServer]:
    root = tmp_path_factory.mktemp("fetch-feeds")
    (root / "tiny.xml").write_bytes(FEED)
    (root / "other.xml").write_bytes(FEED.replace(b"Tiny", b"Other"))
    with FeedServer(root) as srv:
        yield srv


def settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {"fetch_allow_hosts": "127.0.0.1", "http_timeout_s": 3, "max_feed_bytes": 1024 * 1024}
    return Settings(**(values | overrides))


def fetch_error(url: str, **kwargs: Any) -> FeedError:
    with pytest.raises(FeedError) as info:
        fetch_feed(url, settings=kwargs.pop("settings", None) or settings(), **kwargs)
    return info.value


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Every TCP connect httpx makes (a spy on the stdlib, which httpcore's sync backend calls)."""
    seen: list[tuple[str, int]] = []
    real = socket.create_connection

    def spy(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        seen.append(address)
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", spy)
    return seen


# --- success -------------------------------------------------------------------------------


def test_ok_returns_body_and_validators(server: FeedServer) -> None:
    result = fetch_feed(server.url("tiny.xml"), settings=settings())
    assert result.status is FetchStatus.OK and result.http_status == 200
    assert result.body == FEED
    assert result.body_hash == hashlib.sha256(FEED).hexdigest()
    assert result.content_type == "application/rss+xml"
    assert result.etag and result.etag.startswith('"') and result.last_modified
    assert result.url == server.url("tiny.xml") and result.elapsed_ms >= 0


def test_identifying_headers_are_sent(server: FeedServer) -> None:
    fetch_feed(server.url("tiny.xml?probe=headers"), settings=settings())
    (request,) = [r for r in server.requests_to("tiny.xml") if "probe=headers" in r.path]
    assert request.headers["user-agent"] == C.USER_AGENT
    assert "application/rss+xml" in request.headers["accept"] and "application/json" in request.headers["accept"]
    assert request.headers["accept-encoding"] == "gzip, deflate"
    assert "if-none-match" not in request.headers  # no state, no conditional headers


def test_conditional_get_round_trip(server: FeedServer) -> None:
    server.set_file("cond.xml", FEED)
    first = fetch_feed(server.url("cond.xml"), settings=settings())
    state = ConditionalState(first.etag, first.last_modified, first.body_hash)
    second = fetch_feed(server.url("cond.xml"), state=state, settings=settings())
    assert second.status is FetchStatus.NOT_MODIFIED and second.http_status == 304
    assert (second.etag, second.last_modified, second.body_hash) == (first.etag, first.last_modified, first.body_hash)
    assert second.body == b""
    last = server.requests_to("cond.xml")[-1]
    assert last.headers["if-none-match"] == first.etag
    assert last.headers["if-modified-since"] == first.last_modified

    server.set_file("cond.xml", FEED.replace(b"Backend", b"Frontend"))  # the board edits its feed
    third = fetch_feed(server.url("cond.xml"), state=state, settings=settings())
    assert third.status is FetchStatus.OK and b"Frontend" in third.body
    assert third.etag != first.etag and third.body_hash != first.body_hash


def test_same_body_without_validators_is_not_modified(server: FeedServer) -> None:
    url = server.url("tiny.xml?conditional=0")  # a server that ignores If-None-Match / If-Modified-Since
    first = fetch_feed(url, settings=settings())
    assert first.status is FetchStatus.OK and first.etag is None
    again = fetch_feed(url, state=ConditionalState(body_hash=first.body_hash), settings=settings())
    assert again.status is FetchStatus.NOT_MODIFIED and again.http_status == 200
    assert again.body_hash == first.body_hash and again.body == b""
    changed = fetch_feed(
        server.url("other.xml?conditional=0"), state=ConditionalState(body_hash=first.body_hash), settings=settings()
    )
    assert changed.status is FetchStatus.OK and changed.body_hash != first.body_hash


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "raw-deflate"])
def test_compressed_bodies_are_inflated(server: FeedServer, encoding: str) -> None:
    result = fetch_feed(server.url(f"tiny.xml?encoding={encoding}"), settings=settings())
    assert result.body == FEED and result.body_hash == hashlib.sha256(FEED).hexdigest()


@pytest.mark.parametrize("route", ["big?bytes=300000", "tiny.xml?encoding=gzip"])
def test_spooled_body_streams_to_its_file(server: FeedServer, tmp_path: Path, route: str) -> None:
    path = tmp_path / "body"
    result = fetch_feed(server.url(route), settings=settings(), body_path=path)
    on_disk = path.read_bytes()
    assert result.status is FetchStatus.OK and result.body == b"" and result.body_path == str(path)
    assert len(on_disk) == result.body_size and on_disk.endswith(b"</rss>\n")
    assert result.body_hash == hashlib.sha256(on_disk).hexdigest()  # hashed on the way, same as in memory
    assert fetch_feed(server.url(route), settings=settings()).body == on_disk  # decoded exactly as in memory


def test_spooled_same_body_is_not_modified_and_leaves_no_file(server: FeedServer, tmp_path: Path) -> None:
    url = server.url("tiny.xml?conditional=0")
    first = fetch_feed(url, settings=settings(), body_path=tmp_path / "first")
    again = fetch_feed(
        url, state=ConditionalState(body_hash=first.body_hash), settings=settings(), body_path=tmp_path / "again"
    )
    assert again.status is FetchStatus.NOT_MODIFIED and again.body_path is None
    assert not (tmp_path / "again").exists()


def test_spooled_endless_body_stops_at_the_cap(server: FeedServer, tmp_path: Path) -> None:
    error = fetch_error(server.url("endless"), settings=settings(max_feed_bytes=256 * 1024), body_path=tmp_path / "b")
    assert error.reason is FailureReason.TOO_LARGE
    assert (tmp_path / "b").stat().st_size <= 256 * 1024  # never more than the cap on disk either


def test_body_just_under_the_cap_is_fine(server: FeedServer) -> None:
    result = fetch_feed(server.url("big?bytes=200000"), settings=settings(max_feed_bytes=200_000))
    assert len(result.body) == 200_000 and result.body.endswith(b"</rss>\n")


def test_shared_client_is_reused_and_left_open(server: FeedServer) -> None:
    with make_client(settings()) as client:
        for _ in range(2):
            assert fetch_feed(server.url("tiny.xml"), settings=settings(), client=client).body == FEED
        assert not client.is_closed


def test_html_page_with_200_is_returned_for_the_parser_to_judge(server: FeedServer) -> None:
    result = fetch_feed(server.url("html-challenge?code=200"), settings=settings())
    assert result.status is FetchStatus.OK and result.content_type.startswith("text/html")


# --- HTTP errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (404, FailureReason.HTTP_4XX),
        (410, FailureReason.HTTP_4XX),
        (401, FailureReason.HTTP_4XX),
        (403, FailureReason.HTTP_4XX),
        (500, FailureReason.HTTP_5XX),
        (502, FailureReason.HTTP_5XX),
    ],
)
def test_error_statuses(server: FeedServer, code: int, reason: FailureReason) -> None:
    error = fetch_error(server.url(f"status/{code}"))
    assert error.reason is reason
    assert error.message == f"HTTP {code} from 127.0.0.1:{server.port}"
    assert error.retry_after_s is None


def test_403_html_challenge_is_blocked_html(server: FeedServer) -> None:
    error = fetch_error(server.url("html-challenge?code=403"))
    assert error.reason is FailureReason.BLOCKED_HTML and "403" in error.message


def test_503_with_retry_after(server: FeedServer) -> None:
    error = fetch_error(server.url("status/503?retry_after=5"))
    assert error.reason is FailureReason.HTTP_5XX and error.retry_after_s == 5.0


def test_429_retry_after_seconds_date_and_cap(server: FeedServer) -> None:
    error = fetch_error(server.url("ratelimit?retry_after=7"))
    assert error.reason is FailureReason.RATE_LIMITED and error.retry_after_s == 7.0
    assert "429" in error.message

    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    error = fetch_error(server.url(f"ratelimit?retry_after={quote(when)}"))
    assert error.retry_after_s is not None and 25 <= error.retry_after_s <= 31

    assert fetch_error(server.url("ratelimit?retry_after=86400")).retry_after_s == C.RETRY_AFTER_CAP_S
    assert fetch_error(server.url("ratelimit?retry_after=soon")).retry_after_s is None


def test_parse_retry_after_edge_cases() -> None:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    assert parse_retry_after("Wed, 01 Jan 2025 00:01:00 GMT", now=now) == 60.0
    assert parse_retry_after("Tue, 31 Dec 2024 00:00:00 GMT", now=now) == 0.0  # in the past: retry now
    assert parse_retry_after("0") == 0.0 and parse_retry_after("-5") == 0.0
    assert parse_retry_after("nan") is None and parse_retry_after("") is None and parse_retry_after(None) is None


# --- time and size limits ------------------------------------------------------------------------


def test_slow_headers_time_out(server: FeedServer) -> None:
    started = time.monotonic()
    error = fetch_error(server.url("slow-headers?delay=30"), settings=settings(http_timeout_s=1))
    assert error.reason is FailureReason.TIMEOUT
    assert time.monotonic() - started < 1 + SLACK_S  # our deadline ended it, not the server's 30 s


def test_dripping_body_hits_the_whole_fetch_deadline(server: FeedServer) -> None:
    # one byte every 50 ms never trips a read timeout; only the wall-clock deadline ends it
    started = time.monotonic()
    error = fetch_error(server.url("drip?interval=0.05&bytes=100000"), settings=settings(http_timeout_s=1.5))
    elapsed = time.monotonic() - started
    assert error.reason is FailureReason.TIMEOUT and "1.5 s" in error.message
    assert 1.4 <= elapsed < 1.5 + SLACK_S  # the drip would last 5,000 s


def test_silence_after_a_partial_body_ends_at_the_deadline_not_the_read_timeout(server: FeedServer) -> None:
    # A byte every 2.9 s: under the read timeout (capped at the 3 s deadline) each time, so without the
    # watchdog shutting the socket down the fetch would only notice after the next byte, at ~5.8 s.
    # The gap between the two outcomes is wide enough for a loaded machine; it costs a 3 s test.
    started = time.monotonic()
    error = fetch_error(server.url("drip?interval=2.9&bytes=1000"), settings=settings(http_timeout_s=3))
    assert error.reason is FailureReason.TIMEOUT and "3 s" in error.message
    assert time.monotonic() - started < 5.5


def test_endless_body_is_too_large(server: FeedServer) -> None:
    error = fetch_error(server.url("endless"), settings=settings(max_feed_bytes=256 * 1024))
    assert error.reason is FailureReason.TOO_LARGE and "262,144" in error.message


def test_announced_length_over_the_cap_is_refused_early(server: FeedServer) -> None:
    error = fetch_error(server.url("big?bytes=5000000"), settings=settings(max_feed_bytes=1024 * 1024))
    assert error.reason is FailureReason.TOO_LARGE and "announced 5,000,000 bytes" in error.message


def test_gzip_bomb_is_too_large_after_decompression(server: FeedServer) -> None:
    error = fetch_error(server.url("gzip-bomb?mb=64"), settings=settings(max_feed_bytes=1024 * 1024))
    assert error.reason is FailureReason.TOO_LARGE and "after decompression" in error.message


# --- redirects and the address guard ----------------------------------------------------------


def test_redirect_loop(server: FeedServer) -> None:
    before = len(server.requests_to("redirect-loop"))
    error = fetch_error(server.url("redirect-loop"))
    assert error.reason is FailureReason.TOO_MANY_REDIRECTS
    assert len(server.requests_to("redirect-loop")) - before == C.MAX_REDIRECTS + 1


def test_redirect_chain_is_followed(server: FeedServer) -> None:
    result = fetch_feed(server.url("redirect-chain?n=3&file=tiny.xml"), settings=settings())
    assert result.status is FetchStatus.OK and result.body == FEED
    assert result.url == server.url("redirect-chain?n=0&file=tiny.xml")  # the final URL, for the record
    assert fetch_feed(server.url(f"redirect-chain?n={C.MAX_REDIRECTS}"), settings=settings()).status is FetchStatus.OK
    assert fetch_error(server.url(f"redirect-chain?n={C.MAX_REDIRECTS + 1}")).reason is FailureReason.TOO_MANY_REDIRECTS


@pytest.mark.parametrize(
    "target",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/feed.xml",
        "http://[::ffff:10.0.0.1]/",
        "https://192.168.0.1:8443/feed",
    ],
)
def test_redirect_to_internal_address_is_refused_before_connecting(
    server: FeedServer, connections: list[tuple[str, int]], target: str
) -> None:
    error = fetch_error(server.url(f"redirect?to={quote(target, safe='')}"))
    assert error.reason is FailureReason.FORBIDDEN_ADDRESS
    assert connections and all(host == "127.0.0.1" for host, _port in connections)  # never a packet elsewhere


@pytest.mark.parametrize("target", ["file:///etc/passwd", "ftp://127.0.0.1/feed.xml", "gopher://127.0.0.1:6379/_"])
def test_redirect_to_other_schemes_is_refused(server: FeedServer, target: str) -> None:
    assert fetch_error(server.url(f"redirect?to={quote(target, safe='')}")).reason is FailureReason.FORBIDDEN_ADDRESS


def test_loopback_without_allow_list_is_refused(server: FeedServer, connections: list[tuple[str, int]]) -> None:
    error = fetch_error(server.url("tiny.xml?probe=guard"), settings=settings(fetch_allow_hosts=""))
    assert error.reason is FailureReason.FORBIDDEN_ADDRESS and "loopback" in error.message
    assert connections == [] and not [r for r in server.requests if "probe=guard" in r.path]


# --- network failures -----------------------------------------------------------------------


def test_connection_refused() -> None:
    port = closed_port()
    error = fetch_error(f"http://127.0.0.1:{port}/feed.xml")
    assert error.reason is FailureReason.NETWORK_ERROR
    assert error.message == f"connection refused by 127.0.0.1:{port}"


def test_unresolvable_host_in_the_guard_and_in_the_client() -> None:
    # the sealed network's stub resolver (tests/support/netseal.py) fails the name: no DNS server is asked
    assert fetch_error("http://nonexistent.invalid/feed").reason is FailureReason.DNS_ERROR
    # allow-listed by name, the guard skips resolution and the client's own lookup fails
    allowed = settings(fetch_allow_hosts="nonexistent.invalid")
    error = fetch_error("http://nonexistent.invalid/feed", settings=allowed)
    assert error.reason is FailureReason.DNS_ERROR and "nonexistent.invalid" in error.message


def test_connection_reset_mid_body(server: FeedServer) -> None:
    error = fetch_error(server.url("reset"))
    assert error.reason is FailureReason.NETWORK_ERROR


def test_https_to_a_plain_http_server_is_a_tls_error(server: FeedServer) -> None:
    error = fetch_error(f"https://127.0.0.1:{server.port}/tiny.xml")
    assert error.reason is FailureReason.TLS_ERROR and "127.0.0.1" in error.message


def test_untrusted_certificate_is_a_tls_error(tls_server: TLSDripServer) -> None:
    error = fetch_error(f"https://127.0.0.1:{tls_server.port}/feed.xml")
    assert error.reason is FailureReason.TLS_ERROR and "CERTIFICATE" in error.message.upper()


def test_dripping_tls_body_hits_the_deadline(tls_server: TLSDripServer) -> None:
    started = time.monotonic()
    with httpx.Client(verify=False, limits=httpx.Limits(max_keepalive_connections=0)) as insecure:
        error = fetch_error(
            f"https://127.0.0.1:{tls_server.port}/feed.xml", client=insecure, settings=settings(http_timeout_s=1)
        )
    assert error.reason is FailureReason.TIMEOUT
    assert time.monotonic() - started < 1 + SLACK_S  # the TLS server drips for 10 s


def test_messages_never_carry_credentials(server: FeedServer) -> None:
    base = f"http://feeduser:hunter2@127.0.0.1:{server.port}"
    for path in ("/status/404?token=abc123", "/redirect-loop?api_key=abc123"):
        error = fetch_error(base + path)
        assert "hunter2" not in str(error) and "abc123" not in str(error), error


# --- a TLS server with a self-signed certificate ---------------------------------------------------


class TLSDripServer:
    """Accepts TLS on 127.0.0.1 with a self-signed cert and drips a response one byte per 50 ms."""

    def __init__(self, certfile: Path, keyfile: Path) -> None:
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(certfile, keyfile)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.port = int(self.listener.getsockname()[1])
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stopping.is_set():
            try:
                raw, _ = self.listener.accept()
            except OSError:
                continue
            threading.Thread(target=self._drip, args=(raw,), daemon=True).start()

    def _drip(self, raw: socket.socket) -> None:
        try:
            raw.settimeout(5)
            with self.context.wrap_socket(raw, server_side=True) as conn:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: 100000\r\n\r\n")
                for _ in range(200):  # at most 10 s, whatever the client does
                    conn.sendall(b" ")
                    if self.stopping.wait(0.05):
                        break
        except OSError:  # handshake refused by the client, or the client hung up
            pass

    def stop(self) -> None:
        self.stopping.set()
        self.listener.close()
        self.thread.join(timeout=2)


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TLSDripServer]:
    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    certfile, keyfile = folder / "cert.pem", folder / "key.pem"
    certfile.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    srv = TLSDripServer(certfile, keyfile)
    yield srv
    srv.stop()
