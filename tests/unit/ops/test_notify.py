"""decide_notification as a table, the message shapes, and OpsSettings validation."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from jobfeed.ops.notify import Notification, decide_notification
from jobfeed.settings import OpsSettings

URL = "https://board.example/feed?api_key=s3cr3t&cat=dev"


def state(
    failures: int, status: str = "failed", *, reason: str | None = "http_5xx", disabled: bool = False
) -> dict[str, Any]:
    return {"consecutiveFailures": failures, "lastStatus": status, "lastErrorReason": reason, "disabled": disabled}


OK = state(0, "success", reason=None)

# (case, previous, current, fail_after, disable_after, expected kind or None, auto_disable)
CASES: list[tuple[str, dict[str, Any] | None, dict[str, Any], int, int, str | None, bool]] = [
    ("first ever run fails", None, state(1), 3, 10, None, False),
    ("second failure", state(1), state(2), 3, 10, None, False),
    ("reaches fail_after", state(2), state(3), 3, 10, "failing", False),
    ("one run past fail_after: told already", state(3), state(4), 3, 10, None, False),
    ("well past fail_after", state(7), state(8), 3, 10, None, False),
    ("fail_after 1, new feed fails", None, state(1), 1, 10, "failing", False),
    ("reaches disable_after", state(9), state(10), 3, 10, "disabled", True),
    ("past disable_after, already disabled by us", state(10), state(11, disabled=True), 3, 10, None, False),
    ("reaches disable_after, operator disabled it meanwhile", state(9), state(10, disabled=True), 3, 10, None, False),
    ("both thresholds at once", state(2), state(3), 3, 3, "disabled", True),
    ("disable_after below fail_after", state(1), state(2), 3, 2, "disabled", True),
    ("disable_after 0 never disables", state(9), state(10), 3, 0, None, False),
    ("recovers after being told", state(5), OK, 3, 10, "recovered", False),
    ("recovers exactly at fail_after", state(3), OK, 3, 10, "recovered", False),
    (
        "recovers after being disabled and re-enabled",
        state(10),
        state(0, "partial", reason=None),
        3,
        10,
        "recovered",
        False,
    ),
    ("recovers before anyone was told", state(2), OK, 3, 10, None, False),
    ("told at disable_after below fail_after, then recovers", state(2), OK, 3, 2, "recovered", False),
    ("not_modified is healthy too", state(4), state(0, "not_modified", reason=None), 3, 10, "recovered", False),
    ("healthy stays healthy", OK, OK, 3, 10, None, False),
    ("skipped run changes nothing", state(4), state(4, "failed"), 3, 10, None, False),
    ("state without the counter", {}, {"lastStatus": "success"}, 3, 10, None, False),
]


@pytest.mark.parametrize(("previous", "current", "fail_after", "disable_after", "kind", "auto_disable"),
                         [case[1:] for case in CASES], ids=[case[0] for case in CASES])  # fmt: skip
def test_decision_table(
    previous: dict[str, Any] | None, current: dict[str, Any], fail_after: int, disable_after: int,
    kind: str | None, auto_disable: bool,
) -> None:  # fmt: skip
    result = decide_notification(
        URL, "board-dev", previous, current, fail_after=fail_after, disable_after=disable_after
    )
    assert (result.kind if result else None) == kind
    assert (result.auto_disable if result else False) is auto_disable


def test_decision_carries_the_facts() -> None:
    result = decide_notification(URL, "", state(2), {**state(3, reason="dns_error"), "name": "from-db"},
                                 fail_after=3, disable_after=10)  # fmt: skip
    assert result == Notification("failing", URL, "from-db", 3, 2, "failed", "dns_error", False)


def test_bad_thresholds_are_rejected() -> None:
    with pytest.raises(ValueError, match="fail_after"):
        decide_notification(URL, "x", None, state(1), fail_after=0, disable_after=10)


def _note(kind: str, **kw: Any) -> Notification:
    base = {
        "kind": kind,
        "feed_url": URL,
        "feed_name": "board <dev> & ops",
        "consecutive_failures": 10,
        "previous_failures": 9,
        "last_status": "failed",
        "reason": "http_4xx",
        "auto_disable": kind == "disabled",
    }
    return Notification(**{**base, **kw})  # type: ignore[arg-type]


def test_disabled_message_says_so_and_hides_the_api_key() -> None:
    note = _note("disabled")
    assert "disabled after 10 consecutive failures" in note.title
    assert "Last error: http_4xx." in note.text
    assert "re-enable" in note.text
    assert "s3cr3t" not in note.text and "api_key=***" in note.text


def test_recovered_message_names_the_streak() -> None:
    note = _note("recovered", consecutive_failures=0, previous_failures=4, last_status="success", reason=None)
    assert note.title == "jobfeed: feed board <dev> & ops recovered"
    assert "Last run: success after 4 consecutive failures." in note.text


def test_slack_payload_is_escaped_mrkdwn_with_fallback_text() -> None:
    payload = _note("failing", consecutive_failures=3).slack_payload()
    assert payload["text"] == ":warning: jobfeed: feed board <dev> & ops failed 3 runs in a row"
    assert [block["type"] for block in payload["blocks"]] == ["section", "section", "context"]
    headline = payload["blocks"][0]["text"]["text"]
    assert headline == ":warning: *jobfeed: feed board &lt;dev&gt; &amp; ops failed 3 runs in a row*"
    context = payload["blocks"][2]["elements"][0]["text"]
    assert context == "<https://board.example/feed?api_key=***&amp;cat=dev> · status `failed` · reason `http_4xx`"
    assert "s3cr3t" not in str(payload)


def test_ops_settings_defaults_and_empty_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOTIFY_WEBHOOK_URL", "")
    ops = OpsSettings(_env_file=None)  # type: ignore[call-arg]
    assert (ops.notify_webhook_url, ops.notify_fail_after, ops.auto_disable_after) == (None, 3, 10)
    assert (ops.email_enabled, ops.log_format, ops.metrics_host) == (False, "text", "127.0.0.1")


def test_ops_settings_keep_secrets_out_of_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOTIFY_WEBHOOK_URL", "https://hooks.slack.com/services/T1/B2/tok3n")
    monkeypatch.setenv("SMTP_HOST", "smtp.example")
    monkeypatch.setenv("SMTP_USER", "bot")
    monkeypatch.setenv("SMTP_PASSWORD", "hunter2")
    monkeypatch.setenv("SMTP_FROM", "jobfeed@example.org")
    monkeypatch.setenv("SMTP_TO", "a@example.org, b@example.org,")
    monkeypatch.setenv("LOG_LEVEL", "warning")
    ops = OpsSettings(_env_file=None)  # type: ignore[call-arg]
    assert ops.smtp_recipients == ("a@example.org", "b@example.org")
    assert ops.log_level == "WARNING"
    assert "tok3n" not in repr(ops) and "hunter2" not in repr(ops)
    assert ops.smtp_password is not None and ops.smtp_password.get_secret_value() == "hunter2"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SMTP_HOST": "smtp.example"}, "SMTP_FROM and SMTP_TO"),
        ({"SMTP_PASSWORD": "x"}, "without SMTP_USER"),
        ({"LOG_LEVEL": "loud"}, "unknown log level"),
        ({"LOG_FORMAT": "xml"}, "'text' or 'json'"),
        ({"NOTIFY_FAIL_AFTER": "0"}, "greater than or equal to 1"),
    ],
)
def test_ops_settings_reject_bad_values(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=message):
        OpsSettings(_env_file=None)  # type: ignore[call-arg]
