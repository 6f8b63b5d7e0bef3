"""E-mail in plain words: the values of the outbox and the text of each message (pure).

Every in-app notification is also an e-mail to each recipient with an
address (issue #20). The notification's sentence is the message; the
rental's facts (who, which machine, which days, the price) follow it. The
subject and the recipient's name are the only texts that reach a header, so
:func:`header_text` takes every control character (CR and LF among them)
out of them here, before the ``email`` package refuses them again.
"""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from rentcal.core.dates_words import day_words, span_words
from rentcal.core.mail_choices import DIGEST_KIND
from rentcal.core.money import format_money
from rentcal.core.news import sentence
from rentcal.core.values import Rental
from rentcal.core.wording import plural

#: The longest subject stored (a header line stays readable and unfolded).
MAX_SUBJECT = 150
#: The first wait after a temporary failure; each further one doubles, up to MAX_BACKOFF.
FIRST_BACKOFF = timedelta(minutes=1)
MAX_BACKOFF = timedelta(hours=1)
#: A message still unsent this long after it was queued is marked failed.
GIVE_UP_AFTER = timedelta(days=2)


class MailFailure(Exception):
    """Sending one message failed; ``temporary`` says whether trying again later may help
    (no connection, a timeout, a 4xx reply) or not (a 5xx reply, a bad address)."""

    def __init__(self, reply: str, *, temporary: bool) -> None:
        super().__init__(reply)
        self.reply = reply
        self.temporary = temporary


@dataclass(frozen=True, slots=True)
class MailText:
    """What one e-mail says: its subject, its text and the HTML alternative."""

    subject: str
    text: str
    html: str


@dataclass(frozen=True, slots=True)
class MailItem:
    """One message of the outbox, as admins see it (``rentcal mail list``)."""

    id: int
    address: str
    name: str
    subject: str
    kind: str
    rental_id: int | None
    status: str
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    last_error: str | None
    sent_at: datetime | None


@dataclass(frozen=True, slots=True)
class MailList:
    """The newest open (queued or failed) messages, newest first, and how many are open
    in all: a bounded view of the outbox (the admin page's)."""

    items: tuple[MailItem, ...]
    total: int


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A claimed message, with its bodies: what a sender turns into MIME.

    ``calendar`` is the booking's iTIP invitation (without its people) and
    ``calendar_method`` its METHOD, on the member's own message about an
    approval, a move or an end of their booking; None on every other.
    """

    item: MailItem
    text: str
    html: str
    calendar: str | None = None
    calendar_method: str | None = None


@dataclass(frozen=True, slots=True)
class MailReport:
    """One delivery pass: how many messages were sent, will be retried, failed."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0


def header_text(value: str, limit: int = MAX_SUBJECT) -> str:
    """``value`` on one line: control and separator characters (CR, LF, TAB, U+2028 ...)
    become spaces, runs of spaces one; cut to ``limit`` characters."""
    cleaned = "".join(
        " " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in value
    )
    return " ".join(cleaned.split())[:limit]


def rental_facts(rental: Rental, currency: str | None = None) -> list[str]:
    """The lines that say who rents which machine on which days, at what price
    (in the words of the pages and the CLI: :mod:`rentcal.core.dates_words`,
    :func:`rentcal.core.money.format_money`)."""
    title = rental.machine_title or rental.machine
    return [
        f"Rental {rental.id}: {title} ({rental.machine})",
        f"Member: {rental.member_name} ({rental.member})",
        f"Days: {span_words(rental.start, rental.end)} ({plural(rental.days, 'day')})",
        f"Price: {format_money(rental.price, currency)}",
    ] + ([f"Purpose: {header_text(rental.purpose, 500)}"] if rental.purpose else [])


def compose(message: str, rental: Rental | None, currency: str | None = None) -> MailText:
    """The e-mail telling the notification ``message`` (about ``rental``).

    The same words go to every recipient of one notification (so one
    statement queues them all). The link to the rental is not stored: it is
    added when the message is sent (:func:`with_link`), from the base URL
    configured then.
    """
    said = sentence(message)
    facts = rental_facts(rental, currency) if rental is not None else []
    text = "\n".join([said, "", *facts]) if facts else said
    rows = "".join(f"<li>{html.escape(line)}</li>" for line in facts)
    page = f"<p>{html.escape(said)}</p>\n" + (f"<ul>{rows}</ul>\n" if rows else "")
    return MailText(header_text(said.removesuffix(".")) or "rentcal", text + "\n", page)


#: The outbox kinds of the reminders (:mod:`rentcal.service.reminders`).
PICKUP_REMINDER = "pickup-reminder"
RETURN_REMINDER = "return-reminder"
REMINDER_KINDS = (PICKUP_REMINDER, RETURN_REMINDER)


def reminder_message(kind: str, rental: Rental) -> str:
    """The sentence of a reminder about ``rental``: a pick-up tomorrow or a return today.

    rentcal keeps no address for a machine, so where to pick it up is left to
    the machine's title and the organisation's own habits.
    """
    title = rental.machine_title or rental.machine
    if kind == PICKUP_REMINDER:
        return (
            f"Reminder: your booking of {title} starts tomorrow, {day_words(rental.start)}: "
            f"pick it up then (rental {rental.id})."
        )
    return (
        f"Reminder: your booking of {title} ends today, {day_words(rental.end)}: "
        f"please return it today (rental {rental.id})."
    )


def rental_link(base_url: str | None, rental_id: int | None) -> str | None:
    """The rental's page on the web server, when a base URL is configured."""
    if not base_url or rental_id is None:
        return None
    return f"{base_url.rstrip('/')}/rentals/{rental_id}"


