"""A job's identity and content hash depend on what a feed says, never on how its XML is spelled.

One item (title, link, guid, description, WP Job Manager company/location/job_type, dc:creator,
content:encoded, pubDate) is written out in many spellings: attributes in another order, other
whitespace between elements, other prefixes for the same namespace URIs, CDATA or escaped text.
Every spelling must normalize to the same (source, externalId) and contentHash, indeed the same Job.
"""

from __future__ import annotations

import html
import itertools
from dataclasses import dataclass
from datetime import UTC, datetime

from hypothesis import event, given
from hypothesis import strategies as st

from jobfeed.models import ItemFailure, Job
from jobfeed.pipeline.normalize import normalize_items
from jobfeed.sources import parse_feed
from tests.support.strategies import between, html_text, ns_prefix, url_text, visible_text, word, xml_text

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
FEED_URL = "https://board.example/feed"
NS_CONTENT = "http://purl.org/rss/1.0/modules/content/"
NS_DC = "http://purl.org/dc/elements/1.1/"
NS_ATOM = "http://www.w3.org/2005/Atom"
NS_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
NS_RSS_10 = "http://purl.org/rss/1.0/"
WPJM_URIS = ["https://jobspresso.co", "https://jobicy.com", "urn:x:job"]
DATES = ["Sat, 29 Aug 2026 02:12:12 +0000", "2026-08-29T04:12:12+02:00", "29 Aug 2026", "not a date"]


@dataclass(frozen=True)
class Element:
    """An element: its namespace URI (None: none), local name, attributes, text.

    An attribute key "{URI}name" is in that namespace (written with its prefix, as attributes
    never take the default namespace); any other key is written as it is.
    """

    ns: str | None
    name: str
    attrs: tuple[tuple[str, str], ...] = ()
    text: str = ""


@dataclass(frozen=True)
class Spelling:
    """How to write a document out: none of it may change what the document means."""

    prefixes: dict[str, str]  # namespace URI -> prefix
    doc_default: bool  # the document's own namespace as the default one (xmlns="...") or prefixed
    gaps: list[str]  # whitespace between elements, used in turn
    cdata: list[bool]  # per child: CDATA or escaped text
    reverse_attrs: bool
    reverse_decls: bool


def escape_attr(value: str) -> str:
    return html.escape(value, quote=True).replace("\n", "&#10;").replace("\t", "&#9;")


def text_xml(text: str, cdata: bool) -> str:
    if cdata:  # "]]>" cannot appear inside one CDATA section: split it across two
        return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class Writer:
    """Writes a document of nested root elements holding one item's children, spelled as told."""

    def __init__(self, spelling: Spelling, doc_ns: str | None) -> None:
        self.spelling = spelling
        self.doc_ns = doc_ns
        self.gaps = itertools.cycle(spelling.gaps)

    def tag(self, element: Element) -> str:
        if element.ns is None or (element.ns == self.doc_ns and self.spelling.doc_default):
            return element.name
        return f"{self.spelling.prefixes[element.ns]}:{element.name}"

    def opening(self, element: Element, extra: list[str]) -> str:
        attrs = []
        for key, value in element.attrs:
            name = key
            if key.startswith("{"):
                uri, local = key[1:].split("}")
                name = f"{self.spelling.prefixes[uri]}:{local}"
            attrs.append(f'{name}="{escape_attr(value)}"')
        if self.spelling.reverse_attrs:
            attrs.reverse()
        return "<" + " ".join([self.tag(element), *extra, *attrs]) + ">"

    def declarations(self) -> list[str]:
        decls = []
        for uri, prefix in self.spelling.prefixes.items():
            default = uri == self.doc_ns and self.spelling.doc_default
            decls.append(f'xmlns="{uri}"' if default else f'xmlns:{prefix}="{uri}"')
        return decls[::-1] if self.spelling.reverse_decls else decls

    def write(self, root: list[Element], children: list[Element]) -> bytes:
        parts = ['<?xml version="1.0" encoding="UTF-8"?>', next(self.gaps)]
        for depth, element in enumerate(root):
            parts += [next(self.gaps), self.opening(element, self.declarations() if depth == 0 else [])]
        for index, child in enumerate(children):
            text = text_xml(child.text, self.spelling.cdata[index])
            parts += [next(self.gaps), f"{self.opening(child, [])}{text}</{self.tag(child)}>"]
        for element in reversed(root):
            parts += [next(self.gaps), f"</{self.tag(element)}>"]
        return "".join(parts).encode("utf-8")


@st.composite
def spellings(draw: st.DrawFn, uris: list[str], count: int) -> Spelling:
    prefixes = draw(st.lists(ns_prefix, min_size=len(uris), max_size=len(uris), unique=True))
    return Spelling(
        prefixes=dict(zip(uris, prefixes, strict=True)),
        doc_default=draw(st.booleans()),
        gaps=draw(st.lists(between, min_size=1, max_size=5)),
        cdata=draw(st.lists(st.booleans(), min_size=count, max_size=count)),
        reverse_attrs=draw(st.booleans()),
        reverse_decls=draw(st.booleans()),
    )


def outcome(body: bytes) -> Job | ItemFailure:
    result = normalize_items(parse_feed(body), FEED_URL, now=NOW, raise_unexpected=True)
    assert result.total == 1
    return (result.jobs or result.failures)[0]


def assert_same(first: Job | ItemFailure, second: Job | ItemFailure) -> None:
    if isinstance(first, Job):
        assert isinstance(second, Job), second
        assert second.key == first.key
        assert second.contentHash == first.contentHash
        assert second == first
    else:
        assert second == first  # the same failure: reason, message and item key


