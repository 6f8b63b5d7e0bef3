"""Sending one outbox message over SMTP: the standard library builds and sends it.

The MIME message is built only at send time, with
:class:`email.message.EmailMessage` (a text part and an HTML alternative,
and a booking's calendar invitation as a third, ``text/calendar``),
its headers set through the ``email`` package, which refuses CR and LF in a
header value, so no name, purpose or address can add a header. ``smtplib``
speaks SMTP: ``smtp://`` upgrades with STARTTLS (required, except to a
loopback host that offers none), ``smtps://`` is TLS from the first byte.
A failure is a :class:`MailFailure`: temporary (no connection, a timeout, a
4xx reply) or permanent (a 5xx reply, an address that cannot be sent to).
"""

from __future__ import annotations

import ipaddress
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from urllib.parse import unquote, urlsplit

from rentcal.core.mail import (
    MailFailure,
    Outgoing,
    header_text,
    rental_link,
    with_base,
    with_link,
)
from rentcal.errors import InvalidRequest
from rentcal.feeds.itip import addressed

#: Seconds one SMTP conversation may wait for the server at each step.
SMTP_TIMEOUT = 30.0


def _refuse(url: str, why: str) -> InvalidRequest:
    from rentcal.db.urls import safe_url

    return InvalidRequest(
        f"smtp_url {safe_url(url)!r} {why}", field="smtp_url", value=safe_url(url), reason="bad-url"
    )


def is_loopback(host: str) -> bool:
    """``localhost`` or a loopback address: where plain SMTP never leaves the host."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def sender_address(text: str) -> Address:
    """``mail_from`` (``noreply@example.org`` or ``Tool Library <noreply@example.org>``)
    as an address, or InvalidRequest naming it."""
    probe = EmailMessage()
    try:
        if header_text(text, 500) != text.strip():
            raise ValueError(text)
        probe["From"] = text.strip()
        found = probe["From"].addresses
        if len(found) != 1 or not found[0].username or not found[0].domain:
            raise ValueError(text)
        address: Address = found[0]
        return address
    except (ValueError, HeaderParseError, IndexError, TypeError):
        raise InvalidRequest(
            f"mail_from {text[:80]!r} is not an e-mail address "
            "(use noreply@example.org or 'Tool Library <noreply@example.org>')",
            field="mail_from",
            value=text,
            reason="bad-address",
        ) from None


@dataclass(frozen=True, slots=True)
class SmtpServer:
    """Where and how to connect: from ``smtp_url``."""

    host: str
    port: int
    tls: bool
    user: str | None = None
    password: str | None = None

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        """``smtp://[user:pass@]host[:587]`` (STARTTLS) or ``smtps://...host[:465]``."""
        try:
            parts = urlsplit(url.strip())
            port = parts.port
        except ValueError:
            raise _refuse(url, "is not a URL: use smtp://USER:PASS@HOST:587") from None
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise _refuse(url, "must be smtp://HOST[:PORT] (STARTTLS) or smtps://HOST[:PORT]")
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise _refuse(url, "must not have a path, a query or a fragment")
        tls = parts.scheme == "smtps"
        return cls(
            parts.hostname,
            port or (465 if tls else 587),
            tls,
            unquote(parts.username) if parts.username else None,
            unquote(parts.password) if parts.password else None,
        )


def build_message(
    mail: Outgoing, sender: Address, base_url: str | None, now: datetime
) -> EmailMessage:
    """The MIME message of ``mail``: text with an HTML alternative, headers checked.

    Raises :class:`MailFailure` (permanent) when the address or the name
    cannot be a header. The Message-ID is the same on every attempt, so a
    rare second delivery (a sender that died after sending) is one message
    to the recipient's mail program.
    """
    item = mail.item
    text, page = with_base(item.kind, mail.text, mail.html, base_url)
    text, page = with_link(text, page, rental_link(base_url, item.rental_id))
    msg = EmailMessage()
    try:
        msg["From"] = sender
        msg["To"] = Address(display_name=header_text(item.name, 200), addr_spec=item.address)
        msg["Subject"] = header_text(item.subject)
        msg["Date"] = format_datetime(now)
        stamp = item.created_at.strftime("%Y%m%d%H%M%S")
        msg["Message-ID"] = f"<rentcal.{item.id}.{stamp}@{sender.domain}>"
    except (ValueError, HeaderParseError, IndexError) as err:
        raise MailFailure(
            f"message {item.id} to {item.address!r} cannot be sent: {err}", temporary=False
        ) from None
    msg.set_content(text)
    msg.add_alternative(page, subtype="html")
    if mail.calendar is not None and mail.calendar_method is not None:
        _add_invitation(msg, mail, sender)
    return msg


