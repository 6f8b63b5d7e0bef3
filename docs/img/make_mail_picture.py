"""Draw docs/img/mail-approved.png: the approval e-mail as a member's mail program shows it.

A booking is made and approved through the library in a temporary database;
``rentcal``'s own sender delivers the queued message over real SMTP to an
aiosmtpd server in this process; the message that arrived is parsed with the
``email`` package, and its HTML alternative, exactly as sent, is shown by
Chromium (Debian's, through Playwright) 600 px wide, under a line of the
headers a mail program shows (From, To, Subject, the attached invitation).

    .venv/bin/python docs/img/make_mail_picture.py
"""

from __future__ import annotations

import email
import email.policy
import html
import socket
import tempfile
from datetime import UTC, date, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from playwright.sync_api import sync_playwright

import rentcal
from rentcal.service.smtp_sender import SmtpSender

OUT = Path(__file__).resolve().parent / "mail-approved.png"
CHROMIUM = "/usr/bin/chromium"
NOW = datetime(2030, 1, 9, 9, 30, tzinfo=UTC)


class Keep:
    """aiosmtpd's handler: keeps each message that arrives."""

    def __init__(self) -> None:
        self.received: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.received.append(parsed)
        return "250 2.0.0 Ok: queued"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def approval_mail(folder: Path) -> EmailMessage:
    """The approval message to the member, as it arrived over SMTP."""
    with rentcal.connect(f"sqlite:///{folder / 'mail.db'}", clock=lambda: NOW) as cal:
        cal.add_member("ada", name="Ada Admin", email="ada@example.org", admin=True)
        cal.add_member(
            "bob", name="Bob Baker", email="bob@example.org", verified=True, acting="ada"
        )
        cal.add_machine("tractor-6120", daily_price="120.00", title="Tractor 6120", acting="ada")
        rental = cal.book(
            "tractor-6120", date(2030, 1, 20), date(2030, 1, 22), member="bob", purpose="hay"
        )
        cal.approve(rental.id, acting="ada")
        keep = Keep()
        port = free_port()
        server = Controller(keep, hostname="127.0.0.1", port=port)
        server.start()
        try:
            sender = SmtpSender(
                f"smtp://127.0.0.1:{port}",
                "Tool Library <rentcal@example.org>",
                "https://rentcal.example.org",
            )
            cal.deliver_mail(sender)
        finally:
            server.stop()
    (found,) = [m for m in keep.received if m["To"].addresses[0].username == "bob"]
    return found


def page_of(message: EmailMessage) -> str:
    """The HTML part as sent, under the headers a mail program shows."""
    part = message.get_body(("html",))
    assert part is not None
    body = str(part.get_content())  # type: ignore[attr-defined]
    attached = [
        p.get_content_type() + "; method=" + str(p.get_param("method"))
        for p in message.walk()
        if p.get_content_type() == "text/calendar"
    ]
    rows = [
        ("From", str(message["From"])),
        ("To", str(message["To"])),
        ("Subject", str(message["Subject"])),
        ("Also", ", ".join(attached) + " (the booking for the calendar)"),
    ]
    head = "".join(f"<div><b>{html.escape(k)}:</b> {html.escape(v)}</div>" for k, v in rows if v)
    frame = (
        '<div style="font:13px sans-serif;background:#eef1f5;padding:8px 12px;'
        f'border-bottom:1px solid #ccd">{head}</div>'
    )
    return body.replace(
        "<body>", "<body style='margin:0'>" + frame + "<div style='padding:0 12px'>", 1
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        message = approval_mail(Path(folder))
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM)
        page = browser.new_page(viewport={"width": 600, "height": 400})
        page.set_content(page_of(message))
        page.screenshot(path=str(OUT), full_page=True)
        browser.close()
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
