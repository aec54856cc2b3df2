"""How durations and schedules are spelled: `15m`, `2h`, `7d` (feeds' intervals, token lifetimes, `run-now --in`)
and 5-field cron expressions (feeds' schedules), parsed and normalized so that equal schedules compare equal."""

from __future__ import annotations

import re

_DURATION = re.compile(r"\s*(\d+)\s*([smhd])\s*")
_DURATION_UNITS = {"d": 86_400, "h": 3_600, "m": 60, "s": 1}  # largest first: format_duration picks the first fit
MIN_INTERVAL_S = 60  # Prefect's scheduler works in minutes; shorter would only pile runs up
_CRON_FIELD = re.compile(r"[0-9A-Za-z*/,?#LW-]+")


def parse_duration(text: str) -> int:
    """Seconds of `30s`, `15m`, `2h`, `30d` (interval schedules, token lifetimes, `run-now --in`)."""
    match = _DURATION.fullmatch(text.lower())
    if not match or int(match[1]) <= 0:
        raise ValueError(f"expected a duration such as 30s, 15m, 2h or 7d, got {text!r}")
    return int(match[1]) * _DURATION_UNITS[match[2]]


def format_duration(seconds: int) -> str:
    """The shortest spelling of a duration in one unit: 900 -> `15m`, 7200 -> `2h`, 90 -> `90s`."""
    unit, size = next((u, n) for u, n in _DURATION_UNITS.items() if seconds % n == 0)
    return f"{seconds // size}{unit}"


def normalize_cron(expression: str) -> str:
    """A cron expression with single spaces and lower-case names, so that equal schedules compare equal.
    Only its shape is checked here (5 fields); Prefect checks the values when the deployment is made."""
    fields = expression.lower().split()
    if len(fields) != 5 or not all(_CRON_FIELD.fullmatch(f) for f in fields):
        raise ValueError(f"schedule must be a 5-field cron expression such as '*/15 * * * *', got {expression!r}")
    return " ".join(fields)
