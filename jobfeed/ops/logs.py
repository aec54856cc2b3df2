"""The `jobfeed` logger's output: text or JSON lines (LOG_FORMAT), level (LOG_LEVEL), secrets redacted.

For processes jobfeed owns (CLI, API, dashboard, metrics). Inside Prefect runs, Prefect's handlers
format the logs instead: `PREFECT_LOGGING_EXTRA_LOGGERS=jobfeed` routes this logger through them and
`PREFECT_LOGGING_HANDLERS_CONSOLE_FORMATTER=json` makes them JSON (docs/operations.md).
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import IO, Any

from jobfeed.redact import redact_text
from jobfeed.settings import OpsSettings, get_settings

LOGGER_NAME = "jobfeed"
_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}
TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


class RedactFilter(logging.Filter):
    """Masks passwords and tokens in URLs inside a record's message (defence in depth behind the callers)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Render the message once, redacted; always lets the record through."""
        record.msg, record.args = redact_text(record.getMessage()), None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: timestamp (UTC, ISO 8601), level, logger, message, extras, exception."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a JSON line; `extra={...}` fields are kept, non-JSON values as str()."""
        doc: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        doc.update({key: value for key, value in vars(record).items() if key not in _STANDARD_ATTRS and key not in doc})
        if record.exc_info:
            doc["exception"] = redact_text(self.formatException(record.exc_info))
        return json.dumps(doc, default=str, ensure_ascii=False)


def configure_logging(ops: OpsSettings | None = None, *, stream: IO[str] | None = None) -> logging.Logger:
    """Give the `jobfeed` logger one handler in LOG_FORMAT at LOG_LEVEL (idempotent: replaces its own)."""
    ops = ops or get_settings()
    logger = logging.getLogger(LOGGER_NAME)
    for handler in [h for h in logger.handlers if getattr(h, "_jobfeed", False)]:
        logger.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler._jobfeed = True  # type: ignore[attr-defined]  # marks the handler ours, so a second call replaces it
    handler.addFilter(RedactFilter())
    handler.setFormatter(JsonFormatter() if ops.log_format == "json" else logging.Formatter(TEXT_FORMAT))
    logger.addHandler(handler)
    logger.setLevel(ops.log_level)
    logger.propagate = False  # the root logger of uvicorn/streamlit would print every line a second time
    return logger
