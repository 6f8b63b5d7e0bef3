"""``/admin`` — the pending queue (oldest first), booking for a member, members to verify,
machines, maintenance, how busy each machine was (:mod:`.utilisation_chart`, the month
of ``?month=YYYY-MM``, default this one) and the last hour of the web server
(:mod:`.usage_chart`).

Every button is a form POSTing under ``/admin/...``, answered with a 303 back
to ``/admin#ITEM``, the item acted on (a reload never repeats the change and
the administrator is not sent to the top of a long page). A refused form is
answered the same way, at the form, which shows the message and what was
typed (:mod:`.flash`). Approving re-checks availability under the machine's
lock (the library does): a request that can no longer be approved says why.
Maintenance over booked days is not stored at first: the page lists the
rentals it would clash with and offers "Schedule anyway", which stores it
with ``force`` and tells their members.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from rentcal.core.values import Maintenance, Member, Rental
from rentcal.errors import NotFound, RentcalError, Unavailable
from rentcal.service import Rentcal
from rentcal.web.auth import Cal, CurrentMember
from rentcal.web.pages import flash
from rentcal.web.pages.flash import Flash
from rentcal.web.pages.forms import FORM, errors_of, expiry_hours
from rentcal.web.pages.render import new_form_key, parse_day, posted, render, see_other
from rentcal.web.pages.rentals import change
from rentcal.web.pages.usage_chart import MINUTES, chart
from rentcal.web.pages.utilisation_chart import chart as utilisation_chart
from rentcal.web.pages.utilisation_chart import report_month

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
    "mail-retry": "Mail queued again: it is sent at the next delivery pass.",
    "mail-discard": "Mail discarded: it is never sent (its record stays).",
    "invited": "Invitation queued: the member gets a link to choose a password.",
    "invitation-resent": "A new link is on its way; the old one no longer works.",
    "invitation-revoked": "Invitation revoked: its link no longer works.",
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
#: Where the message of a refused section's form is shown (other sections: the item's id).
SECTION_ANCHORS = {
    "pending": "pending",
    "members": "members",
    "machines": "machines",
    "machine-new": "add-machine",
    "maintenance": "schedule-maintenance",
    "book-for": "book-for",
}
#: A maintenance clash lists at most this many bookings (the flash cookie is small).
MAX_CLASHES = 20


def forbidden(request: Request, admin: Member) -> Response:
    """The 403 page a member gets for anything under ``/admin``."""
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


def anchor_of(section: str) -> str:
    """The id of the element a section's message is shown in (the redirect's fragment)."""
    if section.startswith("machine-") and section != "machine-new":
        return "edit-" + section
    return SECTION_ANCHORS.get(section, section)


def refused(
    request: Request,
    cal: Rentcal,
    admin: Member,
    section: str,
    errors: dict[str, str],
    form: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    """A refused admin form: 303 back to ``/admin`` at that form, which shows the
    message and what was typed (:mod:`.flash`); a reload never resends it."""
    if not admin.is_admin:
        return forbidden(request, admin)
    refusal = Flash(section, errors, form or {}, extra or {})
    return flash.redirect(request, "/admin", anchor_of(section), refusal, cal.now())


def refused_by(
    request: Request,
    cal: Rentcal,
    admin: Member,
    section: str,
    err: RentcalError,
    form: dict[str, str] | None = None,
) -> Response:
    """:func:`refused` with a library error's message above the form."""
    return refused(request, cal, admin, section, {FORM: err.message}, form)


def clash_extra(err: Unavailable) -> dict[str, Any]:
    """What the page lists of a maintenance clash, as plain JSON (at most 20 bookings)."""
    conflicts = [
        {
            # kind is a StrEnum (ConflictKind): str() of it would be "ConflictKind.RENTAL"
            "kind": str(getattr(c.kind, "value", c.kind)),
            "id": int(c.id),
            "status": str(c.status),
            "start": c.start.isoformat(),
            "end": c.end.isoformat(),
        }
        for c in err.conflicts[:MAX_CLASHES]
    ]
    return {"clash": {"conflicts": conflicts, "overridable": bool(err.overridable)}}


