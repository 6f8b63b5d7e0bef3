"""``/admin`` — the pending queue (oldest first), members to verify, machines, maintenance,
and the last hour of the web server in a small chart (:mod:`.usage_chart`).

Every button is a form POSTing under ``/admin/...``, answered with a 303 back
to ``/admin`` (to the section it came from). Approving re-checks availability
under the machine's lock (the library does): a request that can no longer be
approved says why, in place. Maintenance over booked days is not stored at
first: the page lists the rentals it would clash with and offers "Schedule
anyway", which stores it with ``force`` and tells their members.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from rentcal.core.values import Member
from rentcal.errors import RentcalError, Unavailable
from rentcal.service import Rentcal
from rentcal.web.auth import Cal, CurrentMember
from rentcal.web.error_responses import classify
from rentcal.web.pages.forms import FORM, errors_of, expiry_hours
from rentcal.web.pages.render import parse_day, posted, render, see_other
from rentcal.web.pages.rentals import change
from rentcal.web.pages.usage_chart import MINUTES, chart

router = APIRouter()

#: What the page says after a change it redirected to (never text from the URL).
DONE = {
    "approved": "Approved; the member is told.",
    "rejected": "Rejected; the member is told.",
    "verified": "Member verified: they can book now.",
    "machine-added": "Machine added.",
    "retired": "Machine retired: it can no longer be booked; its rentals stay.",
    "maintenance-added": "Maintenance scheduled.",
    "maintenance-cancelled": "Maintenance cancelled.",
    "machine-edited": "Machine saved; existing rentals keep their price.",
    "machine-reactivated": "Machine reactivated: it can be booked again.",
    "member-edited": "Member saved.",
    "role-changed": "Role saved.",
    "deactivated": "Member deactivated: their pending requests were rejected.",
    "reactivated": "Member reactivated.",
    "maintenance-edited": "Maintenance saved.",
}
MACHINE_FIELDS = (
    "name",
    "title",
    "daily_price",
    "description",
    "request_policy",
    "request_expiry_hours",
)
MACHINE_WORDS = {"machine name": "name", "daily price": "daily_price"}
MAINTENANCE_FIELDS = ("machine", "start", "end", "kind", "notes")
MAINTENANCE_WORDS = {"start date": "start", "end date": "end", "maintenance kind": "kind"}


def admin_page(
    request: Request,
    cal: Rentcal,
    admin: Member,
    *,
    errors: dict[str, dict[str, str]] | None = None,
    forms: dict[str, dict[str, str]] | None = None,
    clash: Unavailable | None = None,
    status: int = 200,
) -> Response:
    """The admin page; ``errors``/``forms`` per section re-show what was typed."""
    if not admin.is_admin:
        return render(
            request,
            "error.html",
            {
                "title": "Admins only",
                "message": "This page is for admins; ask one if you need something here.",
            },
            member=admin,
            status=403,
        )
    today = cal.today()
    members = cal.members()
    pending = sorted(cal.rentals(status="pending"), key=lambda r: (r.created_at, r.id))
    upkeep = [m for m in cal.maintenance(status="scheduled") if m.end >= today]
    now = cal.now()
    usage = cal.usage(now - timedelta(minutes=MINUTES - 1))
    context: dict[str, Any] = {
        "currency": cal.currency(),
        "pending": pending,
        "unverified": [m for m in members if not m.verified],
        "members": members,
        "machines": cal.machines(include_retired=True),
        "maintenance": upkeep,
        "errors": errors or {},
        "forms": forms or {},
        "clash": clash,
        "notice": DONE.get(request.query_params.get("done", "")),
        "today": today,
        "usage": chart(usage, now),
    }
    return render(request, "admin.html", context, member=admin, status=status)


@router.get("/admin", include_in_schema=False)
def show(request: Request, cal: Cal, member: CurrentMember) -> Response:
    """The admin page (403 page for members)."""
    return admin_page(request, cal, member)


@router.post("/admin/rentals/{rental_id}/{action}", include_in_schema=False)
async def decide(
    request: Request, rental_id: int, action: str, cal: Cal, member: CurrentMember
) -> Response:
    """Approve or reject a request from the queue, in place."""
    data, problem = await posted(request)
    return await run_in_threadpool(_decide, request, rental_id, action, cal, member, data, problem)


def _decide(
    request: Request,
    rental_id: int,
    action: str,
    cal: Rentcal,
    admin: Member,
    data: dict[str, str],
    problem: str | None,
) -> Response:
    if action not in ("approve", "reject") or problem is not None:
        message = problem or f"unknown action {action[:20]!r}"
        return admin_page(
            request, cal, admin, errors={f"rental-{rental_id}": {FORM: message}}, status=400
        )
    try:
        change(cal, admin, rental_id, action, data.get("reason", ""))
    except RentcalError as err:
        return admin_page(
            request,
            cal,
            admin,
            errors={f"rental-{rental_id}": {FORM: err.message}},
            status=classify(err).status,
        )
    return see_other(request, "/admin", done="approved" if action == "approve" else "rejected")


@router.post("/admin/members/{handle}/verify", include_in_schema=False)
def verify(request: Request, handle: str, cal: Cal, member: CurrentMember) -> Response:
    """Verify a member: they may book from now on."""
    try:
        cal.verify_member(handle, acting=member.handle)
    except RentcalError as err:
        return admin_page(
            request,
            cal,
            member,
            errors={"members": {FORM: err.message}},
            status=classify(err).status,
        )
    return see_other(request, "/admin", done="verified")


@router.post("/admin/machines", include_in_schema=False)
async def add_machine(request: Request, cal: Cal, member: CurrentMember) -> Response:
    """Add a machine."""
    data, problem = await posted(request)
    return await run_in_threadpool(_add_machine, request, cal, member, data, problem)


def _add_machine(
    request: Request, cal: Rentcal, admin: Member, data: dict[str, str], problem: str | None
) -> Response:
    if problem is not None:
        return admin_page(request, cal, admin, errors={"machines": {FORM: problem}}, status=400)
    try:
        cal.add_machine(
            data.get("name", "").strip(),
            daily_price=data.get("daily_price", "").strip() or "0",
            title=data.get("title", "").strip() or None,
            description=data.get("description", "").strip() or None,
            auto_approve=data.get("auto_approve") == "on",
            acting=admin.handle,
            request_policy=data.get("request_policy", "block"),
            request_expiry_hours=expiry_hours(data.get("request_expiry_hours", "")),
        )
    except RentcalError as err:
        return admin_page(
            request,
            cal,
            admin,
            errors={"machines": errors_of(err, MACHINE_FIELDS, MACHINE_WORDS)},
            forms={"machines": data},
            status=classify(err).status,
        )
    return see_other(request, "/admin", done="machine-added")


@router.post("/admin/machines/{name}/retire", include_in_schema=False)
def retire(request: Request, name: str, cal: Cal, member: CurrentMember) -> Response:
    """Retire a machine: no new bookings; its rentals stay."""
    try:
        cal.retire_machine(name, acting=member.handle)
    except RentcalError as err:
        return admin_page(
            request,
            cal,
            member,
            errors={"machines": {FORM: err.message}},
            status=classify(err).status,
        )
    return see_other(request, "/admin", done="retired")


@router.post("/admin/maintenance", include_in_schema=False)
async def add_maintenance(request: Request, cal: Cal, member: CurrentMember) -> Response:
    """Schedule maintenance; over booked days only after the clashes were shown."""
    data, problem = await posted(request)
    return await run_in_threadpool(_add_maintenance, request, cal, member, data, problem)


def _add_maintenance(
    request: Request, cal: Rentcal, admin: Member, data: dict[str, str], problem: str | None
) -> Response:
    def again(errors: dict[str, str], status: int, clash: Unavailable | None = None) -> Response:
        return admin_page(
            request,
            cal,
            admin,
            errors={"maintenance": errors},
            forms={"maintenance": data},
            clash=clash,
            status=status,
        )

    if problem is not None:
        return again({FORM: problem}, 400)
    errors: dict[str, str] = {}
    days = {}
    for name in ("start", "end"):
        try:
            days[name] = parse_day(data.get(name))
        except ValueError as err:
            errors[name] = f"{name} date {err}"
        if days.get(name) is None and name not in errors:
            errors[name] = f"{name} date is required"
    start, end = days.get("start"), days.get("end")
    if errors or start is None or end is None:
        return again(errors, 400)
    try:
        cal.add_maintenance(
            data.get("machine", ""),
            start,
            end,
            kind=data.get("kind", "preventive"),
            notes=data.get("notes", "").strip() or None,
            acting=admin.handle,
            force=data.get("force") == "1",
        )
    except Unavailable as err:
        return again({FORM: err.message}, 409, clash=err)
    except RentcalError as err:
        return again(errors_of(err, MAINTENANCE_FIELDS, MAINTENANCE_WORDS), classify(err).status)
    return see_other(request, "/admin", done="maintenance-added")


@router.post("/admin/maintenance/{maintenance_id}/cancel", include_in_schema=False)
def cancel_maintenance(
    request: Request, maintenance_id: int, cal: Cal, member: CurrentMember
) -> Response:
    """Call off a scheduled maintenance block."""
    try:
        cal.cancel_maintenance(maintenance_id, acting=member.handle)
    except RentcalError as err:
        return admin_page(
            request,
            cal,
            member,
            errors={"maintenance": {FORM: err.message}},
            status=classify(err).status,
        )
    return see_other(request, "/admin", done="maintenance-cancelled")


__all__ = ["admin_page", "router"]
