"""Feed-health notifications: a pure decision (decide_notification), then best-effort delivery.

A feed is reported once when it reaches NOTIFY_FAIL_AFTER consecutive failures, once when it
reaches AUTO_DISABLE_AFTER (and is disabled), and once when it recovers. Delivery (webhook, e-mail:
jobfeed/ops/channels.py) never raises: a chat or mail outage must not fail an import run.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from pymongo.errors import PyMongoError

from jobfeed.ops.channels import deliver, slack_escape, slack_message
from jobfeed.redact import redact_text, redact_url
from jobfeed.settings import OpsSettings, get_settings

if TYPE_CHECKING:
    from jobfeed.store import Store

log = logging.getLogger("jobfeed.ops.notify")

Kind = Literal["failing", "disabled", "recovered"]
_ICONS: dict[str, str] = {"failing": ":warning:", "disabled": ":no_entry:", "recovered": ":white_check_mark:"}


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
        context = f"<{slack_escape(redact_url(self.feed_url))}> · status `{self.last_status or 'n/a'}`"
        if self.reason and self.kind != "recovered":
            context += f" · reason `{self.reason}`"
        return slack_message(
            _ICONS[self.kind],
            self.title,
            self.text,
            {"type": "context", "elements": [{"type": "mrkdwn", "text": context}]},
        )


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
