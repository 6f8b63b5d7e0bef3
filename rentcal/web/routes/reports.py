"""``/api/reports/utilisation``: how busy each machine was, month by month (admins)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from rentcal.frontend.utilisation import EXPECTED, parse_month
from rentcal.service.utilisation import DEFAULT_MONTHS, MAX_MONTHS
from rentcal.web.auth import AdminMember, Cal
from rentcal.web.billing_shapes import UtilisationOut
from rentcal.web.routes.common import COMMON
from rentcal.web.views import as_json

router = APIRouter(prefix="/api", tags=["reports"], responses=COMMON)


@router.get("/reports/utilisation", response_model=UtilisationOut)
def utilisation(
    admin: AdminMember,
    cal: Cal,
    month: Annotated[
        str | None,
        Query(max_length=40, description=f"the month ({EXPECTED}); default: this month"),
    ] = None,
    months: Annotated[
        int, Query(ge=1, le=MAX_MONTHS, description="months of the report, ending with month")
    ] = DEFAULT_MONTHS,
) -> Response:
    """How busy each machine was (``rentcal report utilisation --json``): booked days of
    bookable days per machine in the month, and in each of the months before it."""
    today = cal.today()
    first = None if month is None else parse_month(month, today, "month")
    found = cal.utilisation(month=first, months=months, acting=admin.handle, today=today)
    return as_json(found.as_dict())


__all__ = ["router"]
