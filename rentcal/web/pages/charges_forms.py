"""The forms of the treasurer's page ``/admin/charges`` (issues #22 and #23).

A correction, the cancellation policy, issuing a month's invoices,
recording a payment and crediting an invoice: each POSTs to its own path and is answered with a 303,
back to the page with a notice (``?done=``) or, refused, back at its form with
the library's message beside the field it concerns and what was typed
(:mod:`.flash`). Every form takes the same way through :func:`_submit`; each
handler only maps its fields to the library's arguments. Whether the member may
do it is the library's to decide (``acting=``), as for the API and the CLI.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from rentcal.core.invoice_records import InvoiceSummary
from rentcal.core.invoices import InvoiceKind
from rentcal.core.money import format_money
from rentcal.errors import InvalidRequest, RentcalError
from rentcal.service import Rentcal
from rentcal.web.auth import Cal, CurrentMember
from rentcal.web.pages import flash
from rentcal.web.pages.flash import Flash
from rentcal.web.pages.forms import FORM, errors_of
from rentcal.web.pages.render import posted, see_other

router = APIRouter()

PAGE = "/admin/charges"
#: A select's option: (value, words).
Choice = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Form:
    """One form of the page: its section (the id its messages are shown in), its
    fields (where the library's errors land), and where a success lands."""

    section: str
    fields: tuple[str, ...]
    #: ``?done=`` after a success: the key of the page's notice.
    done: str
    notice: str
    #: The id the browser scrolls to after a success.
    anchor: str


CORRECTION = Form(
    "correction",
    ("member", "amount", "reason", "rental"),
    "charged",
    "Correction added; the member is told.",
    "ledger",
)
POLICY = Form(
    "policy", ("free_days", "fee", "share"), "policy", "Cancellation policy saved.", "ledger"
)
ISSUE = Form("issue", ("month", "member"), "issued", "Invoices issued.", "invoices")
PAYMENT = Form(
    "payment",
    ("member", "amount", "method", "reference", "reason", "invoice"),
    "paid",
    "Payment recorded.",
    "invoices",
)
CREDIT = Form(
    "credit", ("invoice", "reason", "amount"), "credited", "Credit note issued.", "invoices"
)
#: The page's notice after each form's success, by ``?done=``.
NOTICES = {f.done: f.notice for f in (CORRECTION, POLICY, ISSUE, PAYMENT, CREDIT)}


def credit_choices(invoices: Iterable[InvoiceSummary], currency: str | None) -> list[Choice]:
    """The credit form's invoices: each invoice with something left to credit (its net
    less what its credit notes took back), oldest first, as (number, words).

    >>> from datetime import date
    >>> from decimal import Decimal as D
    >>> def doc(number, net, refers_to=None):
    ...     kind = InvoiceKind.CREDIT_NOTE if refers_to else InvoiceKind.INVOICE
    ...     day = date(2030, 2, 1)
    ...     return InvoiceSummary(number, kind, "bob", day, day, "EUR", D(net), D(0), D(net),
    ...                           refers_to, D(0))
    >>> credit_choices([doc("2030-000001", "100.00"), doc("2030-000002", "-30.00",
    ...                 "2030-000001"), doc("2030-000003", "5.00"),
    ...                 doc("2030-000004", "-5.00", "2030-000003")], "EUR")
    [('2030-000001', '2030-000001, bob: €70.00 of €100.00 net left')]
    """
    found = list(invoices)
    left = {s.number: s.net for s in found if s.kind is InvoiceKind.INVOICE}
    for note in found:
        if note.refers_to in left:
            left[note.refers_to] += note.net  # a credit note's net is negative
    return [
        (s.number, f"{s.number}, {s.member}: {_left_words(left[s.number], s.net, currency)}")
        for s in found
        if s.number in left and left[s.number] > 0
    ]


def _left_words(left: Decimal, net: Decimal, currency: str | None) -> str:
    """``€100.00 net`` (nothing credited yet) or ``€70.00 of €100.00 net left``."""
    if left == net:
        return f"{format_money(net, currency)} net"
    return f"{format_money(left, currency)} of {format_money(net, currency)} net left"


def _period_query(data: dict[str, str]) -> dict[str, str]:
    """The form's period, to come back to it (none: this month)."""
    period = data.get("period", "").strip()[:20]
    return {"period": period} if period else {}


def _refused(
    request: Request, cal: Rentcal, section: str, errors: dict[str, str], data: dict[str, str]
) -> Response:
    """303 back to the form, which shows the messages and what was typed (:mod:`.flash`)."""
    ident = secrets.token_urlsafe(9)
    response = see_other(request, PAGE, anchor=section, **_period_query(data), flash=ident)
    flash.keep(request, response, Flash(section, errors, data), cal.now(), ident)
    return response


def _run(
    request: Request,
    cal: Rentcal,
    form: Form,
    action: Callable[[], Any],
    data: dict[str, str],
    problem: str | None,
) -> Response:
    """Do ``action``; 303 to the page's notice, or back at the form with the message."""
    if problem is not None:
        return _refused(request, cal, form.section, {FORM: problem}, data)
    try:
        action()
    except RentcalError as err:
        return _refused(request, cal, form.section, errors_of(err, form.fields), data)
    return see_other(request, PAGE, anchor=form.anchor, **_period_query(data), done=form.done)


async def _submit(
    request: Request, cal: Rentcal, form: Form, action: Callable[[dict[str, str]], Any]
) -> Response:
    """Read the posted fields, then :func:`_run` ``action(fields)`` off the event loop
    (a form that cannot be read is answered with its reason; ``action`` is not called)."""
    data, problem = await posted(request)
    return await run_in_threadpool(_run, request, cal, form, lambda: action(data), data, problem)


def _text(data: dict[str, str], name: str) -> str:
    """A field's value without the spaces around it ("" when not sent)."""
    return data.get(name, "").strip()


def _optional(data: dict[str, str], name: str) -> str | None:
    """A field's value, or None when it was left empty."""
    return _text(data, name) or None


def _whole(data: dict[str, str], name: str, words: str, digits: int) -> int | None:
    """A field of at most ``digits`` ASCII digits as an int; None when left empty.

    Not ``str.isdigit()``: it takes ``"²"``, which ``int()`` refuses.

    Raises:
        InvalidRequest: ``"<name> '<value>' is not <words>"``, on the field.
    """
    text = _text(data, name)
    if not text:
        return None
    if re.fullmatch(f"[0-9]{{1,{digits}}}", text) is None:
        label = name.replace("_", " ")
        raise InvalidRequest(f"{label} {text[:20]!r} is not {words}", field=name)
    return int(text)


@router.post("/admin/charges", include_in_schema=False)
async def add_charge(request: Request, cal: Cal, member: CurrentMember) -> Response:
    """An admin's correction (a credit with a minus)."""

    def action(data: dict[str, str]) -> None:
        cal.add_charge(
            _text(data, "member"),
            _text(data, "amount"),
            data.get("reason", ""),
            rental=_whole(data, "rental", "a rental number", 10),
            acting=member.handle,
        )

    return await _submit(request, cal, CORRECTION, action)


@router.post("/admin/cancellation-policy", include_in_schema=False)
async def set_policy(request: Request, cal: Cal, member: CurrentMember) -> Response:
    """Store the cancellation policy (empty free days: cancelling is free)."""

    def action(data: dict[str, str]) -> None:
        share = _optional(data, "share")
        cal.set_cancellation_policy(
            _whole(data, "free_days", "a number", 4),
            fee=_optional(data, "fee"),
            share=None if share is None else share.removesuffix("%").strip(),
            acting=member.handle,
        )

    return await _submit(request, cal, POLICY, action)


@router.post("/admin/invoices", include_in_schema=False)
async def issue(request: Request, cal: Cal, member: CurrentMember) -> Response:
    """Issue the invoices of a month that ended (admins)."""

    def action(data: dict[str, str]) -> None:
        cal.issue_invoices(_text(data, "month"), _optional(data, "member"), acting=member.handle)

    return await _submit(request, cal, ISSUE, action)


@router.post("/admin/payments", include_in_schema=False)
async def add_payment(request: Request, cal: Cal, member: CurrentMember) -> Response:
    """Record a payment or a refund (admins), allocated oldest invoice first."""

    def action(data: dict[str, str]) -> None:
        cal.add_payment(
            _text(data, "member"),
            _text(data, "amount"),
            _text(data, "method"),
            reference=_optional(data, "reference"),
            reason=_optional(data, "reason"),
            invoice=_optional(data, "invoice"),
            acting=member.handle,
        )

    return await _submit(request, cal, PAYMENT, action)


@router.post("/admin/credit-notes", include_in_schema=False)
async def credit(request: Request, cal: Cal, member: CurrentMember) -> Response:
    """Issue a credit note for an invoice (admins): every line, or a net amount
    (empty: every line), with its reason; the rules and words of
    ``rentcal invoice credit`` and ``POST /api/invoices/{number}/credit``."""

    def action(data: dict[str, str]) -> None:
        cal.credit_invoice(
            _text(data, "invoice"),
            data.get("reason", ""),
            _optional(data, "amount"),
            acting=member.handle,
        )

    return await _submit(request, cal, CREDIT, action)


__all__ = [
    "CORRECTION",
    "CREDIT",
    "ISSUE",
    "NOTICES",
    "PAYMENT",
    "POLICY",
    "Choice",
    "Form",
    "credit_choices",
    "router",
]
