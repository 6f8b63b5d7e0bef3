"""Editing what was entered: the change log, and machine edits / reactivation.

Every change is recorded in the change log (:func:`record_changes`; read by
``machine_history``, ``member_history``, ``maintenance_history``): who, when,
which field, old -> new.
An edit that changes nothing records nothing (its result says so: no
``changes``). Editable fields are tables (:data:`MACHINE_FIELDS`,
:data:`MEMBER_FIELDS`): one more field is one more row there and one more
keyword parameter. Members are edited in :mod:`rentcal.service.membership`,
maintenance blocks in :mod:`rentcal.service.maintenance`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy.engine import Connection

from rentcal.core import checks
from rentcal.core.handover import check_unit
from rentcal.core.types import MachineStatus, RequestPolicy
from rentcal.core.values import UNSET, Change, Edited, Machine, Member, Unset
from rentcal.db import sql as q
from rentcal.errors import InvalidRequest
from rentcal.service.base import Context
from rentcal.service.housekeeping import Housekeeping


def shown(value: object) -> str | None:
    """How the change log stores a value: text, ``None`` for an empty field."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return str(value)


def required_title(value: object, name: str) -> str:
    """A title or display name that cannot be cleared (None or blank is refused)."""
    clean = checks.title(value, name)
    if clean is None:
        raise InvalidRequest(f"{name} cannot be empty", field=name, value=value, reason="empty")
    return clean


#: Editable machine fields: keyword -> (column, checker of the new value).
MACHINE_FIELDS: dict[str, tuple[str, Callable[[object], Any]]] = {
    "title": ("title", lambda v: required_title(v, "title")),
    "description": ("description", lambda v: checks.free_text(v, "description")),
    "price": ("daily_price", lambda v: checks.amount(v, "price", "daily price")),
    "auto_approve": ("auto_approve", lambda v: checks.flag(v, "auto_approve")),
    "request_policy": (
        "request_policy",
        lambda v: checks.choice(v, RequestPolicy, "request_policy", "request policy"),
    ),
    "request_expiry_hours": (
        "request_expiry_hours",
        lambda v: checks.optional_hours(v, "request_expiry_hours"),
    ),
    "meter": ("meter_unit", lambda v: check_unit(v, "meter")),
    "unit_price": ("unit_price", lambda v: checks.optional_amount(v, "unit_price", "unit price")),
    "minimum_charge": (
        "minimum_charge",
        lambda v: checks.optional_amount(v, "minimum_charge", "minimum charge"),
    ),
}


def cleaned(
    given: Mapping[str, object], fields: Mapping[str, tuple[str, Callable[[object], Any]]]
) -> dict[str, Any]:
    """The given (not UNSET) values, checked, keyed by column; none given is refused."""
    out = {fields[k][0]: fields[k][1](v) for k, v in given.items() if v is not UNSET}
    if not out:
        raise InvalidRequest(
            "nothing to change: give at least one of " + ", ".join(fields),
            field="fields",
            reason="nothing-to-change",
        )
    return out


def record_changes(
    conn: Connection,
    entity: str,
    entity_id: int,
    old: Mapping[str, Any],
    wanted: Mapping[str, Any],
    actor: Member | None,
    now: datetime,
) -> tuple[Change, ...]:
    """Record (and return) the fields of ``wanted`` whose value differs from ``old``'s.

    ``actor`` None: done by the system. In the caller's transaction.
    """
    by = None if actor is None else actor.handle
    changes = tuple(
        Change(entity, entity_id, column, shown(old[column]), shown(new), by, now)
        for column, new in wanted.items()
        if shown(old[column]) != shown(new)
    )
    q.add_changes(
        conn,
        [
            {
                "entity": entity,
                "entity_id": entity_id,
                "field": c.field,
                "old_value": c.old,
                "new_value": c.new,
                "changed_by_id": None if actor is None else actor.id,
                "changed_at": now,
            }
            for c in changes
        ],
    )
    return changes


