"""Hypothesis strategies shared by the property tests (tests/unit/properties), and their settings profile.

Importing this module registers and loads the profile: property tests must stay a few seconds in
`make test`, and CI (the `CI` variable set) must try the same examples on every run.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]

# --- Profile -----------------------------------------------------------------------------------

# No example database: it would leave a .hypothesis/ folder in the work tree, and a failure prints
# its example (and the @reproduce_failure blob) anyway. No deadline: the first parse of a run pays
# for imports, and a busy 2-core machine would make timing a flaky property.
settings.register_profile(
    "jobfeed",
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("jobfeed-ci", parent=settings.get_profile("jobfeed"), derandomize=True)
# A bug hunt by hand: HYPOTHESIS_PROFILE=jobfeed-deep .venv/bin/pytest tests/unit/properties
settings.register_profile("jobfeed-deep", parent=settings.get_profile("jobfeed"), max_examples=3000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("jobfeed-ci" if os.environ.get("CI") else "jobfeed"))

# --- Real feeds to mutate ----------------------------------------------------------------------


def _real_feeds() -> list[bytes]:
    """Every captured and hand-made feed body (fixtures and samples), each once, smallest first."""
    bodies: dict[bytes, None] = {}
    for folder in (ROOT / "tests" / "fixtures" / "feeds", ROOT / "jobfeed" / "samples"):
        for path in sorted(folder.iterdir()):
            if path.suffix in (".xml", ".json", ".html"):
                bodies[path.read_bytes()] = None
    return sorted(bodies, key=len)  # Hypothesis shrinks towards the first entry


REAL_FEEDS: list[bytes] = _real_feeds()

CONTENT_TYPES = [
    None,
    "application/rss+xml",
    "application/atom+xml; charset=utf-8",
    "text/xml; charset=iso-8859-1",
    "text/html; charset=windows-1252",
    "application/json",
    "text/plain; charset=utf-16le",
    "text/xml; charset=no-such-codec",
    "text/xml; charset=utf-16",  # BOM-less bodies once raised UnicodeError (test_http_charset_utf16_*)
    "application/rss+xml; charset=utf-32",
]
content_types = st.sampled_from(CONTENT_TYPES)

# --- Bytes that look like the start of a feed --------------------------------------------------

FEED_STARTS = [
    b'<?xml version="1.0" encoding="UTF-8"?>',
    b'<?xml version="1.0" encoding="ISO-8859-1"?><rss version="2.0"><channel>',
    b'<?xml version="1.0" encoding="utf-16"?>',
    b"\xef\xbb\xbf<?xml version='1.0'?>",
    b"\xff\xfe<\x00?\x00x\x00m\x00l\x00",
    b'<rss version="2.0"><channel><title>T</title><item>',
    b'<rss xmlns:job_listing="https://x.example"><channel><item><job_listing:company>',
    b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>',
    b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"><item>',
    b"<!DOCTYPE rss [<!ENTITY a 'b'>]><rss>",
    b"<!-- comment --><?pi x?><rss><channel><item><guid>",
    b"<html><head><title>Just a moment",
    b'{"jobs": [{"id": 1, "jobTitle": ',
    b'[{"jobSlug": "x", "id": ',
    b"\n\n  <?xml version='1.0'?>\n<rss>",
]

# Pieces of markup: random sequences of them reach deeper into the parser than random bytes do.
XML_TOKENS = [
    "<rss>", "</rss>", "<channel>", "</channel>", "<item>", "</item>", "<entry>", "</entry>",
    "<title>", "</title>", "<guid>", "</guid>", "<link>", "</link>", "<id>", "</id>",
    '<guid isPermaLink="false">', '<link href="https://a.example/x" rel="alternate"/>',
    "<description>", "</description>", "<content:encoded>", "</content:encoded>",
    "<job_listing:company>", "</job_listing:company>", "<x:y>", "</x:y>", "<pubDate>", "</pubDate>",
    "<![CDATA[", "]]>", "<!--", "-->", "<?pi data?>", "<!DOCTYPE x>", "&amp;", "&lt;", "&#0;", "&#x1F600;",
    "&#128;", "&nbsp;", "&undefined;", "https://a.example/job/1", "Engineer", "Mon, 01 Jan 2024 00:00:00 +0000",
    " ", "\n", "\t", "\r\n", "\x00", "\x0c", "\u00e9", "\u2028", "\ud7ff", "\ufffd", "\U0001f600",
    '{"', '":', "[", "]", "{", "}", ",", '"jobTitle"', '"id"', "null", "true", "1e999", '"\\ud800"',
]  # fmt: skip


@st.composite
def feedlike_bytes(draw: st.DrawFn) -> bytes:
    """A plausible feed start followed by markup tokens or raw bytes, in some encoding."""
    start = draw(st.sampled_from(FEED_STARTS))
    if draw(st.booleans()):
        tail = "".join(draw(st.lists(st.sampled_from(XML_TOKENS), max_size=40)))
        encoding = draw(st.sampled_from(["utf-8", "latin-1", "utf-16-le"]))
        return start + tail.encode(encoding, errors="surrogatepass" if encoding == "utf-8" else "replace")
    return start + draw(st.binary(max_size=300))


# --- Mutations of real feeds -------------------------------------------------------------------

_CLOSING_TAG = re.compile(rb"</[^>]{1,40}>")
_ENCODING_DECL = re.compile(rb"encoding\s*=\s*[\"'][^\"']*[\"']")
_TEXT_NODE = re.compile(rb">([^<>]{1,300})<")
_LEAF_ELEMENT = re.compile(rb"<([A-Za-z][\w:.-]{0,40})(?:\s[^<>]*)?>[^<]*</\1>")
_ITEM_ELEMENT = re.compile(rb"<(item|entry)[\s>].*?</\1>", re.DOTALL)
ENCODINGS = [b"UTF-8", b"utf-16", b"ISO-8859-1", b"windows-1252", b"us-ascii", b"koi8-r", b"bogus-8", b"UTF-32"]
# Damage that breaks the document, and edits that keep it well formed so that the items reach
# normalize with odd content (lost elements, odd text, repeated items).
BREAKING = ["flip", "truncate", "insert", "duplicate", "drop_close", "encoding", "delete"]
KEEPING = ["retext", "drop_element", "dup_item", "json_value"]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


def _pick(draw: st.DrawFn, matches: list[re.Match[bytes]]) -> re.Match[bytes] | None:
    return matches[draw(st.integers(0, len(matches) - 1))] if matches else None


def _escaped(text: str) -> bytes:
    return text.replace("&", "&amp;").replace("<", "&lt;").encode("utf-8")


@st.composite
def _mutation(draw: st.DrawFn, body: bytes) -> bytes:
    """One edit of body, of the kinds real feeds suffer (cut off, mangled, mislabelled, odd items)."""
    size = len(body)
    at = draw(st.integers(0, size))
    kind = draw(st.sampled_from(BREAKING + KEEPING * 2))  # as many keeping edits as breaking ones
    if kind == "flip" and size:
        at = min(at, size - 1)
        return body[:at] + bytes([body[at] ^ draw(st.integers(1, 255))]) + body[at + 1 :]
    if kind == "truncate":
        return body[:at]
    if kind == "insert":
        junk = draw(st.binary(min_size=1, max_size=20) | st.sampled_from(XML_TOKENS).map(str.encode))
        return body[:at] + junk + body[at:]
    if kind == "duplicate":
        end = draw(st.integers(at, min(size, at + 2000)))
        return body[:end] + body[at:end] + body[end:]
    if kind == "drop_close" and (tag := _pick(draw, list(_CLOSING_TAG.finditer(body)))):
        return body[: tag.start()] + body[tag.end() :]
    if kind == "encoding":
        label = b'encoding="' + draw(st.sampled_from(ENCODINGS)) + b'"'
        if _ENCODING_DECL.search(body):
            return _ENCODING_DECL.sub(label, body, count=1)
        return b'<?xml version="1.0" ' + label + b"?>" + body
    if kind == "delete":
        end = draw(st.integers(at, min(size, at + 200)))
        return body[:at] + body[end:]
    if kind == "retext" and (node := _pick(draw, list(_TEXT_NODE.finditer(body)))):
        text = draw(xml_text | st.sampled_from(["", "   ", "&amp;amp;", "&#038;", "\u00a0", "a" * 3000]))
        return body[: node.start(1)] + _escaped(text) + body[node.end(1) :]
    if kind == "drop_element" and (leaf := _pick(draw, list(_LEAF_ELEMENT.finditer(body)))):
        return body[: leaf.start()] + body[leaf.end() :]
    if kind == "dup_item" and (item := _pick(draw, list(_ITEM_ELEMENT.finditer(body)))):
        return body[: item.end()] + item.group(0) + body[item.end() :]
    if kind == "json_value":
        return draw(_json_edit(body))
    return body


@st.composite
def _json_edit(draw: st.DrawFn, body: bytes) -> bytes:
    """A jobicy JSON body with one value of one job replaced by any JSON value (ids as lists, ...)."""
    try:
        data = json.loads(body)
    except ValueError:
        return body
    jobs = data.get("jobs") if isinstance(data, dict) else data
    if not isinstance(jobs, list) or not jobs or not isinstance(jobs[0], dict):
        return body
    job = jobs[draw(st.integers(0, len(jobs) - 1))]
    key = draw(st.sampled_from([*sorted(job), "id", "jobTitle", "url", "pubDate"]))
    job[key] = draw(json_values)
    return json.dumps(data).encode("utf-8")


@st.composite
def mutated_feeds(draw: st.DrawFn) -> bytes:
    """A real feed with one to three edits applied in turn."""
    body = draw(st.sampled_from(REAL_FEEDS))
    for _ in range(draw(st.integers(1, 3))):
        body = draw(_mutation(body))
    return body


any_body = st.one_of(st.binary(max_size=500), feedlike_bytes(), mutated_feeds())

# --- Text that XML can carry -------------------------------------------------------------------

# XML 1.0 characters, minus CR: a parser turns a literal CR into LF, so CDATA and escaped text
# would legitimately differ (an escaped &#13; survives). Surrogates and U+FFFE/FFFF are not XML.
xml_chars = st.characters(
    codec="utf-8",
    exclude_categories=["Cs"],
    exclude_characters="".join(chr(c) for c in range(32) if c not in (9, 10)) + "\ufffe\uffff",
)
xml_text = st.text(xml_chars, max_size=40)
word = st.text(st.characters(codec="ascii", categories=("L", "N")), min_size=1, max_size=12)
# Fields that usually make a valid job: some visible text, maybe around spaces or markup.
visible_text = st.builds(lambda a, b, c: f"{a}{b}{c}", xml_text, word, xml_text)
url_text = st.builds(lambda host, path: f"https://{host}.example/{path}", word, word)
html_text = st.builds(
    lambda a, b: f"<p>{a} &amp; <b>{b}</b></p>]]>end", xml_text, xml_text
)  # "]]>" must survive the split into two CDATA sections
# Namespace prefixes: made-up names, and the well-known ones put on the wrong URI (a prefix named
# "dc" bound to the content URI must still mean content: the URI decides, never the prefix).
ns_prefix = st.sampled_from(["content", "dc", "job_listing", "atom", "rdf", "media", "wfw", "a", "ns0"]) | st.builds(
    lambda head, tail: head + tail,
    st.sampled_from("abcdefghijklmnopqrstuvwyz"),  # no x: "xml..." prefixes are reserved
    st.text("abcdefghijklmnopqrstuvwxyz0123456789_-.", max_size=7),
)
between = st.sampled_from(["", " ", "\n", "\n\t\t", "\r\n  ", "  \t "])  # whitespace between elements

# --- ImportLog ingredients ---------------------------------------------------------------------

# Reasons an item or a failed batch's jobs can carry into an ImportLog's `failures`.
ITEM_FAILURE_REASONS = ["item_invalid", "duplicate_in_feed", "db_error", "internal_error", "timeout"]
small_count = st.integers(0, 40)


@st.composite
def failure_runs(draw: st.DrawFn, max_runs: int = 4) -> list[tuple[str, int]]:
    """Item failures as (reason, how many) runs: cheap to draw, yet long enough to pass the log's cap."""
    return draw(st.lists(st.tuples(st.sampled_from(ITEM_FAILURE_REASONS), st.integers(0, 40)), max_size=max_runs))
