"""``/statement`` — a printable statement; ``/admin/charges`` — the treasurer's month (issue #22).

``/statement?period=YYYY-MM&member=HANDLE``: a member's charges of a month
(or a year, ``period=YYYY``) and their total, laid out to be printed or
saved as PDF from the browser (``@media print`` in rentcal.css leaves out the
navigation and the buttons). Members see their own; admins anyone's.

``/admin/charges?period=YYYY-MM``: every member's total of the period (each a
link to their statement), every charge, the accounting CSV
(``/admin/charges.csv``, the bytes ``rentcal charges export`` writes), the
invoices with their PDFs, and the forms of :mod:`.charges_forms` (a
correction, the cancellation policy, issuing invoices, a payment, a credit
note), whose
refusals this page shows beside their form (:mod:`.flash`).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from rentcal.core.payments import PaymentMethod
from rentcal.core.statements import KIND_WORDS, charge_words, parse_period, totals_by_member
from rentcal.core.values import Member
from rentcal.errors import InvalidRequest, RentcalError
from rentcal.frontend.charges_csv import charges_csv
from rentcal.frontend.month import month_key, month_start, shift_month
from rentcal.service import Rentcal
from rentcal.web.auth import Cal, CurrentMember
from rentcal.web.error_responses import classify
from rentcal.web.pages import flash
from rentcal.web.pages.admin import forbidden
from rentcal.web.pages.charges_forms import NOTICES, credit_choices
from rentcal.web.pages.render import render

router = APIRouter()

#: The methods of the payment form: money the treasurer saw arrive.
HAND_RECORDED = (PaymentMethod.TRANSFER, PaymentMethod.CASH, PaymentMethod.CARD)
_PERIOD = re.compile(r"[0-9]{4}(-(0[1-9]|1[0-2]))?")


def period_of(request: Request, cal: Rentcal) -> str:
    """The query's ``period``, else this month (``2030-01``) in the organisation's zone."""
    text = request.query_params.get("period", "").strip()[:20]
    return text or month_key(month_start(cal.today()))


def neighbours(period: str) -> dict[str, str | None]:
    """The periods before and after ``period`` (a month's months, a year's years)."""
    if _PERIOD.fullmatch(period) is None or period.startswith("0000"):
        return {"previous": None, "next": None}
    span = parse_period(period)
    if len(period) == 4:
        year = span.first.year
        return {
            "previous": f"{year - 1:04d}" if year > 1 else None,
            "next": f"{year + 1:04d}" if year < 9999 else None,
        }
    return {
        "previous": month_key(shift_month(span.first, -1)),
        "next": month_key(shift_month(span.first, 1)),
    }


def _lines(charges: list[Any], currency: str | None) -> list[dict[str, Any]]:
    return [
        {"charge": c, "kind": KIND_WORDS[c.kind], "what": charge_words(c, currency)}
        for c in charges
    ]


def _error_page(request: Request, member: Member, err: RentcalError) -> Response:
    return render(
        request,
        "error.html",
        {"title": "No statement", "message": err.message},
        member=member,
        status=classify(err).status,
    )


def _statement(request: Request, cal: Rentcal, member: Member) -> Response:
    period = period_of(request, cal)
    whose = request.query_params.get("member", "").strip()[:64] or None
    try:
        found = cal.statement(period, whose, acting=member.handle)
    except RentcalError as err:
        return _error_page(request, member, err)
    around = neighbours(found.period.label)
    query = {"member": found.member} if found.member != member.handle else {}
    context = {
        "statement": found,
        "currency": found.currency,
        "lines": _lines(list(found.charges), found.currency),
        "previous": None
        if around["previous"] is None
        else urlencode({**query, "period": around["previous"]}),
        "next": None if around["next"] is None else urlencode({**query, "period": around["next"]}),
        "printed_on": cal.today(),
    }
    return render(request, "statement.html", context, member=member)


@router.get("/statement", include_in_schema=False)
async def statement(request: Request, cal: Cal, member: CurrentMember) -> Response:
    """A printable statement (a member's own; admins: ``?member=``)."""
    return await run_in_threadpool(_statement, request, cal, member)


# -- the treasurer's page ----------------------------------------------------------------


def charges_page(request: Request, cal: Rentcal, admin: Member) -> Response:
    """Totals by member, every charge, the export, a correction form and the policy."""
    if not admin.is_admin:
        return forbidden(request, admin)
    period = period_of(request, cal)
    refusal = flash.read(request, cal.now())
    error = None
    try:
        found = cal.charges(period, acting=admin.handle)
    except InvalidRequest as err:
        found, error = [], err.message
    currency = cal.currency()
    around = neighbours(period)
    invoices = cal.invoices(acting=admin.handle)
    context = {
        "period": period,
        "period_words": parse_period(period).words() if error is None else period,
        "error": error,
        "currency": currency,
        "totals": totals_by_member(found),
        "total": sum((c.amount for c in found), Decimal("0.00")),
        "lines": _lines(found, currency),
        "previous": around["previous"],
        "next": around["next"],
        "member_choices": [(m.handle, f"{m.name} ({m.handle})") for m in cal.members()],
        "payment_methods": [(m.value, m.value) for m in HAND_RECORDED],
        "policy": cal.cancellation_policy(),
        "invoices": invoices,
        "credit_choices": credit_choices(invoices, currency),
        "last_month": month_key(shift_month(month_start(cal.today()), -1)),
        "errors": {} if refusal is None else {refusal.section: refusal.errors},
        "forms": {} if refusal is None else {refusal.section: refusal.form},
        "notice": NOTICES.get(request.query_params.get("done", "")),
    }
    return render(
        request, "admin_charges.html", context, member=admin, status=400 if error else 200
    )


@router.get("/admin/charges", include_in_schema=False)
async def show(request: Request, cal: Cal, member: CurrentMember) -> Response:
    """The treasurer's page (admins)."""
    return await run_in_threadpool(charges_page, request, cal, member)


def _download(request: Request, cal: Rentcal, admin: Member) -> Response:
    if not admin.is_admin:
        return forbidden(request, admin)
    period = period_of(request, cal)
    try:
        found = cal.charges(period, acting=admin.handle)
    except RentcalError as err:
        return _error_page(request, admin, err)
    return Response(
        charges_csv(found, cal.currency()),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="charges-{period}.csv"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get("/admin/charges.csv", include_in_schema=False)
async def download(request: Request, cal: Cal, member: CurrentMember) -> Response:
    """The accounting CSV of the period (admins)."""
    return await run_in_threadpool(_download, request, cal, member)


__all__ = ["charges_page", "neighbours", "period_of", "router"]
