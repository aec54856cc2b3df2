"""Which database errors are worth a retry, and how to say one in a line."""

from __future__ import annotations

import re

from pymongo.errors import (
    AutoReconnect,
    ConnectionFailure,
    ExecutionTimeout,
    NetworkTimeout,
    OperationFailure,
    PyMongoError,
    ServerSelectionTimeoutError,
    WTimeoutError,
)

from jobfeed.redact import redact_text

# Server error codes that mean "try again" (not-primary, shutting down, interrupted, ...).
_RETRYABLE_CODES = frozenset({6, 7, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436})


def is_transient_db_error(exc: BaseException) -> bool:
    """True for network/failover/timeout errors: the same write may succeed a few seconds later."""
    if isinstance(
        exc,
        (
            AutoReconnect,
            ConnectionFailure,
            NetworkTimeout,
            ServerSelectionTimeoutError,
            ExecutionTimeout,
            WTimeoutError,
        ),
    ):
        return True
    if isinstance(exc, OperationFailure):
        labels = getattr(exc, "_error_labels", None) or set()
        return exc.code in _RETRYABLE_CODES or "RetryableWriteError" in labels
    if isinstance(exc, PyMongoError):
        return exc.has_error_label("RetryableWriteError")
    return False


_CONFIGURED_TIMEOUTS = re.compile(r" \(configured timeouts:[^)]*\)")
MAX_ERROR_CHARS = 300


def describe_db_error(exc: BaseException) -> str:
    """A database error as one short line for people, secrets masked.

    pymongo's server-selection error carries its whole topology description (every server, its state
    and its error repeated): only the per-server errors are kept, e.g. `127.0.0.1:27117: [Errno 111]
    Connection refused`. A server's refusal is its `errmsg` and code, not the whole reply document.
    """
    if isinstance(exc, OperationFailure):
        text = f"{(exc.details or {}).get('errmsg') or exc} (code {exc.code})"
    else:
        text = str(exc) or type(exc).__name__
        text = text.split(", Timeout: ", 1)[0].split(", Topology Description: ", 1)[0]
        text = _CONFIGURED_TIMEOUTS.sub("", text)
    line = " ".join(redact_text(text).split())
    return line if len(line) <= MAX_ERROR_CHARS else line[: MAX_ERROR_CHARS - 1] + "…"
