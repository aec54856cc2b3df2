"""Network faults through the real flow: each feed ends with the right reason, retried when transient,
and the run ends (pytest-timeout guards it; nothing here asserts a duration).

Everything stays on 127.0.0.1. Internal addresses (169.254.169.254, 10.0.0.1) appear only as redirect
targets or feed URLs that the address guard must refuse before connecting, which a spy on every TCP
connect proves. Unresolvable names are answered by a stub resolver, so no DNS query leaves the host.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import pytest

from tests.support.pipeline import check_log, forget_process_state
from tests.support.ports import closed_port

pytestmark = pytest.mark.timeout(120)

DB = "rel_network_faults"
GOOD = "jobspresso_wpjm_job_feed.xml"
TIMEOUT_S = "1.5"  # HTTP_TIMEOUT_S for this module: slow feeds give up quickly
MAX_BYTES = str(1024 * 1024)  # MAX_FEED_BYTES: an endless body is cut at 1 MB
ALLOWED_UNRESOLVABLE = "allowed.nonexistent.invalid"  # allow-listed by name: the client resolves it itself
ATOM_JOBS = 3  # jobs in tests/fixtures/feeds/atom_feed.xml


@dataclass(frozen=True)
class Case:
    id: str
    url: str  # absolute, or a FeedServer path starting with "/"
    status: str = "failed"
    reason: str | None = None
    requests: int | None = None  # how many requests the FeedServer saw for this case's path
    new: int = 0


def _target(url: str) -> str:
    return quote(url, safe="")


def cases(port: int, closed_port: int) -> list[Case]:
    retries = 2  # constants.FETCH_RETRIES: a transient failure is tried 3 times
    return [
        # --- time: the whole-fetch deadline ends whatever the server does
        Case("slow-headers", "/slow-headers?delay=30", reason="timeout", requests=retries + 1),
        Case("dripping-body", "/drip?interval=0.05&bytes=100000", reason="timeout", requests=retries + 1),
        # --- size
        Case("endless-body", "/endless", reason="too_large", requests=1),
        Case("gzip-bomb", "/gzip-bomb?mb=64", reason="too_large", requests=1),
        # --- redirects and the address guard
        Case("redirect-loop", "/redirect-loop", reason="too_many_redirects"),
        Case("redirect-to-metadata-service", f"/redirect?to={_target('http://169.254.169.254/latest/meta-data/')}",
             reason="forbidden_address", requests=1),
        Case("redirect-to-private-network", f"/redirect?to={_target('http://10.0.0.1/feed.xml')}",
             reason="forbidden_address", requests=1),
        Case("redirect-to-file-scheme", f"/redirect?to={_target('file:///etc/passwd')}", reason="forbidden_address",
             requests=1),
        Case("metadata-service-as-feed-url", "http://169.254.169.254/latest/meta-data/", reason="forbidden_address"),
        # --- names and connections
        Case("unresolvable-host", "http://feeds.nonexistent.invalid/jobs.xml", reason="dns_error"),
        Case("unresolvable-allow-listed-host", f"http://{ALLOWED_UNRESOLVABLE}/jobs.xml", reason="dns_error"),
        Case("connection-refused", f"http://127.0.0.1:{closed_port}/feed.xml", reason="network_error"),
        Case("tls-to-a-plain-http-server", f"https://127.0.0.1:{port}/{GOOD}?tls=1", reason="tls_error"),
        Case("connection-reset-mid-body", "/reset", reason="network_error", requests=retries + 1),
        # --- HTTP statuses
        Case("rate-limited-with-retry-after", "/ratelimit?retry_after=1", reason="rate_limited", requests=retries + 1),
        Case("5xx-recovering-within-retries", "/flaky/rel-net-recover?fail=2&code=503&file=atom_feed.xml",
             status="success", new=ATOM_JOBS, requests=retries + 1),
        Case("5xx-for-good", "/status/502", reason="http_5xx", requests=retries + 1),
        Case("404-not-retried", "/status/404?rel=net", reason="http_4xx", requests=1),
    ]  # fmt: skip


@dataclass
class NetworkRun:
    state: Any
    by_id: dict[str, Case]
    urls: dict[str, str]
    logs: dict[str, dict[str, Any] | None]
    requests: list[Any]
    connections: list[tuple[str, int]]
    db: Any


@contextmanager
def stub_dns_and_connect_spy() -> Iterator[list[tuple[str, int]]]:
    """Names under .invalid fail to resolve without asking a DNS server; the peer address of every TCP
    connection httpx opens is logged (the fetcher connects with socket.create_connection)."""
    real_resolve, real_connect = socket.getaddrinfo, socket.create_connection
    seen: list[tuple[str, int]] = []

    def resolve(host: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, (str, bytes)) and (host.decode() if isinstance(host, bytes) else host).endswith(".invalid"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real_resolve(host, *args, **kwargs)

    def connect(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        sock = real_connect(address, *args, **kwargs)
        seen.append(sock.getpeername()[:2])
        return sock

    patch = pytest.MonkeyPatch()
    patch.setattr(socket, "getaddrinfo", resolve)
    patch.setattr(socket, "create_connection", connect)
    try:
        yield seen
    finally:
        patch.undo()


@pytest.fixture(scope="module")
def network(feed_server: Any, mongo_service: Any, prefect_harness: None) -> Iterator[NetworkRun]:
    """One flow run over every faulty feed and one healthy feed, with small time and size limits."""
    from flows.import_feeds import import_feeds
    from jobfeed.store import get_store

    client = mongo_service.client()
    client.drop_database(DB)
    patch = pytest.MonkeyPatch()
    patch.setenv("MONGODB_DB", DB)
    patch.setenv("HTTP_TIMEOUT_S", TIMEOUT_S)  # read by the fetch task at run time
    patch.setenv("MAX_FEED_BYTES", MAX_BYTES)
    patch.setenv("FETCH_ALLOW_HOSTS", f"127.0.0.1,{ALLOWED_UNRESOLVABLE}")
    forget_process_state()
    feed_server.reset()
    table = cases(feed_server.port, closed_port())
    urls = {c.id: feed_server.base_url + c.url if c.url.startswith("/") else c.url for c in table}
    good = feed_server.url(GOOD + "?rel=network")
    try:
        with stub_dns_and_connect_spy() as connections:
            state = import_feeds(feed_urls=[*urls.values(), good], return_state=True)
        logs = {log["fileName"]: log for log in get_store().logs.for_flow_run(str(state.state_details.flow_run_id))}
        yield NetworkRun(state, {c.id: c for c in table}, urls, {cid: logs.get(u) for cid, u in urls.items()}
                         | {"good": logs.get(good)}, feed_server.requests, connections, client[DB])  # fmt: skip
    finally:
        feed_server.reset()
        patch.undo()
        forget_process_state()
        client.drop_database(DB)


CASE_IDS = [c.id for c in cases(1, 2)]


def test_the_run_completes_and_the_healthy_feed_is_unaffected(network: NetworkRun) -> None:
    assert network.state.is_completed(), network.state
    good = network.logs["good"]
    assert good is not None
    check_log(good)
    assert (good["status"], good["newJobs"]) == ("success", 3)
    assert network.db.jobs.count_documents({}) == sum(log["newJobs"] for log in network.logs.values() if log)


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_network_fault_gets_its_reason(network: NetworkRun, case_id: str) -> None:
    case, log = network.by_id[case_id], network.logs[case_id]
    assert log is not None, f"no ImportLog for {case_id}"
    check_log(log)
    assert log["status"] == case.status, log.get("error")
    if case.status == "failed":
        assert log["error"]["reason"] == case.reason, log["error"]
        assert log["totalFetched"] == 0
        assert network.db.jobs.count_documents({"feeds": network.urls[case_id]}) == 0
        feed = network.db.feeds.find_one({"url": network.urls[case_id]})
        assert feed["consecutiveFailures"] == 1 and feed["lastErrorReason"] == case.reason
    else:
        assert log["newJobs"] == case.new and log["failedJobs"] == 0
    if case.requests is not None:
        parts = urlsplit(network.urls[case_id])
        sent = [r for r in network.requests if r.path == parts.path + (f"?{parts.query}" if parts.query else "")]
        assert len(sent) == case.requests, [r.path for r in sent]


def test_no_connection_ever_left_loopback(network: NetworkRun) -> None:
    assert network.connections, "the spy saw no connection at all"
    assert {host for host, _port in network.connections} <= {"127.0.0.1", "::1"}, network.connections


def test_guard_refuses_loopback_unless_allowed_even_after_a_redirect(pipeline: Any, served: Any, set_env: Any) -> None:
    # only the name "localhost" is allowed: 127.0.0.1 is not, as a feed URL or as a redirect target
    set_env(FETCH_ALLOW_HOSTS="localhost")
    via_name = f"http://localhost:{served.port}/redirect?to={_target(served.url('single_item_feed.xml?hop=2'))}"
    direct = served.url("single_item_feed.xml?hop=direct")
    result = pipeline.run([via_name, direct])
    for url in (via_name, direct):
        assert result[url]["status"] == "failed" and result[url]["error"]["reason"] == "forbidden_address"
        assert "loopback" in result[url]["error"]["message"]
    paths = [r.path for r in served.requests]
    assert any(p.startswith("/redirect") for p in paths)  # the allowed first hop was fetched
    assert not [p for p in paths if "hop=2" in p or "hop=direct" in p]  # the refused ones never were


def test_dns_rebinding_to_loopback_is_refused_at_connect_time(
    pipeline: Any, served: Any, set_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hostile DNS server answers a public address to the address check and 127.0.0.1 a moment later
    to the connect. The connection must go only to an address that was checked."""
    set_env(FETCH_ALLOW_HOSTS="")  # nothing internal is allowed: 127.0.0.1 is as forbidden as 169.254.169.254
    name = "rebind.jobfeed.invalid"
    public = "93.184.216.34"  # what the hostile DNS says first; never connected to (see `connect`)
    answers: list[str] = []
    real_resolve, real_connect = socket.getaddrinfo, socket.create_connection

    def resolve(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != name:
            return real_resolve(host, port, *args, **kwargs)
        answer = public if not answers else "127.0.0.1"  # TTL 0: the second answer differs
        answers.append(answer)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answer, port))]

    def connect(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        host, port = address  # resolve as socket.create_connection does, but never leave loopback
        for *_, sockaddr in resolve(host, port, type=socket.SOCK_STREAM):
            if sockaddr[0] not in ("127.0.0.1", "::1"):
                raise ConnectionRefusedError(f"test: no traffic to {sockaddr[0]}")
            return real_connect((sockaddr[0], port), *args, **kwargs)
        raise OSError("no address")

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    monkeypatch.setattr(socket, "create_connection", connect)
    url = f"http://{name}:{served.port}/single_item_feed.xml?t=rebind"
    log = pipeline.run([url])[url]
    assert answers[:2] == [public, "127.0.0.1"]  # the rebinding really happened
    assert log["status"] == "failed" and log["error"]["reason"] == "forbidden_address", log.get("error")
    assert not [r for r in served.requests if "t=rebind" in r.path]  # the local server was never reached
