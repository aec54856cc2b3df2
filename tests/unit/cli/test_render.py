"""ImportLogs for people: `jobfeed logs` tells runs apart (time and run columns); a feed as one line."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.console import Console

from jobfeed.cli.render import feed_line, local_time, print_logs_table


def _doc(run: str, started: datetime, status: str = "success") -> dict[str, object]:
    return {"_id": run + "-log", "fileName": "https://a.example/feed", "feedName": "a-feed", "flowRunId": run,
            "startedAt": started, "status": status, "totalFetched": 4, "newJobs": 3, "updatedJobs": 1,
            "unchangedJobs": 0, "failedJobs": 0, "durationMs": 1250}  # fmt: skip


def _render(**kwargs: object) -> str:
    console = Console(record=True, width=200)
    print_logs_table(console, **kwargs)  # type: ignore[arg-type]
    return console.export_text()


def test_logs_table_has_time_and_run_columns() -> None:
    first, second = datetime(2026, 3, 1, 9, 0, 5, tzinfo=UTC), datetime(2026, 3, 1, 10, 0, 7, tzinfo=UTC)
    logs = [_doc("0f1e2d3c-aaaa-bbbb-cccc-000000000001", second), _doc("9a8b7c6d-aaaa-bbbb-cccc-000000000002", first)]
    text = _render(logs=logs, title="latest 2 import logs", runs=True)
    header = next(line for line in text.splitlines() if "feed" in line and "fetched" in line)
    assert header.index("started") < header.index("run") < header.index("feed")
    assert "(times in " in text
    rows = [line for line in text.splitlines() if "a-feed" in line]
    assert local_time(second) in rows[0] and "0f1e2d3c" in rows[0]
    assert local_time(first) in rows[1] and "9a8b7c6d" in rows[1]
    assert "0f1e2d3c-aaaa" not in text  # the id's first characters: `--json` has the whole id


def test_tables_of_one_run_stay_without_them() -> None:
    text = _render(logs=[_doc("run-1", datetime(2026, 3, 1, tzinfo=UTC))], title="import-feeds run run-1")
    header = next(line for line in text.splitlines() if "fetched" in line)
    assert "started" not in header and " run " not in header


def test_local_time_of_naive_and_aware_values() -> None:
    aware = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert local_time(aware) == local_time(aware.replace(tzinfo=None)) != ""
    assert local_time(None) == ""


def test_feed_line() -> None:
    line = feed_line(_doc("run-1", datetime(2026, 3, 1, tzinfo=UTC)))
    assert Console().render_str(line).plain == (
        "a-feed: success, 4 fetched: 3 new, 1 updated, 0 unchanged, 0 failed (1.2 s)"
    )
    failed = _doc("run-1", datetime(2026, 3, 1, tzinfo=UTC), "failed") | {"error": {"reason": "http_4xx"}}
    assert Console().render_str(feed_line(failed)).plain.startswith("a-feed: failed http_4xx, 4 fetched")
