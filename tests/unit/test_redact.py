"""redact_url / redact_text: secrets never reach logs, everything else is left byte-for-byte."""

from __future__ import annotations

import pytest

from jobfeed.redact import redact_text, redact_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://jobicy.com/?feed=job_feed", "https://jobicy.com/?feed=job_feed"),
        ("https://user:s3cret@example.com/feed.xml", "https://user:***@example.com/feed.xml"),
        ("https://:s3cret@example.com/", "https://:***@example.com/"),
        ("https://useronly@example.com/", "https://useronly@example.com/"),
        (
            "mongodb://app:p@ss@h1:27017,h2:27017/db?authSource=admin",
            "mongodb://app:***@h1:27017,h2:27017/db?authSource=admin",
        ),
        ("https://api.example.com/jobs?api_key=abc123&page=2", "https://api.example.com/jobs?api_key=***&page=2"),
        (
            "https://x.test/f?token=t&apiKey=k&key=k2&signature=s",
            "https://x.test/f?token=***&apiKey=***&key=***&signature=***",
        ),
        (
            "https://x.test/f?X-Amz-Signature=abc&X-Amz-Credential=c&X-Amz-Date=1",
            "https://x.test/f?X-Amz-Signature=***&X-Amz-Credential=***&X-Amz-Date=1",
        ),
        (
            "https://x.test/f?client_secret=s&password=p&access_token=a",
            "https://x.test/f?client_secret=***&password=***&access_token=***",
        ),
        ("https://x.test/cb#access_token=abc&state=1", "https://x.test/cb#access_token=***&state=1"),
        ("https://x.test/page#section-2", "https://x.test/page#section-2"),
        ("http://[::1]:8080/f?token=abc", "http://[::1]:8080/f?token=***"),
        ("/relative/path?secret=x", "/relative/path?secret=***"),
        ("https://x.test/f?token=", "https://x.test/f?token="),  # nothing to hide
    ],
)
def test_redact_url(url: str, expected: str) -> None:
    assert redact_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "https://remote.example/jobs/feed/?search_keywords=python&search_location=berlin",  # WP Job Manager
        "https://jobicy.com/?feed=job_feed&job_categories=dev&job_types=full-time",
        "https://x.test/f?monkey=1&keyboard=2&tokens_used=3x",  # "key"/"token" inside a word is not a secret name
    ],
)
def test_redact_url_keeps_ordinary_feed_parameters(url: str) -> None:
    assert redact_url(url) == url


def test_redact_url_leaves_odd_inputs_intact() -> None:
    assert redact_url("") == ""
    assert redact_url("not a url") == "not a url"
    assert redact_url("http://[::1") == "http://[::1"  # unparsable by urllib, still no exception


def test_redact_text_masks_uris_inside_an_exception_message() -> None:
    message = (
        "ServerSelectionTimeoutError: mongodb://admin:hunter2@db.internal:27017/?authSource=admin "
        "timed out; fallback redis://:r3dis@cache:6379/0 also down"
    )
    redacted = redact_text(message)
    assert "hunter2" not in redacted and "r3dis" not in redacted
    assert "mongodb://admin:***@db.internal:27017/?authSource=admin timed out" in redacted
    assert "redis://:***@cache:6379/0 also down" in redacted


def test_redact_text_masks_query_tokens_and_keeps_surrounding_text() -> None:
    text = "GET 'https://api.test/v1?token=abc123&page=1' failed (HTTP 500)"
    assert redact_text(text) == "GET 'https://api.test/v1?token=***&page=1' failed (HTTP 500)"


def test_redact_text_without_urls_is_unchanged() -> None:
    text = "connection refused by 127.0.0.1:1234; user:pass is not a URL"
    assert redact_text(text) == text
