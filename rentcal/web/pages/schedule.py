"""``/schedule?month=YYYY-MM`` — every machine's month at one look (issue 21).

One row per machine, one column per day, each booking a bar across its days
(the model of ``rentcal calendar``: :mod:`rentcal.frontend.schedule`). The
page is a plain table: it works without JavaScript, screen readers announce
each cell with its machine and day, and on a phone it scrolls sideways inside
its own box while the machine names stay in view. ``static/schedule.js``
reloads the table when the calendar's revision changes (``/api/changes``).

Members see what the booking page's calendar shows them: every booking's
days, status and member; purpose and price never appear here. A free day
from today on links to the booking page with that machine and day chosen;
a bar links to its rental's page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import Response

from rentcal.core.types import MachineStatus
from rentcal.core.values import Machine, Member
from rentcal.frontend import booking, schedule
from rentcal.frontend.month import month_end, month_key, month_start, month_title, shift_month
from rentcal.frontend.schedule import DayState
from rentcal.service import Rentcal
from rentcal.web.auth import Cal, CurrentMember
from rentcal.web.pages.booking import legend
from rentcal.web.pages.render import render

router = APIRouter()

_MONTH = re.compile(r"[0-9]{4}-[0-9]{2}")
#: Characters of a bar's label that fit in one day column (schedule.css: 2.25rem at 0.75rem).
CHARS_PER_DAY = 4
WEEKDAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")


class MonthError(ValueError):
    """A ``?month=`` that names no month; the message says what was given and what to give."""


def parse_month(text: str | None, today: date) -> date:
    """The first day of ``?month=YYYY-MM``; this month when absent or empty.

    Raises:
        MonthError: anything but YYYY-MM of 0001-01..9999-12, named in the message.
    """
    value = (text or "").strip()
    if not value:
        return month_start(today)
    if _MONTH.fullmatch(value):
        year, month = int(value[:4]), int(value[5:])
        if year >= 1 and 1 <= month <= 12:
            return date(year, month, 1)
    raise MonthError(
        f"month {value[:40]!r} is not a month: give ?month=YYYY-MM, e.g. ?month={month_key(today)}"
    )


@dataclass(frozen=True, slots=True)
class DayHead:
    """One day column's heading."""

    day: date
    weekday: str
    is_today: bool
    weekend: bool


def day_heads(days: list[date], today: date) -> list[DayHead]:
    """The column headings: weekday and day number, today and weekends marked."""
    return [DayHead(d, WEEKDAYS[d.weekday()], d == today, d.weekday() >= 5) for d in days]


def booking_link(machine: Machine, day: date) -> str:
    """The booking page with ``machine`` and the one day ``day`` chosen (the page checks it)."""
    iso = day.isoformat()
    return "/?" + urlencode({"machine": machine.name, "start": iso, "end": iso})


def bookable(member: Member, machine: Machine, day: date, state: DayState, today: date) -> bool:
    """Whether a cell links to the booking page: a free day, from today on, of an active
    machine, for a member who may book."""
    return (
        state is DayState.FREE
        and day >= today
        and machine.status is MachineStatus.ACTIVE
        and booking.may_book(member)
    )


def _month_link(first: date) -> str:
    return "?" + urlencode({"month": month_key(first)})


def page_context(cal: Rentcal, member: Member, first: date) -> dict[str, Any]:
    """What schedule.html shows: the month's model, its headings, links and legend."""
    today = cal.today()
    # read before the rows: a change committed in between is then newer than the page,
    # and the revision stream makes static/schedule.js fetch the table again
    revision = cal.revision()[0]
    month = schedule.load(cal, first, month_end(first), today=today, limit=schedule.MAX_MACHINES)
    previous, following = shift_month(first, -1), shift_month(first, 1)
    return {
        "schedule": month,
        "heads": day_heads(month.days, today),
        "title": month_title(first),
        "month_key": month_key(first),
        "prev_month": _month_link(previous) if previous != first else None,
        "next_month": _month_link(following) if following != first else None,
        "this_month": None if month_start(today) == first else "?",
        "legend": legend(),
        "revision": revision,
        "today": today,
        "can_book": booking.may_book(member),
        "bookable": lambda m, d, s: bookable(member, m, d, s, today),
        "booking_link": booking_link,
        "chars_per_day": CHARS_PER_DAY,
        "free": DayState.FREE,
    }


@router.get("/schedule", include_in_schema=False)
def schedule_page(request: Request, cal: Cal, member: CurrentMember) -> Response:
    """The month of every machine; ``?month=YYYY-MM`` (default: this month)."""
    try:
        first = parse_month(request.query_params.get("month"), cal.today())
    except MonthError as err:
        context = {"title": "No such month", "message": str(err)}
        return render(request, "error.html", context, member=member, status=400)
    return render(request, "schedule.html", page_context(cal, member, first), member=member)


__all__ = [
    "CHARS_PER_DAY",
    "DayHead",
    "MonthError",
    "bookable",
    "booking_link",
    "day_heads",
    "page_context",
    "parse_month",
    "router",
]
