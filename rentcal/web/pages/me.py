"""``/me`` — my rentals (upcoming first), this month's charges, notifications, feed URLs,
API tokens, password.

Every change is a small form POSTing under ``/me/...`` and answered with a
303 back to ``/me``. A new feed URL or API token is shown ONCE: the POST puts
it in a short-lived flash cookie (HttpOnly, SameSite=Strict, path ``/me``,
two minutes) that the next ``GET /me`` shows and deletes — so the secret never
appears in a URL, a log line or the browser history, and a reload shows
nothing new and creates nothing.
"""

from __future__ import annotations

import base64
import json
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from rentcal.core.statements import charge_words
from rentcal.core.types import BLOCKING_RENTAL_STATUSES
from rentcal.core.values import Member, Rental
from rentcal.errors import AuthFailed, RentcalError, Throttled
from rentcal.frontend.month import month_key, month_start, shift_month
from rentcal.frontend.subscription import subscription
from rentcal.service import Rentcal
from rentcal.web.auth import Cal, CurrentMember
from rentcal.web.error_responses import classify
from rentcal.web.pages.forms import FORM, field_of
from rentcal.web.pages.render import posted, render, root_of, see_other
from rentcal.web.routes.account import public_base
from rentcal.web.server_settings import Settings

router = APIRouter()

FLASH_COOKIE = "rentcal_flash"
#: What a flash cookie shows: a new feed URL or a new API token.
FLASH_KINDS = frozenset({"feed", "token"})
FLASH_SECONDS = 120
DONE = {
    "read": "All notifications marked read.",
    "revoked-feed": "Feed URL revoked: calendars subscribed to it stop updating.",
    "revoked-token": "API token revoked.",
    "mail-choices": "E-mail choices saved.",
    "email-sent": "A confirmation link is on its way to the new address.",
    # back from Stripe's Checkout page (rentcal.web.pages.pay_online)
    "paid": "Thank you: your card payment is being confirmed by Stripe and shows here shortly.",
    "pay-cancelled": "The card payment was cancelled; nothing was charged.",
}


def split_rentals(rentals: list[Rental], today: date) -> tuple[list[Rental], list[Rental]]:
    """(upcoming and current ones still on, soonest first; the rest — past, cancelled,
    rejected — latest first)."""

    def on(rental: Rental) -> bool:
        return rental.end >= today and rental.status in BLOCKING_RENTAL_STATUSES

    upcoming = [r for r in rentals if on(r)]
    past = [r for r in rentals if not on(r)]
    upcoming.sort(key=lambda r: (r.start, r.id))
    past.sort(key=lambda r: (r.start, r.id), reverse=True)
    return upcoming, past


def _flash(request: Request) -> dict[str, str] | None:
    """The one-time secret a POST left for this page, if any."""
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(raw.encode()))
    except (ValueError, RecursionError):  # not base64, not JSON, nested too deep
        return None
    # A browser sends back whatever the cookie holds: only the shape _with_flash
    # writes is shown, anything else is ignored (the template reads kind and value).
    if not isinstance(data, dict):
        return None
    if not all(isinstance(data.get(key), str) for key in ("kind", "value", "id")):
        return None
    if data["kind"] not in FLASH_KINDS:
        return None
    return {key: data[key] for key in ("kind", "value", "id")}


def _with_flash(request: Request, response: Response, data: dict[str, str]) -> Response:
    settings: Settings = request.app.state.settings
    value = base64.urlsafe_b64encode(json.dumps(data).encode()).decode()
    response.set_cookie(
        FLASH_COOKIE,
        value,
        max_age=FLASH_SECONDS,
        path=root_of(request) + "/me",
        secure=settings.secure_for(request.url.scheme),
        httponly=True,
        samesite="strict",
    )
    return response


def me_page(
    request: Request,
    cal: Rentcal,
    member: Member,
    *,
    errors: dict[str, dict[str, str]] | None = None,
    status: int = 200,
) -> Response:
    """The page; ``errors`` maps a section ("feeds", "tokens", "password") to field errors."""
    today = cal.today()
    upcoming, past = split_rentals(cal.rentals(member=member.handle), today)
    this_month = month_start(today)
    statement = cal.statement(month_key(this_month), acting=member.handle)
    currency = cal.currency()
    notes = list(reversed(cal.notifications(member.handle)))
    flash = _flash(request)
    done = DONE.get(request.query_params.get("done", ""))
    if request.query_params.get("done") == "password":
        done = "Password changed."
    context: dict[str, Any] = {
        "currency": currency,
        "statement": statement,
        "charge_lines": [charge_words(c, currency) for c in statement.charges],
        "last_month": month_key(shift_month(this_month, -1)),
        "invoices": cal.invoices(member.handle, acting=member.handle),
        "account": cal.balance(member.handle, acting=member.handle),
        "upcoming": upcoming,
        "past": past,
        "notifications": notes,
        "unread": sum(1 for n in notes if n.read_at is None),
        "feeds": [f for f in cal.feed_tokens(member.handle) if f.owner == member.handle],
        "tokens": [t for t in cal.tokens(member.handle) if t.member == member.handle],
        "machines": cal.machines(include_retired=False),
        "mail_choices": cal.mail_choices(member.handle, acting=member.handle),
        "pending_email": cal.pending_email(member.handle, acting=member.handle),
        "flash": flash,
        "subscription": subscription(flash["value"]) if flash and flash["kind"] == "feed" else None,
        "errors": errors or {},
        "notice": done,
        "today": today,
        **_online(request, cal, member),
    }
    response = render(request, "me.html", context, member=member, status=status)
    if flash is not None:
        response.delete_cookie(FLASH_COOKIE, path=root_of(request) + "/me")
    return response


