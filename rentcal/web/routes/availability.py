"""``POST /api/check-availability``: the design's ``check_date_availability``."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from rentcal.errors import RentcalError
from rentcal.web import metrics
from rentcal.web.auth import Cal, CurrentMember
from rentcal.web.blocking import quick_read
from rentcal.web.request_bodies import AvailabilityRequest
from rentcal.web.response_shapes import AvailabilityOut
from rentcal.web.routes.common import COMMON
from rentcal.web.views import as_json

router = APIRouter(prefix="/api", tags=["availability"], responses=COMMON)


@router.post("/check-availability", response_model=AvailabilityOut)
async def check_availability(
    body: AvailabilityRequest, member: CurrentMember, cal: Cal
) -> Response:
    """Whether a machine is free on every day of [start, end] (inclusive).

    Always 200 when the question makes sense: ``available`` is true or false,
    with the conflicts in the way (``rentcal check --json``).
    """
    try:
        answer = await quick_read(cal, lambda: cal.check(body.machine, body.start, body.end))
    except RentcalError:
        metrics.AVAILABILITY_CHECKS.labels("invalid").inc()
        raise
    metrics.AVAILABILITY_CHECKS.labels("available" if answer.available else "unavailable").inc()
    return as_json(answer.as_dict())


__all__ = ["check_availability", "router"]
