"""The sealed test network: a test process can reach loopback only, and never asks a DNS server.

Installed once per process, before anything opens a socket, and never lifted. Sockets may connect
or send only to IP literals in 127.0.0.0/8 and ::1 (never to port 53); the resolver functions answer
IP literals and the test names in a table, and fail every other name as unknown. Installed:
- in the pytest process by tests/conftest.py (at import, so collection, session fixtures and the
  threads they start are sealed too, not only the test bodies);
- in every Python process the tests start, through tests/support/netseal_site/sitecustomize.py,
  which `seal_subprocesses()` puts on PYTHONPATH together with the JOBFEED_TEST_NETSEAL flag.
  Non-Python processes cannot be sealed this way: redis-server binds 127.0.0.1 and connects nowhere;
  the browser tests' chromium runs with --disable-background-networking (its own flags, not this seal).

Why not pytest-socket's `--allow-hosts` alone: it guards only `socket.connect()`, only from each
test's setup to its teardown (session fixtures and background threads run unguarded between tests),
and resolves allow-listed names with the real resolver. The in-process seal raises pytest-socket's
`SocketConnectBlockedError`, a RuntimeError, so a blocked connection fails the test loudly instead of
being handled as an ordinary network error. In a subprocess (no pytest there) it raises
`NetworkSealedError`, an OSError, so the process behaves as on a machine without a network.

This module is stdlib-only: sitecustomize loads it by path into every interpreter the tests start.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import socket
from collections.abc import Callable, Iterator, Mapping, MutableMapping, Sequence
from pathlib import Path
from typing import Any

ENV_FLAG = "JOBFEED_TEST_NETSEAL"  # "1" in a subprocess's environment: seal it at interpreter start
SITE_DIR = Path(__file__).resolve().parent / "netseal_site"  # holds only sitecustomize.py
ALLOWED_NETWORKS = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))
ALLOWED = [str(net) for net in ALLOWED_NETWORKS]
# The names tests use and what they resolve to; anything else fails like NXDOMAIN. "localhost" is
# IPv4 first: every local server binds 127.0.0.1 only (jobfeed/stack/procs.py).
DEFAULT_NAMES: dict[str, tuple[str, ...]] = {"localhost": ("127.0.0.1", "::1")}

_names: dict[str, tuple[str, ...]] = dict(DEFAULT_NAMES)
_real: dict[str, Any] = {}  # the stdlib functions the seal replaced, by name
_IP_FAMILIES = (socket.AF_INET, socket.AF_INET6)
# DNS over sockets (dnspython, which pymongo uses for mongodb+srv:// lookups, skips getaddrinfo) is
# refused on loopback too: a local stub resolver (systemd-resolved on 127.0.0.53) forwards to the real one.
DNS_PORT = 53


class NetworkSealedError(PermissionError):
    """A connection or datagram to an address outside loopback, refused before it left the process."""

    def __init__(self, allowed: list[str], host: object) -> None:
        super().__init__(f"sealed test network: no connection to {host!r} (allowed: {','.join(allowed)})")


BlockedError = Callable[[list[str], object], BaseException]  # (allowed, host) -> the exception to raise


def is_sealed() -> bool:
    """True once this process is sealed."""
    return bool(_real)


def allowed_address(host: object) -> bool:
    """True when host is an IP literal inside loopback (a name is never allowed: connecting by name
    would make the C library resolve it, past the stubbed resolver)."""
    if not isinstance(host, str):
        return False
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return any(address in net for net in ALLOWED_NETWORKS if net.version == address.version)


def seal(blocked: BlockedError = NetworkSealedError) -> None:
    """Seal this process: loopback-only sockets and the stub resolver. Idempotent."""
    if _real:
        return
    cls = socket.socket
    _real.update(
        connect=cls.connect, connect_ex=cls.connect_ex, sendto=cls.sendto, sendmsg=cls.sendmsg,
        getaddrinfo=socket.getaddrinfo, gethostbyname=socket.gethostbyname,
        gethostbyname_ex=socket.gethostbyname_ex, gethostbyaddr=socket.gethostbyaddr, getnameinfo=socket.getnameinfo,
    )  # fmt: skip

    def check(sock: socket.socket, address: Any) -> None:
        if sock.family not in _IP_FAMILIES:
            return  # AF_UNIX and the like never leave the machine
        host, port = (address[0], address[1]) if isinstance(address, tuple) else (address, None)
        if not allowed_address(host) or port == DNS_PORT:
            sock.close()  # the blocked error may not be an OSError: callers' cleanup would not close it
            raise blocked(ALLOWED, host if port != DNS_PORT else f"{host}:{port} (DNS)")

    def connect(self: socket.socket, address: Any) -> None:
        check(self, address)
        _real["connect"](self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        check(self, address)
        return int(_real["connect_ex"](self, address))

    def sendto(self: socket.socket, data: Any, *args: Any) -> int:
        check(self, args[-1])  # sendto(data, address) or sendto(data, flags, address)
        return int(_real["sendto"](self, data, *args))

    def sendmsg(self: socket.socket, buffers: Any, *args: Any) -> int:
        if len(args) >= 3 and args[2] is not None:  # (ancdata, flags, address): only then is it addressed
            check(self, args[2])
        return int(_real["sendmsg"](self, buffers, *args))

    cls.connect = connect  # type: ignore[method-assign,assignment]
    cls.connect_ex = connect_ex  # type: ignore[method-assign,assignment]
    cls.sendto = sendto  # type: ignore[method-assign,assignment]
    cls.sendmsg = sendmsg  # type: ignore[method-assign,assignment]
    socket.getaddrinfo = _getaddrinfo
    socket.gethostbyname = _gethostbyname
    socket.gethostbyname_ex = _gethostbyname_ex
    socket.gethostbyaddr = _gethostbyaddr
    socket.getnameinfo = _getnameinfo


@contextlib.contextmanager
def names(table: Mapping[str, Sequence[str]]) -> Iterator[None]:
    """Let the stub resolver answer these names with these addresses (any, even public ones: the
    socket seal still refuses to connect to them) for the duration of the block."""
    saved = dict(_names)
    _names.update({_key(name): tuple(addresses) for name, addresses in table.items()})
    try:
        yield
    finally:
        _names.clear()
        _names.update(saved)


def seal_subprocesses(environ: MutableMapping[str, str]) -> None:
    """Make Python processes started with this environment seal themselves at start (sitecustomize)."""
    environ[ENV_FLAG] = "1"
    path = [p for p in environ.get("PYTHONPATH", "").split(os.pathsep) if p and p != str(SITE_DIR)]
    environ["PYTHONPATH"] = os.pathsep.join([str(SITE_DIR), *path])


# --- the stub resolver ------------------------------------------------------------------------------


def _key(host: str) -> str:
    return host.rstrip(".").lower()


def _no_such_name(host: object) -> socket.gaierror:
    return socket.gaierror(socket.EAI_NONAME, f"sealed test network: no DNS, and {host!r} is not a test name")


def _getaddrinfo(host: Any, port: Any, family: int = 0, type: int = 0, proto: int = 0, flags: int = 0) -> Any:
    """IP literals (and None) as the real getaddrinfo answers them, without DNS (AI_NUMERICHOST);
    test names from the table; everything else fails as an unknown name would."""
    real = _real["getaddrinfo"]
    text = host.decode() if isinstance(host, bytes) else host
    if text is None:
        return real(host, port, family, type, proto, flags)
    try:
        return real(host, port, family, type, proto, flags | socket.AI_NUMERICHOST)
    except socket.gaierror:
        if _is_ip_literal(str(text)):
            raise  # an address of another family than asked for: the real answer
    addresses = _names.get(_key(str(text)))
    if addresses is None:
        raise _no_such_name(text)
    result = [info for address in addresses for info in _answer(address, port, family, type, proto)]
    if not result:
        raise socket.gaierror(socket.EAI_NONAME, f"sealed test network: {text!r} has no address of this family")
    return result


def _answer(address: str, port: Any, family: int, type: int, proto: int) -> list[tuple[Any, ...]]:
    """getaddrinfo's entries for one table address, built by hand: a scoped address ("fe80::1%eth0")
    must not depend on this machine having that interface."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    fam = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
    if family not in (0, socket.AF_UNSPEC, fam):
        return []
    number = 0 if port is None else int(port) if str(port).isdigit() else socket.getservbyname(str(port))
    sockaddr = (address, number, 0, 0) if fam == socket.AF_INET6 else (address, number)
    protocols: dict[int, int] = {socket.SOCK_STREAM: socket.IPPROTO_TCP, socket.SOCK_DGRAM: socket.IPPROTO_UDP}
    kinds = [type] if type else list(protocols)
    return [(fam, kind, proto or protocols.get(kind, 0), "", sockaddr) for kind in kinds]


def _is_ip_literal(text: str) -> bool:
    try:
        ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return False
    return True


def _gethostbyname(host: str) -> str:
    return str(_getaddrinfo(host, None, socket.AF_INET)[0][4][0])


def _gethostbyname_ex(host: str) -> tuple[str, list[str], list[str]]:
    addresses = list(dict.fromkeys(str(info[4][0]) for info in _getaddrinfo(host, None, socket.AF_INET)))
    return host, [], addresses


def _gethostbyaddr(address: str) -> tuple[str, list[str], list[str]]:
    """Reverse lookups never go to DNS: loopback is "localhost", anything else is unknown
    (socket.getfqdn() then falls back to the name it was given)."""
    if allowed_address(address):
        return "localhost", [], [address]
    raise socket.herror(1, f"sealed test network: no reverse lookup of {address!r}")


def _getnameinfo(sockaddr: Any, flags: int) -> tuple[str, str]:
    host, port = _real["getnameinfo"](sockaddr, flags | socket.NI_NUMERICHOST)
    return str(host), str(port)
