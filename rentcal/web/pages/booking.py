"""``/`` — the booking page: machine select, calendar, the rental form.

Without JavaScript the page is complete: the machine select and a "Show"
button reload it (GET) with that machine's month grid; "Check" (GET) shows
the green or red box and the price quote; "Book" POSTs the form, which books
under the machine's lock and answers 303 to the rental's page (so a reload
repeats the GET, never the booking). Each rendered form carries its own
idempotency key, so a double-clicked or resent form books once.
``static/booking.js`` makes the same page live on the JSON API.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from rentcal.core.availability import Availability, Conflict
from rentcal.core.money import format_money, money_prefix
from rentcal.core.pricing import rental_price
from rentcal.core.ranges import day_count
from rentcal.core.values import Machine, Member
from rentcal.errors import (
    Busy,
    DatabaseError,
    IdempotencyMismatch,
    NotFound,
    PermissionDenied,
    RentcalError,
    Unavailable,
)
from rentcal.feeds.fullcalendar import LEGEND
from rentcal.frontend import booking
from rentcal.frontend.booking import BookingInput
from rentcal.frontend.month import OCCUPYING, occupied_window
from rentcal.service import Rentcal
from rentcal.web import metrics
from rentcal.web.auth import Cal, CurrentMember
from rentcal.web.pages import grid
from rentcal.web.pages.forms import FORM, errors_of
from rentcal.web.pages.pay_online import after_booking
from rentcal.web.pages.render import new_form_key, parse_day, posted, render

router = APIRouter()

FIELDS = ("machine", "start", "end", "purpose")
#: The legend shows what a calendar shows by default: what occupies a machine.
SHOWN_STATUSES = OCCUPYING


@dataclass(frozen=True, slots=True)
class BookingForm:
    """What the member typed, as text (re-shown unchanged after an error)."""

    machine: str = ""
    start: str = ""
    end: str = ""
    purpose: str = ""
    key: str = ""

    @classmethod
    def of(cls, data: dict[str, str]) -> BookingForm:
        """The form from query or body fields; unknown fields are ignored."""
        return cls(
            machine=data.get("machine", "").strip(),
            start=data.get("start", "").strip(),
            end=data.get("end", "").strip(),
            purpose=data.get("purpose", ""),
            key=data.get("key", "").strip()[:255],
        )


@dataclass(frozen=True, slots=True)
class Quote:
    """The price shown before booking: days x daily price."""

    days: int
    daily_price: str
    total: str


def legend() -> list[dict[str, str]]:
    """The legend entries of the statuses a calendar shows, in the feeds' colours."""
    return [dict(e) for e in LEGEND if (e["type"], e["status"]) in SHOWN_STATUSES]


def _days(form: BookingForm, errors: dict[str, str]) -> tuple[date | None, date | None]:
    """The two dates, each error noted against its field."""
    days: list[date | None] = []
    for name in ("start", "end"):
        try:
            days.append(parse_day(getattr(form, name)))
        except ValueError as err:
            errors[name] = f"{name} date {err}"
            days.append(None)
    return days[0], days[1]


def _selected(cal: Rentcal, form: BookingForm, errors: dict[str, str]) -> Machine | None:
    """The chosen machine (None: "All machines"); an unknown or retired one is an error."""
    if not form.machine:
        return None
    try:
        machine = cal.machine(form.machine)
    except NotFound as err:
        errors["machine"] = err.message
        return None
    problem = booking.retired_problem(machine)
    if problem is not None:
        errors["machine"] = problem
    return machine


def quote(machine: Machine, start: date, end: date, currency: str | None = None) -> Quote:
    """Days x daily price, exactly as the booking will fix it, in ``currency``."""
    return Quote(
        days=day_count(start, end),
        daily_price=format_money(machine.daily_price, currency),
        total=format_money(rental_price(machine.daily_price, start, end), currency),
    )


def _check(
    cal: Rentcal,
    machine: Machine | None,
    start: date | None,
    end: date | None,
    errors: dict[str, str],
) -> Availability | None:
    """The availability answer when machine and both dates are set and valid."""
    if machine is None or start is None or end is None or errors:
        return None
    try:
        return cal.check(machine.name, start, end)
    except RentcalError as err:
        errors.update(errors_of(err, FIELDS))
        return None


def _month_link(form: BookingForm, first: date) -> str:
    """The query string of the grid of another month, keeping the form's values."""
    from urllib.parse import urlencode

    query = {
        "machine": form.machine,
        "start": form.start,
        "end": form.end,
        "month": first.strftime("%Y-%m"),
    }
    return "?" + urlencode({k: v for k, v in query.items() if v})


