"""Drift notices: a feed's body drifted from its baseline (jobfeed/quality.py), told once through the
notification channels of jobfeed/ops/channels.py (webhook, e-mail) and to Prefect (event `jobfeed.feed.drift`,
through the run's FeedWatch). The pipeline decides what is new (jobfeed/pipeline/drift.py); delivery here
never raises: a chat or mail outage must not fail an import run.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from jobfeed.ops.channels import deliver, slack_message
from jobfeed.ops.events import FeedWatch
from jobfeed.ops.report import run_detail_url
from jobfeed.pipeline.drift import OnDrift
from jobfeed.quality import Drift
from jobfeed.redact import redact_text, redact_url
from jobfeed.settings import OpsSettings, get_settings

log = logging.getLogger("jobfeed.ops.drift")

ICON = ":mag:"
MAX_LINES = 20  # drifts listed in one message; the ImportLog has them all


@dataclass(frozen=True)
class DriftNotification:
    """The message about one run's new drift (fits jobfeed.ops.channels.Message)."""

    feed_url: str
    feed_name: str
    log_id: str
    drift: Sequence[Drift] = field(default_factory=list)
    link: str | None = None  # the run's page on the dashboard, when DASHBOARD_URL is set
    kind: str = "drift"

    @property
    def title(self) -> str:
        what = self.drift[0].text if len(self.drift) == 1 else f"{len(self.drift)} drifts"
        return f"jobfeed: feed {self.feed_name} drifted from its baseline ({what})"

    @property
    def about(self) -> str:
        return f"drift notification for {redact_url(self.feed_url)}"

    @property
    def text(self) -> str:
        lines = [f"{self.title}.", f"Feed: {redact_url(self.feed_url)}"]
        lines += [f"- {redact_text(d.text)}" for d in self.drift[:MAX_LINES]]
        if len(self.drift) > MAX_LINES:
            lines.append(f"- … and {len(self.drift) - MAX_LINES} more")
        run = self.link or f"ImportLog {self.log_id}"
        lines.append(f"Run: {run} (the dashboard's Data quality page shows the feed's coverage over time)")
        lines.append("Told once: the same drift on later runs is stored on their ImportLogs, not sent again.")
        return "\n".join(lines)

    def slack_payload(self) -> dict[str, Any]:
        """Slack-compatible JSON, like the health notifications'."""
        return slack_message(ICON, self.title, self.text)


def notify_drift(
    feed_url: str, feed_name: str, log_id: str, drift: Sequence[Drift], ops: OpsSettings | None = None
) -> DriftNotification | None:
    """Send one run's new drift to every configured channel; None when there is none. Never raises."""
    if not drift:
        return None
    try:
        settings = ops or get_settings()
        link = run_detail_url(getattr(settings, "dashboard_url", None), log_id)  # a UiSettings field
        notice = DriftNotification(feed_url, feed_name or feed_url, log_id, list(drift), link)
        sent = deliver(notice, settings)
    except Exception as exc:  # noqa: BLE001 - a notice is best effort; the ImportLog holds the drift
        log.warning("drift notice for %s not sent: %s", redact_url(feed_url), redact_text(str(exc))[:300])
        return None
    log.info("feed %s: drift notice (%s)", redact_url(feed_url),
             ", ".join(f"{k}={'sent' if ok else 'failed'}" for k, ok in sent.items()) or "no channel configured")  # fmt: skip
    return notice


def drift_hook(watch: FeedWatch, ops: OpsSettings | None = None) -> OnDrift:
    """pipeline.finish's on_drift hook: remember the new drift for the Prefect event, and notify it."""

    def on_drift(feed_url: str, feed_name: str, log_id: str, drift: Sequence[Drift]) -> None:
        watch.drift = list(drift)
        notify_drift(feed_url, feed_name, log_id, drift, ops)

    return on_drift
