"""Finished follow-up futures -> FollowUp values; one that failed after its retries gets a WARNING line."""

from __future__ import annotations

from typing import Any

from prefect import get_run_logger

from jobfeed.ops.followups import FollowUp, follow_up_warning


def follow_ups_of(futures: dict[str, Any]) -> list[FollowUp]:
    """What each follow-up did (its result's text) or why it failed (its error, redacted), in the given order."""
    done: list[FollowUp] = []
    for name, future in futures.items():
        value = future.result(raise_on_failure=False)
        if future.state.is_completed():
            done.append(FollowUp(name, True, str(value)))
            continue
        failed = FollowUp.failed(name, value if isinstance(value, BaseException) else str(future.state.message))
        get_run_logger().warning(follow_up_warning(failed))
        done.append(failed)
    return done