class MachineEdits:
    """Editing and reactivating machines, and their change log."""

    def __init__(self, ctx: Context, housekeeping: Housekeeping) -> None:
        self.ctx = ctx
        self.housekeeping = housekeeping

    # -- machines -----------------------------------------------------------------

    def edit_machine(
        self,
        name: str,
        *,
        acting: str | None,
        title: str | Unset = UNSET,
        description: str | Unset | None = UNSET,
        price: Decimal | str | int | Unset = UNSET,
        auto_approve: bool | Unset = UNSET,
        request_policy: str | RequestPolicy | Unset = UNSET,
        request_expiry_hours: int | Unset | None = UNSET,
        meter: str | Unset | None = UNSET,
        unit_price: Decimal | str | int | Unset | None = UNSET,
        minimum_charge: Decimal | str | int | Unset | None = UNSET,
    ) -> Edited[Machine]:
        """Change a machine's fields (admins); only the given ones (``UNSET``: leave it).

        ``description=None`` clears it. A new price applies to bookings made
        from now on: the price fixed on existing rentals never changes; so do
        a new ``unit_price`` and ``minimum_charge`` (None: none). Each
        changed field is recorded; a value equal to the current one is not a
        change (no changes at all: nothing is written). Retired machines can
        be edited too.

        ``request_policy``: switching to ``"queue"`` puts the machine's pending
        requests in the queue too (they stop holding their days); switching to
        ``"block"`` leaves requests already queued waiting until decided (new
        ones hold their days). ``request_expiry_hours=None``: no expiry by age.

        ``meter``: the unit of the machine's meter (``"hours"``, ``"km"``,
        ``"ha"`` ...): its hand-overs then record a reading (see
        :meth:`~rentcal.service.handover.Handovers.checkout`); ``None``: no
        meter. Readings taken keep their unit (the history stays as it was).

        Raises:
            InvalidRequest: no field given (reason ``nothing-to-change``), an
                empty title, a negative price.
        """
        clean = checks.handle(name, "name", "machine")
        checks.optional_handle(acting, "acting", "acting member")
        wanted = cleaned(
            {
                "title": title,
                "description": description,
                "price": price,
                "auto_approve": auto_approve,
                "request_policy": request_policy,
                "request_expiry_hours": request_expiry_hours,
                "meter": meter,
                "unit_price": unit_price,
                "minimum_charge": minimum_charge,
            },
            MACHINE_FIELDS,
        )

        def work(conn: Connection) -> Edited[Machine]:
            actor = self.ctx.admin(conn, acting, "edit machines")
            row = self.ctx.machine_row(conn, clean)
            self.housekeeping.lock(
                conn, [row.id], self.ctx.today()
            )  # settled first: stale rows stay out
            row = self.ctx.machine_row(conn, clean)
            changes = record_changes(
                conn, "machine", row.id, row._asdict(), wanted, actor, self.ctx.now()
            )
            if changes:
                q.update_machine(conn, row.id, **{c.field: wanted[c.field] for c in changes})
            if any(c.field == "request_policy" for c in changes) and (
                wanted["request_policy"] is RequestPolicy.QUEUE
            ):
                q.queue_pending(conn, row.id)
            return Edited(self.ctx.machine_value(conn, row.name), changes)

        return self.ctx.write(work)

    def reactivate_machine(self, name: str, acting: str | None = None) -> Machine:
        """Make a retired machine bookable again (admins); recorded as a status change."""
        clean = checks.handle(name, "name", "machine")
        checks.optional_handle(acting, "acting", "acting member")

        def work(conn: Connection) -> Machine:
            actor = self.ctx.admin(conn, acting, "reactivate machines")
            row = self.ctx.machine_row(conn, clean)
            self.housekeeping.lock(
                conn, [row.id], self.ctx.today()
            )  # settled first: stale rows stay out
            row = self.ctx.machine_row(conn, clean)
            if row.status == MachineStatus.ACTIVE:
                raise InvalidRequest(
                    f"machine {row.name!r} is not retired",
                    field="machine",
                    value=row.name,
                    reason="active",
                )
            active = {"status": MachineStatus.ACTIVE}
            record_changes(conn, "machine", row.id, row._asdict(), active, actor, self.ctx.now())
            q.update_machine(conn, row.id, status=MachineStatus.ACTIVE)
            return self.ctx.machine_value(conn, row.name)

        return self.ctx.write(work)

    def machine_history(self, name: str) -> list[Change]:
        """Every recorded change of a machine, oldest first."""
        checks.handle(name, "name", "machine")
        return self.ctx.read(
            lambda conn: q.changes(conn, "machine", self.ctx.machine_row(conn, name).id)
        )


__all__ = [
    "MACHINE_FIELDS",
    "MachineEdits",
    "cleaned",
    "record_changes",
    "required_title",
    "shown",
]
