"""The use-case objects of one connection, built around ONE context, and how the
facade hands a call to one of them.

:class:`UseCases` builds each use case once, giving it the shared
:class:`~rentcal.service.base.Context` and the siblings it calls (by their
public methods): charging (the ledger's writes) first, then lifecycle (which charges
a completion through it), then housekeeping (which records through
lifecycle), then the rest. :func:`via` makes a facade method that looks its
use case up at call time, so replacing a use case's method (in a test) or a
facade method (``Rentcal.machines``) each affects what it should.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

from rentcal.service.availability import Availabilities
from rentcal.service.base import Context
from rentcal.service.bookings import Bookings
from rentcal.service.bulk import Bulk
from rentcal.service.calendars import Feeds
from rentcal.service.catalogue import Catalogue
from rentcal.service.charging import Charging
from rentcal.service.editing import MachineEdits
from rentcal.service.email_links import EmailChanges
from rentcal.service.handover import Handovers
from rentcal.service.housekeeping import Housekeeping
from rentcal.service.idempotency import KeyPruning
from rentcal.service.invitations import Invitations
from rentcal.service.invoice_reminders import InvoiceReminders
from rentcal.service.invoice_settings import InvoiceSetup
from rentcal.service.invoices import Invoices
from rentcal.service.keepers import Keepers
from rentcal.service.ledger import Ledger
from rentcal.service.lifecycle import Lifecycle
from rentcal.service.mail_choices import MailChoices
from rentcal.service.mail_outbox import Outbox
from rentcal.service.maintenance import Upkeep
from rentcal.service.membership import Membership
from rentcal.service.moves import Moves
from rentcal.service.notifications import Inbox
from rentcal.service.online_payments import OnlinePayments
from rentcal.service.org_settings import OrgSettings
from rentcal.service.password_reset import PasswordResets
from rentcal.service.payments import Payments
from rentcal.service.reminders import Reminders
from rentcal.service.rentals import RentalReads
from rentcal.service.sessions import Accounts
from rentcal.service.signup import Signups
from rentcal.service.tokens import Tokens
from rentcal.service.usage_metrics import UsageFigures
from rentcal.service.utilisation import Utilisation

P = ParamSpec("P")
R = TypeVar("R")


class UseCases:
    """Every use case of one connection, each built once around ``context``."""

    def __init__(self, context: Context) -> None:
        self.context = context
        self.charging = Charging(context)
        self.lifecycle = Lifecycle(context, self.charging)
        self.housekeeping = Housekeeping(context, self.lifecycle)
        self.catalogue = Catalogue(context, self.housekeeping, self.lifecycle)
        self.machine_edits = MachineEdits(context, self.housekeeping)
        self.membership = Membership(context, self.housekeeping, self.lifecycle)
        self.availability = Availabilities(context, self.housekeeping)
        self.keys = KeyPruning(context)
        self.rentals = RentalReads(context, self.housekeeping)
        self.bookings = Bookings(
            context, self.housekeeping, self.lifecycle, self.keys, self.rentals
        )
        self.moves = Moves(context, self.housekeeping, self.lifecycle)
        self.maintenance = Upkeep(context, self.housekeeping)
        self.keepers = Keepers(context, self.housekeeping)
        self.handovers = Handovers(context, self.housekeeping, self.lifecycle, self.maintenance)
        self.bulk = Bulk(context)
        self.feeds = Feeds(context, self.housekeeping)
        self.inbox = Inbox(context)
        self.outbox = Outbox(context)
        self.mail_choices = MailChoices(context)
        self.accounts = Accounts(context)
        self.tokens = Tokens(context, self.accounts)
        self.resets = PasswordResets(context, self.accounts)
        self.invitations = Invitations(context, self.accounts)
        self.email_changes = EmailChanges(context)
        self.signups = Signups(context, self.accounts, self.email_changes)
        self.settings = OrgSettings(context)
        self.invoicing = InvoiceSetup(context)
        self.reminders = Reminders(context)
        self.usage = UsageFigures(context)
        self.ledger = Ledger(context, self.charging, self.housekeeping)
        self.utilisation = Utilisation(context)
        self.invoices = Invoices(context, self.housekeeping)
        self.payments = Payments(context)
        self.invoice_reminders = InvoiceReminders(context)
        self.online_payments = OnlinePayments(context, self.housekeeping, self.lifecycle)


def via(case: str, method: Callable[Concatenate[Any, P], R]) -> Callable[Concatenate[Any, P], R]:
    """A facade method calling ``method`` on the facade's use case named ``case``.

    It keeps ``method``'s name, docstring and signature (``__wrapped__``), so
    ``help()``, ``inspect.signature`` and type checkers see the real thing;
    the use case is looked up on each call (``self._cases.<case>``).
    """
    name = method.__name__

    def call(self: Any, /, *args: P.args, **kwargs: P.kwargs) -> R:
        bound: Callable[P, R] = getattr(getattr(self._cases, case), name)
        return bound(*args, **kwargs)

    functools.update_wrapper(call, method)
    call.__qualname__ = f"Rentcal.{name}"
    return call


__all__ = ["UseCases", "via"]
