"""``/admin`` invitations: invite by e-mail, re-send or revoke an open invitation.

The section is ``templates/_admin_invitations.html`` (included by admin.html);
each form POSTs under ``/admin/invitations``, answered with a 303 back to
``/admin#invitations`` on success, or the page again with the library's
message (and what was typed) in the section.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from rentcal.core.values import Member
from rentcal.errors import RentcalError
from rentcal.service import Rentcal
from rentcal.web.auth import Cal, CurrentMember
from rentcal.web.error_responses import classify
from rentcal.web.pages.admin import admin_page
from rentcal.web.pages.forms import FORM
from rentcal.web.pages.render import posted, see_other

router = APIRouter()
SECTION = "invitations"


def _run(
    request: Request,
    cal: Rentcal,
    admin: Member,
    done: str,
    action: Callable[[], Any],
    data: dict[str, str],
    problem: str | None,
) -> Response:
    """Do ``action``; 303 to /admin, or the page with the message in the section."""
    if problem is None:
        try:
            action()
        except RentcalError as err:
            return admin_page(
                request,
                cal,
                admin,
                errors={SECTION: {FORM: err.message}},
                forms={SECTION: data},
                status=classify(err).status,
            )
        else:
            return see_other(request, "/admin", done=done)
    return admin_page(request, cal, admin, errors={SECTION: {FORM: problem}}, status=400)


@router.post("/admin/invitations", include_in_schema=False)
async def invite(request: Request, cal: Cal, member: CurrentMember) -> Response:
    """Invite a member by e-mail."""
    data, problem = await posted(request)

    def action() -> None:
        cal.invite_member(
            data.get("handle", ""),
            data.get("email", "").strip(),
            name=data.get("name", "").strip() or None,
            verified=data.get("verified") == "on",
            acting=member.handle,
        )

    return await run_in_threadpool(_run, request, cal, member, "invited", action, data, problem)


@router.post("/admin/invitations/{handle}/{change}", include_in_schema=False)
async def change_invitation(
    request: Request, handle: str, change: str, cal: Cal, member: CurrentMember
) -> Response:
    """Re-send (a new link) or revoke an open invitation."""
    _empty, problem = await posted(request)
    changes: dict[str, tuple[str, Callable[..., Any]]] = {
        "resend": ("invitation-resent", cal.resend_invitation),
        "revoke": ("invitation-revoked", cal.revoke_invitation),
    }
    if change not in changes:
        problem = f"unknown action {change[:20]!r}: resend or revoke"
    done, call = changes.get(change, ("", cal.revoke_invitation))
    return await run_in_threadpool(
        _run, request, cal, member, done, lambda: call(handle, acting=member.handle), {}, problem
    )


__all__ = ["router"]
