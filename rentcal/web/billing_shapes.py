"""The documented response shapes of money and reports: charges, statements, utilisation,
card payments' Checkout Sessions.

Like every response shape (:mod:`rentcal.web.response_shapes`), these only
*describe* the library values' ``as_dict()`` for /openapi.json: the routes
(:mod:`rentcal.web.routes.billing`, :mod:`rentcal.web.routes.reports`) return
the dicts the CLI prints with ``--json``.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field

from rentcal.web.response_shapes import Shape


class ChargeOut(Shape):
    """One entry of the ledger (``rentcal charges list --json`` item); money and units
    as decimal strings, ``amount`` signed (a credit is negative)."""

    id: int
    kind: Literal["use", "late_cancellation", "correction"]
    member: str
    rental_id: int | None
    machine: str | None
    charged_on: date
    charged_at: str
    first_day: date | None
    last_day: date | None
    days: int | None
    units: str | None
    day_rate: str | None
    unit_rate: str | None
    minimum_charge: str | None
    amount: str
    reason: str | None
    created_by: str | None


class StatementOut(Shape):
    """``rentcal statement --json``: a member's charges of a period and their total."""

    member: str
    name: str
    period: str
    first_day: date
    last_day: date
    currency: str | None
    charges: list[ChargeOut]
    total: str


class CancellationPolicyOut(Shape):
    """``rentcal cancellation show --json``: ``free_days`` null: cancelling is free."""

    free_days: int | None
    fee: str | None
    share: str | None


class DaysOut(Shape):
    """A month's figures of the utilisation report (:mod:`rentcal.core.utilisation`)."""

    days: int
    maintenance_days: int
    out_of_service_days: int
    bookable_days: int
    booked_days: int
    #: booked / bookable, four places (0.0645: 6.45 %); null: nothing bookable
    share: float | None
    charges: str


class MonthDaysOut(DaysOut):
    """Every machine's figures of one month (``"month"``: YYYY-MM)."""

    month: str


class MonthUseOut(MonthDaysOut):
    """One machine's figures of one month, with what its meter counted."""

    units_used: str | None
    meter_unit: str | None


class MachineUseOut(DaysOut):
    """One machine: the report month's figures and every month's, oldest first."""

    machine: str
    title: str
    status: Literal["active", "retired"]
    units_used: str | None
    meter_unit: str | None
    months: list[MonthUseOut]


class TotalUseOut(DaysOut):
    """Every machine's figures summed (machine-days), and every month's."""

    months: list[MonthDaysOut]


class UtilisationOut(Shape):
    """``rentcal report utilisation --json``: how busy each machine was, month by month."""

    month: str
    start: date
    end: date
    timezone: str
    currency: str | None
    months: list[str]
    machines: list[MachineUseOut]
    total: TotalUseOut


class CheckoutOut(Shape):
    """A Stripe Checkout Session made for a payment: send the payer to ``url``; the payment
    is recorded when Stripe's webhook says it was paid (never on the payer's return)."""

    url: str = Field(description="Stripe's Checkout page for this session")
    session: str = Field(description="the Checkout Session's id (cs_...)")
    rental: int
    amount: str = Field(description="what Stripe charges, a decimal string")
    currency: str
    pay_by: str | None = Field(description="when the booking's hold ends (ISO 8601, UTC)")


__all__ = [
    "CancellationPolicyOut",
    "ChargeOut",
    "CheckoutOut",
    "DaysOut",
    "MachineUseOut",
    "MonthDaysOut",
    "MonthUseOut",
    "StatementOut",
    "TotalUseOut",
    "UtilisationOut",
]
