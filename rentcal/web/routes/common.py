"""What every router shares: the documented error answers and small parameter types."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path

from rentcal.service.base import MAX_ID
from rentcal.web.response_shapes import ErrorBody

_MEANING = {
    400: "Bad input (`invalid_request`).",
    401: "No valid session or API token (`unauthenticated`).",
    403: "Not permitted (`permission_denied`), or a cross-site request (`csrf`).",
    404: "Not found (`not_found`).",
    409: "Not available (`unavailable`, with `conflicts`) or `invalid_transition`.",
    413: "Request body over 64 kB (`too_large`).",
    415: "Request body is not JSON (`unsupported_media_type`).",
    422: "Idempotency-Key reused for another request (`idempotency_mismatch`).",
    429: "Too many failed logins for this handle (`throttled`, with Retry-After).",
    500: "A bug (`internal`); the traceback is in the server's log.",
    502: "Stripe could not make the Checkout Session (`checkout_unavailable`); nothing "
    "was charged, try again.",
    503: "Database locked past the timeout (`busy`) or unreachable; see Retry-After.",
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` documenting error statuses with the one error shape."""
    return {s: {"model": ErrorBody, "description": _MEANING[s]} for s in statuses}


#: Errors any authenticated JSON endpoint may answer.
COMMON = errors(400, 401, 403, 404, 413, 415, 500, 503)

RentalId = Annotated[int, Path(ge=1, le=MAX_ID, description="a rental id")]
ItemId = Annotated[int, Path(ge=1, le=MAX_ID, description="an id")]

__all__ = ["COMMON", "ItemId", "RentalId", "errors"]
