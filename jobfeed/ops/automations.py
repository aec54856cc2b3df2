"""The Prefect automations jobfeed ships: notify when a feed has failed N runs in a row (`jobfeed automations
install`), and mark flow runs whose heartbeats stopped `Crashed` (`jobfeed automations zombies`).

It is built on the `jobfeed.feed.failed` event (jobfeed/ops/events.py), whose feed resource carries the label
`consecutiveFailures`: the trigger matches the value N exactly, so a feed is reported once when it reaches N
(fail, fail, fail) and never for fail, ok, fail, fail (the count went back to 0). The action calls a Prefect
Webhook block that holds the URL (a secret: the automation itself only names the block).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from jobfeed.ops.events import FAILURES_LABEL, FEED_FAILED
from jobfeed.ops.prefect import PrefectUnavailableError, prefect_api_url
from jobfeed.redact import redact_text
from jobfeed.settings import Settings

if TYPE_CHECKING:
    from prefect.events.schemas.automations import AutomationCore

AUTOMATION_PREFIX = "jobfeed: feed failed"
ZOMBIE_AUTOMATION = "jobfeed: crash zombie flow runs"
# A flow run that neither beats nor ends within this long is dead (its worker or machine died): 3 missed
# beats at Prefect's default PREFECT_FLOWS_HEARTBEAT_FREQUENCY of 180 s
ZOMBIE_WITHIN_S = 540
FLOW_RUN_HEARTBEAT = "prefect.flow-run.heartbeat"
FLOW_RUN_STARTS = frozenset({"prefect.flow-run.Pending", "prefect.flow-run.Running"})
FLOW_RUN_ENDS = frozenset(f"prefect.flow-run.{state}" for state in ("Completed", "Failed", "Cancelled", "Crashed"))
WEBHOOK_BLOCK = "jobfeed-feed-failing"
# Jinja, rendered by Prefect's actions service with the triggering `event`; Slack-compatible `text`.
PAYLOAD = json.dumps(
    {
        "text": "jobfeed: feed {{ event.resource.name }} failed {{ event.resource['" + FAILURES_LABEL + "'] }} "
        "runs in a row ({{ event.payload.reason }})",
        "feed": "{{ event.resource.name }}",
        "consecutiveFailures": "{{ event.resource['" + FAILURES_LABEL + "'] }}",
        "reason": "{{ event.payload.reason }}",
        "flowRun": "{{ event.related[0].id if event.related else '' }}",
    }
)


@dataclass(frozen=True, slots=True)
class Installed:
    name: str
    automation_id: str
    block: str
    replaced: int  # automations of the same name deleted first (install is idempotent)


def automation_name(threshold: int) -> str:
    return f"{AUTOMATION_PREFIX} {threshold} runs in a row"


def failing_automation(threshold: int, block_id: Any) -> AutomationCore:
    """The automation: on `jobfeed.feed.failed` with consecutiveFailures == threshold, call the webhook block."""
    from prefect.events.actions import CallWebhook
    from prefect.events.schemas.automations import AutomationCore, EventTrigger, Posture

    return AutomationCore(
        name=automation_name(threshold),
        description=f"Posts to the `{WEBHOOK_BLOCK}` webhook when a feed reaches {threshold} consecutive failures.",
        trigger=EventTrigger(
            expect={FEED_FAILED},
            match={"prefect.resource.id": "jobfeed.feed.*", FAILURES_LABEL: str(threshold)},
            posture=Posture.Reactive,
            threshold=1,
            within=timedelta(0),
        ),
        actions=[CallWebhook(block_document_id=block_id, payload=PAYLOAD)],
    )


def install(settings: Settings, *, webhook_url: str | None = None, threshold: int | None = None) -> Installed:
    """Create (or replace) the Webhook block and the automation on the configured Prefect server.

    The webhook URL is the argument, else NOTIFY_WEBHOOK_URL; the threshold the argument, else
    NOTIFY_FAIL_AFTER. Raises PrefectUnavailableError when no server is known, ValueError without a URL.
    """
    url = webhook_url or (settings.notify_webhook_url.get_secret_value() if settings.notify_webhook_url else None)
    if not url:
        raise ValueError("No webhook URL: pass --webhook-url or set NOTIFY_WEBHOOK_URL.")
    api_url = prefect_api_url(settings)
    if not api_url:
        raise PrefectUnavailableError("No Prefect server is running: `jobfeed stack up` (or set PREFECT_API_URL).")
    n = threshold or settings.notify_fail_after
    from prefect.blocks.webhook import Webhook
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings
    from pydantic import SecretStr

    with temporary_settings(updates={PREFECT_API_URL: api_url}):
        block_id = Webhook(method="POST", url=SecretStr(url)).save(WEBHOOK_BLOCK, overwrite=True)
        with get_client(sync_client=True) as client:
            existing = client.read_automations_by_name(automation_name(n))
            for automation in existing:
                client.delete_automation(automation.id)
            automation_id = client.create_automation(failing_automation(n, block_id))
    return Installed(automation_name(n), str(automation_id), WEBHOOK_BLOCK, len(existing))


def describe(installed: Installed, api_url: str | None) -> str:
    """One line for the CLI (the webhook URL is never shown: it is the credential)."""
    where = redact_text(api_url or "the Prefect server")
    replaced = f", replacing {installed.replaced}" if installed.replaced else ""
    block = f"; webhook block `{installed.block}`" if installed.block else ""
    return f"automation `{installed.name}` ({installed.automation_id}) on {where}{replaced}{block}"


def zombie_automation(within_s: float = ZOMBIE_WITHIN_S) -> AutomationCore:
    """The automation: a flow run whose last sign of life (Pending, Running, a heartbeat) is followed by neither
    another one nor an end within `within_s` is set `Crashed`. Prefect's recipe for zombie runs (a worker killed
    with -9 leaves its run `Running` for ever) starts only after a heartbeat; a run killed while it starts has
    sent none, so Pending and Running start the watch too (found by the chaos soak, bench/soak). The next
    import run then recovers the dead run's ImportLogs at once (`run_crashed`)."""
    from prefect.client.schemas.objects import StateType
    from prefect.events.actions import ChangeFlowRunState
    from prefect.events.schemas.automations import AutomationCore, EventTrigger, Posture

    return AutomationCore(
        name=ZOMBIE_AUTOMATION,
        description=f"Marks a flow run Crashed when it sent no heartbeat and did not end within {within_s:.0f} s.",
        trigger=EventTrigger(
            after={FLOW_RUN_HEARTBEAT, *FLOW_RUN_STARTS},
            expect={FLOW_RUN_HEARTBEAT, "prefect.flow-run.Running", *FLOW_RUN_ENDS},
            match={"prefect.resource.id": ["prefect.flow-run.*"]},
            for_each={"prefect.resource.id"},
            posture=Posture.Proactive,
            threshold=1,
            within=timedelta(seconds=within_s),
        ),
        actions=[
            ChangeFlowRunState(
                name=None,
                state=StateType.CRASHED,
                message=f"no heartbeat for {within_s:.0f} s (zombie run)",
                force=False,
            )
        ],
    )


def install_zombie_detection(settings: Settings, *, within_s: float = ZOMBIE_WITHIN_S) -> Installed:
    """Create (or replace) the zombie automation on the configured Prefect server (idempotent)."""
    api_url = prefect_api_url(settings)
    if not api_url:
        raise PrefectUnavailableError("No Prefect server is running: `jobfeed stack up` (or set PREFECT_API_URL).")
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: api_url}), get_client(sync_client=True) as client:
        existing = client.read_automations_by_name(ZOMBIE_AUTOMATION)
        for automation in existing:
            client.delete_automation(automation.id)
        automation_id = client.create_automation(zombie_automation(within_s))
    return Installed(ZOMBIE_AUTOMATION, str(automation_id), "", len(existing))
