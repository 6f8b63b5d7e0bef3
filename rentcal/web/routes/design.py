"""The original design's URLs, kept working as aliases of the ``/api`` endpoints.

=============================================  ======================================
design                                         same as
=============================================  ======================================
``GET /machines/api/calendar/{name}/events/``  ``GET /api/machines/{name}/events``
``GET /machines/api/calendar/events/``         ``GET /api/events``
``POST /machines/api/check-availability/``     ``POST /api/check-availability``
``POST /machines/rentals/create-with-calendar/``  ``POST /api/rentals``
=============================================  ======================================
"""

from __future__ import annotations

from fastapi import APIRouter

from rentcal.web.response_shapes import AvailabilityOut, EventOut, RentalOut
from rentcal.web.routes.availability import check_availability
from rentcal.web.routes.common import COMMON, errors
from rentcal.web.routes.events import all_events, machine_events
from rentcal.web.routes.rentals import create_rental

router = APIRouter(tags=["design aliases"], responses=COMMON, deprecated=True)

router.add_api_route(
    "/machines/api/calendar/events/",
    all_events,
    methods=["GET"],
    response_model=list[EventOut],
    name="all_machines_calendar_events",
    operation_id="all_machines_calendar_events",
)
router.add_api_route(
    "/machines/api/calendar/{name}/events/",
    machine_events,
    methods=["GET"],
    response_model=list[EventOut],
    name="machine_calendar_events",
    operation_id="machine_calendar_events",
)
router.add_api_route(
    "/machines/api/check-availability/",
    check_availability,
    methods=["POST"],
    response_model=AvailabilityOut,
    name="check_date_availability",
    operation_id="check_date_availability",
)
router.add_api_route(
    "/machines/rentals/create-with-calendar/",
    create_rental,
    methods=["POST"],
    response_model=RentalOut,
    status_code=201,
    responses=errors(409, 422),
    name="rental_create_with_calendar",
    operation_id="rental_create_with_calendar",
)

__all__ = ["router"]
