"""Hostile and broken feed bodies through the real flow: the right reason, no crash, nothing half-stored.

All cases go through ONE flow run (as they would in production, next to healthy feeds), then each row
of the table is checked by its own parametrized test. The run must complete, every other feed of it
must be unaffected, and `jobs` must hold exactly what the ImportLogs counted.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.support.feeds import item, rss
from tests.support.pipeline import check_log, forget_process_state

pytestmark = pytest.mark.timeout(120)

DB = "rel_hostile_feeds"
GOOD = "jobspresso_wpjm_job_feed.xml"  # a healthy real feed in the same run: 3 jobs
BIG_DESCRIPTION_CHARS = 5 * 1024 * 1024
CANARY_TEXT = "CANARY-7f3c-local-file-was-read"


@dataclass(frozen=True)
class Case:
    """One row: what is served at `path`, and what the feed's ImportLog must say."""

    id: str
    path: str  # a FeedServer path (a fixture file, a route, or a body set below)
    body: bytes | None = None  # served via set_file when given
    status: str = "failed"
    reason: str | None = None  # error.reason of a failed feed
    new: int = 0
    failed_by_reason: dict[str, int] = field(default_factory=dict)
    message_has: str | None = None  # a fragment of error.message
    never_requested: tuple[str, ...] = ()  # paths an entity pointed at: must never be fetched


def _entity_feed(doctype: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n{doctype}\n<rss version="2.0"><channel><title>t</title>'
        "<item><title>Leak &xxe;</title><guid>xxe-1</guid><description>&xxe;</description></item>"
        "</channel></rss>\n"
    ).encode()


LOGIN_WALL = b"""<!DOCTYPE html>
<html><head><title>Sign in to continue</title></head>
<body><form action="/login" method="post"><input name="user"><input name="password" type="password"></form></body></html>
"""
CAFE_UTF8_DECL_LATIN1_BYTES = rss(item("enc-1", "Caf\xe9 Manager"), encoding="latin-1")
CAFE_NO_DECL_LATIN1_BYTES = rss(item("enc-2", "Caf\xe9 Manager"), decl="", encoding="latin-1")
CAFE_LATIN1_DECL_UTF8_BYTES = rss(item("enc-3", "Caf\xe9 Manager"), decl='<?xml version="1.0" encoding="ISO-8859-1"?>')
UNKNOWN_ENCODING = rss(item("enc-4"), decl='<?xml version="1.0" encoding="x-klingon-9"?>')
EMPTY_TITLES = rss(
    "\n".join([item("t-1", ""), item("t-2", "   \n\t "), item("t-3", "<![CDATA[ ]]>"), item("t-4", "Real Title")])
)
ABSURD_DATES = rss("\n".join([
    item("d-1900", "Old", pub="Mon, 01 Jan 1900 00:00:00 +0000"),
    item("d-2999", "Future", pub="Tue, 01 Jan 2999 00:00:00 +0000"),
    item("d-junk", "Junk date", pub="the day after tomorrow"),
    item("d-ok", "Fine", pub="Mon, 03 Nov 2025 10:00:00 +0000"),
]))  # fmt: skip
BIG_DESCRIPTION = rss(
    item("big-1", "Huge posting", description="<![CDATA[<p>" + "x" * BIG_DESCRIPTION_CHARS + "</p>]]>")
    + "\n"
    + item("big-2", "Normal posting")
)
CONTROL_CHARS_IN_JSON = (
    b'{"jobs":[{"id":1,"jobTitle":"Night\x0b Shift\x00","companyName":"ACME","url":"https://x.example/1"}]}'
)


