"""``/api/revision`` and ``/api/changes``: know when to fetch the calendar again."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from rentcal.errors import RentcalError
from rentcal.service import Rentcal
from rentcal.web.auth import Cal, CurrentMember, authenticate
from rentcal.web.blocking import quick_read
from rentcal.web.changes import RevisionWatcher
from rentcal.web.error_responses import WebError
from rentcal.web.limits import StreamSlots, stream_slots
from rentcal.web.response_shapes import ErrorBody, RevisionOut
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
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "an SSE stream"},
        429: {
            "model": ErrorBody,
            "description": "Too many open streams of this member (`too_many_streams`, "
            "with Retry-After).",
        },
    },
)
async def changes(request: Request, member: CurrentMember, cal: Cal) -> StreamingResponse:
    """Server-Sent Events: ``event: revision`` / ``data: N`` now and on every change
    (within two seconds, whoever made it), and a comment line every 15 s.

    A member has at most ``--max-streams-per-member`` open streams (429 past
    it) and the worker ``--max-streams`` (503): each holds a connection. The
    stream ends (``event: end``) once its session or token no longer holds:
    logout, expiry, deactivation, a password change, a revoked token.
    """
    watcher: RevisionWatcher = request.app.state.watcher
    slots = stream_slots(request.app.state)
    slots.acquire(member.id)
    return CountedStream(
        slots,
        member.id,
        watcher.stream(lambda: still_valid(request, cal)),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


class CountedStream(StreamingResponse):
    """A stream that gives its member's slot back when it ends, however it ends."""

    def __init__(self, slots: StreamSlots, member_id: int, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.slots = slots
        self.member_id = member_id

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.slots.release(self.member_id)


async def still_valid(request: Request, cal: Rentcal) -> bool:
    """Whether the request's session cookie or bearer token still stands for an
    active member, read afresh from the database (any failure: no)."""
    try:
        member = await run_in_threadpool(authenticate, request, cal)
    except (RentcalError, WebError):
        return False
    return member is not None and member.active


__all__ = ["router", "still_valid"]
