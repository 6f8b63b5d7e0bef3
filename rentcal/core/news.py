"""What members are told, in sentences: notifications and the rental history (pure).

Each notification is one sentence saying who did what to whose booking, of
which machine, on which days (:mod:`rentcal.core.dates_words`), at which
price (:mod:`rentcal.core.money`). The same sentence is the in-app
notification, the e-mail's first line and its subject, so the three never
disagree. A message names the rental's number last, for whoever wants to
look it up.

>>> from rentcal.core.types import RentalStatus
>>> history_words(None, RentalStatus.PENDING, None)
'requested'
>>> history_words(RentalStatus.PENDING, RentalStatus.PENDING, "moved: saw -> tractor")
'moved'
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from rentcal.core.dates_words import day_words, iso_spans_in_words, moment_words, span_words
from rentcal.core.money import format_money
from rentcal.core.types import RentalStatus
from rentcal.core.values import Rental

#: The prefix of the history reason a move records (``moved: A -> B``, kept as it
#: always was: JSON answers show it).
MOVED = "moved: "
#: The prefixes of the history reasons of a hand-over (:mod:`rentcal.core.handover`):
#: a check-out, a check-in (the return) and a no-show flag.
CHECKED_OUT = "checked out"
RETURNED = "returned"
NO_SHOW = "no-show: "


def machine_words(rental: Rental) -> str:
    """How a sentence names the rental's machine: its title, else its name."""
    return rental.machine_title or rental.machine


def member_words(rental: Rental) -> str:
    """How a sentence names the rental's member: their name, else their handle."""
    return rental.member_name or rental.member


def sentence(text: str) -> str:
    """``text`` with a capital first letter and one full stop (none after "?" or "!")."""
    said = text.strip().rstrip(".")
    return said[:1].upper() + said[1:] + ("" if said.endswith(("?", "!")) else ".")


def requested(rental: Rental, *, auto_approved: bool) -> str:
    """To the admins: a member asked for a booking (or booked a machine that approves itself)."""
    what = f"{machine_words(rental)} for {span_words(rental.start, rental.end)}"
    if auto_approved:
        return sentence(
            f"{member_words(rental)} booked {what} (rental {rental.id}; approved automatically)"
        )
    return sentence(f"{member_words(rental)} asked to book {what} (rental {rental.id})")


def waiting_words(rental: Rental) -> str | None:
    """What a pending rental waits for, in the words every front end shows (None unless
    it is pending): its card payment until its hold ends, or an admin's decision.

    >>> from datetime import datetime, UTC
    >>> from rentcal.core.values import Rental
    >>> at = datetime(2030, 1, 9, 12, 0, tzinfo=UTC)
    >>> held = Rental(3, "u3", "saw", "Band saw", "bob", "Bob", date(2030, 1, 12),
    ...     date(2030, 1, 12), RentalStatus.PENDING, None, Decimal("15.50"), at, at, 0,
    ...     "bob", None, pay_by=datetime(2030, 1, 9, 12, 30, tzinfo=UTC))
    >>> waiting_words(held)
    'awaiting payment until Wed 9 Jan 2030 12:30 UTC'
    >>> from dataclasses import replace
    >>> waiting_words(replace(held, pay_by=None))
    'waiting for an admin to approve it'
    >>> waiting_words(replace(held, status=RentalStatus.APPROVED)) is None
    True
    """
    if rental.awaiting_payment and rental.pay_by is not None:
        return f"awaiting payment until {moment_words(rental.pay_by)}"
    if rental.status == RentalStatus.PENDING:
        return "waiting for an admin to approve it"
    return None


def status_words(rental: Rental) -> str:
    """A rental's status for people: ``approved``, or for a pending one what it waits for
    (``pending, awaiting payment until Wed 9 Jan 2030 12:30 UTC``); a request waiting
    for an admin is just ``pending``, as it always was."""
    status = RentalStatus(rental.status).value
    if rental.awaiting_payment:
        return f"{status}, {waiting_words(rental)}"
    return status


def awaiting_payment_words(rental: Rental) -> str:
    """To the member, at booking: the booking holds its days until its card payment comes
    (the sentence of the notification and the e-mail)."""
    what = f"{machine_words(rental)} for {span_words(rental.start, rental.end)}"
    return sentence(
        f"Your booking of {what} is {waiting_words(rental)}: pay for it on your page, or it "
        f"is released (rental {rental.id})"
    )


#: The verb of a status change, as the member is told it.
_DONE = {
    RentalStatus.PENDING: "is waiting for an admin",
    RentalStatus.APPROVED: "is approved",
    RentalStatus.REJECTED: "was rejected",
    RentalStatus.CANCELLED: "was cancelled",
    RentalStatus.COMPLETED: "is completed",
}


def status_changed(rental: Rental, new: RentalStatus, note: str | None, kind: str) -> str:
    """To the member: their booking changed status (``kind`` ``expired``: nobody decided it)."""
    what = f"{machine_words(rental)} for {span_words(rental.start, rental.end)}"
    if kind == "expired":
        return sentence(
            f"Your request to book {what} expired: no admin decided it in time (rental {rental.id})"
        )
    done = _DONE.get(new, f"is now {new.value}")
    why = f" Reason: {note}" if note else ""
    return sentence(f"Your booking of {what} {done} (rental {rental.id}).{why}")


