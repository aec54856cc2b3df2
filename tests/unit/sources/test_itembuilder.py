"""ItemBuilder against xmltodict itself: the same (name, value) pairs, key order included.

Every case runs the xmltodict call jobfeed used before ItemBuilder (the reference below) and the
builder on a SafeExpat parser, on the same input, and compares the outcomes: the list of
(local name, value) pairs, or the exception when the document is refused or malformed. At the end,
stream_elements itself with its benchmark switch (JOBFEED_XML_BUILDER=xmltodict, xmltodict's own
streaming mode) against its default (ItemBuilder): the same values, refusals and restarts.
"""

from __future__ import annotations

import gc
import json
import random
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from xml.parsers import expat

import pytest
import xmltodict  # type: ignore[import-untyped]

from jobfeed.reasons import FailureReason, FeedError
from jobfeed.sources import safeexpat, xmlsafe
from jobfeed.sources.atom import ATOM
from jobfeed.sources.itembuilder import ItemBuilder
from jobfeed.sources.namespaces import namespace_map, prefix_postprocessor
from jobfeed.sources.rdf import RDF
from jobfeed.sources.rss import RSS
from jobfeed.sources.safeexpat import ForbiddenMarkupError, SafeExpat
from tests.support.feeds import rss

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "feeds"  # see PROVENANCE.md there
REAL = [FIXTURES / "jobspresso_wpjm_job_feed.xml", FIXTURES / "weworkremotely_opencruit_feed.xml"]  # captured feeds

Pairs = list[tuple[str, Any]]
Setting = tuple[int, frozenset[str], Mapping[str, str] | None]  # depth, wanted, namespaces

# Each format's production settings, with namespace processing and without it (the fallback
# stream_elements uses for a feed with an undeclared prefix).
SETTINGS: dict[str, Setting] = {}
for _label, _dialect in (("rss", RSS), ("atom", ATOM), ("rdf", RDF)):
    SETTINGS[f"{_label}-ns"] = (_dialect.depth, _dialect.wanted, _dialect.namespaces)
    SETTINGS[f"{_label}-no-ns"] = (_dialect.depth, _dialect.wanted, None)


# --- The two implementations -----------------------------------------------------------------


def xmltodict_pairs(data: bytes | str, encoding: str | None, setting: Setting) -> Pairs:
    """The reference: xmlsafe._run as it was when it drove xmltodict (commit 5f35c45), verbatim."""
    depth, wanted, namespaces = setting
    found: Pairs = []

    def on_element(path: list[tuple[str, Any]], value: Any) -> bool:
        name = path[-1][0]
        name = name[name.rfind(":") + 1 :]
        if name in wanted:
            found.append((name, value))
        return True

    xmltodict.parse(
        data,
        encoding=encoding,
        expat=SafeExpat,
        process_namespaces=namespaces is not None,
        namespaces=namespaces,
        postprocessor=None if namespaces is not None else prefix_postprocessor,
        disable_entities=False,
        item_depth=depth,
        item_callback=on_element,
    )
    return found


def builder_pairs(
    data: bytes | str,
    encoding: str | None,
    setting: Setting,
    *,
    chunk: int | None = None,
    on_element: Callable[[str, Any], None] | None = None,
) -> Pairs:
    """ItemBuilder on a SafeExpat parser: the whole input at once, or `chunk` bytes per Parse."""
    depth, wanted, namespaces = setting
    found: Pairs = []
    parser = SafeExpat.ParserCreate(encoding, ":" if namespaces is not None else None)
    ItemBuilder(
        depth=depth,
        wanted=wanted,
        namespaces=namespaces,
        on_element=on_element or (lambda name, value: found.append((name, value))),
    ).attach(parser)
    if chunk is None:
        parser.Parse(data, True)
    else:
        for start in range(0, len(data), chunk):
            parser.Parse(data[start : start + chunk], False)
        parser.Parse(data[:0], True)
    return found


def outcome(run: Callable[[], Pairs]) -> tuple[Any, ...]:
    """("ok", pairs, pairs as JSON) or ("raised", type, expat code, line, column)."""
    try:
        pairs = run()
    except ForbiddenMarkupError:
        return ("raised", ForbiddenMarkupError, None, None, None)
    except expat.ExpatError as exc:
        return ("raised", expat.ExpatError, exc.code, exc.lineno, exc.offset)
    # json.dumps keeps dict order, which == ignores: it catches a key-order difference.
    return ("ok", pairs, json.dumps(pairs, ensure_ascii=False))


