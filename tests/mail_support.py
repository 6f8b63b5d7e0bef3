"""A real SMTP server on a loopback port for the mail tests (aiosmtpd), and a movable clock.

This module holds no tests. :class:`SmtpServer` speaks real SMTP (aiosmtpd's
``Controller`` runs it on a thread); what arrives is kept and parsed with
the standard library's ``email`` package, as a mail program would.
"""

from __future__ import annotations

import email
import email.policy
import socket
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    """A loopback port nothing listens on (just now)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Received:
    """One message as it arrived: the envelope and the parsed message."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    def text(self) -> str:
        part = self.message.get_body(("plain",))
        assert part is not None
        return str(part.get_content())  # type: ignore[attr-defined]

    def html(self) -> str:
        part = self.message.get_body(("html",))
        assert part is not None
        return str(part.get_content())  # type: ignore[attr-defined]


@dataclass
class Handler:
    """aiosmtpd's handler: keeps each message, answers DATA with ``reply``."""

    reply: str = "250 2.0.0 Ok: queued as 4711"
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if not self.reply.startswith("250"):
            return self.reply
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        with self.lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return self.reply


class SmtpServer:
    """aiosmtpd on 127.0.0.1:``port`` (plain SMTP: loopback needs no STARTTLS)."""

    def __init__(self, port: int | None = None, **tls: Any) -> None:
        """``tls``: aiosmtpd's ``tls_context`` and ``require_starttls`` (STARTTLS) or
        ``ssl_context`` (TLS from the first byte)."""
        self.port = port or free_port()
        self.handler = Handler()
        self._controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **tls)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def start(self) -> SmtpServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def to(self, address: str) -> list[Received]:
        """What arrived for ``address`` (its envelope recipient)."""
        return [r for r in self.received if r.rcpt_tos == [address]]


@contextmanager
def smtp_server(port: int | None = None, **tls: Any) -> Iterator[SmtpServer]:
    """A running server (on ``port``, else a free one), stopped afterwards."""
    server = SmtpServer(port, **tls).start()
    try:
        yield server
    finally:
        server.stop()


class MovableClock:
    """A clock at noon UTC on TODAY, moved forward only by the test (and a second per call,
    as the suite's clock, so every timestamp differs)."""

    def __init__(self, start: datetime) -> None:
        self.at = start

    def __call__(self) -> datetime:
        self.at += timedelta(seconds=1)
        return self.at

    def forward(self, delta: timedelta) -> None:
        self.at += delta


def self_signed(folder: Path) -> Path:
    """A key and a self-signed certificate for 127.0.0.1 in one PEM file (openssl)."""
    pem = folder / "loopback.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(pem), "-out", str(folder / "cert.pem")],
        check=True, capture_output=True,
    )  # fmt: skip
    pem.write_text(pem.read_text() + (folder / "cert.pem").read_text())
    return pem
