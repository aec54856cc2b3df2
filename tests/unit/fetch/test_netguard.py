"""The address guard: internal addresses are refused before any connection, unless allow-listed."""

from __future__ import annotations

import ipaddress

import pytest

from jobfeed.fetch.netguard import check_url_allowed, forbidden_reason
from jobfeed.reasons import FailureReason, FeedError
from tests.support import netseal


def reason_for(url: str, allow: tuple[str, ...] = ()) -> FailureReason | None:
    try:
        check_url_allowed(url, allow)
    except FeedError as exc:
        return exc.reason
    return None


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/feed",
        "http://127.8.9.10:8080/feed",
        "http://localhost/feed",  # answered by the sealed network's stub resolver (tests/support/netseal.py)
        "http://10.0.0.1/",
        "http://172.16.5.4/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata
        "http://100.64.0.1/",  # carrier-grade NAT: not global
        "http://0.0.0.0/",
        "http://224.0.0.1/",
        "http://240.0.0.1/",  # reserved
        "http://255.255.255.255/",
        "http://[::1]/",
        "http://[::]/",
        "http://[fe80::1]/",
        "http://[fc00::1]/",
        "http://[fd12:3456::1]/",
        "http://[ff02::1]/",
        "http://[::ffff:127.0.0.1]/",  # IPv4-mapped IPv6
        "http://[::ffff:169.254.169.254]/",
        "http://[2002:a00:1::]/",  # 6to4 wrapping 10.0.0.1
        "http://[64:ff9b::a00:1]/",  # NAT64 wrapping 10.0.0.1
        "http://2130706433/",  # 127.0.0.1 as one decimal number (resolves via inet_aton)
        "http://0x7f.1/",
    ],
)
def test_internal_addresses_are_forbidden(url: str) -> None:
    assert reason_for(url) is FailureReason.FORBIDDEN_ADDRESS


@pytest.mark.parametrize("url", ["http://93.184.215.14/feed", "https://[2606:4700::6810:1]/", "http://8.8.8.8:8080/x"])
def test_public_addresses_pass(url: str) -> None:
    assert reason_for(url) is None


@pytest.mark.parametrize(
    "url",
    [
        "ftp://93.184.215.14/feed",
        "file:///etc/passwd",
        "gopher://127.0.0.1:6379/_INFO",
        "javascript:alert(1)",
        "//x.test/",
    ],
)
def test_only_http_and_https(url: str) -> None:
    with pytest.raises(FeedError) as info:
        check_url_allowed(url, ("127.0.0.1", "0.0.0.0/0"))  # the allow-list never widens the schemes
    assert info.value.reason is FailureReason.FORBIDDEN_ADDRESS


@pytest.mark.parametrize("url", ["http://", "http:///feed", "http://[::1/", "http://x.test:notaport/"])
def test_malformed_urls_are_refused(url: str) -> None:
    assert reason_for(url) is FailureReason.FORBIDDEN_ADDRESS


@pytest.mark.parametrize(
    ("url", "allow"),
    [
        ("http://127.0.0.1:8000/feed", ("127.0.0.1",)),
        ("http://127.0.0.5/feed", ("127.0.0.0/8",)),
        ("http://10.1.2.3/", ("10.0.0.0/8",)),
        ("http://localhost/feed", ("localhost",)),
        ("http://LocalHost./feed", ("localhost",)),  # case and the trailing root dot do not matter
        ("http://[::1]/", ("::1",)),
        ("http://[::1]/", ("[::1]",)),
        ("http://[fd00::5]/", ("fd00::/8",)),
    ],
)
def test_allow_list_admits_hosts_and_cidrs(url: str, allow: tuple[str, ...]) -> None:
    assert reason_for(url, allow) is None


def test_allow_list_is_exact() -> None:
    assert reason_for("http://127.0.0.2/", ("127.0.0.1",)) is FailureReason.FORBIDDEN_ADDRESS
    assert reason_for("http://10.0.0.1/", ("127.0.0.1", "localhost")) is FailureReason.FORBIDDEN_ADDRESS
    assert reason_for("http://169.254.169.254/", ("10.0.0.0/8",)) is FailureReason.FORBIDDEN_ADDRESS


def test_message_names_host_kind_and_the_setting_that_allows_it() -> None:
    with pytest.raises(FeedError) as info:
        check_url_allowed("http://169.254.169.254/latest", ())
    assert info.value.message == (
        "169.254.169.254 is a link-local address; to fetch it anyway, add 169.254.169.254 to FETCH_ALLOW_HOSTS"
    )
    with pytest.raises(FeedError) as info:
        check_url_allowed("http://localhost:8765/feed.xml", ())
    assert info.value.message.startswith("localhost (")
    assert info.value.message.endswith("is a loopback address; to fetch it anyway, add localhost to FETCH_ALLOW_HOSTS")


def test_unresolvable_host_is_a_dns_error() -> None:
    with pytest.raises(FeedError) as info:  # the stub resolver knows no such name; no DNS server is asked
        check_url_allowed("http://nonexistent.invalid/feed", ())
    assert info.value.reason is FailureReason.DNS_ERROR
    assert "nonexistent.invalid" in info.value.message


def test_every_resolved_address_is_checked() -> None:
    # answered by the sealed network's stub resolver (tests/support/netseal.py): no DNS server is asked
    table = {
        "public.test": ["93.184.215.14", "2606:4700::6810:1"],
        "mixed.test": ["93.184.215.14", "10.0.0.7"],  # one internal address is enough to refuse
        "mapped.test": ["::ffff:192.168.0.1"],
        "scoped.test": ["fe80::1%eth0"],
    }
    with netseal.names(table):
        assert reason_for("https://public.test/feed") is None
        assert reason_for("https://mixed.test/feed") is FailureReason.FORBIDDEN_ADDRESS
        assert reason_for("https://mixed.test/feed", ("10.0.0.0/8",)) is None
        assert reason_for("https://mapped.test/feed") is FailureReason.FORBIDDEN_ADDRESS
        assert reason_for("https://scoped.test/feed") is FailureReason.FORBIDDEN_ADDRESS
        assert reason_for("https://mixed.test/feed", ("mixed.test",)) is None  # a name entry trusts the name


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("127.0.0.1", "loopback"),
        ("10.1.1.1", "private"),
        ("169.254.169.254", "link-local"),
        ("0.0.0.0", "unspecified"),
        ("239.1.1.1", "multicast"),
        ("100.64.1.1", "non-global"),
        ("::ffff:10.0.0.1", "private"),
        ("8.8.8.8", None),
        ("2606:4700::6810:1", None),
    ],
)
def test_forbidden_reason(address: str, expected: str | None) -> None:
    assert forbidden_reason(ipaddress.ip_address(address)) == expected
