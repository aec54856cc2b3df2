"""The sealed test network (tests/support/netseal.py): even with the address guard switched off, no test
can send a packet beyond loopback or ask a DNS server, in this process or in the ones tests start."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import textwrap
from typing import Any
from urllib.parse import quote

import pytest
from pytest_socket import SocketConnectBlockedError

from jobfeed.settings import Settings
from tests.support import netseal

SEALED_AT_COLLECTION = netseal.is_sealed()  # before any fixture ran: the seal is not a per-test fixture
# pytest-socket's error warns as it is raised; here every block is expected
pytestmark = pytest.mark.filterwarnings("ignore:A test tried to use socket")
INTERNAL = ["10.0.0.1", "169.254.169.254", "192.168.0.1", "fd00::1"]  # the suite's redirect targets and a ULA


@pytest.fixture
def guard_disabled(monkeypatch: pytest.MonkeyPatch) -> None:
    """The address guard broken, as a mutation would break it: every URL and address is allowed."""
    from jobfeed.fetch import client, fetcher

    monkeypatch.setattr(fetcher, "check_url_allowed", lambda url, allow_hosts: None)
    # None means "allow-listed by name: connect to whatever it resolves to" (client.GuardedBackend)
    monkeypatch.setattr(client, "allowed_addresses", lambda host, port, allow_hosts: None)


@pytest.fixture
def listener() -> Any:
    with socket.create_server(("127.0.0.1", 0)) as server:
        yield server


def test_the_seal_holds_before_any_test_runs() -> None:
    assert SEALED_AT_COLLECTION and netseal.is_sealed()
    assert os.environ[netseal.ENV_FLAG] == "1"
    assert os.environ["PYTHONPATH"].split(os.pathsep)[0] == str(netseal.SITE_DIR)


@pytest.mark.parametrize("address", INTERNAL)
def test_connecting_to_an_internal_address_fails_at_the_socket_layer(address: str) -> None:
    with pytest.raises(SocketConnectBlockedError, match=re.escape(f'host "{address}"')):
        socket.create_connection((address, 80), timeout=1)
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock, pytest.raises(SocketConnectBlockedError):
        sock.connect_ex((address, 80))
    with socket.socket(family, socket.SOCK_DGRAM) as sock, pytest.raises(SocketConnectBlockedError):
        sock.sendto(b"x", (address, 53))  # UDP too: no datagram leaves either


@pytest.mark.parametrize("address", INTERNAL)
def test_with_the_guard_disabled_a_fetch_is_stopped_by_the_seal(guard_disabled: None, address: str) -> None:
    from jobfeed.fetch.fetcher import fetch_feed

    host = f"[{address}]" if ":" in address else address
    with pytest.raises(SocketConnectBlockedError, match=re.escape(f'host "{address}"')):
        fetch_feed(f"http://{host}/feed.xml", settings=Settings(fetch_allow_hosts="", http_timeout_s=5))


def test_with_the_guard_disabled_a_redirect_is_stopped_by_the_seal(guard_disabled: None, feed_server: Any) -> None:
    from jobfeed.fetch.fetcher import fetch_feed

    url = feed_server.url("redirect?to=" + quote("http://169.254.169.254/latest/meta-data/", safe=""))
    with pytest.raises(SocketConnectBlockedError, match=re.escape('host "169.254.169.254"')):
        fetch_feed(url, settings=Settings(fetch_allow_hosts="", http_timeout_s=5))
    assert any(r.path.startswith("/redirect?to=") for r in feed_server.requests)  # the first hop was real


@pytest.mark.parametrize("address", ["127.0.0.53", "127.0.0.1", "::1"])
def test_dns_is_refused_on_loopback_too(address: str) -> None:
    # a local stub resolver (systemd-resolved on 127.0.0.53) would forward a query to the real DNS
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock, pytest.raises(SocketConnectBlockedError, match="DNS"):
        sock.sendto(b"query", (address, 53))
    with socket.socket(family, socket.SOCK_STREAM) as sock, pytest.raises(SocketConnectBlockedError, match="DNS"):
        sock.connect((address, 53))


def test_loopback_is_reachable(listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    for host in ("127.0.0.1", "localhost"):  # a test name resolves through the stub
        with socket.create_connection((host, port), timeout=5) as sock:
            assert sock.getpeername() == ("127.0.0.1", port)


def test_connecting_by_name_is_refused(listener: socket.socket) -> None:
    # socket.connect((name, port)) would resolve in C, past the stub resolver: only addresses pass
    with socket.socket() as sock, pytest.raises(SocketConnectBlockedError):
        sock.connect(("localhost", listener.getsockname()[1]))


@pytest.mark.parametrize("name", ["example.com", "nonexistent.invalid", "metadata.google.internal", "EXAMPLE.com."])
def test_names_outside_the_table_fail_without_asking_dns(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    asked: list[tuple[Any, int]] = []
    real = netseal._real["getaddrinfo"]

    def spy(host: Any, port: Any, family: int = 0, type: int = 0, proto: int = 0, flags: int = 0) -> Any:
        asked.append((host, flags))
        return real(host, port, family, type, proto, flags)

    monkeypatch.setitem(netseal._real, "getaddrinfo", spy)
    for lookup in (lambda: socket.getaddrinfo(name, 443), lambda: socket.gethostbyname(name)):
        with pytest.raises(socket.gaierror, match="sealed test network"):
            lookup()
    assert all(flags & socket.AI_NUMERICHOST for _host, flags in asked)  # the C resolver never saw a name
    with pytest.raises(socket.herror):
        socket.gethostbyaddr("93.184.215.14")  # nor a reverse lookup


def test_numeric_hosts_and_test_names_resolve_locally() -> None:
    assert socket.getaddrinfo("2130706433", 80, socket.AF_INET)[0][4] == ("127.0.0.1", 80)
    assert socket.gethostbyname("0x7f.1") == "127.0.0.1"
    assert [info[4][0] for info in socket.getaddrinfo("LocalHost.", 80, type=socket.SOCK_STREAM)] == [
        "127.0.0.1",
        "::1",
    ]
    with netseal.names({"feeds.test": ["93.184.215.14", "::1"]}):
        answers = socket.getaddrinfo("feeds.test", 80, type=socket.SOCK_STREAM)
        assert [info[4][0] for info in answers] == ["93.184.215.14", "::1"]
        assert socket.getaddrinfo("feeds.test", 80, socket.AF_INET6)[0][4][0] == "::1"
        with pytest.raises(SocketConnectBlockedError):  # a name may resolve to a public address, never reach it
            socket.create_connection(("93.184.215.14", 80), timeout=1)
    with pytest.raises(socket.gaierror):
        socket.getaddrinfo("feeds.test", 80)  # the table is restored after the block


SUBPROCESS_PROBE = textwrap.dedent(
    """
    import json, socket, sys
    port = int(sys.argv[1])
    out = {}
    for address in ("10.0.0.1", "169.254.169.254", "192.168.0.1"):
        try:
            socket.create_connection((address, 80), timeout=1)
            out[address] = "connected"
        except OSError as exc:
            out[address] = type(exc).__name__ + ": " + str(exc)
    try:
        socket.getaddrinfo("example.com", 443)
        out["dns"] = "resolved"
    except socket.gaierror as exc:
        out["dns"] = str(exc)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        out["loopback"] = sock.getpeername()[0]
    print(json.dumps(out))
    """
)


def test_python_subprocesses_are_sealed_too(listener: socket.socket) -> None:
    port = str(listener.getsockname()[1])
    probe = [sys.executable, "-c", SUBPROCESS_PROBE, port]
    done = subprocess.run(probe, check=False, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    for address in ("10.0.0.1", "169.254.169.254", "192.168.0.1"):
        assert out[address].startswith("NetworkSealedError: sealed test network"), out
    assert "sealed test network" in out["dns"] and out["loopback"] == "127.0.0.1"
