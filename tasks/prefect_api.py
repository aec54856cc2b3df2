"""Small reads of Prefect's own API that tasks need (kept apart so the rest stays API-free)."""

from __future__ import annotations

from uuid import UUID

from prefect.client.orchestration import get_client
from prefect.exceptions import ObjectNotFound


def flow_run_is_alive(flow_run_id: str | None) -> bool:
    """True while a flow run is scheduled/pending/running; False when final or unknown here."""
    if not flow_run_id:
        return False
    try:
        with get_client(sync_client=True) as client:
            run = client.read_flow_run(UUID(flow_run_id))
    except (ObjectNotFound, ValueError):
        return False  # a run this server never knew (e.g. a temporary server that is gone)
    return run.state is not None and not run.state.is_final()