def with_link(text: str, page: str, link: str | None) -> tuple[str, str]:
    """The text and HTML bodies with the rental's link and rentcal's signature."""
    sign = "-- \nrentcal\n"
    if link is None:
        return f"{text}\n{sign}", f"<html><body>\n{page}</body></html>\n"
    anchor = html.escape(link, quote=True)
    return (
        f"{text}\nSee the rental: {link}\n\n{sign}",
        f'<html><body>\n{page}<p><a href="{anchor}">See the rental</a></p>\n</body></html>\n',
    )


#: The kind of the password-reset message (issue #20).
RESET_KIND = "password-reset"
#: The kinds of the invitation and address-confirmation messages (:mod:`rentcal.core.link_mail`).
INVITE_KIND = "invitation"
CONFIRM_KIND = "email-confirm"
#: The kinds whose stored bodies hold :data:`BASE_MARK` (a one-time link's path).
LINK_KINDS = frozenset({RESET_KIND, INVITE_KIND, CONFIRM_KIND})
#: Stands for the server's base URL in a stored reset message; replaced when it is
#: sent (:func:`with_base`), from the base URL configured then, like the rental link.
BASE_MARK = "{rentcal-base-url}"


def reset_mail(path: str, minutes: int) -> MailText:
    """The password-reset message: the one-time link (``path`` after :data:`BASE_MARK`),
    how long it works, and what to do when the member did not ask for it."""
    link = BASE_MARK + path
    said = [
        "Someone (you, we hope) asked to set a new password for your rentcal account.",
        f"Open this link within {minutes} minutes to choose one; it works once:",
    ]
    after = [
        "Setting the new password logs you out everywhere and ends your API tokens.",
        "If you did not ask, ignore this message: your password stays as it is.",
    ]
    text = "\n".join([said[0], "", said[1], link, "", *after]) + "\n"
    anchor = html.escape(link, quote=True)
    page = (
        f"<p>{html.escape(said[0])}</p>\n<p>{html.escape(said[1])}<br>"
        f'<a href="{anchor}">{anchor}</a></p>\n'
        + "".join(f"<p>{html.escape(line)}</p>\n" for line in after)
    )
    return MailText("Set a new rentcal password", text, page)


#: The most requests one daily list names (the rest are counted, the admin page has them).
DIGEST_LIMIT = 50


def digest_mail(pending: Sequence[Rental]) -> MailText:
    """The admins' daily list of the ``pending`` requests, oldest first, each with its
    link (after :data:`BASE_MARK`, like a reset link) and a link to the admin page."""
    shown = list(pending[:DIGEST_LIMIT])
    count = len(pending)
    said = (
        "1 booking request waits for a decision"
        if count == 1
        else f"{count} booking requests wait for a decision"
    )
    lines, items = [], []
    for rental in shown:
        title = rental.machine_title or rental.machine
        line = (
            f"Rental {rental.id}: {title}, {rental.member_name} ({rental.member}), "
            f"{span_words(rental.start, rental.end)}"
        ).replace(BASE_MARK, "{rentcal base url}")  # a name never becomes a link
        link = f"{BASE_MARK}/rentals/{rental.id}"
        lines += [line, f"  {link}"]
        anchor = html.escape(link, quote=True)
        items.append(f'<li><a href="{anchor}">{html.escape(line)}</a></li>')
    more = count - len(shown)
    tail = [f"... and {more} more."] if more else []
    admin = f"{BASE_MARK}/admin"
    text = "\n".join([said + ":", "", *lines, *tail, "", f"Decide on the admin page: {admin}"])
    page = (
        f"<p>{html.escape(said)}:</p>\n<ul>{''.join(items)}</ul>\n"
        + "".join(f"<p>{html.escape(t)}</p>\n" for t in tail)
        + f'<p><a href="{html.escape(admin, quote=True)}">Decide on the admin page</a></p>\n'
    )
    return MailText(header_text(said[:1].upper() + said[1:]), text + "\n", page)


def with_base(kind: str, text: str, page: str, base_url: str | None) -> tuple[str, str]:
    """The bodies of a one-time link message (:data:`LINK_KINDS`) or a daily list with
    their links made absolute (relative without a base URL); every other kind unchanged
    (a member's own words never get expanded)."""
    if kind not in LINK_KINDS and kind != DIGEST_KIND:
        return text, page
    base = (base_url or "").rstrip("/")
    return text.replace(BASE_MARK, base), page.replace(html.escape(BASE_MARK), html.escape(base))


def next_attempt(attempts: int, now: datetime, created_at: datetime) -> datetime | None:
    """When to try again after ``attempts`` temporary failures (1 min, 2, 4, ... 1 h);
    None once that would be more than :data:`GIVE_UP_AFTER` after ``created_at``."""
    wait = min(FIRST_BACKOFF * 2 ** min(max(attempts - 1, 0), 12), MAX_BACKOFF)
    when = now + wait
    return None if when - created_at > GIVE_UP_AFTER else when


__all__ = [
    "BASE_MARK",
    "CONFIRM_KIND",
    "DIGEST_LIMIT",
    "FIRST_BACKOFF",
    "GIVE_UP_AFTER",
    "INVITE_KIND",
    "LINK_KINDS",
    "MAX_BACKOFF",
    "PICKUP_REMINDER",
    "REMINDER_KINDS",
    "RESET_KIND",
    "RETURN_REMINDER",
    "MailFailure",
    "MailItem",
    "MailList",
    "MailReport",
    "MailText",
    "Outgoing",
    "compose",
    "digest_mail",
    "header_text",
    "next_attempt",
    "reminder_message",
    "rental_facts",
    "rental_link",
    "reset_mail",
    "with_base",
    "with_link",
]
