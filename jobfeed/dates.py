"""Feed dates -> UTC-aware datetimes: RFC 822 (RSS), ISO 8601 (Atom, dc:date, JSON), epochs."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

from jobfeed.constants import MAX_FUTURE_SKEW_DAYS, MIN_PLAUSIBLE_YEAR

_MAX_FUTURE_SKEW = timedelta(days=MAX_FUTURE_SKEW_DAYS)
# Larger epoch numbers are milliseconds: in seconds they would be after the year 5000.
_EPOCH_MS_THRESHOLD = 100_000_000_000

# The shape nearly every RSS pubDate has, read without email.utils (3x faster per item):
# "Sat, 29 Aug 2026 02:12:12 +0000" or "... EDT". Any other spelling goes to email.utils.
_RFC822 = re.compile(
    r"(?:[A-Za-z]{3},\s*)?(\d{1,2})\s+([A-Za-z]{3})\s+(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?"
    r"\s+(?:([+-])(\d{2})(\d{2})|([A-Za-z]{1,3}))\Z"
)
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
# RFC 822's named zones, the same table email.utils uses.
_ZONE_HOURS = {
    "UT": 0, "UTC": 0, "GMT": 0, "Z": 0, "EST": -5, "EDT": -4, "CST": -6, "CDT": -5,
    "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
}  # fmt: skip
_ZONES = {name: timezone(timedelta(hours=hours)) for name, hours in _ZONE_HOURS.items()}
_ONE_DAY = timedelta(days=1)


def parse_date(value: object, *, now: datetime | None = None) -> datetime | None:
    """A tz-aware UTC datetime from a feed date, or None when unparseable or implausible.

    Implausible means before MIN_PLAUSIBLE_YEAR or more than MAX_FUTURE_SKEW_DAYS after `now`
    (default: the current time). A date without a zone (or with an unknown zone name) is read as
    UTC: a few hours off is better than no date at all.
    """
    parsed = _to_datetime(value)
    if parsed is None:
        return None
    parsed = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    if parsed.year < MIN_PLAUSIBLE_YEAR:
        return None
    if parsed > (now or datetime.now(UTC)) + _MAX_FUTURE_SKEW:
        return None
    return parsed


def _to_datetime(value: object) -> datetime | None:
    """Interpret one raw value; None when it is not a date in a format we know."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return _from_epoch(value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text:
        return None
    if text[:4].isdigit():  # ISO 8601 starts with the year; RFC 822 with a day name or number
        return _from_iso(text)
    return _from_rfc822(text)


def _from_iso(text: str) -> datetime | None:
    """ISO 8601 as Python 3.11 reads it (incl. a Z suffix, a space separator, a date alone)."""
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    if text.isdigit():  # an epoch written as a string
        return _from_epoch(int(text))
    return _from_rfc822(text)  # "2025 ..." is not RFC 822 either, but costs nothing to try


def _from_rfc822(text: str) -> datetime | None:
    """RFC 822/2822 incl. named US zones (EDT, PST, ...), GMT, UT and Z."""
    match = _RFC822.match(text)
    if match is not None:
        day, month, year, hour, minute, second, sign, zone_h, zone_m, zone = match.groups()
        month_number = _MONTHS.get(month.lower())
        tz = _ZONES.get(zone.upper()) if zone else _offset(sign, zone_h, zone_m)
        if month_number is not None and tz is not None:
            try:
                return datetime(
                    int(year), month_number, int(day),
                    int(hour), int(minute), int(second or 0), tzinfo=tz,
                )  # fmt: skip
            except ValueError:  # 31 Feb, hour 25: not a date
                return None
    try:  # every other spelling: 2-digit years, no zone, unknown zone names, odd spacing
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _offset(sign: str, hours: str, minutes: str) -> timezone | None:
    """A +hhmm / -hhmm offset as a timezone; None when out of range (email.utils decides then)."""
    delta = timedelta(hours=int(hours), minutes=int(minutes))
    if delta >= _ONE_DAY:
        return None
    return timezone(-delta if sign == "-" else delta)


def _from_epoch(number: float) -> datetime | None:
    """Seconds (or milliseconds, when huge) since 1970."""
    if number > _EPOCH_MS_THRESHOLD:
        number = number / 1000
    try:
        return datetime.fromtimestamp(number, UTC)
    except (OverflowError, OSError, ValueError):
        return None
