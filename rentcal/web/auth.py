"""Who is asking: the original design's ``@login_required`` / ``@verified_member_required``
as three small FastAPI dependencies.

A request is authenticated by ``Authorization: Bearer TOKEN`` (scripts) or by
the session cookie (browsers); both are looked up in the database, so every
worker and every host agrees. The library still decides every permission;
these dependencies only refuse early with the web's words (401 / 403).

Each request checks its credential afresh (:mod:`rentcal.service.tokens` has
the rule): an unknown, expired or revoked one is 401; an API token whose member
or creator no longer holds the rights it needs is 403 with the reason in the
message (``... was made by 'eve', who is no longer an admin``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from rentcal.core.values import Member
from rentcal.errors import PermissionDenied
from rentcal.frontend.booking import refuse_unverified
from rentcal.service import Rentcal
from rentcal.web.error_responses import Unauthenticated
from rentcal.web.scope import MEMBER_KEY
from rentcal.web.server_settings import Settings

#: The browser session cookie (HttpOnly) and the page-readable CSRF cookie.
SESSION_COOKIE = "rentcal_session"
CSRF_COOKIE = "csrftoken"


async def get_cal(request: Request) -> Rentcal:
    """The app's library connection (one per process, shared by all requests).

    ``async`` only so FastAPI runs it on the event loop: a plain ``def``
    dependency costs a trip through the thread pool for nothing.
    """
    cal: Rentcal = request.app.state.cal
    return cal


async def get_settings(request: Request) -> Settings:
    """The app's :class:`~rentcal.web.server_settings.Settings` (``async``: see :func:`get_cal`)."""
    settings: Settings = request.app.state.settings
    return settings


Cal = Annotated[Rentcal, Depends(get_cal)]


def bearer_token(request: Request) -> str | None:
    """The token of ``Authorization: Bearer TOKEN``; None without the header.

    A header of another scheme, or an empty token, is refused (401) rather than
    silently falling back to the cookie.
    """
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated("the Authorization header must be 'Bearer TOKEN'")
    return token


def authenticate(request: Request, cal: Rentcal) -> Member | None:
    """The member a request's bearer token or session cookie stands for, if any."""
    token = bearer_token(request)
    if token is not None:
        return cal.token_member(token)
    secret = request.cookies.get(SESSION_COOKIE)
    if secret:
        return cal.session_member(secret)
    return None


def current_member(request: Request, cal: Cal) -> Member:
    """``@login_required``: the logged-in member, else 401 (a redirect to /login for pages)."""
    member = authenticate(request, cal)
    if member is None:
        raise Unauthenticated()
    request.scope[MEMBER_KEY] = member.handle
    if not member.active:  # an API token of a deactivated member
        raise PermissionDenied(
            f"member {member.handle!r} is deactivated",
            field="acting",
            value=member.handle,
            reason="deactivated",
        )
    return member


def verified_member(member: Annotated[Member, Depends(current_member)]) -> Member:
    """``@verified_member_required``: the booking rule of :mod:`rentcal.frontend.booking`."""
    refuse_unverified(member)
    return member


def admin_member(member: Annotated[Member, Depends(current_member)]) -> Member:
    """Admins only: approve / reject / complete, maintenance, machines, members."""
    if not member.is_admin:
        raise PermissionDenied(
            f"member {member.handle!r} is not an admin; only admins can do this",
            field="acting",
            value=member.handle,
            reason="not-admin",
        )
    return member


CurrentMember = Annotated[Member, Depends(current_member)]
VerifiedMember = Annotated[Member, Depends(verified_member)]
AdminMember = Annotated[Member, Depends(admin_member)]
Config = Annotated[Settings, Depends(get_settings)]

__all__ = [
    "CSRF_COOKIE",
    "SESSION_COOKIE",
    "AdminMember",
    "Cal",
    "Config",
    "CurrentMember",
    "VerifiedMember",
    "admin_member",
    "authenticate",
    "bearer_token",
    "current_member",
    "get_cal",
    "get_settings",
    "verified_member",
]
