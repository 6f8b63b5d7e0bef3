"""How machines, members and maintenance are shown, with their edits and change logs.

Each ``show_*`` takes the library's values and the ``--json`` flag (the JSON
shape is the value's ``as_dict``), so a command ends with exactly one call
here; rentals are :mod:`rentcal.cli.rental_views`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from rentcal.cli import render
from rentcal.cli.render import Whole
from rentcal.cli.rental_views import RENTAL_HEADERS, SYSTEM, rental_row
from rentcal.core.dates_words import moment_words
from rentcal.core.money import format_money
from rentcal.core.wording import plural

if TYPE_CHECKING:  # the values load with the library, not with `rentcal --help`
    from rentcal.core.values import Change, Edited, Machine, Maintenance, Member, Rental


# -- machines / members --------------------------------------------------------------


def machine_pairs(m: Machine, currency: str | None = None) -> list[tuple[str, object]]:
    """Label / value lines describing one machine."""
    return [
        ("machine", m.name),
        ("title", m.title),
        ("daily price", format_money(m.daily_price, currency)),
        ("status", m.status),
        ("auto-approve", m.auto_approve),
        ("requests", m.request_policy.value),
        ("expiry", expiry_text(m.request_expiry_hours)),
        *([("meter", m.meter)] if m.meter else []),
        ("description", m.description),
    ] + [
        (label, format_money(amount, currency))
        for label, amount in (("unit price", m.unit_price), ("minimum", m.minimum_charge))
        if amount is not None
    ]


def expiry_text(hours: int | None) -> str:
    """``48 hours (or its first day)``, ``2 days (...)``, ``by its first day``."""
    if hours is None:
        return "by its first day"
    amount = plural(hours // 24, "day") if hours % 24 == 0 else plural(hours, "hour")
    return f"{amount} (or by its first day)"


def show_machine(
    machine: Machine,
    as_json: bool,
    *,
    headline: str | None = None,
    currency: str | None = None,
) -> None:
    """One machine."""
    if as_json:
        render.emit_json(machine.as_dict())
        return
    render.headline(headline)
    render.emit_record(machine_pairs(machine, currency))


def show_machine_details(
    machine: Machine,
    rentals: Sequence[Rental],
    upkeep: Sequence[Maintenance],
    as_json: bool,
    history: Sequence[Change] = (),
    currency: str | None = None,
) -> None:
    """``machine show``: the machine, its upcoming rentals and maintenance, its changes."""
    if as_json:
        data = machine.as_dict()
        data["upcoming_rentals"] = [r.as_dict() for r in rentals]
        data["upcoming_maintenance"] = [m.as_dict() for m in upkeep]
        data["history"] = [c.as_dict() for c in history]
        render.emit_json(data)
        return
    render.emit_record(machine_pairs(machine, currency))
    render.echo()
    render.echo("upcoming rentals:")
    rows = [rental_row(r, currency) for r in rentals]
    render.emit_table(RENTAL_HEADERS, rows, empty="(none)")
    render.echo()
    render.echo("upcoming maintenance:")
    render.emit_table(MAINTENANCE_HEADERS, [maintenance_row(m) for m in upkeep], empty="(none)")
    show_history(history)


def show_machines(machines: Sequence[Machine], as_json: bool, currency: str | None = None) -> None:
    """A list of machines."""
    if as_json:
        render.emit_json([m.as_dict() for m in machines])
        return
    rows = [
        (Whole(m.name), m.title, format_money(m.daily_price, currency), m.status, m.auto_approve)
        for m in machines
    ]
    render.emit_table(
        ("name", "title", "daily price", "status", "auto-approve"),
        rows,
        empty="No machines yet. Add one: rentcal machine add NAME --price AMOUNT",
    )


def show_member(member: Member, as_json: bool, *, headline: str | None = None) -> None:
    """One member."""
    if as_json:
        render.emit_json(member.as_dict())
        return
    render.headline(headline)
    render.emit_record(
        [
            ("member", member.handle),
            ("name", member.name),
            ("email", member.email),
            ("verified", member.verified),
            ("role", member.role),
            *([] if member.active else [("active", "no (deactivated)")]),
        ]
    )


def show_member_details(member: Member, history: Sequence[Change], as_json: bool) -> None:
    """``member show``: the member and the recorded changes of their record."""
    if as_json:
        render.emit_json({**member.as_dict(), "history": [c.as_dict() for c in history]})
        return
    show_member(member, False)
    show_history(history)


def show_members(members: Sequence[Member], as_json: bool) -> None:
    """A list of members."""
    if as_json:
        render.emit_json([m.as_dict() for m in members])
        return
    rows = [
        (
            Whole(m.handle),
            m.name,
            m.email,
            m.verified,
            m.role if m.active else f"{m.role.value}, deactivated",
        )
        for m in members
    ]
    render.emit_table(
        ("handle", "name", "email", "verified", "role"), rows, empty="No members yet."
    )


# -- maintenance -----------------------------------------------------------------------

MAINTENANCE_HEADERS = ("id", "machine", "start", "end", "kind", "status", "notes")


def maintenance_row(m: Maintenance) -> tuple[object, ...]:
    """One table row of a maintenance block."""
    return (m.id, Whole(m.machine), m.start, m.end, m.kind, m.status, m.notes)


def show_maintenance(item: Maintenance, as_json: bool, *, headline: str | None = None) -> None:
    """One maintenance block."""
    if as_json:
        render.emit_json(item.as_dict())
        return
    render.headline(headline)
    render.emit_record(
        [
            ("maintenance", item.id),
            ("machine", f"{item.machine} ({item.machine_title})"),
            ("dates", f"{item.start.isoformat()} .. {item.end.isoformat()}"),
            ("kind", item.kind),
            ("status", item.status),
            ("notes", item.notes),
        ]
    )


def show_maintenance_list(items: Sequence[Maintenance], as_json: bool) -> None:
    """A list of maintenance blocks."""
    if as_json:
        render.emit_json([m.as_dict() for m in items])
    else:
        rows = [maintenance_row(m) for m in items]
        render.emit_table(MAINTENANCE_HEADERS, rows, empty="No maintenance matches.")


# -- edits and the change log ---------------------------------------------------

CHANGE_HEADERS = ("at", "by", "field", "old", "new")


def change_rows(changes: Sequence[Change]) -> list[tuple[object, ...]]:
    """Table rows of recorded changes (``by`` empty: the system)."""
    return [(moment_words(c.at), c.by or SYSTEM, c.field, c.old, c.new) for c in changes]


def show_history(changes: Sequence[Change]) -> None:
    """The ``history:`` section of ``machine show`` / ``member show``."""
    render.echo()
    render.echo("history:")
    render.emit_table(CHANGE_HEADERS, change_rows(changes), empty="(none)")


def show_edited(edited: Edited[Any], what: str, as_json: bool, show: Callable[..., None]) -> None:
    """An edit's result: what changed (or that nothing did), then the item."""
    if as_json:
        render.emit_json(edited.as_dict())
        return
    if not edited.changes:
        render.echo(f"Nothing changed: {what} already has these values.")
    else:
        render.echo(f"Changed {what}:")
        for c in edited.changes:
            render.echo(f"  {c.field}: {shown_value(c.old)} -> {shown_value(c.new)}")
    show(edited.value, False)


def shown_value(value: str | None) -> str:
    """A change-log value for people: ``(none)`` for an empty field."""
    return "(none)" if value is None else render.safe(value)


__all__ = [
    "show_edited",
    "show_history",
    "show_machine",
    "show_machine_details",
    "show_machines",
    "show_maintenance",
    "show_maintenance_list",
    "show_member",
    "show_member_details",
    "show_members",
]
