"""jobfeed.sources.outline: the item element of each format, and the namespaces a body's root declares."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobfeed.models import FeedFormat
from jobfeed.sources.outline import HEAD_BYTES, declared_namespaces, item_element, root_namespaces
from tests.support.feeds import load, rss

DC = "http://purl.org/dc/elements/1.1/"


@pytest.mark.parametrize(
    ("format", "element"),
    [(FeedFormat.RSS, "item"), (FeedFormat.RDF, "item"), (FeedFormat.ATOM, "entry"), (FeedFormat.INDEED_XML, "job"),
     (FeedFormat.PERSONIO, "position"), (FeedFormat.JOBICY_JSON, None), (FeedFormat.GREENHOUSE, None)],
)  # fmt: skip
def test_item_element_of_each_format(format: FeedFormat, element: str | None) -> None:
    assert item_element(format) == element


def test_namespaces_declared_on_the_root_only(tmp_path: Path) -> None:
    body = rss('<item xmlns:x="https://item-level.example"><title>t</title></item>',
               ns=f'xmlns:dc="{DC}" xmlns:job_listing="https://board.example" xmlns="https://default.example"')  # fmt: skip
    assert root_namespaces(body, "utf-8") == (DC, "https://board.example", "https://default.example")
    path = tmp_path / "body.xml"
    path.write_bytes(body)
    assert root_namespaces(path, "utf-8") == root_namespaces(body, "utf-8")  # a spooled body reads the same


@pytest.mark.parametrize(
    ("body", "codec"),
    [(b"\xef\xbb\xbf" + rss("", ns=f'xmlns:dc="{DC}"', decl='<?xml version="1.0"?>\n  <!-- a comment -->'), "utf-8"),
     (rss("", ns=f'xmlns:dc="{DC}"', decl='<?xml version="1.0" encoding="UTF-16"?>', encoding="utf-16"), "utf-16"),
     (rss("", ns=f'xmlns:dc="{DC}"', decl='<?xml version="1.0" encoding="windows-1252"?>', encoding="cp1252"),
      "cp1252")],
    ids=["bom-and-comment", "utf-16", "windows-1252"],
)  # fmt: skip
def test_namespaces_whatever_the_encoding(body: bytes, codec: str) -> None:
    assert root_namespaces(body, codec) == (DC,)


def test_no_namespaces_when_the_root_cannot_be_read() -> None:
    assert root_namespaces(load("xxe_bomb.xml"), "utf-8") is None  # a DOCTYPE is refused, as everywhere
    assert root_namespaces(b"<rss><channel>", "utf-8") == ()  # a root without declarations
    assert root_namespaces(b"<!-- " + b"x" * HEAD_BYTES + b" --><rss/>", "utf-8") is None  # root beyond the head
    assert root_namespaces(b"<a:rss>", "utf-8") is None  # an undeclared prefix on the root
    assert declared_namespaces(b"{}", FeedFormat.JOBICY_JSON, "utf-8") == ()  # JSON has none
