"""The HTTP API, one router per area; :func:`rentcal.web.create_app` includes them all.

======================  ==========================================================
``health``              ``/healthz``, ``/readyz``
``auth``                ``/login`` (page and form), ``/logout``, ``/`` (home page)
``machines``            ``/api/machines``
``availability``        ``/api/check-availability``
``rentals``             ``/api/rentals`` and the status changes
``handover``            check-out / check-in, hand-overs, keepers, meter readings
``events``              ``/api/events``, ``/api/machines/{name}/events``, resources
``feed_subscriptions``  ``/feeds/{secret}.ics|.json`` (secret subscription URLs)
``changes``             ``/api/revision``, ``/api/changes`` (Server-Sent Events)
``admin``               ``/api/maintenance``, ``/api/members``
``account``             ``/api/me``, notifications, API tokens, feed URLs
``reports``             ``/api/reports/utilisation`` (admins)
``mail_choices``        ``/api/me/notifications`` (e-mail or in-app only, per kind)
``billing``             ``/api/statement``, ``/api/charges`` (and ``.csv``), corrections,
                        ``/api/cancellation-policy``
``invoices``            ``/api/invoices`` (and ``.pdf``, issue, credit), ``/api/payments``,
                        ``/api/balance``
``card_payments``       ``/api/rentals/{id}/pay`` (a Stripe Checkout Session, as JSON)
``stripe_webhook``      ``/stripe/webhook`` (card payments, signed by Stripe)
``metrics``             ``/metrics`` (with ``--metrics``)
``design``              the original design's paths, as aliases
======================  ==========================================================
"""

from __future__ import annotations

from fastapi import APIRouter

from rentcal.web.routes.account import router as account
from rentcal.web.routes.admin import router as admin
from rentcal.web.routes.auth import router as auth
from rentcal.web.routes.availability import router as availability
from rentcal.web.routes.billing import router as billing
from rentcal.web.routes.card_payments import router as card_payments
from rentcal.web.routes.changes import router as changes
from rentcal.web.routes.design import router as design
from rentcal.web.routes.email_confirm import router as email_confirm
from rentcal.web.routes.events import router as events
from rentcal.web.routes.feed_subscriptions import router as feed_subscriptions
from rentcal.web.routes.handover import router as handover
from rentcal.web.routes.health import router as health
from rentcal.web.routes.invitations import router as invitations
from rentcal.web.routes.invoices import router as invoices
from rentcal.web.routes.machines import router as machines
from rentcal.web.routes.mail_choices import router as mail_choices
from rentcal.web.routes.metrics import router as metrics
from rentcal.web.routes.password_reset import router as password_reset
from rentcal.web.routes.rentals import router as rentals
from rentcal.web.routes.reports import router as reports
from rentcal.web.routes.signup import router as signup
from rentcal.web.routes.stripe_webhook import router as stripe_webhook

#: Matched in this order: the busiest endpoints first (no two routers share a path).
ROUTERS: tuple[APIRouter, ...] = (
    feed_subscriptions,
    availability,
    events,
    rentals,
    handover,
    changes,
    machines,
    admin,
    account,
    reports,
    mail_choices,
    billing,
    invoices,
    card_payments,
    auth,
    password_reset,
    invitations,
    email_confirm,
    signup,
    stripe_webhook,
    health,
    metrics,
    design,
)

__all__ = ["ROUTERS"]
