"""``/api/statement``, ``/api/charges``, ``/api/cancellation-policy``: the ledger (issue #22).

The same shapes as the CLI's ``--json`` (``rentcal statement``, ``rentcal
charges list``, ``rentcal cancellation show``); the accounting CSV is the
bytes ``rentcal charges export`` writes. Members read their own statement
and the policy; admins everyone's statement, every charge, the export,
corrections and the policy's changes. ``period`` is ``YYYY-MM`` or ``YYYY``
(default: this month in the organisation's time zone).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from rentcal.frontend.charges_csv import charges_csv
from rentcal.frontend.month import month_key, month_start
from rentcal.web.auth import AdminMember, Cal, CurrentMember
from rentcal.web.billing_shapes import CancellationPolicyOut, ChargeOut, StatementOut
from rentcal.web.request_bodies import CancellationPolicyRequest, ChargeRequest
from rentcal.web.routes.common import COMMON, RentalId
from rentcal.web.views import as_json

router = APIRouter(prefix="/api", tags=["billing"], responses=COMMON)

PeriodQuery = Annotated[
    str | None,
    Query(max_length=20, description="YYYY-MM (a month) or YYYY (a year); default: this month"),
]


def period_or_this_month(cal: Cal, period: str | None) -> str:
    """``period`` as given, else this month (``2030-01``) in the organisation's zone."""
    return month_key(month_start(cal.today())) if period is None else period


@router.get("/statement", response_model=StatementOut)
def statement(
    member: CurrentMember,
    cal: Cal,
    period: PeriodQuery = None,
    of: Annotated[
        str | None, Query(alias="member", max_length=200, description="whose (admins)")
    ] = None,
) -> Response:
    """A member's charges of a period and their total (yours unless an admin names another)."""
    found = cal.statement(period_or_this_month(cal, period), of, acting=member.handle)
    return as_json(found.as_dict())


@router.get("/charges", response_model=list[ChargeOut])
def charges(
    admin: AdminMember,
    cal: Cal,
    period: PeriodQuery = None,
    of: Annotated[
        str | None, Query(alias="member", max_length=200, description="only this member's")
    ] = None,
) -> Response:
    """Every charge of a period, oldest first (admins)."""
    found = cal.charges(period_or_this_month(cal, period), of, acting=admin.handle)
    return as_json([c.as_dict() for c in found])


@router.get(
    "/charges.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "the accounting CSV"}},
)
def export(admin: AdminMember, cal: Cal, period: PeriodQuery = None) -> Response:
    """The accounting CSV of every charge of a period (admins; docs/billing.md)."""
    span = period_or_this_month(cal, period)
    found = cal.charges(span, acting=admin.handle)
    body = charges_csv(found, cal.currency())
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="charges-{span}.csv"'},
    )


@router.post("/charges", response_model=ChargeOut, status_code=201)
def add_charge(body: ChargeRequest, admin: AdminMember, cal: Cal) -> Response:
    """A correction: a debit, or a credit with a negative ``amount`` (admins); the member
    is told. Charges are never edited or deleted."""
    found = cal.add_charge(
        body.member, body.amount, body.reason, rental=body.rental, acting=admin.handle
    )
    return as_json(found.as_dict(), status=201)


@router.get("/rentals/{rental_id}/charges", response_model=list[ChargeOut])
def rental_charges(rental_id: RentalId, member: CurrentMember, cal: Cal) -> Response:
    """The charges of one rental (its member or an admin)."""
    return as_json([c.as_dict() for c in cal.rental_charges(rental_id, acting=member.handle)])


@router.get("/cancellation-policy", response_model=CancellationPolicyOut)
def cancellation_policy(member: CurrentMember, cal: Cal) -> Response:
    """What cancelling an approved booking late costs (``free_days`` null: nothing)."""
    return as_json(cal.cancellation_policy().as_dict())


@router.put("/cancellation-policy", response_model=CancellationPolicyOut)
def set_cancellation_policy(
    body: CancellationPolicyRequest, admin: AdminMember, cal: Cal
) -> Response:
    """Store the cancellation policy (admins; recorded who/when)."""
    found = cal.set_cancellation_policy(
        body.free_days, fee=body.fee, share=body.share, acting=admin.handle
    )
    return as_json(found.as_dict())


__all__ = ["period_or_this_month", "router"]
