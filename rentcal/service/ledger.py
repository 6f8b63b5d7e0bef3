"""The ledger of charges as members and treasurers use it: statements, the charges of a
period, and corrections (issue #22).

Every charge is charged on one day in the organisation's time zone
(``charged_on``) and belongs to the period holding that day, so the twelve
monthly statements of a member add up to the year's. The ledger is
append-only: a wrong charge stays and an admin adds a correction (a credit
or a debit with its reason) that the member is told of.

Who sees what: a member their own statement; admins every member's
statement and every charge of a period (the accounting export).
"""

from __future__ import annotations

import contextlib
from datetime import date
from decimal import Decimal

from sqlalchemy.engine import Connection

from rentcal.core import checks
from rentcal.core.charges import signed_amount
from rentcal.core.statements import Charge, Statement, parse_period
from rentcal.core.types import ChargeKind
from rentcal.core.values import Member
from rentcal.db import sql as q
from rentcal.db.sql import charges as ledger
from rentcal.errors import InvalidRequest, PermissionDenied, RentcalError
from rentcal.service.base import Context, int_id
from rentcal.service.charging import Charging
from rentcal.service.housekeeping import Housekeeping


class Ledger:
    """Statements, the charges of a period, and admins' corrections."""

    def __init__(self, ctx: Context, charging: Charging, housekeeping: Housekeeping) -> None:
        self.ctx = ctx
        self.charging = charging
        self.housekeeping = housekeeping

    def _settle(self, last: date) -> None:
        """Complete (and so charge) the rentals that have ended, before a period that
        has not ended yet is read: its charges are then all there. Busy or read-only:
        the answer is read as it stands."""
        day = self.ctx.today()
        if last < day:
            return  # a past period: what housekeeping charges now is charged today
        with contextlib.suppress(RentcalError):
            self.housekeeping.housekeeping(day)

    def add_charge(
        self,
        member: str,
        amount: Decimal | str | int,
        reason: str,
        *,
        rental: int | None = None,
        acting: str | None = None,
        today: date | None = None,
    ) -> Charge:
        """Add a correction to a member's account (admins only); the stored charge.

        ``amount`` is signed: ``"10.00"`` debits (the member owes more),
        ``"-10.00"`` credits. ``reason`` says why (required: the member reads
        it). ``rental``: the rental it is about, if any (it must be the
        member's). Charged on ``today`` (default: today in the organisation's
        zone); the member is told.

        Raises:
            InvalidRequest: amount 0 or not money, no reason, a rental of
                another member.
            PermissionDenied: the acting member is not an admin.
            NotFound: no such member or rental.
        """
        handle = checks.handle(member, "member")
        money = signed_amount(amount)
        why = checks.free_text(reason, "reason")
        if why is None:
            raise InvalidRequest(
                "a correction needs a reason: the member reads it on their statement",
                field="reason",
                reason="empty",
            )
        about = None if rental is None else checks.record_id(rental, "rental", "rental")
        checks.optional_handle(acting, "acting", "acting member")
        day = checks.optional_day(today, "today")

        def work(conn: Connection) -> Charge:
            actor = self.ctx.admin(conn, acting, "add charges")
            who = self.ctx.member_row(conn, handle)
            found = None if about is None else self.ctx.get_rental(conn, about)
            if found is not None and found.member != who.handle:
                raise InvalidRequest(
                    f"rental {found.id} is {found.member}'s, not {who.handle}'s",
                    field="rental",
                    value=found.id,
                    reason="not-the-member",
                )
            machine_id = None if about is None else q.rental_machine_id(conn, about)
            return self.charging.write(
                conn,
                {
                    "member_id": who.id,
                    "rental_id": about,
                    "machine_id": machine_id,
                    "kind": ChargeKind.CORRECTION.value,
                    "charged_at": self.ctx.now(),
                    "charged_on": self.charging.charged_on(conn, day),
                    "first_day": None,
                    "last_day": None,
                    "days": None,
                    "units": None,
                    "day_rate": None,
                    "unit_rate": None,
                    "minimum_charge": None,
                    "amount": money,
                    "reason": why,
                    "created_by_id": actor.id,
                },
                found,
            )

        return self.ctx.write(work, calendar=False)

    def statement(
        self, period: str, member: str | None = None, acting: str | None = None
    ) -> Statement:
        """A member's charges of ``period`` (``"2030-01"``: a month; ``"2030"``: a year),
        oldest first, with their total and the organisation's currency.

        ``member`` defaults to the acting member; members see their own
        statement only, admins anyone's. A charge is in the period holding
        the day it was charged on in the organisation's time zone. A period
        not over yet is read after housekeeping has completed (and charged)
        the rentals that ended.
        """
        span = parse_period(period)
        checks.optional_handle(member, "member")
        checks.optional_handle(acting, "acting", "acting member")
        self._settle(span.last)

        def work(conn: Connection) -> Statement:
            actor = self.ctx.actor(conn, acting)
            handle = actor.handle if member is None else member
            who = q.member(self.ctx.member_row(conn, handle))
            self._may_see(actor, who)
            return Statement(
                who.handle,
                who.name,
                span,
                self.ctx.currency_in(conn),
                tuple(ledger.charges_between(conn, span.first, span.last, who.id)),
            )

        return self.ctx.read(work)

    def charges(
        self, period: str, member: str | None = None, acting: str | None = None
    ) -> list[Charge]:
        """Every charge of ``period``, oldest first (admins only: the accounting export);
        ``member``: only that member's."""
        span = parse_period(period)
        checks.optional_handle(member, "member")
        checks.optional_handle(acting, "acting", "acting member")
        self._settle(span.last)

        def work(conn: Connection) -> list[Charge]:
            self.ctx.admin(conn, acting, "list every member's charges")
            who = None if member is None else self.ctx.member_row(conn, member).id
            return ledger.charges_between(conn, span.first, span.last, who)

        return self.ctx.read(work)

    def rental_charges(self, rental_id: int, acting: str | None = None) -> list[Charge]:
        """The charges of one rental, oldest first: its member's or an admin's to see."""
        rid = int_id(rental_id, "rental")
        checks.optional_handle(acting, "acting", "acting member")

        def work(conn: Connection) -> list[Charge]:
            actor = self.ctx.actor(conn, acting)
            rental = self.ctx.get_rental(conn, rid)
            if not actor.is_admin and actor.handle != rental.member:
                raise PermissionDenied(
                    f"member {actor.handle!r} cannot see the charges of rental {rid}: it "
                    f"belongs to {rental.member!r}",
                    field="acting",
                    value=actor.handle,
                    reason="not-owner",
                )
            return ledger.rental_charges(conn, rid)

        return self.ctx.read(work)

    @staticmethod
    def _may_see(actor: Member, who: Member) -> None:
        """Members see their own statement; admins everyone's."""
        if actor.id != who.id and not actor.is_admin:
            raise PermissionDenied(
                f"member {actor.handle!r} is not an admin; only admins can see the "
                f"statement of {who.handle!r}",
                field="acting",
                value=actor.handle,
                reason="not-admin",
            )


__all__ = ["Ledger"]
