"""How many feeds a flow run works on at once."""

from __future__ import annotations

from typing import Any

from prefect.task_runners import ThreadPoolTaskRunner

from jobfeed.settings import get_settings


class FeedThreadPool(ThreadPoolTaskRunner[Any]):
    """A thread pool sized by MAX_CONCURRENCY when a flow run starts, not when the flow module is imported.

    Prefect enters a `duplicate()` of the flow's task runner for every run, so reading the setting
    there lets a deployment's worker, the CLI and tests change it between runs.
    """

    def duplicate(self) -> ThreadPoolTaskRunner[Any]:  # type: ignore[override]  # a plain pool, sized now
        return ThreadPoolTaskRunner(max_workers=get_settings().max_concurrency)