def check_spellings(
    data: st.DataObject, doc_ns: str | None, uris: list[str], root: list[Element], children: list[Element]
) -> None:
    """Two spellings of one document normalize to the same outcome."""
    first, second = (data.draw(spellings(uris, len(children))) for _ in range(2))
    body_one = Writer(first, doc_ns).write(root, children)
    body_two = Writer(second, doc_ns).write(root, children)
    result = outcome(body_one)
    event("a job" if isinstance(result, Job) else f"failure: {result.message}")  # not all failures, we hope
    assert_same(result, outcome(body_two))


# --- RSS 2.0 with WP Job Manager, dc and content; RSS 1.0 -------------------------------------


@st.composite
def rss_children(draw: st.DrawFn, wpjm: str, rss_ns: str | None) -> list[Element]:
    """An RSS item's elements (RSS 2.0: no namespace; RSS 1.0: its own), in a drawn order."""
    guid_attrs = draw(st.sampled_from([(), (("isPermaLink", "false"),), (("isPermaLink", "true"), ("data-x", "1"))]))
    identities = [
        Element(rss_ns, "link", (), draw(url_text)),
        Element(rss_ns, "guid", guid_attrs, draw(url_text | word)),
        Element(NS_ATOM, "link", (("href", draw(url_text)), ("rel", "alternate"))),  # RSS 2.0 without <link>
    ]
    optional = [
        Element(rss_ns, "description", (), draw(html_text)),
        Element(NS_CONTENT, "encoded", (), draw(html_text)),
        Element(wpjm, "company", (), draw(visible_text)),
        Element(wpjm, "location", (), draw(visible_text)),
        Element(wpjm, "job_type", (), draw(xml_text)),
        Element(NS_DC, "creator", (), draw(st.builds(lambda c, loc: f"{c}<br>⚲&nbsp;{loc}", word, word))),
        Element(rss_ns, "category", (("domain", "jobs"),), draw(xml_text)),
        Element(rss_ns, "pubDate", (), draw(st.sampled_from(DATES))),
        Element(NS_DC, "date", (), draw(st.sampled_from(DATES))),
    ]
    # At least one identity mostly: an item without one fails, and both spellings must fail alike.
    chosen = draw(st.lists(st.sampled_from(identities), unique=True, min_size=draw(st.sampled_from([0, 1, 1, 1]))))
    chosen += draw(st.lists(st.sampled_from(optional), unique=True, max_size=len(optional)))
    title = Element(rss_ns, "title", (("xml:lang", "en"), ("type", "text")), draw(visible_text | xml_text))
    return draw(st.permutations([title, *chosen]))


@given(data=st.data(), wpjm=st.sampled_from(WPJM_URIS))
def test_rss_identity_and_hash_ignore_spelling(data: st.DataObject, wpjm: str) -> None:
    children = data.draw(rss_children(wpjm, None))
    root = [Element(None, "rss", (("version", "2.0"),)), Element(None, "channel"), Element(None, "item")]
    check_spellings(data, None, [NS_CONTENT, NS_DC, NS_ATOM, wpjm], root, children)


@given(data=st.data(), wpjm=st.sampled_from(WPJM_URIS), about=url_text)
def test_rdf_identity_and_hash_ignore_spelling(data: st.DataObject, wpjm: str, about: str) -> None:
    children = data.draw(rss_children(wpjm, NS_RSS_10))
    root = [Element(NS_RDF, "RDF"), Element(NS_RSS_10, "item", ((f"{{{NS_RDF}}}about", about),))]
    check_spellings(data, NS_RSS_10, [NS_RSS_10, NS_RDF, NS_CONTENT, NS_DC, NS_ATOM, wpjm], root, children)


# --- Atom, with WP Job Manager elements in entries --------------------------------------------


@st.composite
def atom_children(draw: st.DrawFn, wpjm: str) -> list[Element]:
    link_attrs = (("href", draw(url_text)), ("rel", "alternate"), ("type", "text/html"))
    identities = [Element(NS_ATOM, "id", (), draw(url_text | word)), Element(NS_ATOM, "link", link_attrs)]
    optional = [
        Element(NS_ATOM, "content", (("type", "html"), ("xml:lang", "en")), draw(html_text)),
        Element(NS_ATOM, "summary", (("type", "html"),), draw(html_text)),
        Element(wpjm, "company", (), draw(visible_text)),
        Element(wpjm, "location", (), draw(visible_text)),
        Element(wpjm, "job_type", (), draw(xml_text)),
        Element(NS_ATOM, "published", (), draw(st.sampled_from(["2026-08-29T02:12:12Z", "2026-08-29", "x"]))),
    ]
    chosen = draw(st.lists(st.sampled_from(identities), unique=True, min_size=draw(st.sampled_from([0, 1, 1, 1]))))
    chosen += draw(st.lists(st.sampled_from(optional), unique=True, max_size=len(optional)))
    title = Element(NS_ATOM, "title", (("type", "text"),), draw(visible_text | xml_text))
    return draw(st.permutations([title, *chosen]))


@given(data=st.data(), wpjm=st.sampled_from(WPJM_URIS))
def test_atom_identity_and_hash_ignore_spelling(data: st.DataObject, wpjm: str) -> None:
    children = data.draw(atom_children(wpjm))
    root = [Element(NS_ATOM, "feed"), Element(NS_ATOM, "entry")]
    check_spellings(data, NS_ATOM, [NS_ATOM, wpjm], root, children)
