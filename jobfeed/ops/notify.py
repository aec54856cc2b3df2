"""Feed-health notifications: a pure decision (decide_notification), then best-effort delivery.

A feed is reported once when it reaches NOTIFY_FAIL_AFTER consecutive failures, once when it
reaches AUTO_DISABLE_AFTER (and is disabled), and once when it recovers. Delivery never raises:
a chat or mail outage must not fail an import run.
"""

from __future__ import annotations

import ipaddress
import logging
import smtplib
import ssl
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import TYPE_CHECKING, Any, Literal, Protocol
from urllib.parse import urlsplit

import httpx
from pymongo.errors import PyMongoError

from jobfeed import constants as C
from jobfeed.redact import redact_text, redact_url
from jobfeed.settings import OpsSettings, get_settings

if TYPE_CHECKING:
    from jobfeed.store import Store

log = logging.getLogger("jobfeed.ops.notify")

Kind = Literal["failing", "disabled", "recovered"]
_ICONS: dict[str, str] = {"failing": ":warning:", "disabled": ":no_entry:", "recovered": ":white_check_mark:"}


class Message(Protocol):
    """What a channel sends: a feed's Notification, a run's summary (jobfeed/ops/followups.py), a drift notice
    (jobfeed/ops/drift.py)."""

    @property
    def title(self) -> str: ...  # the e-mail subject

    @property
    def text(self) -> str: ...  # the e-mail body, a webhook's fallback text

    @property
    def about(self) -> str: ...  # what it is, for log lines: "'failing' notification for <url>"

    def slack_payload(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Notification:
    """One message about one feed's health; `auto_disable` asks the caller to disable the feed."""

    kind: Kind
    feed_url: str
    feed_name: str
    consecutive_failures: int
    previous_failures: int
    last_status: str | None
    reason: str | None
    auto_disable: bool = False

    @property
    def title(self) -> str:
        """A one-line summary, used as the e-mail subject."""
        name = self.feed_name
        if self.kind == "disabled":
            return f"jobfeed: feed {name} disabled after {self.consecutive_failures} consecutive failures"
        if self.kind == "failing":
            return f"jobfeed: feed {name} failed {self.consecutive_failures} runs in a row"
        return f"jobfeed: feed {name} recovered"

    @property
    def about(self) -> str:
        """What it is, for log lines (the feed URL masked)."""
        return f"{self.kind!r} notification for {redact_url(self.feed_url)}"

    @property
    def text(self) -> str:
        """The plain-text message (webhook fallback text, e-mail body)."""
        url = redact_url(self.feed_url)  # a feed URL may carry an API key in its query
        if self.kind == "recovered":
            detail = f"Last run: {self.last_status} after {self.previous_failures} consecutive failures."
        else:
            detail = f"Last error: {self.reason or 'unknown'}."
        lines = [f"{self.title}.", f"Feed: {url}", detail]
        if self.kind == "disabled":
            lines.append("Scheduled runs now skip it; re-enable it from the dashboard once the board works again.")
        elif self.kind == "failing":
            lines.append("Runs keep trying it every hour; see `jobfeed logs --feed URL` for the errors.")
        return "\n".join(lines)

    def slack_payload(self) -> dict[str, Any]:
        """Slack-compatible JSON: `text` for notifications and clients without blocks, `blocks` for the rest."""
        context = f"<{_slack_escape(redact_url(self.feed_url))}> · status `{self.last_status or 'n/a'}`"
        if self.reason and self.kind != "recovered":
            context += f" · reason `{self.reason}`"
        return {
            "text": f"{_ICONS[self.kind]} {self.title}",
            "blocks": [
                {
                    "type": "section",
                    "text": {"type": "mrkdwn", "text": f"{_ICONS[self.kind]} *{_slack_escape(self.title)}*"},
                },
                {"type": "section", "text": {"type": "mrkdwn", "text": _slack_escape(self.text.split("\n", 1)[1])}},
                {"type": "context", "elements": [{"type": "mrkdwn", "text": context}]},
            ],
        }


def _slack_escape(text: str) -> str:
    """Slack's mrkdwn treats &, < and > as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _failures(state: Mapping[str, Any] | None) -> int:
    return int((state or {}).get("consecutiveFailures") or 0)


def decide_notification(
    feed_url: str,
    feed_name: str,
    previous: Mapping[str, Any] | None,
    current: Mapping[str, Any],
    *,
    fail_after: int,
    disable_after: int,
) -> Notification | None:
    """The notification a run's state change calls for, or None (pure: no I/O, no clock)."""
    if fail_after < 1 or disable_after < 0:
        raise ValueError("fail_after must be >= 1 and disable_after >= 0 (0 = never disable)")
    before, after = _failures(previous), _failures(current)

    def note(kind: Kind, auto_disable: bool = False) -> Notification:
        return Notification(kind, feed_url, feed_name or current.get("name") or feed_url, after, before,
                            current.get("lastStatus"), current.get("lastErrorReason"), auto_disable)  # fmt: skip

    # Thresholds are crossings (before < N <= after), so each is reported once, not on every later run.
    if disable_after and before < disable_after <= after and not current.get("disabled"):
        return note("disabled", auto_disable=True)
    if before < fail_after <= after:
        return note("failing")
    # Someone heard about this feed when it crossed the lower of the two thresholds: tell them it is back.
    told_at = min(fail_after, disable_after) if disable_after else fail_after
    if before >= told_at and after == 0:
        return note("recovered")
    return None


def _endpoint(url: str) -> str:
    """scheme://host[:port] only: a webhook's path and query are its credentials."""
    try:
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.hostname}{f':{parts.port}' if parts.port else ''}"
    except ValueError:
        return "<unparseable webhook URL>"


