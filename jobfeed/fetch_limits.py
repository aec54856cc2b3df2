"""The two limits of one fetch that httpx does not enforce itself: decoded size and wall-clock time."""

from __future__ import annotations

import socket
import threading
import time
import zlib
from typing import Any

from jobfeed.reasons import FailureReason, FeedError


class Inflater:
    """Content-Encoding decoding with bounded output per step, so a gzip bomb cannot fill memory."""

    def __init__(self, encoding: str, where: str) -> None:
        codings = [c.strip().lower() for c in encoding.split(",") if c.strip().lower() not in ("", "identity")]
        if len(codings) > 1 or (codings and codings[0] not in ("gzip", "x-gzip", "deflate")):
            raise FeedError(FailureReason.UNSUPPORTED_FORMAT, f"{where} used Content-Encoding {encoding!r}")
        self.kind = codings[0] if codings else ""
        self.where = where
        self.note = " after decompression" if self.kind else ""
        self._wbits = zlib.MAX_WBITS | 16 if "gzip" in self.kind else zlib.MAX_WBITS
        self._z = zlib.decompressobj(self._wbits) if self.kind else None
        self._started = False

    def feed(self, data: bytes, out: bytearray, cap: int) -> None:
        """Append the decoded form of `data` to out, never producing much more than cap bytes."""
        if self._z is None:
            out += data
            return
        try:
            while data and len(out) <= cap:
                if self._z.eof:  # concatenated gzip members are legal; anything else is trailing junk
                    if "gzip" not in self.kind or not data.strip(b"\0"):
                        return
                    self._z = zlib.decompressobj(self._wbits)
                try:
                    out += self._z.decompress(data, cap + 1 - len(out))
                except zlib.error:
                    if self.kind != "deflate" or self._started:
                        raise
                    self._wbits = -zlib.MAX_WBITS  # many servers send raw deflate without the zlib header
                    self._z = zlib.decompressobj(self._wbits)
                    out += self._z.decompress(data, cap + 1 - len(out))
                self._started = True
                data = self._z.unconsumed_tail or (self._z.unused_data if self._z.eof else b"")
        except zlib.error as exc:
            raise FeedError(FailureReason.NETWORK_ERROR, f"{self.where} sent a corrupt {self.kind} body: {exc}") from None

    def finish(self, out: bytearray) -> None:
        """Flush the decoder; a compressed stream that stops early is a truncated transfer."""
        if self._z is None:
            return
        try:
            out += self._z.flush()
        except zlib.error as exc:
            raise FeedError(FailureReason.NETWORK_ERROR, f"{self.where} sent a corrupt {self.kind} body: {exc}") from None
        if not self._z.eof and self._started:
            raise FeedError(FailureReason.NETWORK_ERROR, f"{self.where} sent a truncated {self.kind} body")


# --- the deadline ----------------------------------------------------------------------------


class Watchdog:
    """The whole-fetch deadline. httpx's read timeout only bounds the silence between two chunks,
    so at expiry this shuts the live socket down, which wakes a blocked read with EOF at once."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self.expired = False
        self._lock = threading.Lock()
        self._socket: socket.socket | None = None
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def remaining(self) -> float:
        """Seconds left before the deadline (0 when past it)."""
        return max(0.0, self.deadline - time.monotonic())

    def check(self, where: str) -> None:
        """Raise the TIMEOUT FeedError when the deadline has passed."""
        if self.expired or time.monotonic() >= self.deadline:
            raise self.timeout_error(where)

    def timeout_error(self, where: str) -> FeedError:
        """The FeedError that reports this deadline being missed."""
        return FeedError(FailureReason.TIMEOUT, f"{where} did not deliver the feed within {self.seconds:g} s")

    def trace(self, event: str, info: dict[str, Any]) -> None:
        """httpcore's `trace` extension: learn each new connection's socket as soon as it exists."""
        if event.endswith((".connect_tcp.complete", ".start_tls.complete")):
            self.watch(info.get("return_value"))

    def watch(self, stream: Any) -> None:
        """Remember the socket of an httpcore network stream, to shut it down at expiry."""
        sock = stream.get_extra_info("socket") if stream is not None else None
        if sock is None:
            return
        with self._lock:
            self._socket = sock
            expired = self.expired
        if expired:
            _shutdown(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            sock = self._socket
        if sock is not None:
            _shutdown(sock)

    def cancel(self) -> None:
        """Stop the timer (the fetch is over, whichever way)."""
        self._timer.cancel()


def _shutdown(sock: socket.socket) -> None:
    try:
        # The plain-socket method even for an SSLSocket: SSLSocket.shutdown would tear down the TLS
        # object under the reading thread's feet; this just makes the kernel report EOF.
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass  # already closed: the fetch finished first
