"""LOG_FORMAT=json gives one redacted JSON object per line; text stays text; configuring twice is harmless."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from jobfeed.ops.logs import configure_logging
from jobfeed.settings import OpsSettings


@pytest.fixture(autouse=True)
def _restore_jobfeed_logger() -> Iterator[None]:
    logger = logging.getLogger("jobfeed")
    saved = (list(logger.handlers), logger.level, logger.propagate)
    yield
    logger.handlers[:], logger.level, logger.propagate = saved[0], saved[1], saved[2]


def _ops(**values: str) -> OpsSettings:
    return OpsSettings(_env_file=None, **values)  # type: ignore[call-arg, arg-type]


def test_json_lines_with_extras_exception_and_redaction() -> None:
    out = io.StringIO()
    configure_logging(_ops(log_format="json"), stream=out)
    log = logging.getLogger("jobfeed.ops.notify")
    log.info("connected to %s", "mongodb://app:pa55word@db.example:27017/jobfeed", extra={"feed": "jobicy", "n": 3})
    try:
        raise RuntimeError("boom at https://hooks.example/x?token=t0k")
    except RuntimeError:
        log.exception("send failed")
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert first["level"] == "INFO" and first["logger"] == "jobfeed.ops.notify"
    assert first["message"] == "connected to mongodb://app:***@db.example:27017/jobfeed"
    assert (first["feed"], first["n"]) == ("jobicy", 3)
    assert first["timestamp"].endswith("Z") and "T" in first["timestamp"]
    assert second["message"] == "send failed" and second["level"] == "ERROR"
    assert "RuntimeError: boom at https://hooks.example/x?token=***" in second["exception"]
    assert "pa55word" not in out.getvalue() and "t0k" not in out.getvalue()


def test_text_format_level_and_idempotence() -> None:
    out = io.StringIO()
    configure_logging(_ops(log_level="warning"), stream=io.StringIO())
    logger = configure_logging(_ops(log_level="WARNING"), stream=out)  # replaces the first handler
    assert len([h for h in logger.handlers if getattr(h, "_jobfeed", False)]) == 1
    logging.getLogger("jobfeed.ops.metrics").info("not shown")
    logging.getLogger("jobfeed.ops.metrics").warning("shown: %d feeds", 2)
    lines = out.getvalue().splitlines()
    assert len(lines) == 1 and lines[0].endswith("WARNING jobfeed.ops.metrics: shown: 2 feeds")
    with pytest.raises(json.JSONDecodeError):
        json.loads(lines[0])
