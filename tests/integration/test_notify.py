"""Notifications end to end: real feed state in Mongo, a local webhook receiver, a local SMTP sink."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header
from typing import Any

import pytest

from jobfeed.ops.channels import send_email, send_webhook
from jobfeed.ops.notify import Notification, notify_after_run
from jobfeed.settings import OpsSettings
from jobfeed.stack.procs import free_port
from tests.support.receivers import SmtpSink, WebhookReceiver

FEED = "https://board.example/feed?token=abc123"
NAME = "board-dev"


@pytest.fixture
def webhook() -> Any:
    with WebhookReceiver() as receiver:
        yield receiver


@pytest.fixture
def smtp() -> Any:
    with SmtpSink() as sink:
        yield sink


def _ops(webhook: WebhookReceiver | None, smtp: SmtpSink | None, **extra: Any) -> OpsSettings:
    values: dict[str, Any] = {"notify_timeout_s": 5}
    if webhook is not None:
        values["notify_webhook_url"] = webhook.url()
    if smtp is not None:
        values.update(smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_starttls=False,
                      smtp_from="jobfeed@example.org", smtp_to="ops@example.org,oncall@example.org")  # fmt: skip
    return OpsSettings(_env_file=None, **{**values, **extra})  # type: ignore[call-arg]


def _run(store: Any, status: str, ops: OpsSettings, at: datetime) -> Notification | None:
    """What tasks/record.py does for one feed: read the state, record the run, then notify."""
    previous = store.feeds.get(FEED)
    store.feeds.record_run(FEED, name=NAME, status=status, now=at, conditional=None,
                           error_reason=None if status == "success" else "http_5xx")  # fmt: skip
    return notify_after_run(store, FEED, NAME, previous, ops)


def test_a_failing_feed_is_reported_disabled_and_recovered(
    store: Any, webhook: WebhookReceiver, smtp: SmtpSink
) -> None:
    ops = _ops(webhook, smtp)
    start = datetime(2026, 11, 23, tzinfo=UTC)
    kinds = [_run(store, "failed", ops, start + timedelta(hours=hour)) for hour in range(11)]
    assert [note.kind if note else None for note in kinds] == [None, None, "failing", *[None] * 6, "disabled", None]
    assert store.feeds.is_disabled(FEED)  # the 10th failure disabled it (the 11th run is an operator's manual run)

    store.feeds.set_disabled(FEED, False, now=start + timedelta(hours=12))  # the operator re-enables it
    recovered = _run(store, "success", ops, start + timedelta(hours=13))
    assert recovered is not None and recovered.kind == "recovered" and recovered.previous_failures == 11
    assert _run(store, "success", ops, start + timedelta(hours=14)) is None

    texts = [post.json()["text"] for post in webhook.posts]
    assert texts == [
        ":warning: jobfeed: feed board-dev failed 3 runs in a row",
        ":no_entry: jobfeed: feed board-dev disabled after 10 consecutive failures",
        ":white_check_mark: jobfeed: feed board-dev recovered",
    ]
    assert {post.path for post in webhook.posts} == {"/services/T000/B000/secret-token"}
    assert all(post.headers["Content-Type"] == "application/json" for post in webhook.posts)
    assert all("abc123" not in post.body.decode() for post in webhook.posts)

    assert [mail.message["Subject"] for mail in smtp.mails] == [text.split(" ", 1)[1] for text in texts]
    first = smtp.mails[0]
    assert first.sender == "jobfeed@example.org"
    assert first.recipients == ["ops@example.org", "oncall@example.org"]
    assert first.message["To"] == "ops@example.org, oncall@example.org"
    raw = first.message.get_payload(decode=True)
    assert isinstance(raw, bytes)
    body = raw.decode()
    assert "Feed: https://board.example/feed?token=***" in body and "Last error: http_5xx." in body


def test_auto_disable_happens_without_any_channel(store: Any) -> None:
    ops = _ops(None, None, notify_fail_after=1, auto_disable_after=2)
    now = datetime(2026, 11, 23, tzinfo=UTC)
    assert _run(store, "failed", ops, now).kind == "failing"  # type: ignore[union-attr]
    assert not store.feeds.is_disabled(FEED)
    assert _run(store, "failed", ops, now + timedelta(hours=1)).kind == "disabled"  # type: ignore[union-attr]
    assert store.feeds.get(FEED)["disabled"] is True


def test_unknown_feed_gives_no_notification(store: Any, webhook: WebhookReceiver) -> None:
    assert notify_after_run(store, "https://never.example/feed", "never", None, _ops(webhook, None)) is None
    assert webhook.posts == []


NOTE = Notification("failing", FEED, NAME, 3, 2, "failed", "http_5xx")


def test_webhook_retries_a_5xx_once(webhook: WebhookReceiver) -> None:
    webhook.statuses = [503]
    assert send_webhook(webhook.url(), NOTE, timeout_s=5, retry_delay_s=0) is True
    assert len(webhook.posts) == 2


def test_webhook_gives_up_on_a_4xx_and_logs_no_token(
    webhook: WebhookReceiver, caplog: pytest.LogCaptureFixture
) -> None:
    webhook.statuses = [404, 200]
    with caplog.at_level(logging.WARNING, logger="jobfeed.ops.notify"):
        assert send_webhook(webhook.url(), NOTE, timeout_s=5, retry_delay_s=0) is False
    assert len(webhook.posts) == 1  # a 404 is not retried
    assert f"webhook http://127.0.0.1:{webhook.port} did not take" in caplog.text and "HTTP 404" in caplog.text
    assert "secret-token" not in caplog.text and "abc123" not in caplog.text


def test_webhook_unreachable_returns_false(caplog: pytest.LogCaptureFixture) -> None:
    url = f"http://127.0.0.1:{free_port()}/hooks/secret-token"
    with caplog.at_level(logging.WARNING, logger="jobfeed.ops.notify"):
        assert send_webhook(url, NOTE, timeout_s=2, retry_delay_s=0) is False
    assert "ConnectError" in caplog.text and "secret-token" not in caplog.text


def test_email_with_login(smtp: SmtpSink) -> None:
    ok = send_email(NOTE, host="127.0.0.1", port=smtp.port, sender="jobfeed@example.org", recipients=["ops@example.org"],
                    user="bot", password="hunter2", starttls=False, timeout_s=5)  # fmt: skip
    assert ok is True
    assert smtp.mails[0].auth == ("bot", "hunter2")
    assert smtp.mails[0].message["Subject"] == "jobfeed: feed board-dev failed 3 runs in a row"


def test_email_requires_starttls_when_asked(smtp: SmtpSink, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="jobfeed.ops.notify"):
        ok = send_email(NOTE, host="127.0.0.1", port=smtp.port, sender="jobfeed@example.org",
                        recipients=["ops@example.org"], user="bot", password="hunter2", starttls=True, timeout_s=5)  # fmt: skip
    assert ok is False
    assert smtp.mails == []  # no fallback to a plaintext session
    assert "SMTPNotSupportedError" in caplog.text and "hunter2" not in caplog.text


def test_email_refuses_clear_text_credentials_to_a_remote_host(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="jobfeed.ops.notify"):
        ok = send_email(NOTE, host="smtp.example.org", port=587, sender="a@example.org", recipients=["b@example.org"],
                        user="bot", password="hunter2", starttls=False, timeout_s=1)  # fmt: skip
    assert ok is False and "not sending credentials in clear" in caplog.text


def test_email_unreachable_returns_false() -> None:
    ok = send_email(NOTE, host="127.0.0.1", port=free_port(), sender="a@example.org", recipients=["b@example.org"],
                    starttls=False, timeout_s=2)  # fmt: skip
    assert ok is False


def _log(name: str, url: str, status: str, **counts: Any) -> Any:
    from jobfeed.importlog import FeedFailure, ImportLog, LogStatus
    from jobfeed.reasons import FailureReason

    error = FeedFailure(FailureReason.DNS_ERROR, f"cannot resolve {url}") if status == "failed" else None
    return ImportLog(file_name=url, feed_name=name, flow_run_id="r", started_at=datetime(2026, 11, 23, tzinfo=UTC),
                     status=LogStatus(status), error=error, **counts)  # fmt: skip


def test_run_summary_goes_through_every_channel_once(webhook: WebhookReceiver, smtp: SmtpSink) -> None:
    from jobfeed.ops.channels import deliver
    from jobfeed.ops.followups import FollowUp, run_summary

    logs = [_log("good", "https://a.example/f", "success", new=4, unchanged=6), _log("bad", FEED, "failed")]
    follow_ups = [FollowUp("refresh-duplicate-groups", True, "incremental refresh of 3 dupKey(s)"),
                  FollowUp.failed("export-jobs", PermissionError(13, "Permission denied", "/exports/x"))]  # fmt: skip
    summary = run_summary(logs, follow_ups, run_name="import-20261123-100000", link="http://ui/runs/flow-run/1")
    assert deliver(summary, _ops(webhook, smtp)) == {"webhook": True, "email": True}
    (post,) = webhook.posts
    assert post.json()["text"] == (
        ":warning: jobfeed run import-20261123-100000: Partial - 1 of 2 feeds ok; 1 failed: dns_error ×1"
    )
    body = post.json()["blocks"][1]["text"]["text"]
    assert "Jobs: 4 new, 0 updated, 6 unchanged, 0 failed, 0 closed (10 fetched from 2 feed(s))." in body
    assert "- bad failed: dns_error - cannot resolve https://board.example/feed?token=***" in body
    assert "- export-jobs failed: PermissionError: [Errno 13] Permission denied: '/exports/x'" in body
    assert "Run: http://ui/runs/flow-run/1" in body and "abc123" not in post.body.decode()
    (mail,) = smtp.mails
    assert " ".join(str(make_header(decode_header(mail.message["Subject"]))).split()) == summary.title
    raw = mail.message.get_payload(decode=True)
    assert isinstance(raw, bytes) and "refresh-duplicate-groups: incremental refresh of 3 dupKey(s)" in raw.decode()

    # a retry sends only to the channels that did not take it yet
    assert deliver(summary, _ops(webhook, smtp), skip=frozenset({"email"})) == {"webhook": True}
    assert len(webhook.posts) == 2 and len(smtp.mails) == 1


def test_a_drift_notice_goes_through_the_same_channels(webhook: WebhookReceiver, smtp: SmtpSink) -> None:
    from jobfeed.ops.drift import notify_drift
    from jobfeed.quality import Drift, DriftKind

    drift = [Drift(DriftKind.ELEMENT_MISSING, "company", 1.0, 0.0)]
    notice = notify_drift(FEED, NAME, "log-42", drift, _ops(webhook, smtp))
    assert notice is not None
    (post,) = webhook.posts
    assert (
        post.json()["text"]
        == ":mag: jobfeed: feed board-dev drifted from its baseline (element_missing company: 1 → 0)"
    )
    assert "abc123" not in post.body.decode()
    (mail,) = smtp.mails
    assert str(make_header(decode_header(mail.message["Subject"]))) == notice.title
    body = mail.message.get_payload(decode=True)
    assert isinstance(body, bytes) and b"- element_missing company: 1 \xe2\x86\x92 0" in body and b"abc123" not in body
    webhook.statuses.extend([500] * 5)  # a broken channel is logged, never raised
    assert notify_drift(FEED, NAME, "log-43", drift, _ops(webhook, None, notify_timeout_s=1)) is not None
