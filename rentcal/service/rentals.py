"""Reading rentals back: one by id, its history, and lists by filter.

Reads that see a row time made stale (an undecided request whose day has
come, an approved rental that ended) settle it first and answer again
(:meth:`Housekeeping.fresh`), so nobody is shown what is no longer true.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy.engine import Connection

from rentcal.core import checks
from rentcal.core.ranges import validate_range
from rentcal.core.types import RentalStatus
from rentcal.core.values import Rental
from rentcal.db import sql as q
from rentcal.service.base import Context, int_id, statuses
from rentcal.service.housekeeping import Housekeeping


class RentalReads:
    """Use cases that read rentals."""

    def __init__(self, ctx: Context, housekeeping: Housekeeping) -> None:
        self.ctx = ctx
        self.housekeeping = housekeeping

    def rental(self, rental_id: int) -> Rental:
        """One rental by id."""
        rid = int_id(rental_id, "rental")
        day = self.ctx.today()

        def work(conn: Connection) -> tuple[Rental, bool]:
            found = self.ctx.get_rental(conn, rid)
            return found, self.housekeeping.stale_rows(conn, [found], day)

        return self.housekeeping.fresh(work, day)

    def history(self, rental_id: int) -> list[dict[str, Any]]:
        """Every status change of a rental, oldest first: who, when, from, to, why."""
        rid = int_id(rental_id, "rental")

        def work(conn: Connection) -> list[dict[str, Any]]:
            self.ctx.get_rental(conn, rid)
            return q.history(conn, rid)

        return self.ctx.read(work)

    def rentals(
        self,
        machine: str | None = None,
        member: str | None = None,
        status: str | RentalStatus | Sequence[str | RentalStatus] | None = None,
        start: date | None = None,
        end: date | None = None,
    ) -> list[Rental]:
        """Rentals matching every filter given, by start day then id.

        ``start``/``end`` select rentals touching that inclusive window.
        """
        name = checks.optional_handle(machine, "machine")
        who = checks.optional_handle(member, "member")
        wanted = statuses(status, RentalStatus, "status")
        first, last = checks.optional_day(start, "start"), checks.optional_day(end, "end")
        if first is not None and last is not None:
            validate_range(first, last)

        day = self.ctx.today()

        def work(conn: Connection) -> tuple[list[Rental], bool]:
            found = q.find_rentals(
                conn,
                machine_id=None if name is None else self.ctx.machine_row(conn, name).id,
                member_id=None if who is None else self.ctx.member_row(conn, who).id,
                statuses=wanted,
                start=first,
                end=last,
            )
            return found, self.housekeeping.stale_rows(conn, found, day)

        return self.housekeeping.fresh(work, day)


__all__ = ["RentalReads"]
