"""What a hand-over may do and how it is told: its refusals, its meter reading, its note.

The rules :class:`~rentcal.service.handover.Handovers` applies inside its
transactions, apart from the use case: a refusal naming the rental and why
(:func:`refuse`), the refusal other changes get while a rental is out
(:func:`refuse_while_out`, used by bookings and moves), whether a reading is
required or refused (:func:`meter_reading`) and the check-in's line in the
rental's history (:func:`return_note`).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy.engine import Connection

from rentcal.core import news
from rentcal.core.handover import Condition, reading_words
from rentcal.core.types import RentalStatus
from rentcal.core.values import Rental
from rentcal.db import sql as q
from rentcal.db.rows import MachineRecord
from rentcal.errors import InvalidRequest, InvalidTransition


def refuse(rental: Rental, action: str, why: str) -> InvalidTransition:
    """``cannot check out rental 7: <why>``."""
    verb = "check out" if action == "checkout" else "check in"
    return InvalidTransition(
        f"cannot {verb} rental {rental.id}: {why}", rental.status.value, action
    )


def refuse_while_out(conn: Connection, rental: Rental, action: str, advice: str) -> None:
    """InvalidTransition when ``rental`` is checked out and not back: ``action`` (cancel,
    reject, complete, move) must wait for its check-in, ``advice`` says what to do."""
    if rental.status is RentalStatus.APPROVED and q.out_not_back(conn, rental.id):
        raise InvalidTransition(
            f"cannot {action} rental {rental.id}: it is checked out (the machine is with "
            f"its member); {advice}",
            rental.status.value,
            action,
        )


def meter_reading(mach: MachineRecord, given: Decimal | None, what: str) -> Decimal | None:
    """The reading a hand-over records: required when the machine has a meter, refused
    when it has none."""
    if mach.meter_unit is None:
        if given is not None:
            raise InvalidRequest(
                f"machine {mach.name!r} has no meter, so a {what} records no reading; "
                "an admin can give it one (edit_machine(meter=...))",
                field="meter",
                value=str(given),
                reason="no-meter",
            )
        return None
    if given is None:
        raise InvalidRequest(
            f"machine {mach.name!r} has a meter ({mach.meter_unit}): a {what} needs its reading",
            field="meter",
            reason="missing",
        )
    return given


def return_note(
    rental: Rental,
    day: date,
    condition: Condition,
    reading: Decimal | None,
    unit: str | None,
    used: Decimal | None,
    repair_until: date | None,
    notes: str | None,
) -> str:
    """The history reason of a check-in: when, how, the meter, the repair, the notes."""
    if day < rental.end:
        when = f"{news.RETURNED} early on {day.isoformat()} (the days after it are free again)"
    elif day > rental.end:
        when = (
            f"{news.RETURNED} late on {day.isoformat()} (its last day was {rental.end.isoformat()})"
        )
    else:
        when = f"{news.RETURNED} on its last day"
    parts = [when, f"condition {condition.value}"]
    if reading is not None:
        meter = f"meter {reading_words(reading, unit)}"
        parts.append(meter if used is None else f"{meter} ({reading_words(used, unit)} used)")
    if repair_until is not None:
        parts.append(f"in repair until {repair_until.isoformat()}")
    if notes:
        parts.append(f"notes: {notes}")
    return "; ".join(parts)


__all__ = ["meter_reading", "refuse", "refuse_while_out", "return_note"]
