"""parse_feed: format detection, safe XML, namespaces, encodings, and every whole-feed failure."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any
from xml.sax.saxutils import unescape

import pytest

from jobfeed.constants import SNIFF_BYTES
from jobfeed.models import FeedFormat
from jobfeed.reasons import FailureReason, FeedError
from jobfeed.sources import detect_feed, parse_feed, stream_items, xmlsafe
from jobfeed.sources.detect import BodyKind, sniff
from jobfeed.sources.rss import _NAMESPACES as RSS_NAMESPACES
from tests.support.feeds import load, rss


def parse_error(body: bytes, content_type: str | None = None) -> FeedError:
    with pytest.raises(FeedError) as caught:
        parse_feed(body, content_type)
    return caught.value


# --- Every fixture: format, item count, channel title ---------------------------------------------

FIXTURE_TABLE = [
    ("jobspresso_wpjm_job_feed.xml", FeedFormat.RSS, 3, "Jobs Archive | Jobspresso"),
    (
        "weworkremotely_opencruit_feed.xml",
        FeedFormat.RSS,
        5,
        "We Work Remotely: Remote jobs in design, programming, marketing and more",
    ),
    ("jobicy_api_opencruit_response.json", FeedFormat.JOBICY_JSON, 3, None),
    ("jobicy_job_feed.xml", FeedFormat.RSS, 5, "Remote Jobs | Jobicy"),
    ("jobicy_job_feed_design.xml", FeedFormat.RSS, 3, "Design & Multimedia Remote Jobs | Jobicy"),
    ("single_item_feed.xml", FeedFormat.RSS, 1, "Remote Rust Jobs"),
    ("atom_feed.xml", FeedFormat.ATOM, 3, "Acme Careers"),
    ("rdf_feed.xml", FeedFormat.RDF, 2, "University Job Board"),
    ("higheredjobs_category_feed.xml", FeedFormat.RSS, 3, "HigherEdJobs - Psychology"),
    ("latin1_feed.xml", FeedFormat.RSS, 1, "Offres d'emploi - Télétravail"),
    ("windows1252_feed.xml", FeedFormat.RSS, 1, "Jobs “Remote” – Europe"),
    ("utf16_feed.xml", FeedFormat.RSS, 1, "UTF-16 Jobs"),
    ("control_chars_feed.xml", FeedFormat.RSS, 1, "Feed with control characters"),
    ("empty_channel_feed.xml", FeedFormat.RSS, 0, "No jobs right now"),
    ("duplicate_guid_feed.xml", FeedFormat.RSS, 3, "Board that lists one job twice"),
    ("item_without_identity.xml", FeedFormat.RSS, 3, "Board with a broken item"),
]


@pytest.mark.parametrize(("name", "fmt", "count", "title"), FIXTURE_TABLE)
def test_fixture_parses_to_expected_items(name: str, fmt: FeedFormat, count: int, title: str | None) -> None:
    parsed = parse_feed(load(name))
    assert parsed.format is fmt
    assert len(parsed.items) == count
    assert all(isinstance(item, dict) for item in parsed.items)
    assert parsed.title == title


FAILING_FIXTURES = [
    ("xxe_bomb.xml", FailureReason.XML_FORBIDDEN),
    ("xxe_file.xml", FailureReason.XML_FORBIDDEN),
    ("truncated_feed.xml", FailureReason.XML_MALFORMED),
    ("blocked_challenge.html", FailureReason.BLOCKED_HTML),
]


@pytest.mark.parametrize(("name", "reason"), FAILING_FIXTURES)
def test_failing_fixture_raises_classified_error(name: str, reason: FailureReason) -> None:
    error = parse_error(load(name))
    assert error.reason is reason
    assert 0 < len(error.message) <= 200


# --- Raw values from the real captures ------------------------------------------------------------


def test_jobspresso_items_keep_distinct_keys_by_local_name() -> None:
    item = parse_feed(load("jobspresso_wpjm_job_feed.xml")).items[0]
    # job_listing:* in the https://jobspresso.co namespace -> bare local names
    assert item["location"] == "Various US States"
    assert item["company"] == "Hopper"
    assert item["job_type"] == "Product"
    assert item["job_category"] == "Full Time"
    # well-known namespaces keep a canonical prefix; media is declared on the element itself
    assert item["dc:creator"] == "Hopper<br>⚲&nbsp;Various US States"
    assert item["media:content"]["@url"].startswith("https://jobspresso.co/wp-content/uploads/")
    assert item["guid"] == {
        "@isPermaLink": "false",
        "#text": "https://jobspresso.co/?post_type=job_listing&p=163413",
    }
    assert item["pubDate"] == "Sat, 29 Aug 2026 02:12:12 +0000"


def test_jobspresso_content_encoded_is_the_cdata_exactly() -> None:
    raw = load("jobspresso_wpjm_job_feed.xml").decode("utf-8")
    cdatas = re.findall(r"<content:encoded><!\[CDATA\[(.*?)\]\]></content:encoded>", raw, re.DOTALL)
    items = parse_feed(raw.encode("utf-8")).items
    assert len(cdatas) == len(items) == 3
    for item, cdata in zip(items, cdatas, strict=True):
        # inner content byte for byte; only the whitespace around the whole value is trimmed
        assert item["content:encoded"] == cdata.strip()
        assert "\n<p>" in item["content:encoded"]


def test_weworkremotely_escaped_description_and_mrss_without_slash() -> None:
    raw = load("weworkremotely_opencruit_feed.xml").decode("utf-8")
    escaped = re.findall(r"<description>(.*?)</description>", raw, re.DOTALL)[1:]  # [0] is the channel's
    items = parse_feed(raw.encode("utf-8")).items
    assert [item["description"] for item in items] == [unescape(e).strip() for e in escaped]
    first = items[0]
    assert first["media:content"] == {
        "@url": "https://wwr-pro.s3.amazonaws.com/logos/0171/4199/logo.gif",
        "@type": "image/png",
    }
    assert first["region"] == "Anywhere in the World"
    assert first["country"] is None  # <country></country>
    assert first["state"] == "New South Wales"
    assert first["type"] == "Full-Time"
    assert first["category"] == "Full-Stack Programming"
    assert first["guid"] == (
        "https://weworkremotely.com/remote-jobs/summedd-full-stack-engineer-with-ai-coding-expertise-for-saas-platform"
    )


def test_jobicy_api_bare_list_is_read_as_is() -> None:
    items = parse_feed(load("jobicy_api_opencruit_response.json")).items
    assert [job["id"] for job in items] == [139808, 139807, 139806]
    assert items[1]["jobIndustry"] == ["HR &amp; Recruiting"]
    assert items[0]["pubDate"] == "2026-02-23T15:17:26+00:00"


def test_jobicy_rss_multiline_cdata_kept_with_newlines() -> None:
    item = parse_feed(load("jobicy_job_feed.xml")).items[0]
    assert item["content:encoded"] == (
        "<p>Northwind Cloud is looking for a <strong>Senior Backend Engineer</strong> to build the "
        "APIs behind its billing platform.</p>\n"
        "<p>What you will do:</p>\n"
        "<ul>\n"
        "<li>Design and ship Python services (FastAPI, PostgreSQL)</li>\n"
        "<li>Own reliability: on-call once a month, no more</li>\n"
        "</ul>\n"
        "<p>Salary: $140k &#8211; $170k</p>"
    )
    assert item["media:content"]["@medium"] == "image"
    assert item["location"] == "USA"


# --- Shapes xmltodict gets wrong by default -------------------------------------------------------


def test_single_item_is_still_a_list_of_one() -> None:
    parsed = parse_feed(load("single_item_feed.xml"))
    assert isinstance(parsed.items, list)
    assert parsed.items[0]["title"] == "Rust Systems Engineer"


def test_repeated_children_become_a_list() -> None:
    item = parse_feed(load("jobicy_job_feed.xml")).items[1]
    assert item["category"] == ["Design &amp; Multimedia", "UX"]  # CDATA keeps the entity text


def test_empty_and_text_only_items_are_dicts() -> None:
    parsed = parse_feed(rss("<item/><item>just text</item>"))
    assert parsed.items == [{}, {"#text": "just text"}]


def test_valid_feed_with_zero_items_is_an_empty_success() -> None:
    parsed = parse_feed(load("empty_channel_feed.xml"))
    assert parsed.items == []
    assert parsed.format is FeedFormat.RSS


@pytest.mark.parametrize(
    ("body", "fmt"),
    [("jobicy_job_feed.xml", FeedFormat.RSS), ("atom_feed.xml", FeedFormat.ATOM), ("rdf_feed.xml", FeedFormat.RDF)],
)
def test_xml_is_parsed_in_streaming_mode(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, body: str, fmt: FeedFormat
) -> None:
    # a spooled body is read chunk by chunk and each item is handed over as soon as it is complete
    monkeypatch.setattr(xmlsafe, "READ_CHUNK_BYTES", 128)
    path = tmp_path / "body"
    path.write_bytes(load(body))
    chunks_read = 0
    real_chunks = xmlsafe._raw_chunks

    def counting(source: Any) -> Any:
        nonlocal chunks_read
        for chunk in real_chunks(source):
            chunks_read += 1
            yield chunk

    monkeypatch.setattr(xmlsafe, "_raw_chunks", counting)
    seen_at: list[int] = []
    detected = detect_feed(path)
    assert detected.format is fmt
    stream_items(path, detected, lambda item: seen_at.append(chunks_read))
    assert len(seen_at) >= 2 and seen_at[0] < chunks_read  # the first item came before the last chunk
    assert len(parse_feed(load(body)).items) == len(seen_at)  # the in-memory path finds the same items


# --- Namespaces: match by local name whatever URI the board uses ----------------------------------

WPJM_ITEM = (
    "<item><title>Dev</title><guid>g1</guid>"
    "<job_listing:location>Remote</job_listing:location>"
    "<job_listing:job_type>Full-Time</job_listing:job_type>"
    "<job_listing:company>Acme</job_listing:company></item>"
)


@pytest.mark.parametrize(
    "uri", ["https://jobspresso.co", "https://jobicy.com", "https://example.org/wpjm#", "urn:x:job"]
)
def test_wp_job_manager_fields_by_local_name_for_any_uri(uri: str) -> None:
    item = parse_feed(rss(WPJM_ITEM, ns=f'xmlns:job_listing="{uri}"')).items[0]
    assert item == {
        "title": "Dev",
        "guid": "g1",
        "location": "Remote",
        "job_type": "Full-Time",
        "company": "Acme",
    }


@pytest.mark.parametrize(
    ("uri", "key"),
    [
        ("http://purl.org/rss/1.0/modules/content/", "content:encoded"),
        ("http://purl.org/dc/elements/1.1/", "dc:encoded"),
        ("http://search.yahoo.com/mrss/", "media:encoded"),
        ("http://search.yahoo.com/mrss", "media:encoded"),
        ("https://unknown.example/ns", "encoded"),
    ],
)
def test_known_namespaces_get_canonical_prefixes(uri: str, key: str) -> None:
    # the document's own prefix ("x") does not matter, the URI does
    body = rss("<item><x:encoded>v</x:encoded></item>", ns=f'xmlns:x="{uri}"')
    assert parse_feed(body).items == [{key: "v"}]


def test_undeclared_prefix_is_parsed_by_prefix_instead_of_failing() -> None:
    # real feeds forget xmlns declarations; expat's namespace mode would reject the whole feed
    body = rss(
        "<item><title>A</title><job_listing:company>Acme</job_listing:company>"
        "<content:encoded>x</content:encoded></item>",
        ns='xmlns:content="http://purl.org/rss/1.0/modules/content/"',
    )
    assert parse_feed(body).items == [{"title": "A", "company": "Acme", "content:encoded": "x"}]


def test_atom_namespace_has_no_prefix_in_atom_feeds() -> None:
    entry = parse_feed(load("atom_feed.xml")).items[0]
    assert entry["id"] == "tag:careers.acme.example,2025:job-771"
    assert entry["title"] == {"@type": "text", "#text": "Site Reliability Engineer"}
    assert [link["@rel"] for link in entry["link"]] == ["self", "alternate"]
    assert entry["author"]["name"] == "Acme Corp"


def test_atom_link_keeps_its_prefix_inside_rss() -> None:
    body = rss(
        '<item><title>A</title><atom:link href="https://x.example/a" rel="self"/></item>',
        ns='xmlns:atom="http://www.w3.org/2005/Atom"',
    )
    assert parse_feed(body).items[0]["atom:link"]["@href"] == "https://x.example/a"


def test_rdf_items_use_rss10_names_and_keep_rdf_about() -> None:
    item = parse_feed(load("rdf_feed.xml")).items[0]
    assert item["@rdf:about"] == "https://jobs.univ.example/vacancy/2025-118"
    assert item["title"] == "Research Software Engineer"
    assert item["dc:date"] == "2025-11-04T14:00:00+01:00"


# --- DTDs and entities ----------------------------------------------------------------------------


def test_entity_bomb_is_refused_fast_without_expansion() -> None:
    started = time.perf_counter()
    error = parse_error(load("xxe_bomb.xml"))
    assert error.reason is FailureReason.XML_FORBIDDEN
    assert "lollol" not in error.message
    assert time.perf_counter() - started < 10.0  # milliseconds when refused; expanded, it is 3 GB of text


def test_external_entity_is_refused_and_never_read() -> None:
    error = parse_error(load("xxe_file.xml"))
    assert error.reason is FailureReason.XML_FORBIDDEN
    assert "root:" not in error.message


@pytest.mark.parametrize("fixture", ["xxe_bomb.xml", "xxe_file.xml"])
def test_hardened_parser_refuses_doctype_even_without_the_prolog_scan(fixture: str) -> None:
    # stream_elements is the last line of defence: the DOCTYPE handler on the one expat parser
    with pytest.raises(FeedError) as caught:
        xmlsafe.collect_elements(load(fixture), "utf-8", depth=3, wanted=frozenset({"item"}), namespaces=RSS_NAMESPACES)
    assert caught.value.reason is FailureReason.XML_FORBIDDEN


@pytest.mark.parametrize(
    ("disabled", "refused_at"),
    [
        (("StartDoctypeDeclHandler",), "ENTITY 'xxe'"),
        (("StartDoctypeDeclHandler", "EntityDeclHandler"), "external entity reference"),
    ],
)
def test_each_guard_refuses_on_its_own(disabled: tuple[str, ...], refused_at: str) -> None:
    parser = xmlsafe.SafeExpat.ParserCreate()
    for handler in disabled:  # simulate the earlier guards missing
        setattr(parser, handler, None)
    with pytest.raises(xmlsafe.ForbiddenMarkupError, match=refused_at):
        parser.Parse(load("xxe_file.xml"), True)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_doctype_refused_in_wide_encodings(encoding: str) -> None:
    text = load("xxe_bomb.xml").decode("utf-8").replace('encoding="UTF-8"', f'encoding="{encoding}"')
    body = text.encode(encoding)
    assert parse_error(body).reason is FailureReason.XML_FORBIDDEN
    with pytest.raises(FeedError) as caught:  # and through the parser itself, not only the sniff
        xmlsafe.collect_elements(body, encoding, depth=3, wanted=frozenset({"item"}), namespaces=RSS_NAMESPACES)
    assert caught.value.reason is FailureReason.XML_FORBIDDEN


def test_doctype_behind_a_long_comment_is_still_refused() -> None:
    body = b'<?xml version="1.0"?><!--' + b"x" * 10_000 + b'--><!DOCTYPE rss [<!ENTITY a "b">]><rss/>'
    assert parse_error(body).reason is FailureReason.XML_FORBIDDEN


def test_doctype_text_inside_cdata_is_not_a_doctype() -> None:
    body = rss(
        "<item><title>Web dev</title><guid>w1</guid><content:encoded><![CDATA["
        "<p>Start every page with <code><!DOCTYPE html></code> and no <!ENTITY> tricks.</p>"
        "]]></content:encoded></item>",
        ns='xmlns:content="http://purl.org/rss/1.0/modules/content/"',
    )
    item = parse_feed(body).items[0]
    assert "<!DOCTYPE html>" in item["content:encoded"]


def test_doctype_text_in_a_comment_is_not_a_doctype() -> None:
    body = b"<?xml version='1.0'?><!-- <!DOCTYPE rss> --><rss><channel><item><guid>a</guid></item>"
    body += b"</channel></rss>"
    assert parse_feed(body).items == [{"guid": "a"}]


# --- Encodings ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "key", "expected"),
    [
        ("latin1_feed.xml", "title", "Ingénieur logiciel confirmé"),
        (
            "latin1_feed.xml",
            "description",
            "Société Générale d'Études à Zürich ou São Paulo, salaire ± 60 kEUR (£50k), déjà 5 ans d'expérience.",
        ),
        ("windows1252_feed.xml", "title", "Café Manager – Zürich"),
        (
            "windows1252_feed.xml",
            "description",
            "“Great team” – salary €45,000… Naïve applicants welcome.",
        ),
        ("utf16_feed.xml", "title", "Übersetzer (m/w/d) – 日本語"),
        ("utf16_feed.xml", "description", "Deutsch ↔ Japanisch"),
    ],
)
def test_declared_encoding_is_honoured(name: str, key: str, expected: str) -> None:
    assert parse_feed(load(name)).items[0][key] == expected


def test_utf8_bom_is_fine() -> None:
    parsed = parse_feed(b"\xef\xbb\xbf" + load("jobicy_job_feed.xml"))
    assert len(parsed.items) == 5


def test_utf16_big_endian_without_bom() -> None:
    text = load("utf16_feed.xml").decode("utf-16")
    assert parse_feed(text.encode("utf-16-be")).items[0]["title"] == "Übersetzer (m/w/d) – 日本語"


def test_http_charset_used_when_the_prolog_names_none() -> None:
    body = "<rss><channel><item><title>Montréal</title></item></channel></rss>".encode("latin-1")
    assert parse_feed(body, "application/rss+xml; charset=ISO-8859-1").items[0]["title"] == "Montréal"


def test_prolog_encoding_wins_over_http_charset() -> None:
    assert parse_feed(load("latin1_feed.xml"), "text/xml; charset=utf-8").items[0]["title"] == (
        "Ingénieur logiciel confirmé"
    )


def test_iso_8859_1_label_with_windows_1252_bytes_reads_as_1252() -> None:
    decl = '<?xml version="1.0" encoding="ISO-8859-1"?>'
    body = f"{decl}<rss><channel><item><title>“Lead” – Ops</title></item></channel></rss>"
    assert parse_feed(body.encode("cp1252")).items[0]["title"] == "“Lead” – Ops"


def test_invalid_utf8_byte_is_replaced_not_fatal() -> None:
    body = rss("<item><title>Caf\xe9</title><guid>c1</guid></item>").replace(b"\xc3\xa9", b"\xe9")
    assert parse_feed(body).items[0]["title"] == "Caf\ufffd"


@pytest.mark.parametrize("bad_byte_first", [True, False])
def test_invalid_utf8_and_an_undeclared_prefix_in_one_feed_are_both_repaired(bad_byte_first: bool) -> None:
    # two restarts from the top, in either order: each repair must survive the other's
    bad = "<item><title>Caf\xe9</title><guid>c1</guid></item>"
    unbound = "<item><title>T</title><guid>c2</guid><job_listing:company>Acme</job_listing:company></item>"
    body = rss(bad + unbound if bad_byte_first else unbound + bad).replace(b"\xc3\xa9", b"\xe9")
    items = {item["guid"]: item for item in parse_feed(body).items}
    assert items["c1"]["title"] == "Caf\ufffd" and items["c2"]["company"] == "Acme"


def test_whitespace_before_xml_declaration_is_tolerated() -> None:
    assert len(parse_feed(b"\n\n  " + load("jobicy_job_feed.xml")).items) == 5


def test_unknown_encoding_is_unsupported() -> None:
    error = parse_error(b'<?xml version="1.0" encoding="x-klingon-9"?><rss/>')
    assert error.reason is FailureReason.UNSUPPORTED_FORMAT
    assert "x-klingon-9" in error.message


# --- Control characters ---------------------------------------------------------------------------


def test_control_characters_are_removed_before_parsing() -> None:
    item = parse_feed(load("control_chars_feed.xml")).items[0]
    assert item["title"] == "OfficeManager"
    assert item["description"] == "Pasted from a word processor: page two. Done."


def test_control_characters_removed_in_transcoded_encodings_too() -> None:
    decl = '<?xml version="1.0" encoding="windows-1252"?>'
    body = f"{decl}<rss><channel><item><title>A\x0c–B</title></item></channel></rss>"
    assert parse_feed(body.encode("cp1252")).items[0]["title"] == "A–B"


def test_tab_newline_and_carriage_return_are_kept() -> None:
    body = rss("<item><description>a\tb\r\nc</description></item>")
    assert parse_feed(body).items[0]["description"] == "a\tb\nc"  # expat normalizes CRLF to LF


# --- HTML instead of a feed -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (
            b"<!DOCTYPE html><html><head><title>Log in</title></head><body>Sign in</body></html>",
            None,
        ),
        (b"<!doctype html>\n<html lang=en><title>x</title>", "application/rss+xml"),
        (
            b'<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN"><HTML><BODY>Denied</BODY></HTML>',
            None,
        ),
        (b"<html><body>Access denied</body></html>", None),
        (b'<html xmlns="http://www.w3.org/1999/xhtml"><body/></html>', "application/xml"),
        (b"\n<!-- cf -->\n<html><body>challenge</body></html>", None),
        (b"<body>Please enable cookies</body>", None),
        (b"<div class=captcha>Are you a robot?</div>", "text/html; charset=utf-8"),
        (b"Access denied. Reference #18.4f3", "text/html"),
    ],
)
def test_html_page_is_blocked_html(body: bytes, content_type: str | None) -> None:
    assert parse_error(body, content_type).reason is FailureReason.BLOCKED_HTML


def test_blocked_html_message_names_the_page() -> None:
    error = parse_error(load("blocked_challenge.html"), "text/html; charset=UTF-8")
    assert error.message == (
        "got an HTML page titled 'Just a moment...' instead of a feed (bot challenge or login wall?)"
    )


def test_real_feed_served_as_text_html_is_still_parsed() -> None:
    assert len(parse_feed(load("jobicy_job_feed.xml"), "text/html; charset=UTF-8").items) == 5


# --- Malformed, empty, unsupported ----------------------------------------------------------------


def test_truncated_feed_reports_line_and_column() -> None:
    error = parse_error(load("truncated_feed.xml"))
    assert error.reason is FailureReason.XML_MALFORMED
    assert re.search(r"line \d+, column \d+", error.message)


@pytest.mark.parametrize(
    "body",
    [
        b"<rss><channel><item><title>a</item></channel></rss>",  # mismatched tag
        b"<rss><channel><item><title>a &nbsp; b</title></item></channel></rss>",  # undefined entity
        b"<rss><channel></channel></rss><rss/>",  # junk after the root
        b"<rss><channel><item><title>unfinished",
    ],
)
def test_not_well_formed_xml_is_malformed_with_position(body: bytes) -> None:
    error = parse_error(body)
    assert error.reason is FailureReason.XML_MALFORMED
    assert "line 1, column" in error.message


def test_truncated_feed_salvages_nothing() -> None:
    # the first item is complete in the truncated file, yet no ParsedFeed comes back at all
    assert b"</item>" in load("truncated_feed.xml")
    assert parse_error(load("truncated_feed.xml")).reason is FailureReason.XML_MALFORMED


@pytest.mark.parametrize(
    "body",
    [b"", b" ", b"\n\t\r\n  ", b" " * 10_000, "  \n ".encode("utf-16")],
)
def test_empty_body_is_malformed(body: bytes) -> None:
    error = parse_error(body)
    assert error.reason is FailureReason.XML_MALFORMED
    assert error.message == "empty body"


@pytest.mark.parametrize(
    "body",
    [b'<?xml version="1.0"?>', b'<?xml version="1.0"?>\n<!-- nothing else', b"< rss>"],
)
def test_markup_without_root_is_malformed(body: bytes) -> None:
    assert parse_error(body).reason is FailureReason.XML_MALFORMED


@pytest.mark.parametrize(
    "body",
    [
        b'{"success": false, "error": "rate limited"}',
        b'{"jobs": {"id": 1}}',
        b"[1, 2, 3]",
        b'[{"title": "not jobicy"}]',
        b'"just a string"',
        b"null",
    ],
)
def test_json_that_is_not_jobicy_is_unsupported(body: bytes) -> None:
    assert parse_error(body).reason is FailureReason.UNSUPPORTED_FORMAT


def test_truncated_json_is_malformed() -> None:
    error = parse_error(load("jobicy_api_opencruit_response.json")[:500])
    assert error.reason is FailureReason.XML_MALFORMED
    assert "line" in error.message and "column" in error.message


@pytest.mark.parametrize(
    ("body", "count"),
    [
        (b'{"apiVersion": "2", "jobCount": 0, "jobs": []}', 0),
        (b"[]", 0),
        (b'{"jobs": [{"id": 1, "jobTitle": "A", "url": "https://jobicy.com/jobs/1-a"}]}', 1),
        (b'\xef\xbb\xbf[{"id": 2, "jobTitle": "B"}]', 1),
    ],
)
def test_jobicy_json_shapes(body: bytes, count: int) -> None:
    parsed = parse_feed(body, "application/json")
    assert parsed.format is FeedFormat.JOBICY_JSON
    assert len(parsed.items) == count


def test_jobicy_wrapper_object_gives_the_same_items_as_the_bare_list() -> None:
    bare = load("jobicy_api_opencruit_response.json")
    wrapped = b'{"apiVersion": "2", "jobCount": 3, "jobs": ' + bare + b"}"
    assert parse_feed(wrapped).items == parse_feed(bare).items


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"Service temporarily unavailable", "not a feed"),
        (b'<?xml version="1.0"?><opml version="2.0"><body/></opml>', "opml"),
        (b"<urlset><url/></urlset>", "urlset"),
    ],
)
def test_plain_text_and_unknown_roots_are_unsupported(body: bytes, fragment: str) -> None:
    error = parse_error(body, "application/xml")
    assert error.reason is FailureReason.UNSUPPORTED_FORMAT
    assert fragment in error.message


@pytest.mark.parametrize(
    "body",
    [
        b"A" * 1_000_000,
        b"<html><head><title>" + b"T" * 100_000 + b"</title></head></html>",
        b"<" + b"x" * 100_000 + b">",
        b'<?xml version="1.0"?><!DOCTYPE ' + b"d" * 100_000 + b"><rss/>",
    ],
)
def test_messages_are_short_and_never_quote_the_body(body: bytes) -> None:
    error = parse_error(body)
    assert len(error.message) <= 200


# --- Sniffing -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type", "kind"),
    [
        (b"", None, BodyKind.EMPTY),
        (b'  {"jobs": []}', None, BodyKind.JSON),
        (b"<rss/>", None, FeedFormat.RSS),
        (b'<feed xmlns="http://www.w3.org/2005/Atom"/>', None, FeedFormat.ATOM),
        (b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>', None, FeedFormat.RDF),
        (b"<RDF:RDF/>", None, FeedFormat.RDF),
        (
            b"<?xml version='1.0'?><?xml-stylesheet href='x.xsl'?><!-- hi --><rss/>",
            None,
            FeedFormat.RSS,
        ),
        (b"<!--" + b"c" * 8000 + b"--><rss/>", None, FeedFormat.RSS),
        (b"<!DOCTYPE rss><rss/>", None, BodyKind.DOCTYPE),
        (b"<!DOCTYPE html><p>x", None, BodyKind.HTML),
        (b"<rss/>", "text/html", FeedFormat.RSS),
        (b"<foo/>", "text/html", BodyKind.HTML),
        (b"<foo/>", None, BodyKind.UNKNOWN_XML),
        (b"hello", None, BodyKind.TEXT),
        (b"hello", "text/html", BodyKind.HTML),
        (b"<?xml version='1.0'?>", None, BodyKind.NO_ROOT),
        (b"<1rss/>", None, BodyKind.BAD_MARKUP),
    ],
)
def test_sniff(body: bytes, content_type: str | None, kind: FeedFormat | BodyKind) -> None:
    assert sniff(body, content_type).kind is kind


def test_sniff_reads_the_root_name_cut_at_the_sniff_boundary() -> None:
    prefix = b"<!--" + b"c" * (SNIFF_BYTES - 9) + b"-->"
    body = prefix + b"<rss><channel/></rss>"
    assert sniff(body).kind is FeedFormat.RSS  # "<rss>" straddles the 4 KB boundary


@pytest.mark.parametrize(
    ("body", "content_type", "codec"),
    [
        (b"<rss/>", None, "utf-8"),
        (b'<?xml version="1.0" encoding="ISO-8859-1"?><rss/>', None, "iso8859-1"),
        (b"<?xml version='1.0' encoding='windows-1252'?><rss/>", None, "cp1252"),
        (b'<?xml version="1.0" encoding="UTF-16"?><rss/>', None, "utf-8"),  # a lie: bytes are ASCII
        ("<rss/>".encode("utf-16"), None, "utf-16"),
        ("<?xml version='1.0'?><rss/>".encode("utf-16-le"), None, "utf-16-le"),
        (b"<rss/>", "application/xml; charset=windows-1252", "cp1252"),
        (b'<?xml version="1.0" encoding="utf-8"?><rss/>', "text/xml; charset=latin-1", "utf-8"),
    ],
)
def test_detect_encoding(body: bytes, content_type: str | None, codec: str) -> None:
    assert xmlsafe.detect_encoding(body, content_type) == codec
