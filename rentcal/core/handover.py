"""Hand-over of a machine: check-out, check-in, meter readings, no-shows (pure).

A rental of a machine that is handed over goes *out* (checked out by an
admin or one of the machine's keepers, on or after its first day) and comes
back *in* (checked in: the return, with the machine's condition). A machine
may have a meter (``hours``, ``km``, ``ha``, ...): each hand-over then records
a reading, and the reading at the return is never lower than the one at the
check-out. What the meter ran in between (:func:`units_used`) is what a
charge per unit is worked out from.

This module holds the values, the argument checks and the words; the rules
that need the database and the clock are in :mod:`rentcal.service.handover`.

>>> units_used(Decimal("1200.50"), Decimal("1212.00"))
Decimal('11.50')
>>> reading_words(Decimal("1212.00"), "hours")
'1212 hours'
>>> check_unit(" km ")
'km'
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from rentcal.core import checks
from rentcal.core.pricing import parse_amount
from rentcal.core.types import Condition, HandoverKind
from rentcal.core.wording import quote
from rentcal.errors import InvalidRequest

#: The longest meter unit (``hours``, ``km``, ``ha``, ``cycles`` ...).
MAX_UNIT = 16
#: What each kind of hand-over is called for people (pages, the CLI).
KIND_WORDS = {
    HandoverKind.OUT: "checked out",
    HandoverKind.IN: "checked in",
    HandoverKind.NO_SHOW: "no-show",
}


def check_unit(value: object, name: str = "meter") -> str | None:
    """A meter unit: None (no meter), or 1 to 16 printable characters without spaces."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise checks.wrong_type(name, "a str such as 'hours' or 'km', or None", value)
    unit = value.strip()
    if not unit or len(unit) > MAX_UNIT or not unit.isprintable() or any(c.isspace() for c in unit):
        raise InvalidRequest(
            f"meter unit {quote(value)} must be one word of 1 to {MAX_UNIT} characters, "
            "such as hours, km or ha",
            field=name,
            value=value,
            reason="unit",
        )
    return unit


def check_reading(value: object, name: str = "meter") -> Decimal | None:
    """A meter reading: None, or a Decimal / int / string like ``"1234.5"`` (0 or more, at
    most 2 decimal places; never a float, which cannot hold a reading exactly)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (Decimal, int, str)):
        raise checks.wrong_type(name, "a Decimal or a string like '1234.5' (or an int)", value)
    with checks.about(name, value):
        return parse_amount(value, label="meter reading")


def units_used(out: Decimal | None, back: Decimal | None) -> Decimal | None:
    """What the meter ran between the check-out and the check-in; None unless both were read.

    THE one computation of "units used" (a charge per unit is worked out from it).
    """
    if out is None or back is None:
        return None
    return back - out


def reading_words(reading: Decimal, unit: str | None) -> str:
    """``1212.5 hours``: a reading as people read it (no trailing zeros)."""
    text = f"{reading:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text} {unit}" if unit else text


@dataclass(frozen=True, slots=True)
class Handover:
    """One hand-over of a rental: its check-out, its check-in, or its no-show flag.

    ``by`` is None for what the system recorded (a no-show); ``reading`` and
    ``unit`` are the meter as read then (None: no meter); ``condition`` and
    ``late`` concern a check-in; ``repair`` is the maintenance block a damaged
    return opened; ``used`` is what the meter ran while the machine was out
    (on a check-in with both readings in one unit, else None).
    """

    rental_id: int
    kind: HandoverKind
    at: datetime
    by: str | None
    reading: Decimal | None = None
    unit: str | None = None
    condition: Condition | None = None
    late: bool = False
    notes: str | None = None
    repair: int | None = None
    used: Decimal | None = None

    def as_dict(self) -> dict[str, object]:
        """The JSON shape of a hand-over (a reading as a string, like money)."""
        return {
            "rental": self.rental_id,
            "kind": self.kind.value,
            "at": self.at.isoformat(),
            "by": self.by,
            "meter": None if self.reading is None else str(self.reading),
            "unit": self.unit,
            "condition": None if self.condition is None else self.condition.value,
            "late": self.late,
            "notes": self.notes,
            "repair": self.repair,
            "used": None if self.used is None else str(self.used),
        }


def with_used(handovers: list[Handover]) -> list[Handover]:
    """A rental's hand-overs with ``used`` filled in on its check-in (from its check-out)."""
    out = next((h for h in handovers if h.kind is HandoverKind.OUT), None)
    if out is None:
        return handovers
    return [
        replace(h, used=units_used(out.reading, h.reading))
        if h.kind is HandoverKind.IN and h.unit == out.unit
        else h
        for h in handovers
    ]


@dataclass(frozen=True, slots=True)
class MeterReading:
    """One reading of a machine's meter: when, by whom, at which rental's hand-over."""

    machine: str
    reading: Decimal
    unit: str
    at: datetime
    rental_id: int | None
    by: str | None

    def as_dict(self) -> dict[str, object]:
        """The JSON shape of a reading."""
        return {
            "machine": self.machine,
            "meter": str(self.reading),
            "unit": self.unit,
            "at": self.at.isoformat(),
            "rental": self.rental_id,
            "by": self.by,
        }


@dataclass(frozen=True, slots=True)
class HandoverState:
    """What a rental's hand-overs say: out (and when), back, flagged as a no-show."""

    out: Handover | None = None
    back: Handover | None = None
    no_show: Handover | None = None

    @classmethod
    def of(cls, handovers: list[Handover]) -> HandoverState:
        """The state of a rental from its hand-over rows (at most one of each kind)."""
        found = {h.kind: h for h in handovers}
        return cls(
            found.get(HandoverKind.OUT),
            found.get(HandoverKind.IN),
            found.get(HandoverKind.NO_SHOW),
        )

    @property
    def out_not_back(self) -> bool:
        """Checked out and not checked in yet: the machine is with the member."""
        return self.out is not None and self.back is None

    @property
    def used(self) -> Decimal | None:
        """What the meter ran while it was out (None: not back, or no readings)."""
        return None if self.back is None else self.back.used


__all__ = [
    "KIND_WORDS",
    "MAX_UNIT",
    "Condition",
    "Handover",
    "HandoverKind",
    "HandoverState",
    "MeterReading",
    "check_reading",
    "check_unit",
    "reading_words",
    "units_used",
    "with_used",
]