def _clash(extra: dict[str, Any]) -> dict[str, Any] | None:
    """The clash a refusal carried, with its days as dates again for the template."""
    clash = extra.get("clash")
    if not isinstance(clash, dict):
        return None
    conflicts = []
    for c in clash.get("conflicts", []):
        try:
            start, end = date.fromisoformat(c["start"]), date.fromisoformat(c["end"])
        except (KeyError, TypeError, ValueError):
            continue
        conflicts.append({**c, "start": start, "end": end})
    return {"conflicts": conflicts, "overridable": bool(clash.get("overridable"))}


def _booked(request: Request, cal: Rentcal) -> Rental | None:
    """The rental just booked for a member (``?done=booked-for&rental=ID``), if any."""
    text = request.query_params.get("rental", "")
    if request.query_params.get("done") != "booked-for" or not text.isdigit() or len(text) > 11:
        return None
    try:
        return cal.rental(int(text))
    except NotFound:
        return None


def admin_page(
    request: Request,
    cal: Rentcal,
    admin: Member,
    *,
    errors: dict[str, dict[str, str]] | None = None,
    forms: dict[str, dict[str, str]] | None = None,
    status: int = 200,
) -> Response:
    """The admin page; a refusal named in the URL (:mod:`.flash`) shows beside its form.

    ``errors``/``forms``/``status``: messages and typed values per section for a page
    answered in place, without the redirect of :func:`refused` (every form here uses
    :func:`refused`, so that a reload never resends it).
    """
    if not admin.is_admin:
        return forbidden(request, admin)
    today = cal.today()
    members = cal.members()
    pending = sorted(cal.rentals(status="pending"), key=lambda r: (r.created_at, r.id))
    upkeep = [m for m in cal.maintenance(status="scheduled") if m.end >= today]
    machines = cal.machines(include_retired=True)
    now = cal.now()
    usage = cal.usage(now - timedelta(minutes=MINUTES - 1))
    refusal = flash.read(request, now)
    errors, forms = dict(errors or {}), dict(forms or {})
    if refusal is not None:
        section = _shown_in(refusal.section, pending, upkeep)
        errors[section], forms[section] = refusal.errors, refusal.form
    booked = _booked(request, cal)
    month, month_error = report_month(request.query_params.get("month", ""), today)
    context: dict[str, Any] = {
        "currency": cal.currency(),
        "pending": pending,
        "unverified": [m for m in members if not m.verified],
        "members": members,
        "bookable_members": [m for m in members if m.active],
        "machines": machines,
        "invitations": cal.invitations(acting=admin.handle),
        "maintenance": upkeep,
        "errors": errors,
        "forms": forms,
        "clash": None if refusal is None else _clash(refusal.extra),
        "booked": booked,
        "book_key": new_form_key(),
        "notice": None if booked else DONE.get(request.query_params.get("done", "")),
        "today": today,
        "usage": chart(usage, now),
        "outbox": cal.recent_mail(acting=admin.handle),
        "utilisation": utilisation_chart(
            cal.utilisation(month=month, acting=admin.handle, today=today)
        ),
        "utilisation_error": month_error,
    }
    return render(request, "admin.html", context, member=admin, status=status)


def _shown_in(section: str, pending: list[Rental], upkeep: list[Maintenance]) -> str:
    """Where a refusal is shown: its item's place, or its list when the item left it
    (a request decided meanwhile, a block cancelled meanwhile)."""
    if section.startswith("rental-") and section not in {f"rental-{r.id}" for r in pending}:
        return "pending"
    if section.startswith("maintenance-") and section not in {
        f"maintenance-{m.id}" for m in upkeep
    }:
        return "maintenance"
    return section


@router.get("/admin", include_in_schema=False)
def show(request: Request, cal: Cal, member: CurrentMember) -> Response:
    """The admin page (403 page for members)."""
    return admin_page(request, cal, member)


