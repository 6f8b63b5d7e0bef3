"""The mail parts of ``/me`` and ``/admin``: a member's e-mail choices, the outbox.

``POST /me/notifications/choices`` stores the "E-mail notifications" form of
``/me`` (one select per kind, :file:`_me_notifications.html`);
``POST /admin/mail/{id}/retry`` and ``.../discard`` are the buttons of the
outbox section of ``/admin`` (:file:`_admin_outbox.html`), the same library
calls as ``rentcal mail retry`` and ``rentcal mail discard``. Each answers
with a 303 back to its page, or the page again with the error in place.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from rentcal.core.mail_choices import NOTIFICATION_KINDS
from rentcal.core.values import Member
from rentcal.errors import RentcalError
from rentcal.service import Rentcal
from rentcal.web.auth import Cal, CurrentMember
from rentcal.web.error_responses import classify
from rentcal.web.pages.admin import admin_page
from rentcal.web.pages.forms import FORM
from rentcal.web.pages.me import me_page
from rentcal.web.pages.render import posted, see_other

router = APIRouter()


@router.post("/me/notifications/choices", include_in_schema=False)
async def save_choices(request: Request, cal: Cal, member: CurrentMember) -> Response:
    """Store the member's e-mail choices (the kinds the form sends; others stay)."""
    data, problem = await posted(request)
    return await run_in_threadpool(_save_choices, request, cal, member, data, problem)


def _save_choices(
    request: Request, cal: Rentcal, member: Member, data: dict[str, str], problem: str | None
) -> Response:
    def again(message: str, status: int) -> Response:
        return me_page(
            request, cal, member, errors={"mail-choices": {FORM: message}}, status=status
        )

    if problem is not None:
        return again(problem, 400)
    chosen = {kind: data[kind] for kind in NOTIFICATION_KINDS if kind in data}
    try:
        cal.set_mail_choices(member.handle, chosen, acting=member.handle)
    except RentcalError as err:
        return again(err.message, classify(err).status)
    return see_other(request, "/me", done="mail-choices")


@router.post("/admin/mail/{mail_id}/{action}", include_in_schema=False)
def change_mail(
    request: Request, mail_id: int, action: str, cal: Cal, member: CurrentMember
) -> Response:
    """Retry (queue again, due now) or discard (never send) one message (admins)."""
    try:
        if action == "retry":
            cal.retry_mail(mail_id, acting=member.handle)
        elif action == "discard":
            cal.discard_mail(mail_id, acting=member.handle)
        else:
            return admin_page(
                request,
                cal,
                member,
                errors={"outbox": {FORM: f"unknown action {action[:20]!r}"}},
                status=404,
            )
    except RentcalError as err:
        return admin_page(
            request,
            cal,
            member,
            errors={"outbox": {FORM: err.message}},
            status=classify(err).status,
        )
    return see_other(request, "/admin", done=f"mail-{action}")


__all__ = ["router"]
