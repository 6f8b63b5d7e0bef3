"""How hand-overs and meter readings are shown: their JSON shape (``as_dict``) or words."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rentcal.cli import render
from rentcal.core.dates_words import moment_words
from rentcal.core.types import HandoverKind

if TYPE_CHECKING:  # the values load with the library, not with `rentcal --help`
    from rentcal.core.handover import Handover, MeterReading


def meter_text(h: Handover) -> str | None:
    """``1250 hours (15.5 hours used)``, or None without a reading."""
    from rentcal.core.handover import reading_words

    if h.reading is None:
        return None
    text = reading_words(h.reading, h.unit)
    return text if h.used is None else f"{text} ({reading_words(h.used, h.unit)} used)"


def handover_pairs(h: Handover) -> list[tuple[str, object]]:
    """Label / value lines describing one hand-over (empty values left out)."""
    from rentcal.core.handover import KIND_WORDS

    pairs: list[tuple[str, object]] = [
        ("rental", h.rental_id),
        ("hand-over", KIND_WORDS[h.kind]),
        ("at", moment_words(h.at)),
        ("by", h.by or "(system)"),
        ("meter", meter_text(h)),
    ]
    if h.condition is not None:
        pairs.append(("condition", h.condition.value))
    if h.kind is HandoverKind.IN:
        pairs.append(("late", "yes" if h.late else "no"))
    pairs += [
        ("notes", h.notes),
        ("repair", None if h.repair is None else f"maintenance {h.repair}"),
    ]
    return [(label, value) for label, value in pairs if value is not None]


def show_handover(h: Handover, as_json: bool, *, headline: str | None = None) -> None:
    """One hand-over just recorded."""
    if as_json:
        render.emit_json(h.as_dict())
        return
    render.headline(headline)
    render.emit_record(handover_pairs(h))


def handover_rows(handovers: Sequence[Handover]) -> list[tuple[object, ...]]:
    """A rental's hand-overs as table rows (``rentcal show``)."""
    from rentcal.core.handover import KIND_WORDS

    return [
        (
            moment_words(h.at),
            KIND_WORDS[h.kind],
            h.by or "(system)",
            meter_text(h),
            None if h.condition is None else h.condition.value + (", late" if h.late else ""),
            h.notes,
        )
        for h in handovers
    ]


HANDOVER_HEADERS = ("when", "hand-over", "by", "meter", "condition", "notes")


def show_handover_table(handovers: Sequence[Handover]) -> None:
    """``rentcal show``'s hand-overs, under its history (nothing when there are none)."""
    if handovers:
        render.echo()
        render.echo("hand-overs:")
        render.emit_table(HANDOVER_HEADERS, handover_rows(handovers), empty="", max_len=120)


def show_readings(readings: Sequence[MeterReading], as_json: bool) -> None:
    """A machine's meter history, oldest first."""
    from rentcal.core.handover import reading_words

    if as_json:
        render.emit_json([r.as_dict() for r in readings])
        return
    rows = [
        (moment_words(r.at), reading_words(r.reading, r.unit), r.rental_id, r.by or "-")
        for r in readings
    ]
    render.emit_table(
        ("when", "reading", "rental", "by"), rows, empty="No readings yet: none was handed over."
    )


__all__ = [
    "HANDOVER_HEADERS",
    "handover_pairs",
    "handover_rows",
    "meter_text",
    "show_handover",
    "show_handover_table",
    "show_readings",
]
