"""``/api/revision`` and ``/api/changes``: know when to fetch the calendar again."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response, StreamingResponse

from rentcal.web.auth import Cal, CurrentMember
from rentcal.web.blocking import quick_read
from rentcal.web.changes import RevisionWatcher
from rentcal.web.response_shapes import RevisionOut
from rentcal.web.routes.common import COMMON
from rentcal.web.views import as_json

router = APIRouter(prefix="/api", tags=["changes"], responses=COMMON)


@router.get("/revision", response_model=RevisionOut)
async def revision(member: CurrentMember, cal: Cal) -> Response:
    """The calendar's revision: it grows with every change of what a calendar shows."""
    number, _ = await quick_read(cal, cal.revision)
    return as_json({"revision": number})


@router.get(
    "/changes",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "an SSE stream"}},
)
async def changes(request: Request, member: CurrentMember) -> StreamingResponse:
    """Server-Sent Events: ``event: revision`` / ``data: N`` now and on every change
    (within two seconds, whoever made it), and a comment line every 15 s."""
    watcher: RevisionWatcher = request.app.state.watcher
    return StreamingResponse(
        watcher.stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


__all__ = ["router"]