def cases(base_url: str, canary: Path) -> list[Case]:
    canary_url = f"{base_url}/xxe-canary"
    return [
        # --- DTDs and entities: refused before anything is declared, read or fetched
        Case("entity-expansion-bomb", "xxe_bomb.xml", reason="xml_forbidden"),
        Case("external-entity-local-file", "rel-xxe-file.xml",
             _entity_feed(f'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{canary}">]>'), reason="xml_forbidden"),
        Case("external-entity-url", "rel-xxe-url.xml",
             _entity_feed(f'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "{canary_url}/entity">]>'), reason="xml_forbidden",
             never_requested=("/xxe-canary/entity",)),
        Case("parameter-entity-url", "rel-xxe-param.xml",
             _entity_feed(f'<!DOCTYPE rss [<!ENTITY % ext SYSTEM "{canary_url}/param"> %ext;]>'), reason="xml_forbidden",
             never_requested=("/xxe-canary/param",)),
        Case("external-dtd-url", "rel-xxe-dtd.xml", _entity_feed(f'<!DOCTYPE rss SYSTEM "{canary_url}/dtd">'),
             reason="xml_forbidden", never_requested=("/xxe-canary/dtd",)),
        # --- a web page where a feed should be
        Case("bot-challenge-200", "html-challenge?code=200", reason="blocked_html", message_has="Just a moment"),
        Case("bot-challenge-403", "html-challenge?code=403", reason="blocked_html", message_has="403"),
        Case("login-wall-200", "rel-login.html", LOGIN_WALL, reason="blocked_html", message_has="Sign in"),
        Case("login-wall-after-redirect", "redirect?to=/rel-login.html", reason="blocked_html", message_has="Sign in"),
        # --- broken XML
        Case("truncated-xml", "truncated_feed.xml", reason="xml_malformed", message_has="line"),
        Case("undefined-html-entity", "rel-nbsp.xml", rss(item("nb-1", "A&nbsp;B")), reason="xml_malformed",
             message_has="undefined entity"),
        Case("zero-byte-body", "rel-empty.xml", b"", reason="xml_malformed", message_has="empty"),
        # --- encodings: a wrong or missing declaration never fails the feed
        Case("unknown-encoding-declared", "rel-enc-unknown.xml", UNKNOWN_ENCODING, reason="unsupported_format",
             message_has="x-klingon-9"),
        Case("utf8-declared-latin1-bytes", "rel-enc-a.xml", CAFE_UTF8_DECL_LATIN1_BYTES, status="success", new=1),
        Case("no-declaration-latin1-bytes", "rel-enc-b.xml", CAFE_NO_DECL_LATIN1_BYTES, status="success", new=1),
        Case("latin1-declared-utf8-bytes", "rel-enc-c.xml", CAFE_LATIN1_DECL_UTF8_BYTES, status="success", new=1),
        Case("control-characters-xml", "control_chars_feed.xml", status="success", new=1),
        Case("control-characters-json", "rel-ctrl.json", CONTROL_CHARS_IN_JSON, status="success", new=1),
        # --- not a feed at all
        Case("json-not-jobicy", "rel-other.json", b'{"status": "ok", "data": [1, 2, 3]}', reason="unsupported_format"),
        Case("plain-text", "rel-plain.txt", b"Service temporarily moved. Please check back later.\n",
             reason="unsupported_format"),
        Case("xml-sitemap", "rel-sitemap.xml",
             b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url/></urlset>',
             reason="unsupported_format", message_has="urlset"),
        # --- bad items inside a good feed: per-item outcomes, the rest imported
        Case("duplicate-in-feed", "duplicate_guid_feed.xml", status="partial", new=2,
             failed_by_reason={"duplicate_in_feed": 1}),
        Case("missing-identity", "item_without_identity.xml", status="partial", new=2,
             failed_by_reason={"item_invalid": 1}),
        Case("empty-titles", "rel-titles.xml", EMPTY_TITLES, status="partial", new=1, failed_by_reason={"item_invalid": 3}),
        Case("absurd-dates", "rel-dates.xml", ABSURD_DATES, status="success", new=4),
        Case("five-mb-description", "rel-big.xml", BIG_DESCRIPTION, status="success", new=2),
    ]  # fmt: skip


@dataclass
class HostileRun:
    state: Any
    by_id: dict[str, Case]
    urls: dict[str, str]  # case id -> feed URL
    logs: dict[str, dict[str, Any]]  # case id -> ImportLog
    db: Any
    requests: list[Any]
    canary: Path
    good_url: str

    def jobs(self, case_id: str) -> list[dict[str, Any]]:
        return list(self.db.jobs.find({"feeds": self.urls[case_id]}))


@pytest.fixture(scope="module")
def hostile(feed_server: Any, mongo_service: Any, prefect_harness: None,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostileRun]:  # fmt: skip
    """Serve every case, run the flow once over all of them plus a healthy feed, keep what it wrote."""
    from flows.import_feeds import import_feeds
    from jobfeed.store import get_store

    canary = tmp_path_factory.mktemp("canary") / "secret.txt"
    canary.write_text(CANARY_TEXT)
    client = mongo_service.client()
    client.drop_database(DB)
    patch = pytest.MonkeyPatch()
    patch.setenv("MONGODB_DB", DB)
    forget_process_state()
    feed_server.reset()
    table = cases(feed_server.base_url, canary)
    for case in table:
        if case.body is not None:
            feed_server.set_file(case.path, case.body)
    urls = {case.id: feed_server.url(case.path) for case in table}
    good = feed_server.url(GOOD + "?rel=hostile")
    try:
        state = import_feeds(feed_urls=[*urls.values(), good], return_state=True)
        logs = {log["fileName"]: log for log in get_store().logs.for_flow_run(str(state.state_details.flow_run_id))}
        yield HostileRun(
            state=state, by_id={c.id: c for c in table}, urls=urls, logs={cid: logs.get(u) for cid, u in urls.items()}
            | {"good": logs.get(good)}, db=client[DB], requests=feed_server.requests, canary=canary, good_url=good,
        )  # fmt: skip
    finally:
        feed_server.reset()
        patch.undo()
        forget_process_state()
        client.drop_database(DB)


CASE_IDS = [c.id for c in cases("http://x", Path("/x"))]


