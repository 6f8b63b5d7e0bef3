"""How rentals are shown: one, a list, a rental's details, availability, notifications.

Each ``show_*`` takes the library's values and the ``--json`` flag (the JSON
shape is the value's ``as_dict``), so a command ends with exactly one call
here; machines, members and maintenance are :mod:`rentcal.cli.catalogue_views`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from rentcal.cli import render
from rentcal.cli.render import Whole
from rentcal.core.dates_words import span_words
from rentcal.core.money import format_money
from rentcal.core.news import history_words, reason_words, status_words
from rentcal.core.types import RentalStatus
from rentcal.core.wording import plural

if TYPE_CHECKING:  # the values load with the library, not with `rentcal --help`
    from rentcal.core.availability import Availability
    from rentcal.core.handover import Handover
    from rentcal.core.values import Notification, Rental


# -- rentals ----------------------------------------------------------------------

RENTAL_HEADERS = ("id", "machine", "member", "start", "end", "days", "status", "price", "purpose")


def rental_row(r: Rental, currency: str | None = None) -> tuple[object, ...]:
    """One table row of a rental (its price in ``currency``)."""
    return (
        r.id,
        Whole(r.machine),
        Whole(r.member),
        r.start,
        r.end,
        r.days,
        status_words(r),
        format_money(r.price, currency),
        r.purpose,
    )


def rental_pairs(r: Rental, currency: str | None = None) -> list[tuple[str, object]]:
    """Label / value lines describing one rental (its days and price in words)."""
    pairs: list[tuple[str, object]] = [
        ("rental", r.id),
        ("status", status_words(r)),
        ("machine", f"{r.machine} ({r.machine_title})"),
        ("member", f"{r.member} ({r.member_name})"),
        ("dates", f"{span_words(r.start, r.end)} ({plural(r.days, 'day')})"),
        ("price", format_money(r.price, currency)),
        ("purpose", r.purpose),
    ]
    if r.queued:
        pairs.append(("queued", "yes: waits beside other requests for these days"))
    if r.reason:
        pairs.append(("reason", r.reason))
    if r.status_changed_by:
        pairs.append(("changed by", r.status_changed_by))
    pairs += [("created", r.created_at), ("updated", r.updated_at)]
    return pairs


def show_rental(
    rental: Rental,
    as_json: bool,
    *,
    headline: str | None = None,
    currency: str | None = None,
) -> None:
    """One rental: its JSON object, or a headline and label / value lines."""
    if as_json:
        render.emit_json(rental.as_dict())
        return
    render.headline(headline)
    render.emit_record(rental_pairs(rental, currency))


#: Who a history row names when nobody did it: housekeeping (``by`` is null in JSON).
SYSTEM = "(system)"


def show_rental_details(
    rental: Rental,
    history: Sequence[dict[str, Any]],
    as_json: bool,
    currency: str | None = None,
    handovers: Sequence[Handover] = (),
) -> None:
    """``rentcal show``: the rental, its history (JSON: the rental object plus
    ``"history": [{"from", "to", "by", "reason", "at"}]``, oldest first; for people,
    each change in words: ``approved``, ``moved``, never ``pending -> pending``) and
    its hand-overs (``"handovers"``; for people, only when there are some)."""
    from rentcal.cli.handover_views import show_handover_table

    if as_json:
        data = rental.as_dict()
        data["history"] = [dict(h) for h in history]
        data["handovers"] = [h.as_dict() for h in handovers]
        render.emit_json(data)
        return
    render.emit_record(rental_pairs(rental, currency))
    render.echo()
    render.echo("history:")
    rows = [history_row(h) for h in history]
    render.emit_table(("when", "change", "by", "details"), rows, empty="(none)", max_len=120)
    show_handover_table(handovers)


def history_row(entry: Mapping[str, Any]) -> tuple[object, ...]:
    """One history entry for people: when, what changed (in words), who, why."""
    old = RentalStatus(entry["from"]) if entry["from"] else None
    change = history_words(old, RentalStatus(entry["to"]), entry["reason"])
    return (entry["at"], change, entry["by"] or SYSTEM, reason_words(entry["reason"]))


def show_rentals(rentals: Sequence[Rental], as_json: bool, currency: str | None = None) -> None:
    """A list of rentals."""
    if as_json:
        render.emit_json([r.as_dict() for r in rentals])
    else:
        rows = [rental_row(r, currency) for r in rentals]
        render.emit_table(RENTAL_HEADERS, rows, empty="No rentals match.")


# -- availability ----------------------------------------------------------------------


def show_availability(answer: Availability, as_json: bool) -> None:
    """``check``: the availability object, or its message and the conflicts."""
    if as_json:
        render.emit_json(answer.as_dict())
        return
    colour = render.colour_enabled()
    verdict = "available" if answer.available else "NOT available"
    render.echo(
        render.paint(verdict, "green" if answer.available else "red", enabled=colour, bold=True)
        + ": "
        + render.safe(answer.message)
    )
    if answer.conflicts:
        rows = [(c.kind, c.id, c.start, c.end, c.status) for c in answer.conflicts]
        render.emit_table(("kind", "id", "start", "end", "status"), rows, empty="")


def show_free(windows: Sequence[tuple[date, date]], as_json: bool) -> None:
    """``free``: ``[{"start", "end", "days"}]`` or a table."""
    from rentcal.core.ranges import day_count

    data = [
        {"start": s.isoformat(), "end": e.isoformat(), "days": day_count(s, e)} for s, e in windows
    ]
    if as_json:
        render.emit_json(data)
    else:
        rows = [(w["start"], w["end"], w["days"]) for w in data]
        render.emit_table(("start", "end", "days"), rows, empty="No free window that long.")


# -- notifications ---------------------------------------------------------------------


def show_notifications(items: Sequence[Notification], as_json: bool) -> None:
    """A member's notifications."""
    if as_json:
        render.emit_json([n.as_dict() for n in items])
        return
    rows = [(n.id, n.created_at, n.rental_id, not n.read_at, n.message) for n in items]
    render.emit_table(
        ("id", "when", "rental", "new", "message"), rows, empty="No notifications.", max_len=240
    )


__all__ = [
    "RENTAL_HEADERS",
    "SYSTEM",
    "rental_row",
    "show_availability",
    "show_free",
    "show_notifications",
    "show_rental",
    "show_rental_details",
    "show_rentals",
]