def assert_same(data: bytes | str, encoding: str | None, setting: Setting, **options: Any) -> Any:
    expected = outcome(lambda: xmltodict_pairs(data, encoding, setting))
    actual = outcome(lambda: builder_pairs(data, encoding, setting, **options))
    assert actual == expected
    return expected


def prepared(body: bytes) -> tuple[bytes | str, str]:
    """The body as stream_elements hands it to expat: re-encoded, control characters removed."""
    chunks, encoding = xmlsafe.prepared_chunks(body, xmlsafe.detect_encoding(body))
    pieces = list(chunks)
    empty = b"" if isinstance(pieces[0], bytes) else ""
    return empty.join(pieces), encoding  # type: ignore[arg-type]


# --- Every real feed and every fixture, under every format's settings -------------------------

FILES = [
    *sorted(FIXTURES.glob("*.xml")),  # the JSON fixtures are not XML
    FIXTURES / "blocked_challenge.html",  # what a blocked fetch returns instead of a feed
]
# Deliberately hostile or broken inputs are compared too: both implementations must raise the same
# exception (same expat error code and position). Nothing is skipped. These must raise under every
# setting when given prepared input (checked below, so the comparison is never vacuous):
REJECTED = {
    "xxe_bomb.xml": ForbiddenMarkupError,
    "xxe_file.xml": ForbiddenMarkupError,
    "truncated_feed.xml": expat.ExpatError,
    "blocked_challenge.html": ForbiddenMarkupError,  # it starts with <!DOCTYPE html>
}


