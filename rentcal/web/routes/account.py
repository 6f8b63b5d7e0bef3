"""The logged-in member's own things: who am I, notifications, API tokens, feed URLs."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from rentcal.web.auth import Cal, Config, CurrentMember
from rentcal.web.request_bodies import FeedRequest, TokenRequest
from rentcal.web.response_shapes import (
    FeedOut,
    MarkedOut,
    MemberOut,
    NewFeedOut,
    NewTokenOut,
    NotificationOut,
    TokenOut,
)
from rentcal.web.routes.common import COMMON, ItemId
from rentcal.web.server_settings import Settings
from rentcal.web.views import as_json

router = APIRouter(prefix="/api", tags=["account"], responses=COMMON)


@router.get("/me", response_model=MemberOut)
def me(member: CurrentMember) -> Response:
    """Who is asking: handle, name, email, role, verified."""
    return as_json(member.as_dict())


@router.get("/notifications", response_model=list[NotificationOut])
def notifications(member: CurrentMember, cal: Cal, unread: bool = False) -> Response:
    """Your notifications, oldest first (``rentcal notifications --json``)."""
    found = cal.notifications(member.handle, unread_only=unread)
    return as_json([n.as_dict() for n in found])


@router.post("/notifications/read", response_model=MarkedOut)
def mark_read(member: CurrentMember, cal: Cal) -> Response:
    """Mark all your unread notifications read."""
    return as_json({"marked": cal.mark_read(member.handle)})


# -- API tokens -----------------------------------------------------------------------


@router.get("/tokens", response_model=list[TokenOut])
def tokens(member: CurrentMember, cal: Cal, revoked: bool = False) -> Response:
    """Your API tokens (admins: everyone's), never their secrets."""
    return as_json([t.as_dict() for t in cal.tokens(member.handle, include_revoked=revoked)])


@router.post("/tokens", response_model=NewTokenOut, status_code=201)
def create_token(body: TokenRequest, member: CurrentMember, cal: Cal) -> Response:
    """A new API token; the ``token`` is in this answer only. ``for``: admins only.

    The ``rentcal token create --json`` shape.
    """
    token, secret = cal.create_token(member.handle, member=body.for_, name=body.name)
    return as_json({**token.as_dict(), "token": secret}, status=201)


@router.post("/tokens/{token_id}/revoke", response_model=TokenOut)
def revoke_token(token_id: ItemId, member: CurrentMember, cal: Cal) -> Response:
    """Revoke an API token (its owner or an admin)."""
    return as_json(cal.revoke_token(token_id, member.handle).as_dict())


# -- feed URLs ------------------------------------------------------------------------


def public_base(request: Request, settings: Settings) -> str:
    """The URL clients reach this server at: ``--base-url``, else what this request used."""
    if settings.base_url:
        return settings.base_url
    return str(request.base_url).rstrip("/")


@router.get("/feeds", response_model=list[FeedOut])
def feeds(member: CurrentMember, cal: Cal, revoked: bool = False) -> Response:
    """Your secret feed URLs' records (admins: everyone's), never their secrets."""
    found = cal.feed_tokens(member.handle, include_revoked=revoked)
    return as_json([f.as_dict() for f in found])


@router.post("/feeds", response_model=NewFeedOut, status_code=201)
def create_feed(
    request: Request, body: FeedRequest, member: CurrentMember, cal: Cal, settings: Config
) -> Response:
    """A new secret feed URL (in this answer only); members: their own rentals, a machine
    or all machines (others' purposes and prices left out, as on the pages).

    The ``rentcal feed create --json`` shape.
    """
    feed, secret = cal.create_feed(
        member.handle,
        machine=body.machine,
        member=body.member,
        all_rentals=body.all,
        fmt=body.format,
        name=body.name,
    )
    path = feed.path(secret)
    data = {**feed.as_dict(), "token": secret, "path": path}
    data["url"] = public_base(request, settings) + path
    return as_json(data, status=201)


@router.post("/feeds/{feed_id}/revoke", response_model=FeedOut)
def revoke_feed(feed_id: ItemId, member: CurrentMember, cal: Cal) -> Response:
    """Revoke a feed URL (its owner or an admin): it answers 404 from now on."""
    return as_json(cal.revoke_feed(feed_id, member.handle).as_dict())


__all__ = ["public_base", "router"]
