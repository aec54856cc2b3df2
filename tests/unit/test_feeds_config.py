"""feeds.yaml loading: valid files, the shipped file, and every kind of bad config as one clear line."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobfeed.feeds_config import ConfigError, load_feeds_file, resolve_feeds

ROOT = Path(__file__).resolve().parents[2]


def test_shipped_feeds_file_has_the_nine_feeds() -> None:
    specs = load_feeds_file(ROOT / "feeds.yaml")
    assert len(specs) == 9
    assert specs[0].url == "https://jobicy.com/?feed=job_feed"
    assert specs[-1].url == "https://www.higheredjobs.com/rss/articleFeed.cfm"
    assert all(spec.enabled for spec in specs)
    assert len({spec.name for spec in specs}) == 9


def test_default_name_and_disabled(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_text(
        "feeds:\n  - url: https://example.com/?feed=job_feed\n  - url: https://b.example/x\n    enabled: false\n"
    )
    specs = load_feeds_file(path)
    assert specs[0].name == "example.com?feed=job_feed"
    assert [s.url for s in resolve_feeds(path, None, Path("unused"))] == ["https://example.com/?feed=job_feed"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read feeds file"),
        ("feeds: [", "not valid YAML"),
        ("jobs: []", "top-level 'feeds:' list"),
        ("feeds:\n  - url: ftp://example.com/feed\n", r"must be http\(s\)"),
        ("feeds:\n  - url: https://a.example/x\n  - url: https://a.example/x\n", "listed twice"),
        ("feeds:\n  - url: https://a.example/x\n    colour: red\n", "colour"),
        ("feeds:\n  - url: https://a.example/x\n    enabled: false\n", "no enabled feeds"),
    ],
)
def test_bad_config_is_one_clear_error(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "feeds.yaml"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ConfigError, match=message) as info:
        resolve_feeds(path, None, Path("unused"))
    assert "\n" not in str(info.value)


def test_explicit_urls_win_and_are_validated() -> None:
    assert [s.url for s in resolve_feeds(None, ["http://x.example/feed"], Path("missing.yaml"))] == [
        "http://x.example/feed"
    ]
    with pytest.raises(ConfigError, match="must be http"):
        resolve_feeds(None, ["file:///etc/passwd"], Path("missing.yaml"))