def _online(request: Request, cal: Rentcal, member: Member) -> dict[str, Any]:
    """What /me offers to pay by card: bookings awaiting payment, and whether "Pay now"
    and "Pay online" show (Stripe configured on this server, the organisation's rules)."""
    configured = request.app.state.checkout is not None
    rules = cal.online_payments()
    return {
        "awaiting": cal.awaiting_payment(acting=member.handle) if rules.at_booking else [],
        "pay_online": configured,
        "pay_invoices": configured and rules.invoices,
    }


@router.get("/me", include_in_schema=False)
def show(request: Request, cal: Cal, member: CurrentMember) -> Response:
    """My page."""
    return me_page(request, cal, member)


@router.post("/me/notifications/read", include_in_schema=False)
def mark_read(request: Request, cal: Cal, member: CurrentMember) -> Response:
    """ "Mark all read"."""
    cal.mark_read(member.handle)
    return see_other(request, "/me", done="read")


@router.post("/me/feeds", include_in_schema=False)
async def create_feed(request: Request, cal: Cal, member: CurrentMember) -> Response:
    """A new secret feed URL, shown once on /me."""
    data, problem = await posted(request)
    return await run_in_threadpool(_create_feed, request, cal, member, data, problem)


def _create_feed(
    request: Request, cal: Rentcal, member: Member, data: dict[str, str], problem: str | None
) -> Response:
    if problem is not None:
        return me_page(request, cal, member, errors={"feeds": {FORM: problem}}, status=400)
    scope = data.get("scope", "mine")
    machine = data.get("machine", "").strip() or None
    if scope == "machine" and machine is None:  # else it would quietly make "my rentals"
        problem = "choose the machine the feed shows"
        return me_page(request, cal, member, errors={"feeds": {"machine": problem}}, status=400)
    try:
        feed, secret = cal.create_feed(
            member.handle,
            machine=machine if scope == "machine" else None,
            all_rentals=scope == "all",
            fmt=data.get("format", "ics"),
            name=data.get("name", "").strip() or None,
        )
    except RentcalError as err:
        where = field_of(err, ("machine", "format", "name"))
        return me_page(
            request,
            cal,
            member,
            errors={"feeds": {where: err.message}},
            status=classify(err).status,
        )
    url = public_base(request, request.app.state.settings) + feed.path(secret)
    return _with_flash(
        request, see_other(request, "/me"), {"kind": "feed", "value": url, "id": str(feed.id)}
    )


@router.post("/me/feeds/{feed_id}/revoke", include_in_schema=False)
def revoke_feed(request: Request, feed_id: int, cal: Cal, member: CurrentMember) -> Response:
    """Revoke one of my feed URLs."""
    try:
        cal.revoke_feed(feed_id, member.handle)
    except RentcalError as err:
        return me_page(
            request, cal, member, errors={"feeds": {FORM: err.message}}, status=classify(err).status
        )
    return see_other(request, "/me", done="revoked-feed")


@router.post("/me/tokens", include_in_schema=False)
async def create_token(request: Request, cal: Cal, member: CurrentMember) -> Response:
    """A new API token, shown once on /me."""
    data, problem = await posted(request)
    return await run_in_threadpool(_create_token, request, cal, member, data, problem)


def _create_token(
    request: Request, cal: Rentcal, member: Member, data: dict[str, str], problem: str | None
) -> Response:
    if problem is not None:
        return me_page(request, cal, member, errors={"tokens": {FORM: problem}}, status=400)
    try:
        token, secret = cal.create_token(member.handle, name=data.get("name", "").strip() or None)
    except RentcalError as err:
        where = field_of(err, ("name",))
        return me_page(
            request,
            cal,
            member,
            errors={"tokens": {where: err.message}},
            status=classify(err).status,
        )
    return _with_flash(
        request, see_other(request, "/me"), {"kind": "token", "value": secret, "id": str(token.id)}
    )


@router.post("/me/tokens/{token_id}/revoke", include_in_schema=False)
def revoke_token(request: Request, token_id: int, cal: Cal, member: CurrentMember) -> Response:
    """Revoke one of my API tokens."""
    try:
        cal.revoke_token(token_id, member.handle)
    except RentcalError as err:
        return me_page(
            request,
            cal,
            member,
            errors={"tokens": {FORM: err.message}},
            status=classify(err).status,
        )
    return see_other(request, "/me", done="revoked-token")


@router.post("/me/password", include_in_schema=False)
async def change_password(request: Request, cal: Cal, member: CurrentMember) -> Response:
    """Change my password: the current one first; every session ends, so log in again."""
    data, problem = await posted(request)
    return await run_in_threadpool(_change_password, request, cal, member, data, problem)


def _change_password(
    request: Request, cal: Rentcal, member: Member, data: dict[str, str], problem: str | None
) -> Response:
    def again(field: str, message: str, status: int) -> Response:
        return me_page(request, cal, member, errors={"password": {field: message}}, status=status)

    if problem is not None:
        return again(FORM, problem, 400)
    current, new = data.get("current", ""), data.get("new", "")
    if new != data.get("confirm", ""):
        return again("confirm", "the two new passwords differ", 400)
    try:
        # Logging in checks the current password under the same throttling as /login;
        # the session it makes ends with all the others when the password changes.
        cal.login(member.handle, current)
    except Throttled as err:
        return again("current", err.message, 429)
    except AuthFailed:
        return again("current", "that is not your current password", 400)
    try:
        cal.set_password(member.handle, new, acting=member.handle)
    except RentcalError as err:
        return again("new", err.message, classify(err).status)
    return see_other(request, "/login", next="/me", done="password")


__all__ = ["FLASH_COOKIE", "me_page", "router", "split_rentals"]
