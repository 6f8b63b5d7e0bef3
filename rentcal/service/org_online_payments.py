"""The organisation's online payments as one transaction sees them (issue #23).

Two organisation settings (append-only, with who and when, like the no-show
rule): :data:`HOLD_KEY`, the minutes a booking awaiting payment holds its days
(``off``: no payment at booking, the default), and :data:`INVOICES_KEY`
(``on`` / ``off``): whether members may pay open invoices online. Read in the
transaction that books, so a change applies at once on every host.

:func:`payment_hold` is THE rule for which bookings wait for payment; :func:`waive_hold`
what an admin's approval does to one.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy.engine import Connection

from rentcal.core.online_payments import OnlinePaymentRules
from rentcal.core.values import Member, Rental
from rentcal.db import sql as q
from rentcal.db.rows import MachineRecord, SettingRecord

#: The organisation setting holding the hold in minutes ("off": no payment at booking).
HOLD_KEY = "pay_at_booking_minutes"
#: The organisation setting saying whether open invoices may be paid online.
INVOICES_KEY = "pay_invoices_online"
ON, OFF = "on", "off"
#: The reason recorded (and told) when an admin approves a booking awaiting its payment.
WAIVED_REASON = "card payment waived by an admin: it is invoiced instead"


#: The organisation settings the rules are read from.
RULE_KEYS = (HOLD_KEY, INVOICES_KEY)


def read_rules(conn: Connection) -> OnlinePaymentRules:
    """The rules in force in transaction ``conn`` (both off until an admin sets them)."""
    return rules_from(q.org_settings(conn, RULE_KEYS))


def rules_from(found: Mapping[str, SettingRecord]) -> OnlinePaymentRules:
    """The rules from the rows of :func:`rentcal.db.sql.org_settings` (which may hold
    other keys too: a booking reads its settings in one statement)."""
    hold = found.get(HOLD_KEY)
    invoices = found.get(INVOICES_KEY)
    minutes = int(hold.value) if hold is not None and hold.value.isdigit() else None
    return OnlinePaymentRules(minutes, invoices is not None and invoices.value == ON)


def store_rules(conn: Connection, wanted: OnlinePaymentRules, actor_id: int, now: datetime) -> None:
    """Record what differs from the rules in force."""
    current = read_rules(conn)
    if wanted.hold_minutes != current.hold_minutes:
        value = OFF if wanted.hold_minutes is None else str(wanted.hold_minutes)
        q.add_org_setting(conn, HOLD_KEY, value, actor_id, now)
    if wanted.invoices != current.invoices:
        q.add_org_setting(conn, INVOICES_KEY, ON if wanted.invoices else OFF, actor_id, now)


def payment_hold(
    rules: OnlinePaymentRules,
    machine: MachineRecord,
    price: Decimal,
    member: Member,
    actor: Member,
    now: datetime,
) -> datetime | None:
    """When a new booking's hold ends, or None when it waits for no payment.

    A booking waits for payment when the organisation asks for payment at
    booking, the machine approves automatically, the price is above zero and
    the member books for themselves: a booking an admin makes for someone
    else, and requests an admin decides, are paid by invoice.
    """
    if not machine.auto_approve or price <= 0 or actor.id != member.id:
        return None
    minutes = rules.hold_minutes
    return None if minutes is None else now + timedelta(minutes=minutes)


def waive_hold(conn: Connection, rental: Rental, note: str | None) -> str | None:
    """The reason an approval records: an admin approving a booking awaiting its card
    payment waives that payment, so its ``pay_by`` is cleared and :data:`WAIVED_REASON`
    is recorded and told (any other rental: ``note``, as given).

    The rental is then invoiced like any other; a payment through its Checkout
    Session arriving later is kept as a credit (``checkout_event``: ``"late"``).
    """
    if not rental.awaiting_payment:
        return note
    q.update_rental(conn, rental.id, pay_by=None)
    return note or WAIVED_REASON


__all__ = [
    "HOLD_KEY",
    "INVOICES_KEY",
    "RULE_KEYS",
    "WAIVED_REASON",
    "payment_hold",
    "read_rules",
    "rules_from",
    "store_rules",
    "waive_hold",
]