def _scrub(message: str, secret_url: str) -> str:
    return redact_text(message.replace(secret_url, _endpoint(secret_url)))


def send_webhook(
    url: str,
    notification: Message,
    *,
    timeout_s: float,
    attempts: int = C.NOTIFY_ATTEMPTS,
    retry_delay_s: float = C.NOTIFY_RETRY_DELAY_S,
) -> bool:
    """POST the Slack-compatible payload; True on a 2xx. Never raises; failures are logged redacted."""
    payload = notification.slack_payload()
    problem = "not attempted"
    for attempt in range(1, max(attempts, 1) + 1):
        retryable = True
        try:
            response = httpx.post(url, json=payload, timeout=timeout_s, follow_redirects=False)
        except Exception as exc:  # noqa: BLE001 - never raise: httpx errors, a malformed URL, a bad proxy setting
            problem = f"{type(exc).__name__}: {_scrub(str(exc), url)}"
        else:
            if response.is_success:
                return True
            problem = f"HTTP {response.status_code}"
            retryable = response.status_code == 429 or response.status_code >= 500
        if not retryable or attempt >= attempts:
            break
        time.sleep(retry_delay_s)
    log.warning("webhook %s did not take the %s (%s)", _endpoint(url), notification.about, problem)
    return False


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def send_email(
    notification: Message,
    *,
    host: str,
    port: int,
    sender: str,
    recipients: Sequence[str],
    user: str | None = None,
    password: str | None = None,
    starttls: bool = True,
    timeout_s: float = C.NOTIFY_TIMEOUT_S,
) -> bool:
    """Send the notification by SMTP (STARTTLS required when `starttls`); True when accepted. Never raises."""
    if user and not starttls and not _is_loopback(host):
        log.warning("SMTP_USER is set but SMTP_STARTTLS is off: not sending credentials in clear to %s", host)
        return False
    message = EmailMessage()
    message["Subject"] = notification.title
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(domain="jobfeed")
    message.set_content(notification.text)
    try:
        with smtplib.SMTP(host, port, timeout=timeout_s) as smtp:
            if starttls:  # raises SMTPNotSupportedError when the server does not offer it: no plaintext fallback
                smtp.starttls(context=ssl.create_default_context())
            if user:
                smtp.login(user, password or "")
            smtp.send_message(message, from_addr=sender, to_addrs=list(recipients))
        return True
    except (smtplib.SMTPException, OSError, ValueError) as exc:
        log.warning("SMTP %s:%s did not take the %s (%s: %s)", host, port, notification.about, type(exc).__name__,
                    redact_text(str(exc)))  # fmt: skip
        return False


def deliver(notification: Message, ops: OpsSettings, *, skip: frozenset[str] = frozenset()) -> dict[str, bool]:
    """Send to every configured channel but those in `skip` (`webhook`, `email`); returns {channel: delivered}."""
    results: dict[str, bool] = {}
    if ops.notify_webhook_url is not None and "webhook" not in skip:
        results["webhook"] = send_webhook(
            ops.notify_webhook_url.get_secret_value(), notification, timeout_s=ops.notify_timeout_s
        )
    if ops.email_enabled and ops.smtp_host and ops.smtp_from and "email" not in skip:
        results["email"] = send_email(
            notification,
            host=ops.smtp_host,
            port=ops.smtp_port,
            sender=ops.smtp_from,
            recipients=ops.smtp_recipients,
            user=ops.smtp_user,
            password=ops.smtp_password.get_secret_value() if ops.smtp_password else None,
            starttls=ops.smtp_starttls,
            timeout_s=ops.notify_timeout_s,
        )
    return results


def notify_after_run(
    store: Store,
    feed_url: str,
    feed_name: str,
    previous_state: Mapping[str, Any] | None,
    ops_settings: OpsSettings | None = None,
) -> Notification | None:
    """After a feed's state was recorded: decide, auto-disable when due, send. Never raises."""
    ops = ops_settings or get_settings()
    try:
        current = store.feeds.get(feed_url)
    except PyMongoError as exc:
        log.warning("feed state of %s unreadable, no notification (%s)", redact_url(feed_url), redact_text(str(exc)))
        return None
    if current is None:
        return None
    notification = decide_notification(
        feed_url,
        feed_name,
        previous_state,
        current,
        fail_after=ops.notify_fail_after,
        disable_after=ops.auto_disable_after,
    )
    if notification is None:
        return None
    if notification.auto_disable:
        try:
            store.feeds.set_disabled(feed_url, True, now=datetime.now(UTC))
        except PyMongoError as exc:
            # say what is true: the feed is failing and still enabled
            log.warning("could not disable %s (%s)", redact_url(feed_url), redact_text(str(exc)))
            notification = replace(notification, kind="failing", auto_disable=False)
    sent = deliver(notification, ops)
    log.info("feed %s: %s notification (%s)", redact_url(feed_url), notification.kind,
             ", ".join(f"{k}={'sent' if ok else 'failed'}" for k, ok in sent.items()) or "no channel configured")  # fmt: skip
    return notification
