"""THE booking path of every front end: CLI ``book``, ``POST /api/rentals``, the page's form.

Each front end turns its own input (arguments, a JSON body, form fields) into
a :class:`BookingInput` and calls :func:`book`; the rules that decide before
the service is asked, the ``cal.book(...)`` call itself and the counting of
its outcome are here, once. The front ends keep only what is theirs: how the
input is read and how the rental or the refusal is shown.

Counting is a callback (``count("booked")``) so that this module stays free
of the web stack; the server passes its Prometheus counter, the CLI nothing.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from rentcal.core.types import MachineStatus
from rentcal.errors import PermissionDenied, RentcalError, Unavailable

if TYPE_CHECKING:
    from rentcal.core.values import Machine, Member, Rental
    from rentcal.service import Rentcal

#: ``count(outcome)``: booked, unavailable, invalid or denied (the metric's labels).
Count = Callable[[str], None]
OUTCOMES = ("booked", "unavailable", "invalid", "denied")


@dataclass(frozen=True, slots=True)
class BookingInput:
    """One booking request, whichever front end it came from.

    ``member`` is whom the rental is for; ``acting`` who asks (an admin may
    book for another member). ``idempotency_key``: the same key sent again
    answers with the same rental (the API's header, the form's hidden field).
    """

    machine: str
    start: date
    end: date
    member: str
    acting: str | None = None
    purpose: str | None = None
    idempotency_key: str | None = None


def outcome(err: RentcalError) -> str:
    """The outcome label of a refused booking."""
    if isinstance(err, Unavailable):
        return "unavailable"
    if isinstance(err, PermissionDenied):
        return "denied"
    return "invalid"


def may_book(member: "Member") -> bool:
    """Whether ``member`` may book for themselves: an active member an admin verified."""
    return member.active and member.verified


def refuse_unverified(member: "Member") -> None:
    """Refuse a member who may not book yet, in words addressed to them."""
    if not member.verified:
        raise PermissionDenied(
            f"you ({member.handle!r}) are not verified yet: an admin must verify you "
            "before you can book",
            field="member",
            value=member.handle,
            reason="not-verified",
        )


def retired_problem(machine: "Machine") -> str | None:
    """Why ``machine`` cannot be booked (it is retired), or None when it can."""
    if machine.status is MachineStatus.ACTIVE:
        return None
    return f"machine {machine.name!r} is retired and cannot be booked"


def book(
    cal: "Rentcal",
    wanted: BookingInput,
    *,
    asker: "Member | None" = None,
    today: date | None = None,
    count: Count | None = None,
) -> "Rental":
    """Book ``wanted`` through ``cal.book``, counting the outcome; the rental or the error.

    ``asker``: the member asking, when the front end already knows them (the
    server does): an unverified member booking for themselves is refused in
    words addressed to them before the service is asked. Who may book for
    whom, availability and everything else is the service's to decide.

    Raises:
        RentcalError: whatever refused the booking (counted before it is raised).
    """
    try:
        if asker is not None and wanted.member == asker.handle:
            refuse_unverified(asker)
        rental = cal.book(
            wanted.machine,
            wanted.start,
            wanted.end,
            member=wanted.member,
            purpose=wanted.purpose,
            acting=wanted.acting,
            today=today,
            idempotency_key=wanted.idempotency_key,
        )
    except RentcalError as err:
        if count is not None:
            count(outcome(err))
        raise
    if count is not None:
        count("booked")
    return rental


__all__ = [
    "OUTCOMES",
    "BookingInput",
    "Count",
    "book",
    "may_book",
    "outcome",
    "refuse_unverified",
    "retired_problem",
]