def page_context(
    cal: Rentcal,
    member: Member,
    form: BookingForm,
    *,
    month: str | None = None,
    errors: dict[str, str] | None = None,
    availability: Availability | None = None,
    check: bool = True,
) -> dict[str, Any]:
    """Everything the booking template shows, read in a few short transactions."""
    errors = dict(errors or {})
    today = cal.today()
    machine = _selected(cal, form, errors)
    start, end = _days(form, errors)
    if availability is None and check:
        availability = _check(cal, machine, start, end, errors)
    first = grid.parse_month(month, start or today)
    window = occupied_window(*grid.grid_window(first))
    rentals, upkeep = cal.feed_items(
        None if machine is None else machine.name, start=window[0], end=window[1]
    )
    price = None
    shown = availability is None or availability.available  # no price for refused days
    currency = cal.currency()
    if machine is not None and start is not None and end is not None and start <= end and shown:
        price = quote(machine, start, end, currency)
    return {
        "currency": currency,
        "money_prefix": money_prefix(currency),
        "machines": cal.machines(include_retired=False),
        "selected": machine,
        "form": replace(form, key=form.key or new_form_key()),
        "errors": errors,
        "form_error": errors.get(FORM),
        "availability": availability,
        "conflicts": sorted(availability.conflicts, key=lambda c: (c.start, c.id))
        if availability is not None
        else [],
        "quote": price,
        "month": first,
        "weeks": grid.month_grid(
            first, rentals, upkeep, today=today, multi_machine=machine is None
        ),
        "weekdays": grid.WEEKDAYS,
        "prev_month": _month_link(form, grid.shift_month(first, -1)),
        "next_month": _month_link(form, grid.shift_month(first, 1)),
        "legend": legend(),
        "revision": cal.revision()[0],
        "can_book": booking.may_book(member),
        "today": today,
    }


@router.get("/", include_in_schema=False)
def booking_page(request: Request, cal: Cal, member: CurrentMember) -> Response:
    """The booking page; ``?machine=NAME`` preselects a machine, ``?start=&end=`` checks."""
    query = dict(request.query_params)
    form = BookingForm.of(query)
    context = page_context(cal, member, form, month=query.get("month"))
    return render(request, "booking.html", context, member=member)


@router.post("/", include_in_schema=False)
async def book_from_form(request: Request, cal: Cal, member: CurrentMember) -> Response:
    """The form's "Book": the one booking path, then 303 to the rental (or the form again)."""
    data, problem = await posted(request)
    return await run_in_threadpool(_book_sync, request, cal, member, BookingForm.of(data), problem)


def _book_sync(
    request: Request, cal: Rentcal, member: Member, form: BookingForm, problem: str | None
) -> Response:
    """Validate, book, and answer 303 to the rental or the page with the errors."""
    if problem is not None:
        return _again(request, cal, member, form, {FORM: problem}, 400)
    errors: dict[str, str] = {}
    if not form.machine:
        errors["machine"] = 'choose a machine to book (not "All machines")'
    start, end = _days(form, errors)
    if start is None and "start" not in errors:
        errors["start"] = "start date is required"
    if end is None and "end" not in errors:
        errors["end"] = "end date is required"
    if errors or start is None or end is None:
        return _again(request, cal, member, form, errors, 400)
    wanted = BookingInput(
        machine=form.machine,
        start=start,
        end=end,
        member=member.handle,
        acting=member.handle,
        purpose=form.purpose or None,
        idempotency_key=form.key or None,
    )
    try:
        rental = booking.book(cal, wanted, asker=member, count=metrics.count_booking)
    except Unavailable as err:
        conflicts = tuple(c for c in err.conflicts if isinstance(c, Conflict))
        refused = Availability(
            err.machine or form.machine, start, end, False, conflicts, err.message
        )
        return _again(request, cal, member, form, {}, 409, availability=refused)
    except IdempotencyMismatch:
        message = (
            "this form was already used for another booking; check the dates and press Book again"
        )
        return _again(request, cal, member, replace(form, key=""), {FORM: message}, 422)
    except PermissionDenied as err:
        return _again(request, cal, member, form, {FORM: err.message}, 403)
    except Busy:
        message = "the calendar is busy right now; nothing was booked — press Book again"
        return _again(request, cal, member, form, {FORM: message}, 503)
    except DatabaseError as err:
        return _again(request, cal, member, form, {FORM: err.message}, 503)
    except RentcalError as err:
        return _again(request, cal, member, form, errors_of(err, FIELDS), 400)
    return after_booking(request, cal, member, rental)  # Stripe's page when it awaits payment


def _again(
    request: Request,
    cal: Rentcal,
    member: Member,
    form: BookingForm,
    errors: dict[str, str],
    status: int,
    *,
    availability: Availability | None = None,
) -> Response:
    """The booking page again, with what went wrong next to the fields."""
    context = page_context(
        cal,
        member,
        form,
        errors=errors,
        availability=availability,
        check=availability is None and status != 409,
    )
    return render(request, "booking.html", context, member=member, status=status)


__all__ = ["BookingForm", "Quote", "legend", "page_context", "quote", "router"]