def moved(
    rental: Rental,
    actor: str,
    to_machine: str | None,
    start: date,
    end: date,
    price: Decimal,
    currency: str | None,
) -> str:
    """To the member and the admins: ``actor`` moved the booking (``to_machine``: the new
    machine's title, None when it stays on its machine); the price as recomputed."""
    before = span_words(rental.start, rental.end)
    after = span_words(start, end)
    booking = (
        "their booking" if actor == member_words(rental) else f"{member_words(rental)}'s booking"
    )
    if to_machine is None:
        booking += f" of {machine_words(rental)}"
    else:
        before = f"{machine_words(rental)} on {before}"
        after = f"{to_machine} on {after}"
    money = format_money(price, currency)
    priced = f"the price stays {money}" if price == rental.price else f"new price {money}"
    return sentence(
        f"{actor} moved {booking} from {before} to {after}; {priced} (rental {rental.id})"
    )


def retired_to_member(rental: Rental) -> str:
    """To the member of an approved booking of a machine being retired."""
    return sentence(
        f"{machine_words(rental)} was retired; your approved booking of it for "
        f"{span_words(rental.start, rental.end)} stands, and an admin will tell you if it "
        f"cannot go ahead (rental {rental.id})"
    )


def retired_to_admins(rental: Rental) -> str:
    """To the admins: a retired machine still has an approved booking to come."""
    return sentence(
        f"{machine_words(rental)} was retired with {member_words(rental)}'s approved booking "
        f"for {span_words(rental.start, rental.end)} still to come: it stands unless an admin "
        f"cancels it (rental {rental.id})"
    )


def deactivated(rental: Rental) -> str:
    """To the member and the admins: a deactivated member still has an approved booking."""
    return sentence(
        f"{member_words(rental)}'s membership was deactivated with an approved booking of "
        f"{machine_words(rental)} for {span_words(rental.start, rental.end)} still to come: "
        f"it stands unless an admin cancels it (rental {rental.id})"
    )


def maintenance_overlaps(
    machine: str, kind: str | None, start: date, end: date, rental_id: int, *, edited: bool
) -> str:
    """To a member: maintenance (new, or moved by an edit) now overlaps their booking."""
    what = f"{kind} maintenance" if kind else "Maintenance"
    verb = "now runs" if edited else "is planned"
    return sentence(
        f"{what} of {machine} {verb} on {span_words(start, end)} and overlaps your booking "
        f"(rental {rental_id}); an admin will contact you"
    )


def damaged_return(rental: Rental, notes: str | None, repair_until: date | None) -> str:
    """To the member: their booking's machine came back damaged (a check-in)."""
    repair = (
        f"; {machine_words(rental)} is in repair until {day_words(repair_until)}"
        if repair_until is not None
        else ""
    )
    said = f" Notes: {notes}" if notes else ""
    return sentence(
        f"Your booking of {machine_words(rental)} for {span_words(rental.start, rental.end)} "
        f"was returned damaged (rental {rental.id}){repair}.{said}"
    )


def no_show(rental: Rental, hours: int) -> str:
    """To the admins and the machine's keepers: nobody picked the machine up in time."""
    return sentence(
        f"{member_words(rental)}'s booking of {machine_words(rental)} for "
        f"{span_words(rental.start, rental.end)} was not picked up: nobody checked it out "
        f"within {hours} hours of its first day (rental {rental.id}); it is kept, flagged "
        "as a no-show"
    )


#: What each status change is called in a rental's history.
_HISTORY = {
    (None, RentalStatus.PENDING): "requested",
    (None, RentalStatus.APPROVED): "booked and approved",
    (RentalStatus.PENDING, RentalStatus.APPROVED): "approved",
    (RentalStatus.PENDING, RentalStatus.REJECTED): "rejected",
    (RentalStatus.APPROVED, RentalStatus.REJECTED): "rejected",
    (RentalStatus.PENDING, RentalStatus.CANCELLED): "cancelled",
    (RentalStatus.APPROVED, RentalStatus.CANCELLED): "cancelled",
    (RentalStatus.APPROVED, RentalStatus.COMPLETED): "completed",
}


def history_words(old: RentalStatus | None, new: RentalStatus, reason: str | None) -> str:
    """One history entry's change for people: ``approved``, ``moved``, ``still approved``
    (a status that stayed: a move, or a booking that stands), never ``pending → pending``."""
    said = reason or ""
    if old == new:
        if said.startswith(MOVED):
            return "moved"
        if said.startswith(CHECKED_OUT):
            return "checked out"
        if said.startswith(NO_SHOW):
            return "flagged as a no-show"
        return f"still {new.value}"
    if new is RentalStatus.COMPLETED and said.startswith(RETURNED):
        return "returned"
    return _HISTORY.get((old, new), f"{old.value if old else 'new'} → {new.value}")


def reason_words(reason: str | None) -> str | None:
    """A history entry's reason for people: a move says ``from … to …`` in words
    (stored moves keep their ISO wording, which JSON answers show)."""
    if reason is None:
        return None
    text = reason[len(MOVED) :] if reason.startswith(MOVED) else reason
    text = iso_spans_in_words(text).replace(" -> ", " to ")
    return ("from " + text) if reason.startswith(MOVED) else text


__all__ = [
    "CHECKED_OUT",
    "MOVED",
    "NO_SHOW",
    "RETURNED",
    "awaiting_payment_words",
    "damaged_return",
    "deactivated",
    "history_words",
    "machine_words",
    "maintenance_overlaps",
    "member_words",
    "moved",
    "no_show",
    "reason_words",
    "requested",
    "retired_to_admins",
    "retired_to_member",
    "sentence",
    "status_changed",
    "status_words",
    "waiting_words",
]