@router.post("/admin/rentals/{rental_id}/{action}", include_in_schema=False)
async def decide(
    request: Request, rental_id: int, action: str, cal: Cal, member: CurrentMember
) -> Response:
    """Approve or reject a request from the queue; back at the queue."""
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
    section = f"rental-{rental_id}"
    if action not in ("approve", "reject") or problem is not None:
        message = problem or f"unknown action {action[:20]!r}"
        return refused(request, cal, admin, section, {FORM: message})
    try:
        change(cal, admin, rental_id, action, data.get("reason", ""))
    except RentcalError as err:
        return refused_by(request, cal, admin, section, err, data)
    done = "approved" if action == "approve" else "rejected"
    return see_other(request, "/admin", anchor="pending", done=done)


@router.post("/admin/members/{handle}/verify", include_in_schema=False)
def verify(request: Request, handle: str, cal: Cal, member: CurrentMember) -> Response:
    """Verify a member: they may book from now on."""
    try:
        cal.verify_member(handle, acting=member.handle)
    except RentcalError as err:
        return refused_by(request, cal, member, "members", err)
    return see_other(request, "/admin", anchor="members", done="verified")


@router.post("/admin/machines", include_in_schema=False)
async def add_machine(request: Request, cal: Cal, member: CurrentMember) -> Response:
    """Add a machine; back at its row."""
    data, problem = await posted(request)
    return await run_in_threadpool(_add_machine, request, cal, member, data, problem)


def _add_machine(
    request: Request, cal: Rentcal, admin: Member, data: dict[str, str], problem: str | None
) -> Response:
    if problem is not None:
        return refused(request, cal, admin, "machine-new", {FORM: problem})
    try:
        added = cal.add_machine(
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
        errors = errors_of(err, MACHINE_FIELDS, MACHINE_WORDS)
        return refused(request, cal, admin, "machine-new", errors, data)
    return see_other(request, "/admin", anchor=f"machine-{added.name}", done="machine-added")


@router.post("/admin/machines/{name}/retire", include_in_schema=False)
def retire(request: Request, name: str, cal: Cal, member: CurrentMember) -> Response:
    """Retire a machine: no new bookings; its rentals stay."""
    try:
        cal.retire_machine(name, acting=member.handle)
    except RentcalError as err:
        return refused_by(request, cal, member, "machines", err)
    return see_other(request, "/admin", anchor=f"machine-{name}", done="retired")


@router.post("/admin/maintenance", include_in_schema=False)
async def add_maintenance(request: Request, cal: Cal, member: CurrentMember) -> Response:
    """Schedule maintenance; over booked days only after the clashes were shown."""
    data, problem = await posted(request)
    return await run_in_threadpool(_add_maintenance, request, cal, member, data, problem)


def _add_maintenance(
    request: Request, cal: Rentcal, admin: Member, data: dict[str, str], problem: str | None
) -> Response:
    def again(errors: dict[str, str], extra: dict[str, Any] | None = None) -> Response:
        return refused(request, cal, admin, "maintenance", errors, data, extra)

    if problem is not None:
        return again({FORM: problem})
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
        return again(errors)
    try:
        block = cal.add_maintenance(
            data.get("machine", ""),
            start,
            end,
            kind=data.get("kind", "preventive"),
            notes=data.get("notes", "").strip() or None,
            acting=admin.handle,
            force=data.get("force") == "1",
        )
    except Unavailable as err:
        return again({FORM: err.message}, clash_extra(err))
    except RentcalError as err:
        return again(errors_of(err, MAINTENANCE_FIELDS, MAINTENANCE_WORDS))
    return see_other(request, "/admin", anchor=f"maintenance-{block.id}", done="maintenance-added")


@router.post("/admin/maintenance/{maintenance_id}/cancel", include_in_schema=False)
def cancel_maintenance(
    request: Request, maintenance_id: int, cal: Cal, member: CurrentMember
) -> Response:
    """Call off a scheduled maintenance block; back at the maintenance list."""
    try:
        cal.cancel_maintenance(maintenance_id, acting=member.handle)
    except RentcalError as err:
        return refused_by(request, cal, member, f"maintenance-{maintenance_id}", err)
    return see_other(request, "/admin", anchor="maintenance", done="maintenance-cancelled")


__all__ = ["admin_page", "anchor_of", "forbidden", "refused", "refused_by", "router"]
