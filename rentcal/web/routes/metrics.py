"""``/metrics``: Prometheus text, only with ``--metrics``, for loopback or admins' tokens."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from rentcal.errors import PermissionDenied
from rentcal.web import metrics
from rentcal.web.auth import Cal, Config, authenticate
from rentcal.web.error_responses import WebError
from rentcal.web.routes.common import errors
from rentcal.web.scope import is_loopback

router = APIRouter(tags=["metrics"])


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {"content": {"text/plain": {}}, "description": "Prometheus text format"},
        **errors(403, 404, 500),
    },
)
def metrics_text(request: Request, cal: Cal, settings: Config) -> Response:
    """Every metric of every worker (see docs/web.md); 404 unless served with ``--metrics``."""
    if not settings.metrics:
        raise WebError(404, "not_found", "metrics are off: serve with --metrics")
    if not is_loopback(request.scope):
        member = authenticate(request, cal)
        if member is None or not member.is_admin or not member.active:
            raise PermissionDenied(
                "metrics are served to this host (loopback) and to admins' API tokens only",
                reason="not-admin",
            )
    body, content_type = metrics.exposition()
    return Response(body, media_type=content_type)


__all__ = ["router"]
