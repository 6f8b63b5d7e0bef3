"""The HTML pages of ``rentcal serve`` (issue 12): booking, rentals, me, admin.

One router per page, combined into :data:`router`, which
:func:`rentcal.web.create_app` includes after the JSON API. Pages are rendered
on the server and work without JavaScript; ``rentcal/web/static`` makes them
live on the JSON API. Modules:

==============  ==========================================================
``render``      templates, the Content-Security-Policy, forms, redirects
``forms``       library errors -> messages next to form fields
``grid``        the server-rendered month grid (pure)
``booking``     ``/`` — machine select, calendar, the rental form
``rentals``     ``/rentals/{id}`` — one rental, its history, status changes
``me``          ``/me`` — my rentals, notifications, feeds, tokens, password
``admin``       ``/admin`` — the pending queue, members, machines, maintenance
``admin_edits`` ``/admin`` edit forms — machines, members, roles, maintenance
``assets``      ``/assets/fullcalendar/...`` — a local FullCalendar (``--assets``)
==============  ==========================================================

``admin_invitations`` holds the ``/admin`` invitation forms (invite, re-send, revoke);
``me_email`` the ``/me`` form giving a new e-mail address.
"""

from __future__ import annotations

from fastapi import APIRouter

from rentcal.web.pages import (
    admin,
    admin_edits,
    admin_invitations,
    assets,
    booking,
    me,
    me_email,
    rentals,
)

router = APIRouter(include_in_schema=False)
router.include_router(booking.router)
router.include_router(rentals.router)
router.include_router(me.router)
router.include_router(me_email.router)
router.include_router(admin.router)
router.include_router(admin_edits.router)
router.include_router(admin_invitations.router)
router.include_router(assets.router)

__all__ = ["router"]
