"""The HTML pages of ``rentcal serve`` (issue 12): booking, rentals, me, admin.

One router per page, combined into :data:`router`, which
:func:`rentcal.web.create_app` includes after the JSON API. Pages are rendered
on the server and work without JavaScript; ``rentcal/web/static`` makes them
live on the JSON API. Modules:

=====================  ==============================================================
``render``             templates, the Content-Security-Policy, forms, redirects
``forms``              library errors -> messages next to form fields
``grid``               the server-rendered month grid (pure)
``booking``            ``/`` — machine select, calendar, the rental form
``schedule``           ``/schedule`` — every machine's month: rows of machines, bars of bookings
``rentals``            ``/rentals/{id}`` — one rental, its history, status changes
``me``                 ``/me`` — my rentals, notifications, feeds, tokens, password
``me_email``           ``/me`` — a new e-mail address, confirmed by a link
``pay_online``         ``/me/pay/...`` — card payments on Stripe's Checkout page
``admin``              ``/admin`` — the pending queue, members, machines, maintenance
``admin_edits``        ``/admin`` edit forms — machines, members, roles, maintenance
``admin_invitations``  ``/admin`` invitations — invite, re-send, revoke
``admin_book``         ``/admin/book`` — an admin books for a member
``admin_rentals``      ``/admin/rentals`` — every rental, filtered, paged, as CSV
``flash``              a refused form's message and typed values, for the page after the 303
``mail_pages``         ``/me`` e-mail choices, ``/admin`` outbox (retry, discard)
``statements``         ``/statement`` — a printable statement; ``/admin/charges`` — the
                       treasurer's month: totals, charges, CSV, invoices
``charges_forms``      ``/admin/charges`` forms — a correction, the cancellation policy,
                       issuing invoices, a payment, a credit note
``assets``             ``/assets/fullcalendar/...`` — a local FullCalendar (``--assets``)
=====================  ==============================================================
"""

from __future__ import annotations

from fastapi import APIRouter

from rentcal.web.pages import (
    admin,
    admin_book,
    admin_edits,
    admin_invitations,
    admin_rentals,
    assets,
    booking,
    charges_forms,
    mail_pages,
    me,
    me_email,
    pay_online,
    rentals,
    schedule,
    statements,
)

router = APIRouter(include_in_schema=False)
router.include_router(booking.router)
router.include_router(schedule.router)
router.include_router(rentals.router)
router.include_router(me.router)
router.include_router(me_email.router)
router.include_router(pay_online.router)
router.include_router(admin.router)
router.include_router(admin_edits.router)
router.include_router(admin_book.router)
router.include_router(admin_rentals.router)
router.include_router(mail_pages.router)
router.include_router(admin_invitations.router)
router.include_router(statements.router)
router.include_router(charges_forms.router)
router.include_router(assets.router)

__all__ = ["router"]
