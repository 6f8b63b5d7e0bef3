"""``/healthz`` (the process answers) and ``/readyz`` (and its database does)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from rentcal.errors import RentcalError
from rentcal.web.auth import Cal
from rentcal.web.error_responses import database_problem
from rentcal.web.response_shapes import StatusOut
from rentcal.web.routes.common import errors
from rentcal.web.scope import REQUEST_ID
from rentcal.web.views import as_json

router = APIRouter(tags=["health"])


@router.head("/healthz", include_in_schema=False)
@router.get("/healthz", response_model=StatusOut, responses=errors(500))
async def healthz() -> Response:
    """Liveness: the process serves requests. Never touches the database."""
    return as_json({"status": "ok"})


@router.head("/readyz", include_in_schema=False)
@router.get("/readyz", response_model=StatusOut, responses=errors(500, 503))
def readyz(request: Request, cal: Cal) -> Response:
    """Readiness: the database answers and rentcal's tables can be read.

    Anyone may ask, so the answer never says which database or why: the log
    line (found by the request id) does.
    """
    try:
        cal.revision()
    except RentcalError as err:
        body = {
            "status": "unavailable",
            "error": database_problem(request.scope, err),
            "code": "database_unavailable",
            "request_id": request.scope.get(REQUEST_ID),
        }
        return as_json(body, status=503)
    return as_json({"status": "ok"})


__all__ = ["router"]
