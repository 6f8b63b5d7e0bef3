"""``POST /admin/book`` — an admin books for a member from the admin page.

Requests phoned in are the usual case. The form goes through THE booking
path (:func:`rentcal.frontend.booking.book`, as the CLI's ``book --for`` and
the API's ``for`` do) with the admin acting and the member as the renter:
the rental is the member's, approved or waiting by the machine's rule, and
the member is told as if they had booked it. Each rendered form carries its
own idempotency key, so a double click books once. A refusal (the days are
taken, the member may not book) is shown beside the form with what was typed
(:mod:`.flash`); a booking lands back at the form, naming the new rental.
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from rentcal.core.values import Member
from rentcal.errors import IdempotencyMismatch, RentcalError
from rentcal.frontend import booking
from rentcal.frontend.booking import BookingInput
from rentcal.service import Rentcal
from rentcal.web import metrics
from rentcal.web.auth import Cal, CurrentMember
from rentcal.web.pages.admin import forbidden, refused
from rentcal.web.pages.forms import FORM, errors_of
from rentcal.web.pages.render import parse_day, posted, see_other

router = APIRouter()

SECTION = "book-for"
FIELDS = ("member", "machine", "start", "end", "purpose")
#: The typed values re-shown after a refusal (the idempotency key is always fresh).
KEPT = ("member", "machine", "start", "end", "purpose")


@router.post("/admin/book", include_in_schema=False)
async def book_for(request: Request, cal: Cal, member: CurrentMember) -> Response:
    """Book for a member (admins); 303 back to the form, naming the rental or the refusal."""
    data, problem = await posted(request)
    return await run_in_threadpool(_book_for, request, cal, member, data, problem)


def _required(data: dict[str, str], errors: dict[str, str]) -> tuple[date | None, date | None]:
    """Member, machine and both days are required; each problem noted against its field."""
    if not data.get("member", "").strip():
        errors["member"] = "choose the member the rental is for"
    if not data.get("machine", "").strip():
        errors["machine"] = "choose a machine"
    days: list[date | None] = []
    for name in ("start", "end"):
        try:
            day = parse_day(data.get(name))
        except ValueError as err:
            errors[name] = f"{name} date {err}"
            day = None
        if day is None and name not in errors:
            errors[name] = f"{name} date is required"
        days.append(day)
    return days[0], days[1]


def _book_for(
    request: Request, cal: Rentcal, admin: Member, data: dict[str, str], problem: str | None
) -> Response:
    if not admin.is_admin:
        return forbidden(request, admin)
    typed = {k: data.get(k, "") for k in KEPT}
    if problem is not None:
        return refused(request, cal, admin, SECTION, {FORM: problem}, typed)
    errors: dict[str, str] = {}
    start, end = _required(data, errors)
    if errors or start is None or end is None:
        return refused(request, cal, admin, SECTION, errors, typed)
    wanted = BookingInput(
        machine=data["machine"].strip(),
        start=start,
        end=end,
        member=data["member"].strip(),
        acting=admin.handle,
        purpose=data.get("purpose", "").strip() or None,
        idempotency_key=data.get("key", "").strip()[:255] or None,
    )
    try:
        rental = booking.book(cal, wanted, asker=admin, count=metrics.count_booking)
    except IdempotencyMismatch:
        message = "this form was already used for another booking; press Book again"
        return refused(request, cal, admin, SECTION, {FORM: message}, typed)
    except RentcalError as err:
        return refused(request, cal, admin, SECTION, errors_of(err, FIELDS), typed)
    return see_other(request, "/admin", anchor=SECTION, done="booked-for", rental=rental.id)


__all__ = ["router"]
