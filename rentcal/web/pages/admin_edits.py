"""``/admin`` edit forms: machines (edit, reactivate), members (edit, role, deactivate,
reactivate) and maintenance (edit). Each is a form POSTing under ``/admin/...``,
answered with a 303 back to ``/admin#ITEM`` (the item edited), on success as on
refusal; a refused form shows the library's message and what was typed beside
it (:mod:`.flash`). Every form sends every field of
its item, so the library's "same value, no change" rule keeps the change log
to what was really changed.
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
from rentcal.web.pages.admin import anchor_of, refused
from rentcal.web.pages.forms import FORM, expiry_hours
from rentcal.web.pages.render import parse_day, posted, see_other

router = APIRouter()


def _run(
    request: Request,
    cal: Rentcal,
    admin: Member,
    section: str,
    done: str,
    action: Callable[[], Any],
    *,
    anchor: str = "",
    data: dict[str, str] | None = None,
    problem: str | None = None,
) -> Response:
    """Do ``action``; 303 to ``/admin#anchor`` (default: the section's own place), or
    back at the form in ``section`` with the message and what was typed."""
    if problem is not None:
        return refused(request, cal, admin, section, {FORM: problem}, data)
    try:
        action()
    except (RentcalError, ValueError) as err:
        message = err.message if isinstance(err, RentcalError) else str(err)
        return refused(request, cal, admin, section, {FORM: message}, data)
    return see_other(request, "/admin", anchor=anchor or anchor_of(section), done=done)


async def _submit(
    request: Request,
    cal: Rentcal,
    admin: Member,
    section: str,
    done: str,
    action: Callable[[dict[str, str]], Any],
) -> Response:
    """Read the posted form, then :func:`_run` ``action(fields)`` off the event loop.

    The shape every form with fields shares: a form that cannot be read is
    answered with its reason (``action`` is not called), and the page that
    re-renders after an error shows what was typed. Each handler keeps its own
    mapping of fields to the library's arguments in ``action``.
    """
    data, problem = await posted(request)
    return await run_in_threadpool(
        _run,
        request,
        cal,
        admin,
        section,
        done,
        lambda: action(data),
        data=data,
        problem=problem,
    )


@router.post("/admin/machines/{name}/edit", include_in_schema=False)
async def edit_machine(request: Request, name: str, cal: Cal, member: CurrentMember) -> Response:
    """Change a machine's title, price, description and auto-approval."""

    def action(data: dict[str, str]) -> None:
        cal.edit_machine(
            name,
            acting=member.handle,
            title=data.get("title", ""),
            price=data.get("daily_price", "").strip(),
            description=data.get("description", "").strip() or None,
            auto_approve=data.get("auto_approve") == "on",
            request_policy=data.get("request_policy", "block"),
            request_expiry_hours=expiry_hours(data.get("request_expiry_hours", "")),
        )

    return await _submit(request, cal, member, f"machine-{name}", "machine-edited", action)


@router.post("/admin/machines/{name}/reactivate", include_in_schema=False)
def reactivate_machine(request: Request, name: str, cal: Cal, member: CurrentMember) -> Response:
    """Make a retired machine bookable again."""
    return _run(
        request,
        cal,
        member,
        "machines",
        "machine-reactivated",
        lambda: cal.reactivate_machine(name, acting=member.handle),
        anchor=f"machine-{name}",
    )


@router.post("/admin/members/{handle}/edit", include_in_schema=False)
async def edit_member(request: Request, handle: str, cal: Cal, member: CurrentMember) -> Response:
    """Change a member's name and e-mail (empty: no e-mail)."""

    def action(data: dict[str, str]) -> None:
        cal.edit_member(
            handle,
            acting=member.handle,
            name=data.get("name", ""),
            email=data.get("email", "").strip() or None,
        )

    return await _submit(request, cal, member, f"member-{handle}", "member-edited", action)


@router.post("/admin/members/{handle}/role", include_in_schema=False)
async def set_role(request: Request, handle: str, cal: Cal, member: CurrentMember) -> Response:
    """Make a member an admin or a plain member."""

    def action(data: dict[str, str]) -> None:
        cal.set_role(handle, data.get("role", ""), acting=member.handle)

    return await _submit(request, cal, member, f"member-{handle}", "role-changed", action)


@router.post("/admin/members/{handle}/{action}", include_in_schema=False)
def activation(
    request: Request, handle: str, action: str, cal: Cal, member: CurrentMember
) -> Response:
    """Deactivate or reactivate a member."""
    changes: dict[str, tuple[str, Callable[..., Member]]] = {
        "deactivate": ("deactivated", cal.deactivate_member),
        "reactivate": ("reactivated", cal.reactivate_member),
    }
    if action in changes:
        done, change = changes[action]
        return _run(
            request,
            cal,
            member,
            f"member-{handle}",
            done,
            lambda: change(handle, acting=member.handle),
        )
    return _run(
        request,
        cal,
        member,
        f"member-{handle}",
        "",
        lambda: None,
        problem=f"unknown action {action[:20]!r}",
    )


@router.post("/admin/maintenance/{maintenance_id}/edit", include_in_schema=False)
async def edit_maintenance(
    request: Request, maintenance_id: int, cal: Cal, member: CurrentMember
) -> Response:
    """Change a scheduled block's days, kind and notes (over rentals only if ticked)."""

    def action(data: dict[str, str]) -> None:
        start, end = parse_day(data.get("start")), parse_day(data.get("end"))
        if start is None or end is None:
            raise ValueError("first and last day are required")
        cal.edit_maintenance(
            maintenance_id,
            acting=member.handle,
            start=start,
            end=end,
            kind=data.get("kind", "preventive"),
            notes=data.get("notes", "").strip() or None,
            force=data.get("force") == "on",
        )

    section = f"maintenance-{maintenance_id}"
    return await _submit(request, cal, member, section, "maintenance-edited", action)


__all__ = ["router"]
