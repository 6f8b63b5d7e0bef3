"""The life cycle of rentals and maintenance blocks: two status tables, one time rule.

Nothing is deleted: a rejected or cancelled rental stays with who changed it
and why. Any (status, action) pair missing from a table is an
:class:`~rentcal.errors.InvalidTransition`.

Days before today are history, and what may still happen to a rental or a
maintenance block depends on its inclusive days [start, end] the same way for
both. Every action has one of four timing rules (:class:`When`):

==============  ===========================================  =====================
rule            actions                                      allowed while
==============  ===========================================  =====================
``no-past-day`` approve a rental (like ``book`` and          ``today <= start``
                scheduling maintenance): granting days
``not-ended``   withdraw what was granted: reject or cancel  ``today <= end``
                an approved rental, cancel a scheduled block
``any-time``    close a request nobody granted: reject or    always
                cancel a pending rental
``begun``       record how it went: complete a rental, mark  ``start <= today``
                a block done
==============  ===========================================  =====================

So an approved rental or a scheduled block that has ended can only be
completed / marked done: it happened. A pending request whose first day has
passed can no longer be approved (that would book past days, and charge for
them) but can still be rejected or cancelled, so it never lingers as
"waiting for approval".
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from rentcal.core.types import MaintenanceStatus, RentalStatus
from rentcal.errors import InvalidTransition


class Action(StrEnum):
    """What a member or admin does to a rental or a maintenance block."""

    APPROVE = "approve"
    REJECT = "reject"
    CANCEL = "cancel"
    COMPLETE = "complete"


class When(StrEnum):
    """When, relative to today, an action may happen to an item on [start, end]."""

    NO_PAST_DAY = "no-past-day"
    NOT_ENDED = "not-ended"
    ANY_TIME = "any-time"
    BEGUN = "begun"


_P, _A = RentalStatus.PENDING, RentalStatus.APPROVED
_S = MaintenanceStatus.SCHEDULED

#: (current rental status, action) -> (new status, timing rule).
RENTAL_RULES: dict[tuple[RentalStatus, Action], tuple[RentalStatus, When]] = {
    (_P, Action.APPROVE): (RentalStatus.APPROVED, When.NO_PAST_DAY),
    (_P, Action.REJECT): (RentalStatus.REJECTED, When.ANY_TIME),
    (_P, Action.CANCEL): (RentalStatus.CANCELLED, When.ANY_TIME),
    (_A, Action.REJECT): (RentalStatus.REJECTED, When.NOT_ENDED),
    (_A, Action.CANCEL): (RentalStatus.CANCELLED, When.NOT_ENDED),
    (_A, Action.COMPLETE): (RentalStatus.COMPLETED, When.BEGUN),
}

#: (current maintenance status, action) -> (new status, timing rule).
MAINTENANCE_RULES: dict[tuple[MaintenanceStatus, Action], tuple[MaintenanceStatus, When]] = {
    (_S, Action.CANCEL): (MaintenanceStatus.CANCELLED, When.NOT_ENDED),
    (_S, Action.COMPLETE): (MaintenanceStatus.DONE, When.BEGUN),
}

#: (current status, action) -> new status, for rentals (the table without timing).
TRANSITIONS: dict[tuple[RentalStatus, Action], RentalStatus] = {
    key: new for key, (new, _) in RENTAL_RULES.items()
}

#: What a finished item can still become, for the "ended" advice in messages.
_OUTCOME = {RentalStatus.APPROVED: "completed", MaintenanceStatus.SCHEDULED: "marked done"}


def too_early_or_late(
    when: When, start: date | None, end: date | None, today: date | None
) -> str | None:
    """Why an action under rule ``when`` cannot happen today, or None if it can.

    A bound that is None is not checked (callers without dates, tests).
    """
    if today is None:
        return None
    if when is When.NO_PAST_DAY and start is not None and start < today:
        return (
            f"its first day {start.isoformat()} is in the past (today is {today.isoformat()}), "
            "and past days cannot be booked"
        )
    if when is When.NOT_ENDED and end is not None and end < today:
        return f"it ended on {end.isoformat()}"
    if when is When.BEGUN and start is not None and start > today:
        return f"it starts on {start.isoformat()}"
    return None


def _verb(kind: str, action: Action) -> str:
    """``cancel rental 7``, ``mark maintenance 3 done`` (without the id)."""
    if kind == "maintenance" and action is Action.COMPLETE:
        return "mark maintenance {id} done"
    return f"{action.value} {kind} {{id}}"


def _refuse(
    kind: str,
    item_id: int,
    current: RentalStatus | MaintenanceStatus,
    action: Action,
    why: str,
) -> InvalidTransition:
    what = _verb(kind, action).format(id=item_id)
    return InvalidTransition(f"cannot {what}: {why}", current=current.value, action=action.value)


def _advice(current: RentalStatus | MaintenanceStatus, when: When) -> str:
    """What can still be done when a withdrawal comes too late."""
    outcome = _OUTCOME.get(current)
    if when is When.NOT_ENDED and outcome is not None:
        return f"; once it has ended it can only be {outcome}"
    return ""


def next_status(
    rental_id: int,
    current: RentalStatus,
    action: Action,
    *,
    start: date | None = None,
    end: date | None = None,
    today: date | None = None,
) -> RentalStatus:
    """The rental's status after ``action``, or :class:`InvalidTransition` naming why not.

    ``start``/``end``/``today`` apply the timing rule of :data:`RENTAL_RULES`.
    """
    rule = RENTAL_RULES.get((current, action))
    if rule is None:
        raise _refuse("rental", rental_id, current, action, f"it is {current.value}")
    new, when = rule
    why = too_early_or_late(when, start, end, today)
    if why is not None:
        raise _refuse("rental", rental_id, current, action, why + _advice(current, when))
    return new


def next_maintenance_status(
    maintenance_id: int,
    current: MaintenanceStatus,
    action: Action,
    *,
    start: date | None = None,
    end: date | None = None,
    today: date | None = None,
) -> MaintenanceStatus:
    """A maintenance block's status after ``action`` (cancel, complete), or InvalidTransition."""
    rule = MAINTENANCE_RULES.get((current, action))
    if rule is None:
        raise _refuse("maintenance", maintenance_id, current, action, f"it is {current.value}")
    new, when = rule
    why = too_early_or_late(when, start, end, today)
    if why is not None:
        raise _refuse("maintenance", maintenance_id, current, action, why + _advice(current, when))
    return new


def allowed_actions(current: RentalStatus) -> list[Action]:
    """Actions the rental table allows from ``current`` (for help and docs)."""
    return [action for (status, action) in RENTAL_RULES if status is current]


__all__ = [
    "MAINTENANCE_RULES",
    "RENTAL_RULES",
    "TRANSITIONS",
    "Action",
    "When",
    "allowed_actions",
    "next_maintenance_status",
    "next_status",
    "too_early_or_late",
]
