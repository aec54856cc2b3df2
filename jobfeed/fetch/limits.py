"""The two limits of one fetch that httpx does not enforce itself: decoded size and wall-clock time.

Also where a body goes while it is read (BodySink: memory or a spool file, hashed on the way)."""

from __future__ import annotations

import contextlib
import hashlib
import socket
import threading
import time
import zlib
from pathlib import Path
from typing import Any, BinaryIO

import httpx

from jobfeed import constants as C
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
            raise FeedError(
                FailureReason.NETWORK_ERROR, f"{self.where} sent a corrupt {self.kind} body: {exc}"
            ) from None

    def finish(self, out: bytearray) -> None:
        """Flush the decoder; a compressed stream that stops early is a truncated transfer."""
        if self._z is None:
            return
        try:
            out += self._z.flush()
        except zlib.error as exc:
            raise FeedError(
                FailureReason.NETWORK_ERROR, f"{self.where} sent a corrupt {self.kind} body: {exc}"
            ) from None
        if not self._z.eof and self._started:
            raise FeedError(FailureReason.NETWORK_ERROR, f"{self.where} sent a truncated {self.kind} body")


class BodySink:
    """Where a body goes while it is read: memory, or a file (spooled imports); hashed on the way."""

    def __init__(self, path: Path | None) -> None:
        self.hash = hashlib.sha256()
        self.size = 0
        self._memory = bytearray() if path is None else None
        self._file: BinaryIO | None = open(path, "wb") if path is not None else None  # noqa: SIM115 - closed in __exit__

    def write(self, chunk: bytes | bytearray) -> None:
        self.hash.update(chunk)
        self.size += len(chunk)
        if self._file is not None:
            self._file.write(chunk)
        else:
            assert self._memory is not None
            self._memory += chunk

    def value(self) -> bytes:
        """The body, when it was kept in memory (b"" when it went to a file)."""
        return bytes(self._memory) if self._memory is not None else b""

    def __enter__(self) -> BodySink:
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._file is not None:
            self._file.close()


def read_body(
    response: httpx.Response, cap: int, watchdog: Watchdog, where: str, sink: BodySink, *, truncate: bool = False
) -> None:
    """Write the decoded body to sink, at most `cap` bytes: TOO_LARGE beyond it (or just cut, when truncate)."""
    length = response.headers.get("content-length", "").strip()
    if not truncate and length.isdigit() and int(length) > cap:
        raise FeedError(
            FailureReason.TOO_LARGE, f"{where} announced {int(length):,} bytes, over the {cap:,}-byte limit"
        )
    inflater = Inflater(response.headers.get("content-encoding", ""), where)
    out = bytearray()  # decoded bytes of the current chunk only: memory stays at one chunk
    received = 0
    for raw in response.iter_raw(C.STREAM_CHUNK_BYTES):
        received += len(raw)
        inflater.feed(raw, out, cap - sink.size)
        if received > cap or sink.size + len(out) > cap:
            if truncate:
                sink.write(out[: cap - sink.size])
                return
            raise FeedError(FailureReason.TOO_LARGE, f"{where} sent more than {cap:,} bytes{inflater.note}")
        sink.write(out)
        out.clear()
        watchdog.check(where)  # a body dripping faster than the read timeout still ends on time
    inflater.finish(out)
    if sink.size + len(out) > cap:
        if truncate:
            sink.write(out[: cap - sink.size])
            return
        raise FeedError(FailureReason.TOO_LARGE, f"{where} sent more than {cap:,} bytes{inflater.note}")
    sink.write(out)


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
    with contextlib.suppress(OSError):  # already closed: the fetch finished first
        # The plain-socket method even for an SSLSocket: SSLSocket.shutdown would tear down the TLS
        # object under the reading thread's feet; this just makes the kernel report EOF.
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
