"""``/rentals/{id}`` — one rental (the design's "payment page"): days, status, price, history,
hand-overs.

Its member may cancel it (and move it while it is pending); admins approve,
reject (with a reason), complete and move it; admins and the machine's keepers
check it out and in (:mod:`rentcal.frontend.handover`), the check-out form
proposing the meter's last reading. While it is out (checked out, not back),
cancelling, rejecting and completing give way to the check-in. Each button is a small form
POSTing to ``/rentals/{id}/{action}``, answered with a 303 back to the page (so
a reload never repeats the change); a refused one too, to the page showing the
reason beside the forms with what was typed (:mod:`.flash`). It all works
without JavaScript.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from rentcal.core.handover import KIND_WORDS, Handover, reading_words
from rentcal.core.news import history_words, reason_words, waiting_words
from rentcal.core.types import RentalStatus
from rentcal.core.values import Member, Rental
from rentcal.errors import InvalidRequest, NotFound, PermissionDenied, RentcalError
from rentcal.frontend.handover import HandoverView, handover_view
from rentcal.service import Rentcal
from rentcal.web.auth import Cal, CurrentMember
from rentcal.web.pages import flash
from rentcal.web.pages.flash import Flash
from rentcal.web.pages.forms import FORM
from rentcal.web.pages.render import posted, render, see_other
from rentcal.web.views import may_see_private

router = APIRouter()

ACTIONS = ("approve", "reject", "cancel", "complete", "move", "checkout", "checkin")
#: What the page says after a change it redirected to (never text from the URL).
DONE = {
    "approved": "Approved.",
    "rejected": "Rejected; the member is told.",
    "cancelled": "Cancelled.",
    "completed": "Marked as completed.",
    "moved": "Moved; the member and the admins are told.",
    "checked-out": "Checked out: the machine is with its member.",
    "checked-in": "Checked in: the rental is completed.",
}
#: The typed values a refused form shows again, by action.
TYPED = {
    "move": ("start", "end", "machine"),
    "reject": ("reason",),
    "cancel": ("reason",),
    "checkout": ("meter", "notes"),
    "checkin": ("meter", "condition", "notes", "repair_until"),
}
PAST = {
    "approve": "approved",
    "reject": "rejected",
    "cancel": "cancelled",
    "complete": "completed",
    "move": "moved",
    "checkout": "checked-out",
    "checkin": "checked-in",
}
#: What gives way while the machine is out: its check-in comes first.
WHILE_OUT = frozenset({"reject", "cancel", "complete"})


def allowed(
    rental: Rental, viewer: Member, today: Any, handover: HandoverView | None = None
) -> list[str]:
    """The buttons this viewer gets for this rental (the library still decides)."""
    actions = _status_actions(rental, viewer, today)
    if handover is None:
        return actions
    if handover.state.out_not_back:
        actions = [a for a in actions if a not in WHILE_OUT]
    return actions + handover.actions(rental, today)


def _status_actions(rental: Rental, viewer: Member, today: Any) -> list[str]:
    """The status changes and the move this viewer gets for this rental."""
    status = RentalStatus(rental.status)
    actions: list[str] = []
    if viewer.is_admin and status is RentalStatus.PENDING:
        actions.append("approve")
    if viewer.is_admin and status in (RentalStatus.PENDING, RentalStatus.APPROVED):
        actions.append("reject")
    if (
        (viewer.is_admin or viewer.handle == rental.member)
        and status in (RentalStatus.PENDING, RentalStatus.APPROVED)
        and rental.end >= today
    ):
        actions.append("cancel")
    if viewer.is_admin and status is RentalStatus.APPROVED and rental.start <= today:
        actions.append("complete")
    if (
        rental.end >= today
        and not rental.awaiting_payment  # paid for or cancelled first (rentcal.service.moves)
        and (
            (viewer.is_admin and status in (RentalStatus.PENDING, RentalStatus.APPROVED))
            or (viewer.handle == rental.member and status is RentalStatus.PENDING)
        )
    ):
        actions.append("move")
    return actions


def _form_day(data: dict[str, str], name: str) -> date | None:
    """A YYYY-MM-DD form field as a date; empty: None (unchanged)."""
    text = data.get(name, "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidRequest(
            f"{name} date {text[:40]!r} is not a date (YYYY-MM-DD)", field=name
        ) from None


def change(
    cal: Rentcal,
    viewer: Member,
    rental_id: int,
    action: str,
    reason: str,
    data: dict[str, str] | None = None,
) -> Rental:
    """Apply one change as ``viewer``; the library checks permission and the lock.

    ``data``: the posted form (a move's new start, end and machine).
    """
    data = data or {}
    why = reason.strip() or None
    if action == "move":
        machine = data.get("machine", "").strip() or None
        return cal.move(
            rental_id,
            start=_form_day(data, "start"),
            end=_form_day(data, "end"),
            machine=machine,
            acting=viewer.handle,
        )
    if action in ("checkout", "checkin"):
        hand_over(cal, viewer, rental_id, action, data)
        return cal.rental(rental_id)
    if action == "approve":
        return cal.approve(rental_id, acting=viewer.handle)
    if action == "reject":
        return cal.reject(rental_id, acting=viewer.handle, reason=why)
    if action == "cancel":
        return cal.cancel(rental_id, acting=viewer.handle, reason=why)
    return cal.complete(rental_id, acting=viewer.handle)


def hand_over(
    cal: Rentcal, viewer: Member, rental_id: int, action: str, data: dict[str, str]
) -> None:
    """A check-out or check-in from the page's form (empty fields: not given)."""
    meter = data.get("meter", "").strip() or None
    notes = data.get("notes", "").strip() or None
    if action == "checkout":
        cal.checkout(rental_id, meter=meter, notes=notes, acting=viewer.handle)
        return
    cal.checkin(
        rental_id,
        meter=meter,
        condition=data.get("condition", "").strip() or "ok",
        notes=notes,
        repair_until=_form_day(data, "repair_until"),
        acting=viewer.handle,
    )


def booked_notice(rental: Rental) -> str:
    """What the member reads on landing here after booking: approved, or what it waits
    for (an admin, or its card payment until its hold ends)."""
    waiting = waiting_words(rental)
    if waiting is None:
        return f"Booked: rental {rental.id} is {RentalStatus(rental.status).value}."
    return f"Booked: rental {rental.id} is {waiting}."


def rental_page(
    request: Request,
    cal: Rentcal,
    viewer: Member,
    rental_id: int,
    *,
    denied: str | None = None,
) -> Response:
    """The page of one rental (404 page for an unknown id), with a refused change of it
    named in the URL (:mod:`.flash`) beside the forms; ``denied``: the 403 page of a
    change the viewer may not make at all (nothing to correct, so no redirect)."""
    try:
        rental = cal.rental(rental_id)
        history = cal.history(rental_id)
    except NotFound as err:
        return render(
            request,
            "error.html",
            {"title": "Not found", "message": err.message},
            member=viewer,
            status=404,
        )
    done = request.query_params.get("done", "")
    notice = booked_notice(rental) if done == "booked" else DONE.get(done)
    refusal = flash.read(request, cal.now())
    if refusal is not None and refusal.section != f"rental-{rental_id}":
        refusal = None
    error = denied or (None if refusal is None else refusal.errors.get(FORM))
    today = cal.today()
    handover = handover_view(cal, viewer, rental)
    actions = allowed(rental, viewer, today, handover)
    context = {
        "rental": rental,
        "handover": handover,
        "handovers": [handover_entry(h) for h in handover.handovers],
        "proposed": _reading(handover.proposed),
        "out_reading": _reading(None if handover.state.out is None else handover.state.out.reading),
        "today": today,
        "history": [history_entry(h) for h in reversed(history)],
        "private": may_see_private(viewer, rental),
        "actions": actions,
        "machines": [m.name for m in cal.machines(include_retired=False)]
        if "move" in actions
        else [],
        "days": rental.days,
        "error": error,
        "typed": {} if refusal is None else refusal.form,
        "notice": None if error else notice,
        "currency": cal.currency(),
        # its member pays on Stripe's page, on a server that takes card payments
        "pay_now": rental.awaiting_payment
        and viewer.handle == rental.member
        and request.app.state.checkout is not None,
    }
    return render(request, "rental.html", context, member=viewer, status=403 if denied else 200)


def history_entry(entry: dict[str, Any]) -> dict[str, Any]:
    """A history entry with its change and details in the words of the CLI (``moved``,
    never ``pending → pending``)."""
    old = RentalStatus(entry["from"]) if entry["from"] else None
    change = history_words(old, RentalStatus(entry["to"]), entry["reason"])
    return {**entry, "change": change, "details": reason_words(entry["reason"])}


def handover_entry(h: Handover) -> dict[str, Any]:
    """One hand-over for the page, in the words of the CLI."""
    return {
        "at": h.at,
        "what": KIND_WORDS[h.kind],
        "by": h.by,
        "meter": None if h.reading is None else reading_words(h.reading, h.unit),
        "used": None if h.used is None else reading_words(h.used, h.unit),
        "condition": None if h.condition is None else h.condition.value,
        "late": h.late,
        "notes": h.notes,
        "repair": h.repair,
    }


def _reading(value: Decimal | None) -> str | None:
    """A reading as a form shows it (``1200.5``), or None."""
    return None if value is None else reading_words(value, None)


def _id(text: str) -> int | None:
    return int(text) if text.isdigit() and len(text) < 12 else None


@router.get("/rentals/{rental_id}", include_in_schema=False)
def show(request: Request, rental_id: str, cal: Cal, member: CurrentMember) -> Response:
    """One rental; ``?done=`` names the change just made (a fixed sentence)."""
    number = _id(rental_id)
    if number is None:
        return render(
            request,
            "error.html",
            {"title": "Not found", "message": f"rental {rental_id[:40]!r} not found"},
            member=member,
            status=404,
        )
    return rental_page(request, cal, member, number)


@router.post("/rentals/{rental_id}/{action}", include_in_schema=False)
async def act(
    request: Request, rental_id: str, action: str, cal: Cal, member: CurrentMember
) -> Response:
    """A status change from the rental's page; 303 back to it, or the page with the error."""
    data, problem = await posted(request)
    return await run_in_threadpool(_act, request, rental_id, action, cal, member, data, problem)


def _act(
    request: Request,
    rental_id: str,
    action: str,
    cal: Rentcal,
    member: Member,
    data: dict[str, str],
    problem: str | None,
) -> Response:
    number = _id(rental_id)
    if number is None or action not in ACTIONS:
        return render(
            request,
            "error.html",
            {"title": "Not found", "message": "no such rental or action"},
            member=member,
            status=404,
        )
    message = problem
    if message is None:
        try:
            change(cal, member, number, action, data.get("reason", ""), data)
        except PermissionDenied as err:
            return rental_page(request, cal, member, number, denied=err.message)
        except RentcalError as err:
            message = err.message
    if message is not None:
        typed = {k: data.get(k, "") for k in TYPED.get(action, ())}
        refusal = Flash(f"rental-{number}", {FORM: message}, typed)
        return flash.redirect(request, f"/rentals/{number}", "action-error", refusal, cal.now())
    return see_other(request, f"/rentals/{number}", done=PAST[action])


__all__ = ["ACTIONS", "allowed", "change", "hand_over", "rental_page", "router"]
