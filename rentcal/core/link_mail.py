"""One-time links about a member (issue #20): their purposes, the pending invitation
as admins see it, and the words of the messages that carry them (pure).

The link's path is stored after :data:`rentcal.core.mail.BASE_MARK`; the
sender puts the base URL configured then before it
(:func:`rentcal.core.mail.with_base`). Names and addresses reach the bodies
only (escaped in the HTML), never a header.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime

from rentcal.core.mail import BASE_MARK, MailText, header_text

#: What a link is for (``member_link.purpose``).
INVITE = "invite"
EMAIL = "email"


@dataclass(frozen=True, slots=True)
class Invitation:
    """An invitation neither accepted nor revoked: who, where it was sent, by whom,
    when, until when the link works (``expired`` once past it: resend it)."""

    handle: str
    name: str
    address: str
    verified: bool
    invited_by: str | None
    created_at: datetime
    expires_at: datetime
    expired: bool

    def as_dict(self) -> dict[str, object]:
        """The JSON shape of an invitation (the CLI's ``--json``, the API)."""
        return {
            "handle": self.handle,
            "name": self.name,
            "email": self.address,
            "verified": self.verified,
            "invited_by": self.invited_by,
            "created_at": self.created_at.isoformat(),
            "expires_at": self.expires_at.isoformat(),
            "expired": self.expired,
        }


@dataclass(frozen=True, slots=True)
class PendingAddress:
    """A member's new address waiting for its confirmation link to be used; until
    then mail goes on to the confirmed address (``Member.email``)."""

    address: str
    expires_at: datetime

    def as_dict(self) -> dict[str, object]:
        """The JSON shape of a pending address."""
        return {"pending_email": self.address, "expires_at": self.expires_at.isoformat()}


def _mail(subject: str, before: list[str], path: str, after: list[str]) -> MailText:
    """A message of paragraphs ``before``, the link, paragraphs ``after`` (text and HTML)."""
    link = BASE_MARK + path
    text = "\n\n".join([*before[:-1], before[-1] + "\n" + link, *after]) + "\n"
    anchor = html.escape(link, quote=True)
    page = (
        "".join(f"<p>{html.escape(line)}</p>\n" for line in before[:-1])
        + f'<p>{html.escape(before[-1])}<br><a href="{anchor}">{anchor}</a></p>\n'
        + "".join(f"<p>{html.escape(line)}</p>\n" for line in after)
    )
    return MailText(subject, text, page)


def invitation_mail(path: str, days: int, handle: str, inviter: str) -> MailText:
    """The invitation: who invited whom, the link to choose a password, how long it works."""
    who = header_text(inviter, 200)
    return _mail(
        "You are invited to rentcal",
        [
            f"{who} invited you to book machines with rentcal, as {handle!r}.",
            f"Open this link within {days} days to choose your password; it works once:",
        ],
        path,
        ["If you did not expect this, ignore this message: nothing happens without you."],
    )


def confirm_mail(path: str, hours: int, handle: str) -> MailText:
    """The confirmation of a new address: the link, how long it works, what it changes."""
    return _mail(
        "Confirm your e-mail address for rentcal",
        [
            f"Someone (you, we hope) gave this address to the rentcal account {handle!r}.",
            f"Open this link within {hours} hours to confirm it; it works once:",
        ],
        path,
        [
            "Until then rentcal keeps writing to the account's former address, if any.",
            "If you did not ask, ignore this message: the address will not be used.",
        ],
    )


__all__ = [
    "EMAIL",
    "INVITE",
    "Invitation",
    "PendingAddress",
    "confirm_mail",
    "invitation_mail",
]
