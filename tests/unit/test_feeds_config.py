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


@pytest.mark.parametrize(
    ("content", "where"),
    [
        ("feeds: [", "at line 1, column 9: expected the node content"),
        ("feeds:\n  - url: https://a.example/x\n   name: [x\n", "at line 3, column 4: expected <block end>"),
        ("feeds:\n\t- url: https://a.example/x\n", "at line 2, column 1: found character '\\t'"),
    ],
)
def test_bad_yaml_says_line_and_column(tmp_path: Path, content: str, where: str) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text(content)
    with pytest.raises(ConfigError) as info:
        load_feeds_file(path)
    assert str(info.value).startswith(f"feeds file {path} is not valid YAML {where}")
    assert "\n" not in str(info.value)


def test_explicit_urls_win_and_are_validated() -> None:
    assert [s.url for s in resolve_feeds(None, ["http://x.example/feed"], Path("missing.yaml"))] == [
        "http://x.example/feed"
    ]
    with pytest.raises(ConfigError, match="must be http"):
        resolve_feeds(None, ["file:///etc/passwd"], Path("missing.yaml"))


def test_kinds_name_their_endpoint_source_and_name(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text(
        "feeds:\n"
        "  - kind: greenhouse\n    board: stripe\n"
        "  - kind: lever\n    company: leverdemo\n"
        "  - kind: ashby\n    board: Example\n"
        "  - kind: smartrecruiters\n    company: acme\n"
        "  - kind: workable\n    account: acme\n"
        "  - kind: recruitee\n    company: acme\n"
        "  - kind: personio\n    company: acme\n    name: acme-de\n"
        "  - kind: greenhouse\n    board: local\n    url: http://127.0.0.1:8080/v1/boards/local/jobs\n"
        "  - url: https://example.com/jobs/indeed.xml\n"
    )
    specs = load_feeds_file(path)
    assert [spec.url for spec in specs[:7]] == [
        "https://boards-api.greenhouse.io/v1/boards/stripe/jobs?content=true",
        "https://api.lever.co/v0/postings/leverdemo?mode=json",
        "https://api.ashbyhq.com/posting-api/job-board/Example?includeCompensation=true",
        "https://api.smartrecruiters.com/v1/companies/acme/postings",
        "https://apply.workable.com/api/v1/widget/accounts/acme?details=true",
        "https://acme.recruitee.com/api/offers/",
        "https://acme.jobs.personio.de/xml",
    ]
    assert [spec.source for spec in specs] == [
        "greenhouse:stripe", "lever:leverdemo", "ashby:example", "smartrecruiters:acme", "workable:acme",
        "recruitee:acme", "personio:acme", "greenhouse:local", "example.com",
    ]  # fmt: skip
    assert specs[0].name == "greenhouse:stripe" and specs[6].name == "acme-de"
    local = specs[7]  # a given url replaces the endpoint only, whatever its host
    assert local.url == local.public_url == "http://127.0.0.1:8080/v1/boards/local/jobs"
    assert specs[8].kind is None and specs[8].name == "example.com/jobs/indeed.xml"


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("  - kind: taleo\n    board: x\n", "entry 1: unknown kind 'taleo'"),
        ("  - kind: greenhouse\n", "entry 1: kind greenhouse needs 'board'"),
        ("  - kind: greenhouse\n    url: http://127.0.0.1/jobs\n", "needs 'board'"),
        ("  - kind: lever\n    board: x\n", "kind lever takes 'company', not 'board'"),
        ("  - kind: recruitee\n    company: 'a/b'\n", "needs 'company'"),
        ("  - url: https://a.example/x\n    board: x\n", "'board' is only used with 'kind'"),
        ("  - kind: greenhouse\n    board: a\n  - kind: greenhouse\n    board: a\n", "listed twice"),
    ],
)
def test_bad_kind_entries_are_config_errors(tmp_path: Path, entry: str, message: str) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text("feeds:\n" + entry)
    with pytest.raises(ConfigError, match=message) as info:
        load_feeds_file(path)
    assert "\n" not in str(info.value) and "feeds.yaml" in str(info.value)
