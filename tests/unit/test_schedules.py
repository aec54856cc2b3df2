"""Per-feed schedules: parsing, deployment names, grouping, and how explicit feed lists find their feeds."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from pydantic import ValidationError

from jobfeed.feeds_config import (
    HOURLY,
    ConfigError,
    load_feeds_file,
    resolve_feeds,
    schedule_groups,
    schedule_name,
    select_feeds,
)
from jobfeed.models import FeedSpec, format_duration, normalize_cron, parse_duration


def spec(url: str = "https://a.example/feed", **fields: object) -> FeedSpec:
    return FeedSpec.model_validate({"url": url, **fields})


@pytest.mark.parametrize(
    ("text", "seconds"), [("30s", 30), ("15m", 900), ("2h", 7200), ("30d", 2_592_000), (" 5M ", 300)]
)
def test_durations_parse(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "15", "m", "0m", "1.5h", "-3m", "3 weeks"])
def test_bad_durations_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


def test_durations_are_spelled_in_their_largest_exact_unit() -> None:
    assert [format_duration(s) for s in (90, 900, 3600, 5400, 86_400)] == ["90s", "15m", "1h", "90m", "1d"]


def test_cron_is_normalized_and_shape_checked() -> None:
    assert normalize_cron("  */15   *  * * MON ") == "*/15 * * * mon"
    for bad in ("* * * *", "* * * * * *", "* * * * $"):
        with pytest.raises(ValueError, match="cron"):
            normalize_cron(bad)


def test_a_feed_takes_one_schedule_of_at_least_a_minute() -> None:
    assert spec(interval="120m").interval == "2h"
    with pytest.raises(ValidationError, match="not both"):
        spec(interval="15m", schedule="*/15 * * * *")
    with pytest.raises(ValidationError, match="at least"):
        spec(interval="30s")


def test_deployment_names() -> None:
    assert schedule_name(spec()) == HOURLY
    assert schedule_name(spec(interval="60m")) == HOURLY
    assert schedule_name(spec(schedule="0 * * * *")) == HOURLY  # the hourly schedule itself
    assert schedule_name(spec(interval="15m")) == "every-15m"
    assert schedule_name(spec(interval="2h")) == "every-2h"
    digest = hashlib.sha1(b"*/15 * * * *").hexdigest()[:8]
    assert schedule_name(spec(schedule="*/15  * * * *")) == f"cron-{digest}"


def test_equal_schedules_share_a_group_and_disabled_feeds_have_none() -> None:
    feeds = [
        spec("https://a.example/1", interval="15m"),
        spec("https://a.example/2"),
        spec("https://a.example/3", interval="900s"),
        spec("https://a.example/4", schedule="5 4 * * *"),
        spec("https://a.example/5", interval="15m", enabled=False),
    ]
    groups = {g.name: g for g in schedule_groups(feeds)}
    assert next(iter(groups)) == HOURLY and [f.url for f in groups[HOURLY].feeds] == ["https://a.example/2"]
    assert [f.url for f in groups["every-15m"].feeds] == ["https://a.example/1", "https://a.example/3"]
    assert groups["every-15m"].interval_s == 900 and groups["every-15m"].cron is None
    [cron] = [g for name, g in groups.items() if name.startswith("cron-")]
    assert cron.cron == "5 4 * * *" and cron.interval_s is None
    assert len(groups) == 3


def test_hourly_is_there_even_without_feeds() -> None:
    [hourly, quarter] = schedule_groups([spec(interval="15m")])
    assert hourly.name == HOURLY and hourly.feeds == () and hourly.cron == "0 * * * *"
    assert quarter.name == "every-15m"


def test_explicit_feeds_are_the_file_s_feeds_by_url_public_url_or_name(tmp_path: Path) -> None:
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(
        "feeds:\n"
        "  - {url: 'https://a.example/feed?token=SECRET', name: secret-feed}\n"
        "  - {kind: greenhouse, board: acme}\n"
    )
    public = "https://a.example/feed?token=***"
    [by_public] = resolve_feeds(None, [public], feeds)
    assert by_public.url.endswith("token=SECRET") and by_public.name == "secret-feed"  # the real URL, for the fetch
    [by_name] = resolve_feeds(None, ["greenhouse:acme"], feeds)
    assert by_name.kind == "greenhouse"
    [bare] = resolve_feeds(None, ["https://other.example/x"], feeds)
    assert bare.name == "other.example/x"
    [without_file] = resolve_feeds(None, ["https://other.example/x"], tmp_path / "missing.yaml")
    assert without_file.url == "https://other.example/x"

    found, unknown = select_feeds(feeds, ["secret-feed", "nope", public])
    assert [f.name for f in found] == ["secret-feed"] and unknown == [1]
    with pytest.raises(ConfigError):
        select_feeds(tmp_path / "missing.yaml", ["x"])


def test_schedules_in_the_feeds_file(tmp_path: Path) -> None:
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(
        "feeds:\n  - {url: 'https://a.example/1', interval: 15m}\n  - {url: 'https://a.example/2', schedule: 'x'}\n"
    )
    with pytest.raises(ConfigError, match="entry 2: schedule"):
        load_feeds_file(feeds)
