"""A body's field coverage and shape, counted while it is ingested (jobfeed/pipeline/profile.py via ingest_body)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from jobfeed.models import FeedFormat
from jobfeed.pipeline.ingest import ingest_body
from jobfeed.pipeline.profile import NAMES_LIMIT
from jobfeed.pipeline.snapshot import Entry
from jobfeed.pipeline.spool import BatchWriter, FeedSpool
from jobfeed.quality import COVERAGE_FIELDS, MAX_ELEMENTS, Profile
from tests.support.feeds import item, load, rss

NOW = datetime.now(UTC)
JOBICY_NS = (
    "http://purl.org/dc/elements/1.1/",
    "http://purl.org/rss/1.0/modules/content/",
    "http://purl.org/rss/1.0/modules/slash/",
    "http://purl.org/rss/1.0/modules/syndication/",
    "http://search.yahoo.com/mrss/",
    "http://wellformedweb.org/CommentAPI/",
    "http://www.w3.org/2005/Atom",
    "https://jobicy.com",
)


def ingest(tmp_path: Path, body: bytes, url: str = "https://board.example/feed", **options: Any) -> Any:
    spool = FeedSpool(tmp_path, f"log-{len(list(tmp_path.iterdir()))}").reset()
    spool.body_path.write_bytes(body)
    return ingest_body(spool.body_path, None, url, BatchWriter(spool, 2), **options)


def profile_of(tmp_path: Path, body: bytes, **options: Any) -> Profile:
    ingested = ingest(tmp_path, body, **options)
    assert ingested.profile is not None
    return ingested.profile


def test_a_wp_job_manager_body(tmp_path: Path) -> None:
    body = profile_of(tmp_path, load("jobicy_job_feed.xml"))
    assert body.coverage == dict.fromkeys(COVERAGE_FIELDS, 1.0)
    shape = body.shape
    assert (shape.format, shape.item_element, shape.items, shape.namespaces) == ("rss", "item", 5, JOBICY_NS)
    # job_listing:* elements under the board's own URI are counted by local name, as the extractor reads them
    assert {"company", "location", "job_type", "dc:creator", "content:encoded", "guid"} <= set(shape.elements)
    assert set(shape.elements.values()) == {1.0}


def test_coverage_counts_each_field_of_each_item(tmp_path: Path) -> None:
    items = [item(f"g{i}", f"Job {i}", link=f"https://board.example/{i}" if i < 3 else None) for i in range(4)]
    items.append("<item><guid>g9</guid><title>No description</title></item>")
    body = profile_of(tmp_path, rss("".join(items)))
    assert body.coverage is not None
    assert (body.coverage["title"], body.coverage["url"], body.coverage["descriptionHtml"]) == (1.0, 0.6, 0.8)
    assert (body.coverage["company"], body.coverage["publishedAt"]) == (0.0, 0.8)
    assert (body.shape.items, body.shape.elements["link"], body.shape.namespaces) == (5, 0.6, ())


def test_invalid_items_count_with_the_fields_they_had_and_duplicates_once(tmp_path: Path) -> None:
    body = rss(item("a", "Engineer") + item("", "No identity") + item("a", "Engineer again") + item("b", "Writer"))
    ingested = ingest(tmp_path, body)
    assert [f.reason.value for f in ingested.failures] == ["item_invalid", "duplicate_in_feed"]
    coverage = ingested.profile.coverage
    assert coverage["title"] == 1.0 and coverage["url"] == 0.0  # a, the item without identity, b: 3 read
    assert ingested.profile.shape.items == 4 and ingested.profile.shape.elements["guid"] == 0.75  # every item


def test_unchanged_items_skip_the_store_but_are_counted(tmp_path: Path) -> None:
    first = ingest(tmp_path, load("jobicy_job_feed.xml"))
    hashes = {entry.key: entry.content_hash for entry in first.listing.sent}
    snapshot = {key: Entry(digest, 0, NOW) for key, digest in hashes.items()}
    again = ingest(tmp_path, load("jobicy_job_feed.xml"), snapshot=snapshot, refresh_before=NOW - timedelta(hours=1))
    assert again.listing.unchanged == 5 and again.batches == []  # nothing goes to the store
    assert again.profile == first.profile


def test_a_restarted_parse_counts_each_item_once(tmp_path: Path) -> None:
    # an undeclared prefix, found late: the parser starts over without namespace processing
    items = "".join(f"<item><title>T{i}</title><guid>g{i}</guid></item>" for i in range(5))
    late = "<item><title>late</title><guid>g9</guid><job_listing:company>Acme</job_listing:company></item>"
    body = (
        f'<?xml version="1.0"?><rss xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>{items}{late}</channel></rss>'
    )
    shape = profile_of(tmp_path, body.encode()).shape
    assert shape.items == 6 and shape.elements == {"guid": 1.0, "title": 1.0, "company": 0.1667}
    assert shape.namespaces == ("http://purl.org/dc/elements/1.1/",)


def test_a_json_body_has_keys_for_elements_and_no_namespaces(tmp_path: Path) -> None:
    body = profile_of(tmp_path, load("jobicy_api_opencruit_response.json"), url="https://jobicy.com/api/v2/remote-jobs")
    assert (body.shape.format, body.shape.item_element, body.shape.namespaces) == ("jobicy_json", None, ())
    assert body.shape.elements["jobTitle"] == 1.0 and body.coverage == dict.fromkeys(COVERAGE_FIELDS, 1.0)


def test_a_job_board_posting_decided_from_its_list_entry_counts_in_the_shape_only(tmp_path: Path) -> None:
    listed = b'[{"id": "1", "text": "Engineer"}, {"id": "2", "text": "Writer"}]'

    def detail(entry: dict[str, Any]) -> dict[str, Any]:
        return {**entry, "hostedUrl": f"https://jobs.lever.co/acme/{entry['id']}", "descriptionPlain": "Do things."}

    options = {"expected": FeedFormat.LEVER, "source": "lever:acme", "detail": detail}
    first = ingest(tmp_path, listed, url="https://api.lever.co/v0/postings/acme", **options)
    assert first.profile.shape.items == 2 and first.profile.coverage["url"] == 1.0
    snapshot = {e.key: Entry(e.content_hash, 0, NOW) for e in first.listing.sent}  # `<hash>@<list stamp>`
    again = ingest(tmp_path, listed, url="https://api.lever.co/v0/postings/acme", snapshot=snapshot,
                   refresh_before=NOW - timedelta(hours=1), **options)  # fmt: skip
    assert again.listing.unchanged == 2
    assert again.profile.shape == first.profile.shape  # the list entries: no detail was asked for
    assert again.profile.coverage is None  # no posting's fields were read


def test_a_body_of_ever_new_element_names_keeps_memory_flat(tmp_path: Path) -> None:
    items = "".join(f"<item><guid>g{i}</guid><title>t</title><x{i}>v</x{i}></item>" for i in range(NAMES_LIMIT + 10))
    shape = profile_of(tmp_path, rss(items)).shape
    assert shape.elements["guid"] == shape.elements["title"] == 1.0 and len(shape.elements) <= MAX_ELEMENTS
