"""``/api/invoices``, ``/api/payments``, ``/api/balance``: invoices and payments (issue #23).

The same shapes as the CLI's ``--json`` (``rentcal invoice list``, ``rentcal
payment list``, ``rentcal balance``). Members read their own invoices, PDFs,
payments and balance; admins everyone's, and issue invoices, credit notes
and record payments (POST: the CSRF checks of every write apply).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from starlette.responses import Response

from rentcal.web.auth import AdminMember, Cal, CurrentMember
from rentcal.web.request_bodies import CreditRequest, IssueRequest, PaymentRequest
from rentcal.web.routes.common import COMMON
from rentcal.web.views import as_json

router = APIRouter(prefix="/api", tags=["invoices"], responses=COMMON)

Number = Annotated[
    str,
    Path(max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9/._-]*$", description="an invoice number"),
]
Of = Annotated[str | None, Query(alias="member", max_length=200, description="whose (admins)")]


@router.get("/invoices", response_model=list[dict[str, Any]])
def invoices(
    member: CurrentMember,
    cal: Cal,
    of: Of = None,
    open_only: Annotated[bool, Query(alias="open", description="only open invoices")] = False,
) -> Response:
    """Issued invoices and credit notes, oldest first, with what is open on each."""
    found = cal.invoices(of, open_only=open_only, acting=member.handle)
    return as_json([s.as_dict() for s in found])


@router.get(
    "/invoices/{number}.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "the invoice's PDF"}},
)
def invoice_pdf(number: Number, member: CurrentMember, cal: Cal) -> Response:
    """The invoice's PDF/A-3 with its Factur-X XML (its member's, or any for admins)."""
    data = cal.invoice_pdf(number, acting=member.handle)
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{number}.pdf"'},
    )


@router.post("/invoices/issue", response_model=list[dict[str, Any]], status_code=201)
def issue(body: IssueRequest, admin: AdminMember, cal: Cal) -> Response:
    """Issue one invoice per member with uninvoiced charges up to the month's end (admins)."""
    found = cal.issue_invoices(body.month, body.member, acting=admin.handle)
    return as_json([s.as_dict() for s in found], status=201)


@router.post("/invoices/{number}/credit", response_model=dict[str, Any], status_code=201)
def credit(number: Number, body: CreditRequest, admin: AdminMember, cal: Cal) -> Response:
    """Issue a credit note for the invoice: every line, or ``amount`` (admins)."""
    found = cal.credit_invoice(number, body.reason, body.amount, acting=admin.handle)
    return as_json(found.as_dict(), status=201)


@router.get("/payments", response_model=list[dict[str, Any]])
def payments(member: CurrentMember, cal: Cal, of: Of = None) -> Response:
    """Payments and refunds, oldest first, with the invoices each settled."""
    return as_json([p.as_dict() for p in cal.payments(of, acting=member.handle)])


@router.post("/payments", response_model=dict[str, Any], status_code=201)
def add_payment(body: PaymentRequest, admin: AdminMember, cal: Cal) -> Response:
    """Record a payment (negative: a refund, with its reason) and allocate it (admins)."""
    found = cal.add_payment(
        body.member,
        body.amount,
        body.method,
        reference=body.reference,
        reason=body.reason,
        received_on=body.received_on,
        invoice=body.invoice,
        acting=admin.handle,
    )
    return as_json(found.as_dict(), status=201)


@router.get("/balance", response_model=dict[str, Any])
def balance(member: CurrentMember, cal: Cal, of: Of = None) -> Response:
    """A member's balance (positive: they owe) and open invoices (yours by default)."""
    return as_json(cal.balance(of, acting=member.handle).as_dict())


__all__ = ["router"]
