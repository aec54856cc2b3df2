"""Notification channels: best-effort delivery of a message by webhook (Slack-compatible JSON) and by e-mail.

What to send is decided elsewhere (a feed's health: jobfeed/ops/notify.py; a run's summary:
jobfeed/ops/followups.py; drift: jobfeed/ops/drift.py). Delivery never raises: a chat or mail outage must not
fail an import run. Failures are logged with the webhook's path and any secret redacted.
"""

from __future__ import annotations

import ipaddress
import logging
import smtplib
import ssl
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

from jobfeed import constants as C
from jobfeed.redact import redact_text
from jobfeed.settings import OpsSettings

# The logger keeps the name it had before the channels left notify.py: operators filter on it.
log = logging.getLogger("jobfeed.ops.notify")


def slack_escape(text: str) -> str:
    """Slack's mrkdwn treats &, < and > as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_message(icon: str, title: str, text: str, *extra: dict[str, Any]) -> dict[str, Any]:
    """Slack-compatible JSON of a message: `text` (icon and title) for notifications and clients without blocks,
    `blocks` with the title, the body (the text after its first line) and any `extra` blocks."""
    body = text.split("\n", 1)[1] if "\n" in text else ""
    return {
        "text": f"{icon} {title}",
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"{icon} *{slack_escape(title)}*"}},
            {"type": "section", "text": {"type": "mrkdwn", "text": slack_escape(body)}},
            *extra,
        ],
    }


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
