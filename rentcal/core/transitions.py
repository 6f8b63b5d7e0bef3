"""The rental status machine, as one table.

Nothing is deleted: a rejected or cancelled rental stays with who changed it
and why. Any (status, action) pair missing from the table is an
:class:`~rentcal.errors.InvalidTransition`.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from rentcal.core.types import RentalStatus
from rentcal.errors import InvalidTransition


class Action(StrEnum):
    """What a member or admin does to a rental."""

    APPROVE = "approve"
    REJECT = "reject"
    CANCEL = "cancel"
    COMPLETE = "complete"


_P, _A = RentalStatus.PENDING, RentalStatus.APPROVED

#: (current status, action) -> new status.
TRANSITIONS: dict[tuple[RentalStatus, Action], RentalStatus] = {
    (_P, Action.APPROVE): RentalStatus.APPROVED,
    (_P, Action.REJECT): RentalStatus.REJECTED,
    (_P, Action.CANCEL): RentalStatus.CANCELLED,
    (_A, Action.REJECT): RentalStatus.REJECTED,
    (_A, Action.CANCEL): RentalStatus.CANCELLED,
    (_A, Action.COMPLETE): RentalStatus.COMPLETED,
}

#: Past participles for messages ("rental 7 is already cancelled").
_DONE = {
    RentalStatus.PENDING: "pending",
    RentalStatus.APPROVED: "approved",
    RentalStatus.REJECTED: "rejected",
    RentalStatus.CANCELLED: "cancelled",
    RentalStatus.COMPLETED: "completed",
}


def next_status(
    rental_id: int,
    current: RentalStatus,
    action: Action,
    *,
    end: date | None = None,
    today: date | None = None,
) -> RentalStatus:
    """The status after ``action``, or :class:`InvalidTransition` naming why not.

    A rental cannot be cancelled once its last day has passed (``end < today``):
    it happened, so it is completed, not cancelled.
    """
    new = TRANSITIONS.get((current, action))
    if new is None:
        raise InvalidTransition(
            f"cannot {action.value} rental {rental_id}: it is {_DONE[current]}",
            current=current.value,
            action=action.value,
        )
    if action is Action.CANCEL and end is not None and today is not None and end < today:
        raise InvalidTransition(
            f"cannot cancel rental {rental_id}: it ended on {end.isoformat()}",
            current=current.value,
            action=action.value,
        )
    return new


def allowed_actions(current: RentalStatus) -> list[Action]:
    """Actions the table allows from ``current`` (for help and docs)."""
    return [action for (status, action) in TRANSITIONS if status is current]


__all__ = ["TRANSITIONS", "Action", "allowed_actions", "next_status"]