def test_the_run_completes_and_the_healthy_feed_is_unaffected(hostile: HostileRun) -> None:
    assert hostile.state.is_completed(), hostile.state  # no hostile body crashed the run
    good = hostile.logs["good"]
    assert good is not None
    check_log(good)
    assert (good["status"], good["newJobs"], good["failedJobs"]) == ("success", 3, 0)
    # `jobs` holds exactly what the logs counted, and nothing from a failed feed
    assert hostile.db.jobs.count_documents({}) == sum(log["newJobs"] for log in hostile.logs.values())


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_hostile_feed_gets_its_outcome(hostile: HostileRun, case_id: str) -> None:
    case, log = hostile.by_id[case_id], hostile.logs[case_id]
    assert log is not None, f"no ImportLog for {case_id}"
    check_log(log)
    assert log["status"] == case.status, (log["status"], log.get("error"), log["failures"])
    jobs = hostile.jobs(case_id)
    if case.status == "failed":
        assert log["error"]["reason"] == case.reason, log["error"]
        assert log["totalFetched"] == 0 and jobs == []  # nothing salvaged, nothing half-stored
        assert len(log["error"]["message"]) < 300  # short, and never the body (5 MB of it, say)
    else:
        assert log["error"] is None
        assert log["newJobs"] == case.new == len(jobs)
        assert log.get("failuresByReason", {}) == case.failed_by_reason
        assert log["totalFetched"] == case.new + sum(case.failed_by_reason.values())
    if case.message_has:
        assert case.message_has in log["error"]["message"], log["error"]["message"]
    for path in case.never_requested:  # the parser never fetched what an entity pointed at
        assert not [r for r in hostile.requests if urlsplit(r.path).path == path]


def test_nothing_an_entity_pointed_at_was_read(hostile: HostileRun) -> None:
    for collection in ("jobs", "import_logs", "dead_letters", "feeds"):
        for doc in hostile.db[collection].find({}):
            assert CANARY_TEXT not in repr(doc), (collection, doc.get("_id"))
    assert not [r for r in hostile.requests if urlsplit(r.path).path.startswith("/xxe-canary")]


# --- what was stored for the feeds that were (partly) imported --------------------------------------------


def one(hostile: HostileRun, case_id: str, **query: Any) -> dict[str, Any]:
    (doc,) = [job for job in hostile.jobs(case_id) if all(job.get(k) == v for k, v in query.items())]
    return doc


def test_wrong_or_missing_encoding_declarations(hostile: HostileRun) -> None:
    # bytes that are not UTF-8 under a UTF-8 (or no) declaration: the one bad byte becomes U+FFFD
    assert one(hostile, "utf8-declared-latin1-bytes")["title"] == "Caf\ufffd Manager"
    assert one(hostile, "no-declaration-latin1-bytes")["title"] == "Caf\ufffd Manager"
    # a declaration that names a real encoding is obeyed, even when the bytes were UTF-8 (mojibake)
    assert one(hostile, "latin1-declared-utf8-bytes")["title"] == "Caf\xc3\xa9 Manager"


def test_control_characters_are_removed(hostile: HostileRun) -> None:
    doc = one(hostile, "control-characters-xml")
    assert doc["title"] == "OfficeManager"
    assert doc["descriptionText"] == "Pasted from a word processor: page two. Done."
    assert one(hostile, "control-characters-json")["title"] == "Night Shift"


def test_bad_items_are_reported_one_by_one(hostile: HostileRun) -> None:
    dupes = hostile.logs["duplicate-in-feed"]
    assert [(f["reason"], f["itemKey"]) for f in dupes["failures"]] == [("duplicate_in_feed", "dupes-9")]
    assert one(hostile, "duplicate-in-feed", externalId="dupes-9")["title"] == "Growth Marketer"  # the first wins
    titles = hostile.logs["empty-titles"]
    assert {f["itemKey"] for f in titles["failures"]} == {"t-1", "t-2", "t-3"}
    assert all("empty title" in f["message"] for f in titles["failures"])
    # invalid items are parked with their raw form, so a fixed parser can re-drive them
    parked = list(hostile.db.dead_letters.find({"feed": hostile.urls["missing-identity"]}))
    assert len(parked) == 1 and parked[0]["reason"] == "item_invalid" and "Mystery Role" in parked[0]["payload"]["raw"]


def test_absurd_dates_keep_the_job_without_a_date(hostile: HostileRun) -> None:
    dates = {doc["externalId"]: doc["publishedAt"] for doc in hostile.jobs("absurd-dates")}
    assert dates["d-1900"] is None and dates["d-2999"] is None and dates["d-junk"] is None
    assert dates["d-ok"] is not None and dates["d-ok"].year == 2025


def test_five_mb_description_is_capped_not_fatal(hostile: HostileRun) -> None:
    from jobfeed.constants import MAX_TEXT_FIELD_CHARS

    huge = one(hostile, "five-mb-description", externalId="big-1")
    assert len(huge["descriptionHtml"]) == MAX_TEXT_FIELD_CHARS < BIG_DESCRIPTION_CHARS
    assert 0 < len(huge["descriptionText"]) <= MAX_TEXT_FIELD_CHARS
    assert one(hostile, "five-mb-description", externalId="big-2")["descriptionText"] == "Build things."
