"""Who hands a rental's machine over, and who sees its hand-overs: THE rule of both web
front ends (the rental's page and the JSON API); the library decides again on every
check-out and check-in.

A rental's hand-overs (who checked it out and in, when, the meter, the
condition, the notes) are seen by its member, the admins and the machine's
keepers; they hand it over: the admins and the keepers. A deactivated member
does neither.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from rentcal.core.handover import Handover, HandoverState
from rentcal.core.privacy import Viewer
from rentcal.core.types import RentalStatus

if TYPE_CHECKING:
    from rentcal.core.values import Member, Rental
    from rentcal.service import Rentcal


@dataclass(frozen=True, slots=True)
class HandoverView:
    """What one viewer sees of, and may do with, a rental's hand-over.

    ``hands_over``: the viewer may check it out and in; ``sees``: the viewer
    may read the hand-overs (``handovers``, empty otherwise); ``meter`` is the
    machine's meter unit and ``proposed`` the reading a check-out proposes.
    """

    hands_over: bool
    sees: bool
    handovers: list[Handover] = field(default_factory=list)
    meter: str | None = None
    proposed: Decimal | None = None

    @property
    def state(self) -> HandoverState:
        """Out, back, flagged: what the hand-overs say."""
        return HandoverState.of(self.handovers)

    def actions(self, rental: Rental, today: date) -> list[str]:
        """``checkout`` and/or ``checkin`` when this viewer may do them now."""
        if not self.hands_over or RentalStatus(rental.status) is not RentalStatus.APPROVED:
            return []
        state = self.state
        if state.out is None and rental.start <= today <= rental.end:
            return ["checkout"]
        if state.out_not_back:
            return ["checkin"]
        return []


def hands_over(cal: Rentcal, viewer: Member, rental: Rental) -> bool:
    """Whether ``viewer`` may check ``rental``'s machine out and in: an active admin or
    one of the machine's keepers."""
    if not viewer.active:
        return False
    return viewer.is_admin or viewer.handle in cal.keepers(rental.machine)


def handover_view(cal: Rentcal, viewer: Member, rental: Rental) -> HandoverView:
    """The :class:`HandoverView` of ``rental`` for ``viewer`` (a few reads)."""
    keeps = hands_over(cal, viewer, rental)
    sees = keeps or Viewer.of(viewer).sees_private_of(rental.member)
    if not sees:
        return HandoverView(False, False)
    found = cal.handovers(rental.id)
    if not keeps:
        return HandoverView(False, True, found)
    meter = cal.machine(rental.machine).meter
    proposed = None if meter is None else cal.last_reading(rental.machine)
    return HandoverView(True, True, found, meter, proposed)


__all__ = ["HandoverView", "handover_view", "hands_over"]
