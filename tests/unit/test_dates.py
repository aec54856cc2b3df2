"""parse_date: every date format the feeds use, to a UTC-aware datetime, or None."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

import pytest

from jobfeed.constants import MAX_FUTURE_SKEW_DAYS, MIN_PLAUSIBLE_YEAR
from jobfeed.dates import parse_date
from jobfeed.pipeline.normalize import parse_date as reexported

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


PARSED = [
    # RFC 822 / 2822 (RSS pubDate)
    ("Sat, 29 Aug 2026 02:12:12 +0000", utc(2026, 8, 29, 2, 12, 12)),
    ("Sun, 22 Feb 2026 04:18:34 +0000", utc(2026, 2, 22, 4, 18, 34)),
    ("Wed, 05 Nov 2025 09:00:00 +0100", utc(2025, 11, 5, 8, 0)),
    ("Wed, 05 Nov 2025 09:00:00 -0530", utc(2025, 11, 5, 14, 30)),
    ("05 Nov 2025 09:00:00 +0000", utc(2025, 11, 5, 9, 0)),  # no day name
    ("Wed, 5 Nov 2025 09:00 +0000", utc(2025, 11, 5, 9, 0)),  # no seconds, 1-digit day
    ("  Wed, 05 Nov 2025 09:00:00 +0000\n", utc(2025, 11, 5, 9, 0)),  # whitespace from the feed
    # RFC 822 named zones (higheredjobs uses EDT/PST)
    ("Thu, 16 Oct 2025 10:00:00 EDT", utc(2025, 10, 16, 14, 0)),
    ("Thu, 16 Oct 2025 10:00:00 EST", utc(2025, 10, 16, 15, 0)),
    ("Thu, 16 Oct 2025 10:00:00 CDT", utc(2025, 10, 16, 15, 0)),
    ("Thu, 16 Oct 2025 10:00:00 CST", utc(2025, 10, 16, 16, 0)),
    ("Thu, 16 Oct 2025 10:00:00 MDT", utc(2025, 10, 16, 16, 0)),
    ("Thu, 16 Oct 2025 10:00:00 MST", utc(2025, 10, 16, 17, 0)),
    ("Thu, 16 Oct 2025 10:00:00 PDT", utc(2025, 10, 16, 17, 0)),
    ("Mon, 17 Nov 2025 08:15:00 PST", utc(2025, 11, 17, 16, 15)),
    ("Thu, 16 Oct 2025 10:00:00 GMT", utc(2025, 10, 16, 10, 0)),
    ("Thu, 16 Oct 2025 10:00:00 UT", utc(2025, 10, 16, 10, 0)),
    ("Thu, 16 Oct 2025 10:00:00 Z", utc(2025, 10, 16, 10, 0)),
    ("Thu, 16 Oct 2025 10:00:00 -0000", utc(2025, 10, 16, 10, 0)),  # "zone unknown": read as UTC
    ("Thu, 16 Oct 2025 10:00:00 XYZ", utc(2025, 10, 16, 10, 0)),  # unknown name: read as UTC
    # ISO 8601 (Atom, dc:date, jobicy JSON)
    ("2026-02-23T15:17:26+00:00", utc(2026, 2, 23, 15, 17, 26)),
    ("2025-11-05T09:30:00Z", utc(2025, 11, 5, 9, 30)),
    ("2025-11-05T11:00:00+01:00", utc(2025, 11, 5, 10, 0)),
    ("2025-11-03T08:00:00-05:00", utc(2025, 11, 3, 13, 0)),
    ("2025-11-05T09:30:00.123456Z", datetime(2025, 11, 5, 9, 30, 0, 123456, tzinfo=UTC)),
    ("2025-11-05T09:30:00+0000", utc(2025, 11, 5, 9, 30)),
    ("2025-11-05 09:30:00", utc(2025, 11, 5, 9, 30)),  # older jobicy API: space, no zone
    ("2025-11-05T09:30", utc(2025, 11, 5, 9, 30)),
    ("2025-11-03", utc(2025, 11, 3)),  # dc:date may be a date alone
    # epochs
    (1762335000, utc(2025, 11, 5, 9, 30)),
    (1762335000.0, utc(2025, 11, 5, 9, 30)),
    (1762335000000, utc(2025, 11, 5, 9, 30)),  # milliseconds
    ("1762335000", utc(2025, 11, 5, 9, 30)),
    # already a datetime
    (datetime(2025, 11, 5, 10, 30, tzinfo=timezone(timedelta(hours=1))), utc(2025, 11, 5, 9, 30)),
    (datetime(2025, 11, 5, 9, 30), utc(2025, 11, 5, 9, 30)),
]


@pytest.mark.parametrize(("value", "expected"), PARSED)
def test_parses_to_utc(value: object, expected: datetime) -> None:
    parsed = parse_date(value, now=NOW)
    assert parsed == expected
    assert parsed is not None and parsed.tzinfo is UTC


UNPARSEABLE = [
    None,
    "",
    "   ",
    "yesterday",
    "not a date at all",
    "32 Foo 2025 99:99:99",
    "Mon, 45 Nov 2025 10:00:00 +0000",
    "2025-13-45T99:00:00Z",
    "2025-11",
    True,
    ["2025-11-05"],
    {"#text": "2025-11-05"},
    float("nan"),
    10**30,
]


@pytest.mark.parametrize("value", UNPARSEABLE)
def test_unparseable_gives_none(value: object) -> None:
    assert parse_date(value, now=NOW) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (f"{MIN_PLAUSIBLE_YEAR - 1}-12-31T23:00:00Z", None),
        ("Thu, 01 Jan 1970 00:00:00 +0000", None),
        (0, None),
        ("0001-01-01T00:00:00Z", None),
        (f"{MIN_PLAUSIBLE_YEAR}-01-01T00:00:00Z", utc(MIN_PLAUSIBLE_YEAR, 1, 1)),
        ((NOW + timedelta(days=MAX_FUTURE_SKEW_DAYS, minutes=1)).isoformat(), None),
        ("Fri, 01 Jan 2100 00:00:00 +0000", None),
        ("9999-12-31T23:59:59Z", None),
        (
            (NOW + timedelta(days=MAX_FUTURE_SKEW_DAYS)).isoformat(),
            NOW + timedelta(days=MAX_FUTURE_SKEW_DAYS),
        ),
        ((NOW + timedelta(hours=5)).isoformat(), NOW + timedelta(hours=5)),
    ],
)
def test_absurd_dates_are_none(value: object, expected: datetime | None) -> None:
    assert parse_date(value, now=NOW) == expected


def test_future_bound_defaults_to_the_current_time() -> None:
    soon = datetime.now(UTC) + timedelta(hours=1)
    far = datetime.now(UTC) + timedelta(days=MAX_FUTURE_SKEW_DAYS + 1)
    assert parse_date(soon.isoformat()) == soon
    assert parse_date(far.isoformat()) is None


def test_normalize_exposes_the_same_function() -> None:
    assert reexported is parse_date


@pytest.mark.parametrize(
    "value",
    [
        "Sat, 29 Aug 2026 02:12:12 +0000",
        "sat, 29 aug 2026 02:12:12 +0000",
        "29 Aug 2026 02:12 -0930",
        "Mon, 17 Nov 2025 08:15:00 PST",
        "Mon, 17 Nov 2025 08:15:00 pdt",
        "Mon, 17 Nov 2025 08:15:00 +1345",
        "Mon, 17 Nov 25 08:15:00 +0000",  # 2-digit year: email.utils path
        "Mon, 17 Nov 2025 08:15:00",  # no zone: email.utils path
        "Mon, 17 Nov 2025 08:15:00 CEST",  # unknown name: email.utils path
    ],
)
def test_rfc822_fast_path_agrees_with_email_utils(value: str) -> None:
    reference = parsedate_to_datetime(value)
    if reference.tzinfo is None:
        reference = reference.replace(tzinfo=UTC)
    assert parse_date(value, now=NOW) == reference


@pytest.mark.parametrize(
    "value",
    [
        "Mon, 31 Feb 2025 10:00:00 +0000",
        "Mon, 10 Foo 2025 10:00:00 +0000",
        "10 Nov 2025 25:00:00 GMT",
    ],
)
def test_rfc822_impossible_dates_are_none(value: str) -> None:
    assert parse_date(value, now=NOW) is None
