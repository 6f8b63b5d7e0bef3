"""The facade's calls about money: charges, invoices, payments and their settings.

:class:`BillingFacade` holds the :class:`~rentcal.service.Rentcal` methods of
billing (issues #22 and #23), each handed to the use case that owns it
(:func:`~rentcal.service.wiring.via`):

========================  ===============================================
``charging``              writing charges with the change that causes them
                          (a completion, a late cancellation)
``ledger``                ``statement``, ``charges``, ``rental_charges``,
                          ``add_charge`` (corrections)
``invoices``              ``issue_invoices``, ``credit_invoice``, ``invoices``,
                          ``invoice``, ``invoice_pdf``: invoices and credit
                          notes, numbered from one gap-free sequence
``payments``              ``add_payment``, ``payments``, ``balance``:
                          payments and refunds allocated oldest first
``invoice_reminders``     ``remind_overdue``: e-mails about overdue invoices,
                          once per invoice and stage, through the outbox
``invoice_settings``      the organisation's invoice settings:
                          ``invoice_settings``, ``set_invoice_settings``,
                          ``invoice_settings_history``; members' billing
                          addresses: ``billing_address``, ``set_billing_address``
``org_cancellation``      the cancellation policy as a transaction sees it
                          (``cancellation_policy``, ``set_cancellation_policy``,
                          kept by ``org_settings``)
``utilisation``           ``utilisation``: how busy each machine was, month
                          by month (booked / bookable days)
``online_payments``       card payments through Stripe Checkout, as plain
                          values: the rules (``online_payments``, ...), what
                          a session charges, Stripe's events recorded once
``org_online_payments``   the rules as a transaction sees them; THE rule of
                          which bookings wait for payment (``payment_hold``)
========================  ===============================================
"""

from __future__ import annotations

from rentcal.service.invoice_reminders import InvoiceReminders
from rentcal.service.invoice_settings import InvoiceSetup
from rentcal.service.invoices import Invoices
from rentcal.service.ledger import Ledger
from rentcal.service.online_payments import OnlinePayments
from rentcal.service.org_settings import OrgSettings
from rentcal.service.payments import Payments
from rentcal.service.utilisation import Utilisation
from rentcal.service.wiring import via


class BillingFacade:
    """Charges, invoices, payments, their settings, utilisation (a part of ``Rentcal``)."""

    __slots__ = ()  # delegations only; the instance is a Rentcal

    # -- what billing is set up with ------------------------------------------------

    invoice_settings = via("invoicing", InvoiceSetup.invoice_settings)
    set_invoice_settings = via("invoicing", InvoiceSetup.set_invoice_settings)
    invoice_settings_history = via("invoicing", InvoiceSetup.invoice_settings_history)
    billing_address = via("invoicing", InvoiceSetup.billing_address)
    set_billing_address = via("invoicing", InvoiceSetup.set_billing_address)
    cancellation_policy = via("settings", OrgSettings.cancellation_policy)
    set_cancellation_policy = via("settings", OrgSettings.set_cancellation_policy)
    cancellation_policy_history = via("settings", OrgSettings.cancellation_policy_history)

    # -- charges and statements (issue #22) -------------------------------------------

    add_charge = via("ledger", Ledger.add_charge)
    statement = via("ledger", Ledger.statement)
    charges = via("ledger", Ledger.charges)
    rental_charges = via("ledger", Ledger.rental_charges)

    # -- invoices, credit notes and payments (issue #23) ------------------------------

    issue_invoices = via("invoices", Invoices.issue)
    credit_invoice = via("invoices", Invoices.credit)
    invoices = via("invoices", Invoices.invoices)
    invoice = via("invoices", Invoices.invoice)
    invoice_pdf = via("invoices", Invoices.invoice_pdf)
    add_payment = via("payments", Payments.add_payment)
    payments = via("payments", Payments.payments)
    balance = via("payments", Payments.balance)
    remind_overdue = via("invoice_reminders", InvoiceReminders.remind_overdue)

    # -- card payments through Stripe Checkout (issue #23) ----------------------------

    online_payments = via("online_payments", OnlinePayments.online_payments)
    set_online_payments = via("online_payments", OnlinePayments.set_online_payments)
    online_payments_history = via("online_payments", OnlinePayments.online_payments_history)
    invoice_checkout = via("online_payments", OnlinePayments.invoice_checkout)
    booking_checkout = via("online_payments", OnlinePayments.booking_checkout)
    record_checkout = via("online_payments", OnlinePayments.record_checkout)
    checkout_event = via("online_payments", OnlinePayments.checkout_event)
    awaiting_payment = via("online_payments", OnlinePayments.awaiting_payment)

    # -- reports --------------------------------------------------------------------

    utilisation = via("utilisation", Utilisation.utilisation)


__all__ = ["BillingFacade"]
