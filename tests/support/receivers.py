"""Real local receivers for notification tests: an HTTP webhook sink and a minimal SMTP sink.

Both listen on 127.0.0.1 on a free port, run in a daemon thread, and keep what they received.
"""

from __future__ import annotations

import base64
import email
import json
import socketserver
import threading
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self


@dataclass
class Posted:
    """One request the webhook receiver got."""

    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


class _Served:
    """A socketserver run in a daemon thread while the `with` block lasts (subclasses make `_server`)."""

    _server: socketserver.BaseServer
    _thread_name = "receiver"

    @property
    def port(self) -> int:
        """The port it listens on."""
        return int(self._server.server_address[1])  # type: ignore[attr-defined]

    def __enter__(self) -> Self:
        threading.Thread(target=self._server.serve_forever, name=self._thread_name, daemon=True).start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()


class WebhookReceiver(_Served):
    """An http.server that records every POST and answers with the next queued status (default 200)."""

    _thread_name = "webhook-receiver"

    def __init__(self) -> None:
        self.posts: list[Posted] = []
        self.statuses: list[int] = []  # answered in order, then 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                receiver.posts.append(Posted(self.path, dict(self.headers.items()), self.rfile.read(length)))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)

    def url(self, path: str = "/services/T000/B000/secret-token") -> str:
        """A webhook URL on this receiver (the default path looks like a Slack hook's: token inside)."""
        return f"http://127.0.0.1:{self.port}{path}"


@dataclass
class Mail:
    """One message the SMTP sink accepted."""

    sender: str
    recipients: list[str]
    message: Message
    auth: tuple[str, str] | None = None


@dataclass
class _SinkState:
    mails: list[Mail] = field(default_factory=list)
    auth_offered: bool = True


class SmtpSink(_Served):
    """The smallest SMTP server smtplib talks to: EHLO, AUTH PLAIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT.

    It does not offer STARTTLS, so a client that requires TLS must refuse to send to it.
    """

    _thread_name = "smtp-sink"

    def __init__(self) -> None:
        self.state = _SinkState()
        state = self.state

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line: str) -> None:
                self.wfile.write(line.encode() + b"\r\n")

            def handle(self) -> None:
                self.reply("220 sink.local ESMTP test sink")
                sender, auth = "", None
                rcpts: list[str] = []
                while line := self.rfile.readline():
                    verb, _, arg = line.decode().rstrip("\r\n").partition(" ")
                    verb = verb.upper()
                    if verb == "EHLO":
                        self.reply("250-sink.local")
                        self.reply("250-AUTH PLAIN" if state.auth_offered else "250-8BITMIME")
                        self.reply("250 SIZE 10485760")
                    elif verb == "HELO":
                        self.reply("250 sink.local")
                    elif verb == "AUTH" and arg.upper().startswith("PLAIN "):
                        _, user, password = base64.b64decode(arg.split(" ", 1)[1]).decode().split("\0")
                        auth = (user, password)
                        self.reply("235 2.7.0 accepted")
                    elif verb == "MAIL":
                        sender, rcpts = arg.split(":", 1)[1].split()[0].strip("<>"), []
                        self.reply("250 OK")
                    elif verb == "RCPT":
                        rcpts.append(arg.split(":", 1)[1].strip().strip("<>"))
                        self.reply("250 OK")
                    elif verb == "DATA":
                        self.reply("354 end with <CRLF>.<CRLF>")
                        lines = []
                        while (data := self.rfile.readline()) not in (b".\r\n", b""):
                            lines.append(data[1:] if data.startswith(b"..") else data)  # undo dot-stuffing
                        state.mails.append(Mail(sender, rcpts, email.message_from_bytes(b"".join(lines)), auth))
                        self.reply("250 OK queued")
                    elif verb in ("RSET", "NOOP"):
                        self.reply("250 OK")
                    elif verb == "QUIT":
                        self.reply("221 bye")
                        return
                    else:
                        self.reply("502 command not implemented")

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self._server = Server(("127.0.0.1", 0), Handler)

    @property
    def mails(self) -> list[Mail]:
        """Messages accepted so far."""
        return self.state.mails