def _add_invitation(msg: EmailMessage, mail: Outgoing, sender: Address) -> None:
    """The booking's calendar as the last alternative, ``text/calendar; method=...``
    (iMIP, RFC 6047): what Outlook, Gmail and Apple Mail show as an invitation."""
    try:
        calendar = addressed(
            (mail.calendar or "").encode(),
            organizer=sender.addr_spec,
            organizer_name=sender.display_name or None,
            attendee=mail.item.address,
            attendee_name=mail.item.name,
        )
    except ValueError as err:
        raise MailFailure(
            f"message {mail.item.id} has a broken calendar invitation: {err}", temporary=False
        ) from None
    msg.add_alternative(
        calendar.decode(),
        subtype="calendar",
        params={"method": mail.calendar_method},
        # Line by line (not base64 of the text with LF): on the wire each line
        # ends CRLF, as RFC 5545 wants.
        cte="quoted-printable",
    )


def trial_message(address: str, sender: Address, now: datetime) -> EmailMessage:
    """The message ``rentcal mail test`` sends to ``address`` (checked like a member's)."""
    from rentcal.core import checks

    to = checks.email(address, "address")
    if to is None:
        raise InvalidRequest("address must not be empty", field="address", value=address)
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = "rentcal test message"
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = make_msgid("rentcal.test", sender.domain)
    msg.set_content(
        "This is a test message from rentcal: e-mail from rentcal reaches this address.\n"
    )
    msg.add_alternative(
        "<html><body><p>This is a test message from rentcal: "
        "e-mail from rentcal reaches this address.</p></body></html>\n",
        subtype="html",
    )
    return msg


def _reply(code: int, text: bytes | str) -> str:
    said = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return f"{code} {said}".strip()


def _check(code: int, text: bytes, ok: tuple[int, ...]) -> None:
    if code not in ok:
        raise MailFailure(_reply(code, text), temporary=400 <= code < 500)


class SmtpSender:
    """Sends outbox messages through one SMTP server (one connection per message)."""

    def __init__(
        self,
        smtp_url: str,
        mail_from: str,
        base_url: str | None = None,
        *,
        timeout: float = SMTP_TIMEOUT,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        """``tls``: how certificates are checked (default: the system's trust store
        and the host name, :func:`ssl.create_default_context`); a relay with its own
        CA passes ``ssl.create_default_context(cafile=...)``."""
        self.server = SmtpServer.from_url(smtp_url)
        self.sender = sender_address(mail_from)
        self.base_url = base_url
        self.timeout = timeout
        self.tls = tls

    def send(self, mail: Outgoing, now: datetime) -> str:
        """Send one message; returns what the server replied to it (``250 ...``)."""
        return self.send_message(build_message(mail, self.sender, self.base_url, now))

    def send_message(self, msg: EmailMessage) -> str:
        """Send ``msg`` to its ``To`` address; the server's reply, or MailFailure."""
        try:
            with self._connect() as smtp:
                code, said = smtp.mail(self.sender.addr_spec)
                _check(code, said, (250,))
                code, said = smtp.rcpt(str(msg["To"].addresses[0].addr_spec))
                _check(code, said, (250, 251))
                code, said = smtp.data(msg.as_bytes(policy=msg.policy.clone(linesep="\r\n")))
                _check(code, said, (250,))
                return _reply(code, said)
        except MailFailure:
            raise
        except smtplib.SMTPResponseException as err:
            raise MailFailure(
                _reply(err.smtp_code, err.smtp_error), temporary=400 <= err.smtp_code < 500
            ) from None
        except smtplib.SMTPNotSupportedError as err:
            raise MailFailure(str(err), temporary=False) from None
        except (OSError, smtplib.SMTPException) as err:
            where = f"{self.server.host}:{self.server.port}"
            raise MailFailure(f"cannot talk to {where}: {err}", temporary=True) from None

    def _tls_context(self) -> ssl.SSLContext:
        """The TLS context, made once: loading the system's trust store takes
        about 50 ms, which a run of a few hundred messages paid for each one."""
        if self.tls is None:
            self.tls = ssl.create_default_context()
        return self.tls

    def _connect(self) -> smtplib.SMTP:
        """A connection, upgraded with STARTTLS and logged in as the URL says."""
        server = self.server
        if server.tls:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                server.host, server.port, timeout=self.timeout, context=self._tls_context()
            )
        else:
            smtp = smtplib.SMTP(server.host, server.port, timeout=self.timeout)
        try:
            smtp.ehlo()
            if not server.tls and (smtp.has_extn("starttls") or not is_loopback(server.host)):
                smtp.starttls(context=self._tls_context())
                smtp.ehlo()
            if server.user:
                smtp.login(server.user, server.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp


__all__ = [
    "SMTP_TIMEOUT",
    "MailFailure",
    "SmtpSender",
    "SmtpServer",
    "build_message",
    "is_loopback",
    "sender_address",
    "trial_message",
]
