"""Writing charges, in the transaction of the change that causes them.

A rental's charge is written once, when it ends: :meth:`Charging.charge_use`
is called by :meth:`rentcal.service.lifecycle.Lifecycle.record` — the one
place a status changes — whenever a rental becomes ``completed``, whoever
completes it (an admin, housekeeping, a check-in passing the day it really
ended and the meter units used). A member cancelling an approved booking
late pays the organisation's fee (:meth:`Charging.charge_late_cancellation`),
written with the cancellation. Both run under the machine's lock the status
change holds, after the rental was re-read under it, so a completion racing
a cancellation, a move or housekeeping is charged exactly once or not at
all; the database's unique index refuses a second charge regardless.

The member is told of every charge above zero (notification and e-mail,
kind ``charge``); a use charged 0.00 is written (the ledger says the end was
charged) but told to nobody.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import exc
from sqlalchemy.engine import Connection

from rentcal.core.charges import Rates, day_rate_of, late_fee, late_words, use_charge
from rentcal.core.statements import Charge, charged_message
from rentcal.core.types import ChargeKind
from rentcal.core.values import Rental
from rentcal.db.rows import NewCharge, RentalRates
from rentcal.db.sql import charges as ledger
from rentcal.errors import InvalidTransition, NotFound
from rentcal.service.base import Context
from rentcal.service.org_cancellation import read_policy
from rentcal.service.org_zone import local_date


class Charging:
    """The writes of the ledger that go with a status change (the caller's transaction)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def charged_on(self, conn: Connection, today: date | None) -> date:
        """The day a charge written now is charged on: the operation's ``today``, else
        the clock's date in the organisation's time zone (as ``conn`` sees it)."""
        if today is not None:
            return today
        return local_date(self.ctx.zone_in(conn), self.ctx.now())

    def charge_use(
        self,
        conn: Connection,
        rental: Rental,
        *,
        today: date | None,
        actor_id: int | None,
        ended_on: date | None = None,
        units: Decimal | None = None,
    ) -> Charge:
        """Write the charge of ``rental`` ending now; the caller holds its machine's lock.

        days (its first day to ``ended_on``, else its last) x the day rate fixed
        on it + ``units`` x its unit rate, raised to its minimum charge.

        Raises:
            InvalidRequest: ``ended_on`` before its first day, an amount too large.
            InvalidTransition: it was charged already (the database refused it).
        """
        rates = self._rates(conn, rental.id)
        used = use_charge(
            rates.start_date,
            rates.end_date,
            Rates(
                day_rate_of(rates.price, rates.start_date, rates.end_date),
                rates.unit_price,
                rates.minimum_charge,
            ),
            ended_on=ended_on,
            units=units,
        )
        return self._write(
            conn,
            rental,
            {
                "member_id": rates.member_id,
                "rental_id": rental.id,
                "machine_id": rates.machine_id,
                "kind": ChargeKind.USE.value,
                "charged_at": self.ctx.now(),
                "charged_on": self.charged_on(conn, today),
                "first_day": used.first_day,
                "last_day": used.last_day,
                "days": used.days,
                "units": used.units,
                "day_rate": used.day_rate,
                "unit_rate": used.unit_rate,
                "minimum_charge": used.minimum,
                "amount": used.amount,
                "reason": None,
                "created_by_id": actor_id,
            },
        )

    def charge_late_cancellation(
        self, conn: Connection, rental: Rental, *, today: date, actor_id: int
    ) -> Charge | None:
        """The organisation's fee for ``rental`` (approved, being cancelled by its member
        on ``today``), written; None when cancelling it now is free."""
        policy = read_policy(conn)
        fee = late_fee(policy, rental.start, today, rental.price)
        if fee is None:
            return None
        rates = self._rates(conn, rental.id)
        currency = self.ctx.currency_in(conn)
        return self._write(
            conn,
            rental,
            {
                "member_id": rates.member_id,
                "rental_id": rental.id,
                "machine_id": rates.machine_id,
                "kind": ChargeKind.LATE_CANCELLATION.value,
                "charged_at": self.ctx.now(),
                "charged_on": self.charged_on(conn, today),
                "first_day": rental.start,
                "last_day": rental.end,
                "days": None,
                "units": None,
                "day_rate": None,
                "unit_rate": None,
                "minimum_charge": None,
                "amount": fee,
                "reason": late_words(policy, rental.start, today, currency),
                "created_by_id": actor_id,
            },
        )

    def write(self, conn: Connection, values: NewCharge, rental: Rental | None = None) -> Charge:
        """Write one entry (a correction's too) and tell its member; the stored charge."""
        return self._write(conn, rental, values)

    # -- helpers --------------------------------------------------------------------

    @staticmethod
    def _rates(conn: Connection, rental_id: int) -> RentalRates:
        found = ledger.rental_rates(conn, rental_id)
        if found is None:
            raise NotFound(f"rental {rental_id} not found", field="rental", value=rental_id)
        return found

    def _write(self, conn: Connection, rental: Rental | None, values: NewCharge) -> Charge:
        try:
            charge_id = ledger.insert_charge(conn, **values)
        except exc.IntegrityError:
            # Only the unique index can refuse a well-formed charge: this end was charged.
            rid = values["rental_id"]
            raise InvalidTransition(
                f"rental {rid} already has a {values['kind'].replace('_', '-')} charge: "
                "a rental is charged once for its end",
                current="charged",
                action="charge",
            ) from None
        found = ledger.charge_by_id(conn, charge_id)
        if found is None:  # pragma: no cover - it was inserted just now
            raise NotFound(f"charge {charge_id} not found", field="charge", value=charge_id)
        if found.amount != 0:
            self.ctx.notify(
                conn,
                [values["member_id"]],
                charged_message(found, self.ctx.currency_in(conn)),
                values["rental_id"],
                kind="charge",
                rental=rental,
            )
        return found


__all__ = ["Charging"]
