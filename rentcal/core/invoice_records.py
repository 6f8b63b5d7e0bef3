"""Issued invoices as stored and listed: lines from charges, parties as JSON (issue #23).

An issued invoice is stored as issued: the seller and the buyer as JSON
snapshots (:func:`party_json`), so the document rebuilt from its rows
(:func:`party_from_json`) says exactly what it said on its issue day, whatever
the settings or the member's address say later. :func:`line_for_charge` is
how a charge of the ledger (issue #22) reads on an invoice.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from rentcal.core.invoice_parts import InvoiceLine, InvoiceParty
from rentcal.core.invoices import InvoiceKind
from rentcal.core.statements import Charge
from rentcal.core.types import ChargeKind

#: Invoice numbers: the issue year and the organisation's one counter, which never
#: restarts (2030-000001, 2030-000002, 2031-000003, ...).
NUMBER_FORMAT = "{year}-{counter:06d}"


def invoice_number(year: int, counter: int) -> str:
    """The number of the ``counter``-th document, issued in ``year``.

    >>> invoice_number(2030, 7)
    '2030-000007'
    """
    return NUMBER_FORMAT.format(year=year, counter=counter)


def party_json(party: InvoiceParty) -> str:
    """A party as the JSON an invoice row keeps (keys sorted: byte-stable)."""
    values = asdict(party)
    values["address_lines"] = list(party.address_lines)
    return json.dumps(values, sort_keys=True, ensure_ascii=False)


def party_from_json(text: str) -> InvoiceParty:
    """The party :func:`party_json` stored."""
    values: dict[str, Any] = json.loads(text)
    values["address_lines"] = tuple(values.get("address_lines") or ())
    return InvoiceParty(**values)


def _machine(charge: Charge) -> str:
    return charge.machine_title or charge.machine or "machine"


def line_for_charge(charge: Charge) -> InvoiceLine:
    """How one charge reads on an invoice: what, which days, at what rates, its amount."""
    if charge.kind is ChargeKind.USE:
        text = f"{_machine(charge)}, rental {charge.rental_id}"
    elif charge.kind is ChargeKind.LATE_CANCELLATION:
        text = f"Late cancellation: {_machine(charge)}, rental {charge.rental_id}"
    else:
        text = f"Correction: {' '.join((charge.reason or '').split())}"
    has_days = charge.first_day is not None and charge.last_day is not None
    return InvoiceLine(
        description=text[:200].rstrip(),
        net=charge.amount,
        first_day=charge.first_day if has_days else None,
        last_day=charge.last_day if has_days else None,
        days=charge.days or 0,
        day_rate=charge.day_rate,
        units=charge.units,
        unit_rate=charge.unit_rate,
        charge_id=charge.id,
    )


@dataclass(frozen=True, slots=True)
class InvoiceSummary:
    """One issued document as the treasurer's list shows it."""

    number: str
    kind: InvoiceKind
    member: str
    issue_date: date
    due_date: date
    currency: str
    net: Decimal
    vat: Decimal
    gross: Decimal
    #: The invoice a credit note corrects.
    refers_to: str | None
    #: Still to pay (positive) or owed back (negative); a credit note's is 0.
    open: Decimal

    def as_dict(self) -> dict[str, object]:
        """The JSON shape (``rentcal invoice list --json``): amounts as strings."""
        return {
            "number": self.number,
            "kind": self.kind.value,
            "member": self.member,
            "issue_date": self.issue_date.isoformat(),
            "due_date": self.due_date.isoformat(),
            "currency": self.currency,
            "net": str(self.net),
            "vat": str(self.vat),
            "gross": str(self.gross),
            "refers_to": self.refers_to,
            "open": str(self.open),
        }


__all__ = [
    "NUMBER_FORMAT",
    "InvoiceSummary",
    "invoice_number",
    "line_for_charge",
    "party_from_json",
    "party_json",
]
