"""The httpx client feeds are fetched with: timeouts, limits, no proxies, and connections pinned to
addresses the address guard approved."""

from __future__ import annotations

import functools
import ssl
from typing import Any

import certifi
import httpcore
import httpx

from jobfeed import constants as C
from jobfeed.fetch.netguard import allowed_addresses
from jobfeed.settings import Settings, get_settings


class GuardedBackend(httpcore.SyncBackend):
    """httpcore's socket backend, connecting only to addresses the address guard approved.

    The guard's early check (on every hop, before the request) resolves the host name, and a plain
    client would resolve it again to connect: a DNS server answering a public address the first time
    and 127.0.0.1 the second (DNS rebinding) would get the connection through. Here the name is
    resolved and checked once, and the socket connects to those very addresses. TLS still verifies
    the certificate against the host name (httpcore takes SNI from the URL, not from the socket).
    """

    def __init__(self, allow_hosts: tuple[str, ...]) -> None:
        self.allow_hosts = allow_hosts

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        addresses = allowed_addresses(host, port, self.allow_hosts)  # raises FeedError: never connects
        if addresses is None:  # allow-listed by name: the operator vouches for whatever it resolves to
            return super().connect_tcp(host, port, timeout, local_address, socket_options)
        error: httpcore.ConnectError | None = None
        for address in addresses:  # like socket.create_connection: the first address that answers
            try:
                return super().connect_tcp(str(address), port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:
                error = exc
        assert error is not None  # allowed_addresses never returns an empty list
        raise error


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One verifying TLS context per process, as httpx would build it (certifi's CA bundle).

    Building one loads the CA bundle (~25 ms of CPU); a new client per fetch paid that every time.
    An SSLContext is safe to share between threads and connections.
    """
    return ssl.create_default_context(cafile=certifi.where())


def make_client(settings: Settings | None = None) -> httpx.Client:
    """An httpx.Client configured for feed fetching (timeouts, limits, headers, no auto-redirects)."""
    settings = settings or get_settings()
    transport = httpx.HTTPTransport(
        # No keep-alive: every fetch gets a fresh connection, so the deadline watchdog always sees
        # the socket from connect on (feeds are fetched once an hour; reuse would save nothing).
        limits=httpx.Limits(max_connections=C.HTTP_MAX_CONNECTIONS, max_keepalive_connections=0),
        # No env proxies or .netrc: a proxy resolves names itself, which would bypass the address
        # guard, and .netrc could attach credentials to a URL a feed redirected us to.
        trust_env=False,
        verify=tls_context(),
    )
    _use_backend(transport, GuardedBackend(settings.allow_hosts))
    return httpx.Client(
        transport=transport,
        timeout=timeouts(settings.http_timeout_s),
        follow_redirects=False,  # fetch_feed follows them itself, re-checking each hop's address
        headers=base_headers(),
        trust_env=False,
    )


def _use_backend(transport: httpx.HTTPTransport, backend: httpcore.NetworkBackend) -> None:
    """Make the transport's connection pool open its sockets through `backend`.

    httpx 0.28 has no public parameter for httpcore's `network_backend`, so this sets it on the pool
    httpx built. Checked, not assumed: if a future httpx lays its transport out differently, creating
    a client fails here (and in the tests) instead of silently fetching without the connect-time guard.
    """
    pool = getattr(transport, "_pool", None)
    if not isinstance(pool, httpcore.ConnectionPool) or not hasattr(pool, "_network_backend"):
        raise RuntimeError("httpx/httpcore internals changed: cannot pin connections to checked addresses")
    pool._network_backend = backend


def base_headers() -> dict[str, str]:
    """Headers of every feed request (the user agent boards ask bots to send; codings we can cap)."""
    return {"User-Agent": C.USER_AGENT, "Accept": C.HTTP_ACCEPT, "Accept-Encoding": C.HTTP_ACCEPT_ENCODING}


def timeouts(remaining: float) -> httpx.Timeout:
    """Per-phase timeouts, none longer than what is left of the whole-fetch deadline."""
    left = max(remaining, 0.001)
    return httpx.Timeout(
        connect=min(C.HTTP_CONNECT_TIMEOUT_S, left),
        read=min(C.HTTP_READ_TIMEOUT_S, left),
        write=min(C.HTTP_WRITE_TIMEOUT_S, left),
        pool=min(C.HTTP_POOL_TIMEOUT_S, left),
    )
