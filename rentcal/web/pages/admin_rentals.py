"""``/admin/rentals`` — every rental of one month, filtered, paged, and as CSV.

Filters are query fields, so a filtered table is a link an admin can keep:
``?machine=NAME&member=HANDLE&status=STATUS&month=YYYY-MM&page=N``. The month
is always set (empty: this month), so the database reads one month's window,
never the whole history. ``/admin/rentals.csv`` with the same fields is the
download of every row of that filter (:data:`CSV_COLUMNS`, documented in
docs/web.md). A filter that names no machine, member, status or month is
said in the page (400), never a server error.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from rentcal.core.types import RentalStatus
from rentcal.core.values import Member, Rental
from rentcal.errors import RentcalError
from rentcal.frontend.month import month_end, month_key, month_title, shift_month
from rentcal.service import Rentcal
from rentcal.web.auth import Cal, CurrentMember
from rentcal.web.pages.admin import forbidden
from rentcal.web.pages.render import render

router = APIRouter()

#: Rows a page of the table shows.
PAGE_SIZE = 50
#: The CSV's columns, in this order, under these names (a stable contract).
CSV_COLUMNS = (
    "id",
    "machine",
    "machine_title",
    "member",
    "member_name",
    "start",
    "end",
    "days",
    "status",
    "price",
    "purpose",
    "created_at",
    "status_changed_by",
    "reason",
)
#: A cell starting with one of these is read as a formula by spreadsheets: it gets a
#: leading apostrophe (OWASP's "CSV injection" advice; tab and CR included).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_MONTH = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")


@dataclass(frozen=True, slots=True)
class Filters:
    """The table's filters as typed (re-shown unchanged), and the month they name."""

    machine: str = ""
    member: str = ""
    status: str = ""
    month: str = ""
    page: int = 1

    @classmethod
    def of(cls, query: dict[str, str], today: date) -> Filters:
        """The filters of a query string; an empty month is this month."""
        page = query.get("page", "").strip()
        return cls(
            machine=query.get("machine", "").strip()[:64],
            member=query.get("member", "").strip()[:64],
            status=query.get("status", "").strip()[:20],
            month=query.get("month", "").strip()[:20] or month_key(today.replace(day=1)),
            page=int(page) if page.isdigit() and len(page) < 7 and int(page) > 0 else 1,
        )

    def query(self, **changes: Any) -> str:
        """This filter's query string (without the empty fields), with ``changes``."""
        fields = {
            "machine": self.machine,
            "member": self.member,
            "status": self.status,
            "month": self.month,
            **changes,
        }
        return urlencode({k: v for k, v in fields.items() if v not in ("", None, 1)})


def first_day(month: str) -> date:
    """The first day of a ``YYYY-MM`` month.

    Raises:
        ValueError: naming the value, when it is no such month.
    """
    if _MONTH.fullmatch(month) is None or month < "0001-01":
        raise ValueError(f"month {month[:20]!r} is not a month (YYYY-MM)")
    return date.fromisoformat(month + "-01")


def select(cal: Rentcal, filters: Filters) -> list[Rental]:
    """The month's rentals matching the filters, by first day then id.

    Raises:
        ValueError: for a month that is not YYYY-MM.
        RentcalError: for an unknown machine, member or status (the library's words).
    """
    first = first_day(filters.month)
    statuses = [s.value for s in RentalStatus]
    if filters.status and filters.status not in statuses:
        known = ", ".join(statuses)
        raise ValueError(f"status {filters.status!r} is not one of {known} (empty: every status)")
    return cal.rentals(
        machine=filters.machine or None,
        member=filters.member or None,
        status=filters.status or None,
        start=first,
        end=month_end(first),
    )


def safe_cell(value: object) -> str:
    """A CSV cell a spreadsheet shows as text: formulas are defused with an apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_row(rental: Rental) -> list[str]:
    """One rental in :data:`CSV_COLUMNS` order."""
    values: dict[str, object] = {
        "id": rental.id,
        "machine": rental.machine,
        "machine_title": rental.machine_title,
        "member": rental.member,
        "member_name": rental.member_name,
        "start": rental.start.isoformat(),
        "end": rental.end.isoformat(),
        "days": rental.days,
        "status": rental.status.value,
        "price": f"{rental.price:.2f}",
        "purpose": rental.purpose,
        "created_at": rental.created_at.isoformat(),
        "status_changed_by": rental.status_changed_by,
        "reason": rental.reason,
    }
    return [safe_cell(values[column]) for column in CSV_COLUMNS]


def as_csv(rentals: Iterable[Rental]) -> str:
    """The header and one row a rental, by Python's csv module (RFC 4180 quoting, CRLF)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    writer.writerows(csv_row(r) for r in rentals)
    return out.getvalue()


def filename(filters: Filters) -> str:
    """``rentals-2030-01[-machine][-member][-status].csv``: ASCII, nothing to escape."""
    parts = ["rentals", filters.month, filters.machine, filters.member, filters.status]
    stem = "-".join(p for p in parts if p)
    return re.sub(r"[^A-Za-z0-9._-]", "_", stem) + ".csv"


def _page(
    request: Request,
    cal: Rentcal,
    admin: Member,
    filters: Filters,
    found: list[Rental],
    error: str | None,
) -> Response:
    """The filter form, the message of a bad filter, and one page of the table."""
    pages = max(1, -(-len(found) // PAGE_SIZE))
    page = min(filters.page, pages)
    rows = found[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    try:
        month = first_day(filters.month)
    except ValueError:
        month = None
    context = {
        "filters": filters,
        "error": error,
        "rows": rows,
        "total": len(found),
        "page": page,
        "pages": pages,
        "first_row": (page - 1) * PAGE_SIZE + 1,
        "prev_page": filters.query(page=page - 1) if page > 1 else None,
        "next_page": filters.query(page=page + 1) if page < pages else None,
        "prev_month": filters.query(month=month_key(shift_month(month, -1))) if month else None,
        "next_month": filters.query(month=month_key(shift_month(month, 1))) if month else None,
        "csv_query": filters.query(),
        "month_title": month_title(month) if month else "",
        "machines": cal.machines(include_retired=True),
        "members": cal.members(),
        "statuses": [s.value for s in RentalStatus],
    }
    status = 400 if error else 200
    return render(request, "admin_rentals.html", context, member=admin, status=status)


def _answer(request: Request, cal: Rentcal, admin: Member, *, download: bool) -> Response:
    """The table page or the CSV of the filters in the URL."""
    if not admin.is_admin:
        return forbidden(request, admin)
    filters = Filters.of(dict(request.query_params), cal.today())
    try:
        found = select(cal, filters)
    except (RentcalError, ValueError) as err:
        message = err.message if isinstance(err, RentcalError) else str(err)
        return _page(request, cal, admin, filters, [], message)
    if not download:
        return _page(request, cal, admin, filters, found, None)
    return Response(
        as_csv(found),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename(filters)}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get("/admin/rentals", include_in_schema=False)
async def table(request: Request, cal: Cal, member: CurrentMember) -> Response:
    """Every rental of a month, filtered and paged (admins)."""
    return await run_in_threadpool(_answer, request, cal, member, download=False)


@router.get("/admin/rentals.csv", include_in_schema=False)
async def download(request: Request, cal: Cal, member: CurrentMember) -> Response:
    """The same rows as CSV, every page of them (admins)."""
    return await run_in_threadpool(_answer, request, cal, member, download=True)


__all__ = ["CSV_COLUMNS", "Filters", "as_csv", "csv_row", "filename", "router", "safe_cell"]