@pytest.mark.parametrize("setting", SETTINGS.values(), ids=SETTINGS.keys())
@pytest.mark.parametrize("path", FILES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_files_prepared_as_in_production(path: Path, setting: Setting) -> None:
    result = assert_same(*prepared(path.read_bytes()), setting)
    if path.name in REJECTED:
        assert result[:2] == ("raised", REJECTED[path.name])
    else:
        assert result[0] == "ok"


@pytest.mark.parametrize("setting", SETTINGS.values(), ids=SETTINGS.keys())
@pytest.mark.parametrize("path", FILES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_files_as_raw_bytes(path: Path, setting: Setting) -> None:
    # No preparation: expat decodes (or rejects, e.g. control characters, windows-1252) by itself.
    assert_same(path.read_bytes(), None, setting)


@pytest.mark.parametrize("path", REAL, ids=lambda path: path.name)
@pytest.mark.parametrize("setting", SETTINGS.values(), ids=SETTINGS.keys())
def test_real_feeds_fed_in_7_byte_chunks(path: Path, setting: Setting) -> None:
    data, encoding = prepared(path.read_bytes())
    assert_same(data, encoding, setting, chunk=7)


@pytest.mark.parametrize(
    ("name", "items", "title"),
    [
        ("jobspresso_wpjm_job_feed.xml", 3, "Jobs Archive | Jobspresso"),
        (
            "weworkremotely_opencruit_feed.xml",
            5,
            "We Work Remotely: Remote jobs in design, programming, marketing and more",
        ),
    ],
)
def test_real_feeds_give_their_items(name: str, items: int, title: str) -> None:
    # The differential tests above would also pass if both found nothing: pin what they find.
    data, encoding = prepared((FIXTURES / name).read_bytes())
    pairs = builder_pairs(data, encoding, SETTINGS["rss-ns"])
    assert pairs[0] == ("title", title)
    assert [name for name, _ in pairs[1:]] == ["item"] * items
    assert all(isinstance(value, dict) and value.get("link") for _, value in pairs[1:])


# --- Synthetic edge cases ----------------------------------------------------------------------

NAMESPACES = (
    'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:media="http://search.yahoo.com/mrss/" '
    'xmlns:job_listing="https://board.example" xmlns:foo="urn:foo"'
)


EDGE_CASES = {
    "repeated elements become a list": "<item><c>a</c><c>b</c><d>x</d><c>c</c></item>",
    "repeated dict and text": '<item><c>a</c><c k="v">b</c><c/></item>',
    "attribute on a child": '<item><guid isPermaLink="false">x</guid></item>',
    "namespaced attributes": '<item><e job_listing:kind="k" media:type="t" url="u"/></item>',
    "attributes colliding after prefixes go": '<item><e a="1" foo:a="2" job_listing:a="3"/></item>',
    "xml:lang": '<item xml:lang="en"><title xml:lang="fr">t</title></item>',
    "only attributes": '<item><link href="h" rel="alternate"/></item>',
    "empty elements": "<item><a/><b></b><c> </c><d><![CDATA[]]></d></item>",
    "empty items": "<item/><item></item><item>\n  \t</item>",
    "whitespace-only text": "<item><a>  \n\t </a><b>\u00a0\u2003</b><c> x </c></item>",
    "mixed content": "<item><d>a<b>x</b>c</d><e> a <b/> </e></item>",
    "text of the item itself": "<item>lead<b>x</b>tail</item><item a='1'>t</item><item> t </item>",
    "nested deeper than the item": "<item><a><b><c>deep</c><c>er</c></b><b/></a><a>2</a></item>",
    "cdata next to text": "<item><d>before <![CDATA[<b>in</b>]]> after</d>"
    "<e><![CDATA[  ]]></e><f>&lt;<![CDATA[x]]><![CDATA[y]]></f></item>",
    "entities and character references": "<item><t>A &amp; B &lt;c&gt; &#8217; &#x1F600; "
    "&quot;&apos;</t><u a='&amp;&#10;x&#9;y  z'/></item>",
    "unknown and known namespaces": "<item><job_listing:location>L</job_listing:location>"
    "<content:encoded><![CDATA[<p>x</p>]]></content:encoded><dc:creator>C</dc:creator>"
    '<media:content url="u" medium="image"><media:title>m</media:title></media:content>'
    "<foo:location>F</foo:location></item>",
    "a child named like the item": "<item><item>inner</item><title>t</title><item/></item>",
    "unicode text": "<item><title>Café – 東京 🚀 Ωmega</title><Straße>ß</Straße></item>",
    "comments and processing instructions": "<item><!-- c --><a>1<!-- x -->2</a><?pi d?></item>",
    "attribute and child of the same name": '<item><a b="1"><b>2</b><b>3</b>4</a></item>',
    "declarations inside the item": '<item xmlns:x="urn:x"><x:a>1</x:a><b xmlns="urn:d">2</b>'
    '<c xmlns="">3</c><d xmlns:dc="urn:not-dc"><dc:e>4</dc:e></d></item>',
    "declarations on unwanted elements do not leak": '<image xmlns:y="urn:y"><y:url>u</y:url>'
    '<title xmlns:z="urn:z">i</title></image><item><a>1</a></item>',
    "wanted names at other depths": "<foo><item>x</item></foo><item><a>1</a></item>",
    "attributes on the channel title": '<title type="html">Second</title>',
    "a big text split by expat's buffer": "<item><d> " + "x&amp;y " * 30000 + " </d></item>",
}
ROOTS = {
    "default namespace": ('xmlns="urn:default" ' + NAMESPACES, "<item><a>1</a></item>"),
    "undeclared prefix": (NAMESPACES, "<item><nope:a>1</nope:a></item>"),  # ns mode: both raise
    "known prefix on another URI": ('xmlns:dc="urn:x"', "<item><dc:creator>c</dc:creator></item>"),
}
DOCUMENTS = {name: rss(channel, ns=NAMESPACES) for name, channel in EDGE_CASES.items()} | {
    name: rss(channel, ns=root) for name, (root, channel) in ROOTS.items()
}


@pytest.mark.parametrize("setting", SETTINGS.values(), ids=SETTINGS.keys())
@pytest.mark.parametrize("document", DOCUMENTS.values(), ids=DOCUMENTS.keys())
def test_edge_cases(document: bytes, setting: Setting) -> None:
    assert_same(document, "utf-8", setting)


@pytest.mark.parametrize("setting", SETTINGS.values(), ids=SETTINGS.keys())
@pytest.mark.parametrize("document", DOCUMENTS.values(), ids=DOCUMENTS.keys())
def test_edge_cases_fed_in_7_byte_chunks(document: bytes, setting: Setting) -> None:
    # Text, CDATA and multi-byte characters split across Parse calls join back to the same values.
    assert_same(document, "utf-8", setting, chunk=7)


def test_edge_cases_as_text() -> None:
    # Decoded feeds (windows-1252, UTF-16) reach expat as str
    for document in DOCUMENTS.values():
        assert_same(document.decode(), "utf-8", SETTINGS["rss-ns"])


def edge(name: str, setting: str = "rss-ns") -> Pairs:
    return builder_pairs(DOCUMENTS[name], "utf-8", SETTINGS[setting])[1:]  # without the title


# What xmltodict does, pinned (the differential tests prove ItemBuilder matches it).
def test_xmltodict_shapes_worth_knowing() -> None:
    assert edge("repeated elements become a list") == [("item", {"c": ["a", "b", "c"], "d": "x"})]
    assert edge("attribute on a child") == [("item", {"guid": {"@isPermaLink": "false", "#text": "x"}})]
    assert edge("empty elements") == [("item", {"a": None, "b": None, "c": None, "d": None})]
    # The item's own text is not stripped, and it is dropped when the item is a dict.
    assert edge("empty items") == [("item", None), ("item", None), ("item", "\n  \t")]
    assert edge("text of the item itself") == [("item", {"b": "x"}), ("item", {"@a": "1"}), ("item", " t ")]
    # Mixed content: the text pieces around children are joined, then stripped as one.
    assert edge("mixed content") == [("item", {"d": {"b": "x", "#text": "ac"}, "e": {"b": None, "#text": "a"}})]
    # Unknown namespaces vanish; the element keeps its local name, known ones keep their prefix.
    assert edge("unknown and known namespaces") == [
        (
            "item",
            {
                "location": ["L", "F"],
                "content:encoded": "<p>x</p>",
                "dc:creator": "C",
                "media:content": {"@url": "u", "@medium": "image", "media:title": "m"},
            },
        )
    ]
    assert edge("attributes colliding after prefixes go") == [("item", {"e": {"@a": "3"}})]
    # With namespaces on, declarations below the channel show up as an "@xmlns" attribute.
    assert edge("declarations inside the item")[0][1]["@xmlns"] == {"x": "urn:x"}
    assert edge("declarations inside the item")[0][1]["c"] == {"@xmlns": {"": None}, "#text": "3"}
    assert "@xmlns" not in str(edge("declarations inside the item", "rss-no-ns"))
    assert edge("attributes on the channel title", "rss-no-ns") == [("title", {"@type": "html"})]


# --- Random documents: combinations nobody wrote by hand ----------------------------------------

NAMES = ["item", "title", "a", "b", "dc:creator", "content:encoded", "job_listing:a", "foo:b"]
ATTRIBUTES = ["a", "id", "foo:a", "xml:lang", "media:type", "xmlns:q", "xmlns"]
TEXTS = ["", " ", "\n  ", "x", " y z ", "&lt;&#8217;", "<![CDATA[ c ]]>", "<!-- k -->", "é"]


def random_element(rng: random.Random, level: int) -> str:
    name = rng.choice(NAMES)
    attrs = "".join(
        f' {attr}="{"urn:q" if attr.startswith("xmlns") else rng.choice(["", "v", " w&amp;"])}"'
        for attr in rng.sample(ATTRIBUTES, rng.choice([0, 0, 0, 1, 2]))
    )
    children = rng.choice([0, 0, 1, 2, 4]) if level < 5 else 0
    if not children and rng.random() < 0.2:
        return f"<{name}{attrs}/>"
    body = rng.choice(TEXTS) + "".join(random_element(rng, level + 1) + rng.choice(TEXTS) for _ in range(children))
    return f"<{name}{attrs}>{body}</{name}>"


RANDOM_SETTINGS = {
    f"depth-{depth}-{mode}": (depth, frozenset({"rss", "item", "title", "a"}), namespaces)
    for depth in (1, 2, 3, 4)
    for mode, namespaces in (("ns", namespace_map()), ("no-ns", None))
}


@pytest.mark.parametrize("setting", RANDOM_SETTINGS.values(), ids=RANDOM_SETTINGS.keys())
def test_random_documents(setting: Setting) -> None:
    rng = random.Random(20251123)  # the same documents on every run
    compared = 0
    for _ in range(150):
        children = "".join(random_element(rng, 2) for _ in range(rng.randint(1, 4)))
        document = f"<rss {NAMESPACES}>{children}</rss>".encode()
        result = assert_same(document, "utf-8", setting)
        compared += result[0] == "ok" and len(result[1]) > 0
    assert compared > 50  # most documents gave values to compare, not just the same error


# --- Streaming and memory ----------------------------------------------------------------------


def test_items_are_handed_over_as_they_close() -> None:
    data, encoding = prepared((FIXTURES / "weworkremotely_opencruit_feed.xml").read_bytes())
    fed = 0
    arrived_at: list[int] = []
    parser = SafeExpat.ParserCreate(encoding, ":")
    ItemBuilder(
        depth=RSS.depth,
        wanted=RSS.wanted,
        namespaces=RSS.namespaces,
        on_element=lambda name, value: arrived_at.append(fed),
    ).attach(parser)
    for start in range(0, len(data), 7):
        fed += 1
        parser.Parse(data[start : start + 7], False)
    parser.Parse(data[:0], True)
    assert len(arrived_at) == 6  # the channel title and 5 items
    assert arrived_at == sorted(arrived_at)
    assert arrived_at[0] < arrived_at[1] < fed / 2  # long before the last chunk


def test_no_reference_to_a_finished_item_is_kept() -> None:
    data, encoding = prepared((FIXTURES / "jobspresso_wpjm_job_feed.xml").read_bytes())
    kept: list[Any] = []
    builder_pairs(data, encoding, SETTINGS["rss-ns"], on_element=lambda _, v: kept.append(v))
    gc.collect()
    assert [type(value) for value in kept] == [str, dict, dict, dict]  # the title, 3 items
    for index in range(1, len(kept)):
        assert gc.get_referrers(kept[index]) == [kept]  # the builder holds none of them


def test_attach_keeps_the_security_handlers() -> None:
    parser = SafeExpat.ParserCreate("utf-8", ":")
    ItemBuilder(depth=3, wanted=frozenset({"item"}), namespaces={}, on_element=print).attach(parser)
    assert parser.StartDoctypeDeclHandler is safeexpat._refuse_doctype
    assert parser.EntityDeclHandler is safeexpat._refuse_entity
    assert parser.ExternalEntityRefHandler is safeexpat._refuse_external
    with pytest.raises(ForbiddenMarkupError):
        parser.Parse((FIXTURES / "xxe_bomb.xml").read_bytes(), True)


def test_depth_counts_from_the_root() -> None:
    with pytest.raises(ValueError, match="depth"):
        ItemBuilder(depth=0, wanted=frozenset({"item"}), namespaces=None, on_element=print)


# --- The benchmark switch: xmltodict's own streaming mode inside stream_elements -----------------

BAD_UTF8 = rss("<item><title>caf\xe9</title></item>", ns=NAMESPACES).replace(
    "caf\xe9".encode(), b"caf\xe9"
)  # Latin-1 byte
STREAMED = (
    {f"{path.parent.name}/{path.name}": path.read_bytes() for path in FILES}
    | DOCUMENTS
    | {"invalid UTF-8 (restart)": BAD_UTF8}
)

STREAMED_SETTINGS = ["rss-ns", "atom-ns", "rdf-ns"]  # stream_elements drops namespaces itself when it must


def streamed(body: bytes, setting: Setting) -> tuple[Any, ...]:
    """stream_elements as production calls it: ("ok", pairs as JSON, restarts) or ("raised", reason, message)."""
    depth, wanted, namespaces = setting
    pairs: Pairs = []
    restarts: list[int] = []

    def restart() -> None:
        pairs.clear()
        restarts.append(1)

    try:
        xmlsafe.stream_elements(
            body,
            xmlsafe.detect_encoding(body),
            depth=depth,
            wanted=wanted,
            namespaces=namespaces or {},
            on_element=lambda name, value: pairs.append((name, value)),
            on_restart=restart,
        )
    except FeedError as exc:
        return ("raised", exc.reason, exc.message)
    return ("ok", json.dumps(pairs, ensure_ascii=False), len(restarts))


@pytest.mark.parametrize("setting", [SETTINGS[key] for key in STREAMED_SETTINGS], ids=STREAMED_SETTINGS)
@pytest.mark.parametrize("name", STREAMED.keys())
def test_xmltodict_switch_streams_the_same(name: str, setting: Setting, monkeypatch: pytest.MonkeyPatch) -> None:
    body = STREAMED[name]
    monkeypatch.delenv(xmlsafe.XML_BUILDER_ENV, raising=False)
    builder = streamed(body, setting)
    monkeypatch.setenv(xmlsafe.XML_BUILDER_ENV, "xmltodict")
    assert streamed(body, setting) == builder
    if name.endswith(("xxe_bomb.xml", "xxe_file.xml", "blocked_challenge.html")):
        assert builder[:2] == ("raised", FailureReason.XML_FORBIDDEN)


def test_xmltodict_switch_covers_the_restarts(monkeypatch: pytest.MonkeyPatch) -> None:
    # The comparison above must include both repairs stream_elements makes by parsing again.
    monkeypatch.setenv(xmlsafe.XML_BUILDER_ENV, "xmltodict")
    assert streamed(BAD_UTF8, SETTINGS["rss-ns"])[2] == 1
    assert streamed(DOCUMENTS["undeclared prefix"], SETTINGS["rss-ns"])[2] == 1
    assert "caf\ufffd" in streamed(BAD_UTF8, SETTINGS["rss-ns"])[1]
