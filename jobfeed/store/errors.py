"""Which database errors are worth a retry."""

from __future__ import annotations

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
