"""The use cases behind :func:`rentcal.connect`: permissions, rules, history.

Every method opens exactly one transaction through :class:`rentcal.store.Store`;
every write that depends on availability re-checks it *inside* the write
transaction after taking the machine's lock, so two bookers can never both win.
Results are frozen values from :mod:`rentcal.core.values`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import exc
from sqlalchemy.engine import Connection, Row

from rentcal.core.availability import Availability, Conflict, availability, free_windows
from rentcal.core.pricing import parse_amount, rental_price
from rentcal.core.ranges import validate_range
from rentcal.core.transitions import Action, next_status
from rentcal.core.types import (
    BLOCKING_MAINTENANCE_STATUSES,
    BLOCKING_RENTAL_STATUSES,
    ConflictKind,
    MachineStatus,
    MaintenanceKind,
    MaintenanceStatus,
    RentalStatus,
    Role,
    parse_enum,
)
from rentcal.core.validate import MAX_TITLE, clean_email, clean_handle, clean_text
from rentcal.core.values import Machine, Maintenance, Member, Notification, Rental
from rentcal.errors import (
    InvalidRequest,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    RentcalError,
    Unavailable,
)
from rentcal.models import (
    history_t,
    machine_t,
    maintenance_t,
    member_t,
    notification_t,
    rental_t,
)
from rentcal.store import CONFLICTS_STATEMENT, MACHINE_BY_NAME, Store, overlap_clause

if TYPE_CHECKING:  # the import machinery loads only when an import runs
    from rentcal.imports import BlockRow, ImportResult, ImportRow, Problem, Sweep

E = TypeVar("E", bound=Enum)
T = TypeVar("T")
Clock = Callable[[], datetime]

_changer = member_t.alias("changer")
_r = rental_t.c
# Columns in the order of the Rental value's fields: rows unpack straight into it.
_RENTAL_SELECT = sa.select(
    _r.id,
    _r.uid,
    machine_t.c.name.label("machine_name"),
    machine_t.c.title.label("machine_title"),
    member_t.c.handle.label("member_handle"),
    member_t.c.name.label("member_name"),
    _r.start_date,
    _r.end_date,
    _r.status,
    _r.purpose,
    _r.price,
    _r.created_at,
    _r.updated_at,
    _r.sequence,
    _changer.c.handle.label("changer_handle"),
    _r.reason,
).select_from(
    rental_t.join(machine_t, machine_t.c.id == rental_t.c.machine_id)
    .join(member_t, member_t.c.id == rental_t.c.member_id)
    .outerjoin(_changer, _changer.c.id == rental_t.c.status_changed_by_id)
)
_MAINTENANCE_SELECT = sa.select(
    maintenance_t,
    machine_t.c.name.label("machine_name"),
    machine_t.c.title.label("machine_title"),
).select_from(maintenance_t.join(machine_t, machine_t.c.id == maintenance_t.c.machine_id))


def utc_now() -> datetime:
    """The default clock: an aware UTC datetime."""
    return datetime.now(UTC)


def _machine(row: Row[Any]) -> Machine:
    return Machine(
        row.id,
        row.name,
        row.title,
        row.daily_price,
        row.description,
        MachineStatus(row.status),
        bool(row.auto_approve),
        row.created_at,
    )


def _member(row: Row[Any]) -> Member:
    return Member(row.id, row.handle, row.name, row.email, bool(row.verified), Role(row.role))


def _rental(row: Any) -> Rental:
    # Positional: feeds turn 100,000 rows into values, and attribute lookups
    # on Row objects were the largest cost (see docs/performance.md).
    return Rental(*row)


def _maintenance(row: Row[Any]) -> Maintenance:
    return Maintenance(
        id=row.id,
        uid=row.uid,
        machine=row.machine_name,
        machine_title=row.machine_title,
        start=row.start_date,
        end=row.end_date,
        kind=MaintenanceKind(row.kind),
        status=MaintenanceStatus(row.status),
        notes=row.notes,
        created_at=row.created_at,
        updated_at=row.updated_at,
        sequence=row.sequence,
    )


class Rentcal:
    """A connection to one rentcal database; see :func:`rentcal.connect`."""

    def __init__(self, store: Store, *, clock: Clock | None = None) -> None:
        self.store = store
        self._clock = clock or utc_now

    # -- plumbing -----------------------------------------------------------------

    def close(self) -> None:
        """Release the database connections."""
        self.store.close()

    def __enter__(self) -> Rentcal:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Rentcal {self.store.display_url}>"

    @property
    def url(self) -> str:
        """The database URL in use, password hidden."""
        return self.store.display_url

    def now(self) -> datetime:
        """The injected clock's aware UTC time."""
        return self._clock()

    def today(self, today: date | None = None) -> date:
        """``today`` if given, else the clock's local date (the one place 'today' is read)."""
        return today if today is not None else self._clock().astimezone().date()

    def _write(self, fn: Callable[[Connection], T]) -> T:
        try:
            return self.store.run(fn, write=True)
        except exc.IntegrityError as err:
            if not self.store.is_overlap(err):
                raise
            # Only reachable if something bypassed the lock: the database guard held.
            raise Unavailable(
                "the database refused an overlapping rental or maintenance block"
            ) from None

    def _read(self, fn: Callable[[Connection], T]) -> T:
        return self.store.run(fn, write=False)

    # -- lookups ------------------------------------------------------------------

    def _machine_row(self, conn: Connection, name: str) -> Row[Any]:
        handle = clean_handle(name, "machine")
        row = conn.execute(MACHINE_BY_NAME, {"n": handle}).first()
        if row is None:
            raise NotFound(f"machine {handle!r} not found")
        return row

    def _active_machine_row(self, conn: Connection, name: str) -> Row[Any]:
        row = self._machine_row(conn, name)
        if row.status != MachineStatus.ACTIVE:
            raise InvalidRequest(f"machine {row.name!r} is retired and cannot be booked")
        return row

    def _member_row(self, conn: Connection, handle: str, label: str = "member") -> Row[Any]:
        clean = clean_handle(handle, label)
        row = conn.execute(sa.select(member_t).where(member_t.c.handle == clean)).first()
        if row is None:
            raise NotFound(f"{label} {clean!r} not found")
        return row

    def _actor(self, conn: Connection, acting: str | None) -> Member:
        if acting is None:
            raise PermissionDenied("this needs an acting member (acting=HANDLE / --as HANDLE)")
        return _member(self._member_row(conn, acting, "acting member"))

    def _admin(self, conn: Connection, acting: str | None, what: str) -> Member:
        actor = self._actor(conn, acting)
        if not actor.is_admin:
            raise PermissionDenied(
                f"member {actor.handle!r} is not an admin; only admins can {what}"
            )
        return actor

    def _admin_ids(self, conn: Connection) -> list[int]:
        return list(
            conn.execute(
                sa.select(member_t.c.id)
                .where(member_t.c.role == Role.ADMIN)
                .order_by(member_t.c.id)
            ).scalars()
        )

    def _get_rental(self, conn: Connection, rental_id: int) -> Rental:
        row = conn.execute(
            _RENTAL_SELECT.where(rental_t.c.id == _int_id(rental_id, "rental"))
        ).first()
        if row is None:
            raise NotFound(f"rental {rental_id} not found")
        return _rental(row)

    def _get_maintenance(self, conn: Connection, maintenance_id: int) -> Maintenance:
        mid = _int_id(maintenance_id, "maintenance")
        row = conn.execute(_MAINTENANCE_SELECT.where(maintenance_t.c.id == mid)).first()
        if row is None:
            raise NotFound(f"maintenance {maintenance_id} not found")
        return _maintenance(row)

    def _conflicts(
        self,
        conn: Connection,
        machine_id: int,
        start: date,
        end: date,
        *,
        skip_rental: int | None = None,
        rentals_only: bool = False,
    ) -> list[Conflict]:
        """Blocking rentals and maintenance of one machine overlapping [start, end]."""
        rows = conn.execute(CONFLICTS_STATEMENT, {"m": machine_id, "s": start, "e": end})
        found = [
            Conflict(ConflictKind(kind), rid, first, last, str(status))
            for kind, rid, first, last, status in rows
            if not (kind == "rental" and rid == skip_rental)
        ]
        if rentals_only:
            return [c for c in found if c.kind is ConflictKind.RENTAL]
        return found

    def _notify(
        self,
        conn: Connection,
        member_ids: Iterable[int],
        message: str,
        rental_id: int | None = None,
    ) -> None:
        rows = [
            {
                "member_id": mid,
                "rental_id": rental_id,
                "message": message,
                "created_at": self.now(),
                "read_at": None,
            }
            for mid in dict.fromkeys(member_ids)
        ]
        if rows:
            conn.execute(sa.insert(notification_t), rows)

    # -- members ------------------------------------------------------------------

    def add_member(
        self,
        handle: str,
        name: str | None = None,
        email: str | None = None,
        verified: bool = False,
        admin: bool = False,
        acting: str | None = None,
    ) -> Member:
        """Add a member. Admins only, except the first member of an empty database.

        The first member must be an admin: otherwise nobody could ever manage
        the database. Admins are always verified.
        """
        clean = clean_handle(handle, "member handle")
        display = clean_text(name, "name", max_len=MAX_TITLE, multiline=False) or clean
        mail = clean_email(email)

        def work(conn: Connection) -> Member:
            empty = conn.execute(sa.select(sa.func.count()).select_from(member_t)).scalar_one() == 0
            if empty:
                if not admin:
                    raise InvalidRequest(
                        f"the first member ({clean!r}) must be an admin, or nobody could manage "
                        "this database (admin=True / --admin)"
                    )
            else:
                self._admin(conn, acting, "add members")
            if conn.execute(sa.select(member_t.c.id).where(member_t.c.handle == clean)).first():
                raise InvalidRequest(f"member {clean!r} already exists")
            values: dict[str, Any] = {
                "handle": clean,
                "name": display,
                "email": mail,
                "verified": bool(verified or admin),
                "role": Role.ADMIN if admin else Role.MEMBER,
                "created_at": self.now(),
            }
            new_id = _insert(conn, member_t, **values)
            return Member(new_id, clean, display, mail, values["verified"], values["role"])

        return self._write(work)

    def verify_member(self, handle: str, acting: str | None = None) -> Member:
        """Mark a member verified so they may book (admins only; idempotent)."""

        def work(conn: Connection) -> Member:
            self._admin(conn, acting, "verify members")
            row = self._member_row(conn, handle)
            if not row.verified:
                conn.execute(
                    sa.update(member_t).where(member_t.c.id == row.id).values(verified=True)
                )
                self._notify(
                    conn, [row.id], "your membership was verified: you can book machines now"
                )
            return _member(self._member_row(conn, row.handle))

        return self._write(work)

    def member(self, handle: str) -> Member:
        """One member by handle."""
        return self._read(lambda conn: _member(self._member_row(conn, handle)))

    def members(self) -> list[Member]:
        """All members, by handle."""
        return self._read(
            lambda conn: [
                _member(r) for r in conn.execute(sa.select(member_t).order_by(member_t.c.handle))
            ]
        )

    def is_empty(self) -> bool:
        """Whether the database has no members yet (``rentcal init`` has not run)."""
        return self._read(
            lambda conn: (
                conn.execute(sa.select(sa.func.count()).select_from(member_t)).scalar_one() == 0
            )
        )

    # -- machines -----------------------------------------------------------------

    def add_machine(
        self,
        name: str,
        daily_price: Decimal | str | int = Decimal("0"),
        title: str | None = None,
        description: str | None = None,
        auto_approve: bool = False,
        acting: str | None = None,
    ) -> Machine:
        """Add a bookable machine (admins only)."""
        clean = clean_handle(name, "machine name")
        price = parse_amount(daily_price)
        label = clean_text(title, "title", max_len=MAX_TITLE, multiline=False) or clean
        about = clean_text(description, "description")

        def work(conn: Connection) -> Machine:
            self._admin(conn, acting, "add machines")
            if conn.execute(sa.select(machine_t.c.id).where(machine_t.c.name == clean)).first():
                raise InvalidRequest(f"machine {clean!r} already exists")
            now = self.now()
            new_id = _insert(
                conn,
                machine_t,
                name=clean,
                title=label,
                daily_price=price,
                description=about,
                status=MachineStatus.ACTIVE,
                auto_approve=bool(auto_approve),
                created_at=now,
            )
            return Machine(
                new_id, clean, label, price, about, MachineStatus.ACTIVE, bool(auto_approve), now
            )

        return self._write(work)

    def retire_machine(self, name: str, acting: str | None = None) -> Machine:
        """Stop new bookings of a machine; its history and existing rentals stay."""

        def work(conn: Connection) -> Machine:
            self._admin(conn, acting, "retire machines")
            row = self._machine_row(conn, name)
            if row.status == MachineStatus.RETIRED:
                raise InvalidRequest(f"machine {row.name!r} is already retired")
            conn.execute(
                sa.update(machine_t)
                .where(machine_t.c.id == row.id)
                .values(status=MachineStatus.RETIRED)
            )
            return _machine(self._machine_row(conn, row.name))

        return self._write(work)

    def machine(self, name: str) -> Machine:
        """One machine by name."""
        return self._read(lambda conn: _machine(self._machine_row(conn, name)))

    def machines(self, include_retired: bool = True) -> list[Machine]:
        """All machines by name (retired ones too unless told otherwise)."""
        query = sa.select(machine_t).order_by(machine_t.c.name)
        if not include_retired:
            query = query.where(machine_t.c.status == MachineStatus.ACTIVE)
        return self._read(lambda conn: [_machine(r) for r in conn.execute(query)])

    # -- availability ---------------------------------------------------------------

    def check(
        self, machine: str, start: date, end: date, today: date | None = None
    ) -> Availability:
        """Whether ``machine`` is free on every day of [start, end] (inclusive).

        Raises InvalidRequest for bad dates or a retired machine, NotFound for
        an unknown one. Being booked is an answer, not an error.
        """
        validate_range(start, end, self.today(today))

        def work(conn: Connection) -> Availability:
            row = self._active_machine_row(conn, machine)
            return availability(row.name, start, end, self._conflicts(conn, row.id, start, end))

        return self._read(work)

    def check_many(
        self,
        requests: Iterable[tuple[str, date, date] | RentcalError],
        today: date | None = None,
        chunk: int = 500,
    ) -> Iterator[Availability | RentcalError]:
        """Answer many checks in order, streaming: one result per request.

        A bad request yields its error in its place and the run goes on; an
        error given as a request (a line the caller could not parse) is passed
        through. Requests are answered in read transactions of ``chunk``.
        """
        day = self.today(today)
        batch: list[tuple[str, date, date] | RentcalError] = []
        for request in requests:
            batch.append(request)
            if len(batch) >= chunk:
                yield from self._answer_batch(batch, day)
                batch = []
        if batch:
            yield from self._answer_batch(batch, day)

    def _answer_batch(
        self, batch: list[tuple[str, date, date] | RentcalError], day: date
    ) -> list[Availability | RentcalError]:
        return self._read(lambda conn: self._answer(conn, batch, day))

    def _answer(
        self, conn: Connection, batch: list[tuple[str, date, date] | RentcalError], day: date
    ) -> list[Availability | RentcalError]:
        machines: dict[str, Row[Any]] = {}
        answers: list[Availability | RentcalError] = []
        for request in batch:
            if isinstance(request, RentcalError):
                answers.append(request)
                continue
            name, start, end = request
            try:
                validate_range(start, end, day)
                row = machines.get(name) or machines.setdefault(
                    name, self._active_machine_row(conn, name)
                )
                spans = self._conflicts(conn, row.id, start, end)
                answers.append(availability(row.name, start, end, spans))
            except RentcalError as err:
                answers.append(err)
        return answers

    def free_windows(
        self, machine: str, start: date, end: date, min_days: int = 1
    ) -> list[tuple[date, date]]:
        """Inclusive free ranges of at least ``min_days`` days inside [start, end]."""
        validate_range(start, end)
        if isinstance(min_days, bool) or not isinstance(min_days, int) or min_days < 1:
            raise InvalidRequest(f"minimum length {min_days!r} must be a whole number of days >= 1")

        def work(conn: Connection) -> list[tuple[date, date]]:
            row = self._machine_row(conn, machine)
            busy = [(c.start, c.end) for c in self._conflicts(conn, row.id, start, end)]
            return free_windows(start, end, busy, min_days)

        return self._read(work)

    # -- rentals --------------------------------------------------------------------

    def book(
        self,
        machine: str,
        start: date,
        end: date,
        *,
        member: str,
        purpose: str | None = None,
        acting: str | None = None,
        today: date | None = None,
    ) -> Rental:
        """Book ``machine`` for ``member`` on [start, end], all or nothing.

        ``acting`` (default: the member) may differ only when it is an admin
        booking for a member. Raises Unavailable (with ``.conflicts``) when
        any day is blocked — decided under the machine's lock.
        """
        validate_range(start, end, self.today(today))
        text = clean_text(purpose, "purpose")

        def work(conn: Connection) -> Rental:
            mach = self._active_machine_row(conn, machine)
            who = _member(self._member_row(conn, member))
            actor = who if acting is None else self._actor(conn, acting)
            if actor.id != who.id and not actor.is_admin:
                raise PermissionDenied(
                    f"member {actor.handle!r} is not an admin; "
                    f"only admins can book for {who.handle!r}"
                )
            if not who.verified:
                raise PermissionDenied(
                    f"member {who.handle!r} is not verified yet; an admin must verify them first"
                )
            self.store.lock_machine(conn, mach.id)
            conflicts = self._conflicts(conn, mach.id, start, end)
            if conflicts:
                refused = availability(mach.name, start, end, conflicts)
                raise Unavailable(refused.message, refused.conflicts)
            status = RentalStatus.APPROVED if mach.auto_approve else RentalStatus.PENDING
            now = self.now()
            rental_id = _insert(
                conn,
                rental_t,
                uid=str(uuid.uuid4()),
                machine_id=mach.id,
                member_id=who.id,
                start_date=start,
                end_date=end,
                status=status,
                purpose=text,
                price=rental_price(mach.daily_price, start, end),
                created_at=now,
                updated_at=now,
                sequence=0,
                status_changed_by_id=actor.id,
                reason=None,
            )
            _insert(
                conn,
                history_t,
                rental_id=rental_id,
                from_status=None,
                to_status=status,
                changed_by_id=actor.id,
                reason=None,
                changed_at=now,
            )
            span = f"{start.isoformat()}..{end.isoformat()}"
            self._notify(
                conn,
                self._admin_ids(conn),
                f"new request: rental {rental_id}, {who.handle} booked {mach.name} {span}"
                + (" (auto-approved)" if mach.auto_approve else ""),
                rental_id,
            )
            if mach.auto_approve:
                self._notify(
                    conn, [who.id], f"rental {rental_id} approved: {mach.name} {span}", rental_id
                )
            return self._get_rental(conn, rental_id)

        return self._guarded(work, machine, start, end)

    def _guarded(self, work: Callable[[Connection], T], machine: str, start: date, end: date) -> T:
        """Run a write; a database-level overlap refusal becomes Unavailable."""
        try:
            return self.store.run(work, write=True)
        except exc.IntegrityError as err:
            if not self.store.is_overlap(err):
                raise
        current = self.check(machine, start, end, today=date.min)
        raise Unavailable(
            current.message if current.conflicts else f"{machine} is not available {start}..{end}",
            current.conflicts,
        )

    def approve(
        self, rental_id: int, acting: str | None = None, today: date | None = None
    ) -> Rental:
        """Approve a pending rental (admins), re-checking availability under the lock."""
        return self._transition(rental_id, Action.APPROVE, acting, None, today)

    def reject(
        self,
        rental_id: int,
        acting: str | None = None,
        reason: str | None = None,
        today: date | None = None,
    ) -> Rental:
        """Reject a pending or approved rental (admins), keeping it with the reason."""
        return self._transition(rental_id, Action.REJECT, acting, reason, today)

    def cancel(
        self,
        rental_id: int,
        acting: str | None = None,
        reason: str | None = None,
        today: date | None = None,
    ) -> Rental:
        """Cancel a rental: its member or an admin, before it has ended."""
        return self._transition(rental_id, Action.CANCEL, acting, reason, today)

    def complete(
        self, rental_id: int, acting: str | None = None, today: date | None = None
    ) -> Rental:
        """Mark an approved rental that has started as completed (admins)."""
        return self._transition(rental_id, Action.COMPLETE, acting, None, today)

    def _transition(
        self,
        rental_id: int,
        action: Action,
        acting: str | None,
        reason: str | None,
        today: date | None,
    ) -> Rental:
        day = self.today(today)
        note = clean_text(reason, "reason")
        rid = _int_id(rental_id, "rental")

        def work(conn: Connection) -> Rental:
            machine_id = conn.execute(
                sa.select(rental_t.c.machine_id).where(rental_t.c.id == rid)
            ).scalar_one_or_none()
            if machine_id is None:
                raise NotFound(f"rental {rid} not found")
            self.store.lock_machine(conn, machine_id)
            rental = self._get_rental(conn, rid)  # re-read under the lock
            actor = self._actor(conn, acting)
            if action is Action.CANCEL:
                if not actor.is_admin and actor.handle != rental.member:
                    raise PermissionDenied(
                        f"member {actor.handle!r} cannot cancel rental {rid}: it belongs to "
                        f"{rental.member!r} (only its member or an admin can)"
                    )
            elif not actor.is_admin:
                raise PermissionDenied(
                    f"member {actor.handle!r} is not an admin; "
                    f"only admins can {action.value} rentals"
                )
            new = next_status(rid, rental.status, action, end=rental.end, today=day)
            if action is Action.COMPLETE and rental.start > day:
                raise InvalidTransition(
                    f"cannot complete rental {rid}: it starts on {rental.start.isoformat()}",
                    current=rental.status.value,
                    action=action.value,
                )
            if action is Action.APPROVE:
                status = conn.execute(
                    sa.select(machine_t.c.status).where(machine_t.c.id == machine_id)
                ).scalar_one()
                if status != MachineStatus.ACTIVE:
                    raise InvalidRequest(
                        f"cannot approve rental {rid}: machine {rental.machine!r} is retired"
                    )
                conflicts = self._conflicts(
                    conn, machine_id, rental.start, rental.end, skip_rental=rid
                )
                if conflicts:
                    found = availability(rental.machine, rental.start, rental.end, conflicts)
                    raise Unavailable(
                        f"cannot approve rental {rid}: {found.message}", found.conflicts
                    )
            now = self.now()
            conn.execute(
                sa.update(rental_t)
                .where(rental_t.c.id == rid)
                .values(
                    status=new,
                    updated_at=now,
                    sequence=rental_t.c.sequence + 1,
                    status_changed_by_id=actor.id,
                    reason=note,
                )
            )
            conn.execute(
                sa.insert(history_t).values(
                    rental_id=rid,
                    from_status=rental.status,
                    to_status=new,
                    changed_by_id=actor.id,
                    reason=note,
                    changed_at=now,
                )
            )
            message = (
                f"rental {rid} {new.value}: {rental.machine} "
                f"{rental.start.isoformat()}..{rental.end.isoformat()}"
            )
            self._notify(
                conn,
                [_member_id(conn, rental.member)],
                message + (f" ({note})" if note else ""),
                rid,
            )
            return self._get_rental(conn, rid)

        return self._write(work)

    def rental(self, rental_id: int) -> Rental:
        """One rental by id."""
        return self._read(lambda conn: self._get_rental(conn, rental_id))

    def history(self, rental_id: int) -> list[dict[str, Any]]:
        """Every status change of a rental, oldest first: who, when, from, to, why."""
        rid = _int_id(rental_id, "rental")

        def work(conn: Connection) -> list[dict[str, Any]]:
            self._get_rental(conn, rid)
            h = history_t.c
            rows = conn.execute(
                sa.select(
                    h.from_status,
                    h.to_status,
                    h.reason,
                    h.changed_at,
                    member_t.c.handle.label("by"),
                )
                .select_from(history_t.outerjoin(member_t, member_t.c.id == h.changed_by_id))
                .where(h.rental_id == rid)
                .order_by(h.id)
            )
            return [
                {
                    "from": r.from_status.value if r.from_status else None,
                    "to": r.to_status.value,
                    "by": r.by,
                    "reason": r.reason,
                    "at": r.changed_at,
                }
                for r in rows
            ]

        return self._read(work)

    def rentals(
        self,
        machine: str | None = None,
        member: str | None = None,
        status: str | RentalStatus | Sequence[str | RentalStatus] | None = None,
        start: date | None = None,
        end: date | None = None,
    ) -> list[Rental]:
        """Rentals matching every filter given, by start day then id.

        ``start``/``end`` select rentals touching that inclusive window.
        """
        statuses = _statuses(status, RentalStatus, "status")
        if start is not None and end is not None:
            validate_range(start, end)

        def work(conn: Connection) -> list[Rental]:
            query = _RENTAL_SELECT
            if machine is not None:
                query = query.where(rental_t.c.machine_id == self._machine_row(conn, machine).id)
            if member is not None:
                query = query.where(rental_t.c.member_id == self._member_row(conn, member).id)
            query = _narrowed(query, rental_t, statuses, start, end)
            return [_rental(r) for r in conn.execute(query)]

        return self._read(work)

    # -- maintenance --------------------------------------------------------------------

    def add_maintenance(
        self,
        machine: str,
        start: date,
        end: date,
        kind: str | MaintenanceKind = MaintenanceKind.PREVENTIVE,
        notes: str | None = None,
        acting: str | None = None,
        force: bool = False,
        today: date | None = None,
    ) -> Maintenance:
        """Take a machine out of service on [start, end] (admins).

        Over blocking rentals this raises Unavailable with the conflicts,
        unless ``force=True``: then it is stored, the rentals stay for an
        admin to move, and their members are notified. Over scheduled
        maintenance it always raises: blocks of one machine never overlap,
        which keeps availability checks O(log n).
        """
        validate_range(start, end, self.today(today))
        what = parse_enum(MaintenanceKind, kind, "maintenance kind")
        text = clean_text(notes, "notes")

        def work(conn: Connection) -> Maintenance:
            actor = self._admin(conn, acting, "schedule maintenance")
            mach = self._machine_row(conn, machine)
            self.store.lock_machine(conn, mach.id)
            found_all = self._conflicts(conn, mach.id, start, end)
            upkeep = [c for c in found_all if c.kind is ConflictKind.MAINTENANCE]
            if upkeep:  # blocks of one machine never overlap: move or cancel the old one
                found = availability(mach.name, start, end, upkeep)
                raise Unavailable(f"maintenance overlaps maintenance: {found.message}", upkeep)
            clashes = [c for c in found_all if c.kind is ConflictKind.RENTAL]
            if clashes and not force:
                found = availability(mach.name, start, end, clashes)
                raise Unavailable(
                    f"maintenance overlaps rentals: {found.message} "
                    "(force=True / --force schedules it anyway)",
                    found.conflicts,
                )
            now = self.now()
            new_id = _insert(
                conn,
                maintenance_t,
                uid=str(uuid.uuid4()),
                machine_id=mach.id,
                start_date=start,
                end_date=end,
                kind=what,
                status=MaintenanceStatus.SCHEDULED,
                notes=text,
                created_by_id=actor.id,
                created_at=now,
                updated_at=now,
                sequence=0,
            )
            span = f"{start.isoformat()}..{end.isoformat()}"
            for clash in clashes:
                owner = conn.execute(
                    sa.select(rental_t.c.member_id).where(rental_t.c.id == clash.id)
                ).scalar_one()
                self._notify(
                    conn,
                    [owner],
                    f"maintenance {new_id} ({what.value}) on {mach.name} {span} overlaps "
                    f"your rental {clash.id}; an admin will contact you",
                    clash.id,
                )
            return self._get_maintenance(conn, new_id)

        return self._write(work)

    def cancel_maintenance(self, maintenance_id: int, acting: str | None = None) -> Maintenance:
        """Cancel a scheduled maintenance block (admins); it stays in history."""

        def work(conn: Connection) -> Maintenance:
            self._admin(conn, acting, "cancel maintenance")
            item = self._get_maintenance(conn, maintenance_id)
            if item.status is not MaintenanceStatus.SCHEDULED:
                raise InvalidTransition(
                    f"cannot cancel maintenance {item.id}: it is {item.status.value}",
                    current=item.status.value,
                    action="cancel",
                )
            conn.execute(
                sa.update(maintenance_t)
                .where(maintenance_t.c.id == item.id)
                .values(
                    status=MaintenanceStatus.CANCELLED,
                    updated_at=self.now(),
                    sequence=maintenance_t.c.sequence + 1,
                )
            )
            return self._get_maintenance(conn, item.id)

        return self._write(work)

    def maintenance(
        self,
        machine: str | None = None,
        status: str | MaintenanceStatus | Sequence[str | MaintenanceStatus] | None = None,
        start: date | None = None,
        end: date | None = None,
    ) -> list[Maintenance]:
        """Maintenance blocks, optionally of one machine / status / window, by start day."""
        statuses = _statuses(status, MaintenanceStatus, "maintenance status")

        def work(conn: Connection) -> list[Maintenance]:
            query = _MAINTENANCE_SELECT
            if machine is not None:
                query = query.where(
                    maintenance_t.c.machine_id == self._machine_row(conn, machine).id
                )
            query = _narrowed(query, maintenance_t, statuses, start, end)
            return [_maintenance(r) for r in conn.execute(query)]

        return self._read(work)

    # -- bulk import ----------------------------------------------------------------

    def import_rentals(
        self,
        rows: Iterable[ImportRow | Problem],
        *,
        acting: str | None = None,
        skip_invalid: bool = False,
        progress: Callable[[int, int], None] | None = None,
        today: date | None = None,
    ) -> ImportResult:
        """Import rentals (history welcome: past dates, any status), all or nothing.

        Each row is checked like ``book`` — known active machine, known member,
        verified for blocking rows, valid dates — and blocking rows must not
        overlap each other or what is stored. Invalid rows raise ImportFailed
        listing their line numbers, unless ``skip_invalid``: then the valid
        rows are stored and the problems returned. Admins only.
        """
        from rentcal.imports import ImportFailed, ImportResult

        parsed = list(rows)
        day = self.today(today)

        def work(conn: Connection) -> ImportResult:
            actor = self._admin(conn, acting, "import rentals")
            accepted, problems = self._vet_rentals(conn, parsed, day)
            if problems and not skip_invalid:
                raise ImportFailed(problems)
            self._insert_rentals(conn, accepted, actor.id, progress)
            return ImportResult(len(accepted), len(problems), tuple(problems))

        return self._write(work)

    def _vet_rentals(
        self, conn: Connection, parsed: list[ImportRow | Problem], today: date
    ) -> tuple[list[tuple[ImportRow, int, int, Decimal]], list[Problem]]:
        from rentcal.imports import ImportRow, Problem

        machines = {r.name: r for r in conn.execute(sa.select(machine_t))}
        members = {r.handle: r for r in conn.execute(sa.select(member_t))}
        sweeps: dict[int, Sweep] = {}
        windows: dict[str, tuple[date, date]] = {}
        for r in parsed:
            if isinstance(r, ImportRow):
                low, high = windows.get(r.machine, (r.start, r.end))
                windows[r.machine] = (min(low, r.start), max(high, r.end))
        accepted: list[tuple[ImportRow, int, int, Decimal]] = []
        problems: list[Problem] = []
        for row in parsed:
            if isinstance(row, Problem):
                problems.append(row)
                continue
            mach, who = machines.get(row.machine), members.get(row.member)
            message = None
            if mach is None:
                message = f"machine {row.machine!r} not found"
            elif who is None:
                message = f"member {row.member!r} not found"
            elif row.status is RentalStatus.COMPLETED and row.start > today:
                message = (
                    f"a completed rental cannot start after today ({row.start.isoformat()} > "
                    f"{today.isoformat()})"
                )
            elif row.blocking and mach.status != MachineStatus.ACTIVE:
                message = f"machine {row.machine!r} is retired and cannot be booked"
            elif row.blocking and not who.verified:
                message = f"member {row.member!r} is not verified"
            elif row.blocking:
                sweep = sweeps.get(mach.id) or sweeps.setdefault(
                    mach.id, self._sweep(conn, mach.id, *windows[row.machine])
                )
                clash = sweep.clash(row.start, row.end)
                if clash:
                    message = f"{row.start.isoformat()}..{row.end.isoformat()} overlaps {clash}"
                else:
                    sweep.add(row.start, row.end, f"line {row.line}")
            if message is not None:
                problems.append(Problem(row.line, message))
            else:
                accepted.append((row, mach.id, who.id, mach.daily_price))  # type: ignore[union-attr]
        return accepted, problems

    def _sweep(self, conn: Connection, machine_id: int, first: date, last: date) -> Sweep:
        """The stored blocking ranges of a machine within the file's window."""
        from rentcal.imports import Sweep

        found = self._conflicts(conn, machine_id, first, last)
        return Sweep((c.start, c.end, f"{c.kind.value} {c.id} ({c.status})") for c in found)

    def _insert_rentals(
        self,
        conn: Connection,
        accepted: list[tuple[ImportRow, int, int, Decimal]],
        actor_id: int,
        progress: Callable[[int, int], None] | None,
    ) -> None:
        now = self.now()
        before = conn.execute(sa.select(sa.func.max(rental_t.c.id))).scalar() or 0
        total, chunk = len(accepted), 5000
        for offset in range(0, total, chunk):
            conn.execute(
                sa.insert(rental_t),
                [
                    {
                        "uid": str(uuid.uuid4()),
                        "machine_id": machine_id,
                        "member_id": member_id,
                        "start_date": row.start,
                        "end_date": row.end,
                        "status": row.status,
                        "purpose": row.purpose,
                        "price": rental_price(price, row.start, row.end),
                        "created_at": now,
                        "updated_at": now,
                        "sequence": 0,
                        "status_changed_by_id": actor_id,
                        "reason": "imported",
                    }
                    for row, machine_id, member_id, price in accepted[offset : offset + chunk]
                ],
            )
            if progress is not None:
                progress(min(offset + chunk, total), total)
        r = rental_t.c
        conn.execute(
            sa.insert(history_t).from_select(
                ["rental_id", "to_status", "changed_by_id", "reason", "changed_at"],
                sa.select(
                    r.id,
                    r.status,
                    sa.literal(actor_id),
                    sa.literal("imported"),
                    sa.literal(now, type_=history_t.c.changed_at.type),
                ).where(r.id > before),
            )
        )

    def import_maintenance(
        self,
        machine: str,
        rows: Iterable[BlockRow | Problem],
        *,
        kind: str | MaintenanceKind = MaintenanceKind.PREVENTIVE,
        acting: str | None = None,
        skip_invalid: bool = False,
    ) -> ImportResult:
        """Import blocks (holidays, a workshop's schedule) as maintenance, all or nothing.

        Blocks may not overlap blocking rentals, scheduled maintenance, or
        each other; past blocks are welcome. Admins only.
        """
        from rentcal.imports import BlockRow, ImportFailed, ImportResult, Problem, Sweep

        what = parse_enum(MaintenanceKind, kind, "maintenance kind")
        parsed = list(rows)

        def work(conn: Connection) -> ImportResult:
            actor = self._admin(conn, acting, "import maintenance")
            mach = self._machine_row(conn, machine)
            self.store.lock_machine(conn, mach.id)
            blocks = [b for b in parsed if isinstance(b, BlockRow)]
            problems = [p for p in parsed if isinstance(p, Problem)]
            sweep = Sweep()
            if blocks:
                first, last = min(b.start for b in blocks), max(b.end for b in blocks)
                sweep = Sweep(
                    (c.start, c.end, f"{c.kind.value} {c.id} ({c.status})")
                    for c in self._conflicts(conn, mach.id, first, last)
                )
            good: list[BlockRow] = []
            for block in blocks:
                clash = sweep.clash(block.start, block.end)
                if clash:
                    span = f"{block.start.isoformat()}..{block.end.isoformat()}"
                    problems.append(Problem(block.line, f"{span} overlaps {clash}"))
                    continue
                sweep.add(block.start, block.end, f"event {block.line}")
                good.append(block)
            if problems and not skip_invalid:
                raise ImportFailed(sorted(problems, key=lambda p: p.line))
            now = self.now()
            if good:
                conn.execute(
                    sa.insert(maintenance_t),
                    [
                        {
                            "uid": str(uuid.uuid4()),
                            "machine_id": mach.id,
                            "start_date": b.start,
                            "end_date": b.end,
                            "kind": what,
                            "status": MaintenanceStatus.SCHEDULED,
                            "notes": b.notes,
                            "created_by_id": actor.id,
                            "created_at": now,
                            "updated_at": now,
                            "sequence": 0,
                        }
                        for b in good
                    ],
                )
            return ImportResult(
                len(good), len(problems), tuple(sorted(problems, key=lambda p: p.line))
            )

        return self._write(work)

    # -- feeds ------------------------------------------------------------------------

    def feed_items(
        self,
        machine: str | None = None,
        member: str | None = None,
        start: date | None = None,
        end: date | None = None,
        all_statuses: bool = False,
    ) -> tuple[list[Rental], list[Maintenance]]:
        """What a feed shows: rentals (and, unless per member, maintenance) in a window.

        By default only what occupies a machine: pending and approved rentals,
        scheduled maintenance. A member's personal feed has no maintenance.
        """
        if start is not None and end is not None:
            validate_range(start, end)
        rentals = self.rentals(
            machine=machine,
            member=member,
            status=None if all_statuses else sorted(BLOCKING_RENTAL_STATUSES),
            start=start,
            end=end,
        )
        if member is not None:
            return rentals, []
        upkeep = self.maintenance(
            machine=machine,
            status=None if all_statuses else sorted(BLOCKING_MAINTENANCE_STATUSES),
            start=start,
            end=end,
        )
        return rentals, upkeep

    def events(
        self,
        machine: str | None = None,
        member: str | None = None,
        start: date | None = None,
        end: date | None = None,
        all_statuses: bool = False,
    ) -> list[dict[str, Any]]:
        """FullCalendar event objects (exclusive ``end``, ``allDay``), see docs/feeds.md."""
        from rentcal.feeds import fullcalendar

        rentals, upkeep = self.feed_items(machine, member, start, end, all_statuses)
        return fullcalendar.events(rentals, upkeep, multi_machine=machine is None)

    def ical(
        self,
        machine: str | None = None,
        member: str | None = None,
        start: date | None = None,
        end: date | None = None,
        all_statuses: bool = False,
    ) -> bytes:
        """An iCalendar (.ics) document of the same events, byte-stable between exports."""
        from rentcal._version import __version__
        from rentcal.feeds import ical

        rentals, upkeep = self.feed_items(machine, member, start, end, all_statuses)
        if machine is not None:
            name = f"rentcal: {self.machine(machine).title}"
        elif member is not None:
            name = f"rentcal: {self.member(member).name}"
        else:
            name = "rentcal: all machines"
        return ical.to_ics(
            rentals, upkeep, name=name, multi_machine=machine is None, prodid_version=__version__
        )

    # -- notifications --------------------------------------------------------------------

    def notifications(
        self, member: str, unread_only: bool = False, mark_read: bool = False
    ) -> list[Notification]:
        """A member's notifications, oldest first.

        ``mark_read=True`` marks exactly the returned ones read in the same
        transaction, so one that arrives meanwhile is never marked unseen.
        """

        def work(conn: Connection) -> list[Notification]:
            row = self._member_row(conn, member)
            n = notification_t.c
            query = sa.select(notification_t).where(n.member_id == row.id).order_by(n.id)
            if unread_only:
                query = query.where(n.read_at.is_(None))
            found = [
                Notification(r.id, row.handle, r.rental_id, r.message, r.created_at, r.read_at)
                for r in conn.execute(query)
            ]
            unread = [item.id for item in found if item.read_at is None]
            now = self.now()
            for i in range(0, len(unread) if mark_read else 0, 10_000):  # bounded IN lists
                conn.execute(
                    sa.update(notification_t)
                    .where(n.id.in_(unread[i : i + 10_000]))
                    .values(read_at=now)
                )
            return found

        return self._write(work) if mark_read else self._read(work)

    def mark_read(self, member: str) -> int:
        """Mark all of a member's unread notifications read; returns how many."""

        def work(conn: Connection) -> int:
            row = self._member_row(conn, member)
            n = notification_t.c
            result = conn.execute(
                sa.update(notification_t)
                .where(n.member_id == row.id, n.read_at.is_(None))
                .values(read_at=self.now())
            )
            return int(result.rowcount)

        return self._write(work)


def _narrowed(
    query: Any, table: sa.Table, statuses: Sequence[Enum], start: date | None, end: date | None
) -> Any:
    """``query`` limited to ``statuses`` and to rows touching [start, end], by start then id."""
    c = table.c
    if statuses:
        query = query.where(c.status.in_([s.value for s in statuses]))
    if start is not None or end is not None:
        query = query.where(
            overlap_clause(c.start_date, c.end_date, start or date.min, end or date.max)
        )
    return query.order_by(c.start_date, c.id)


def _insert(conn: Connection, table: sa.Table, **values: Any) -> int:
    """Insert one row and return its new primary key."""
    key = conn.execute(sa.insert(table).values(**values)).inserted_primary_key
    if key is None:  # pragma: no cover - single-row inserts always report their key
        raise RuntimeError(f"no primary key returned by an insert into {table.name}")
    return int(key[0])


#: Ids are 32-bit on every backend; larger numbers cannot name a row.
MAX_ID = 2**31 - 1


def _int_id(value: object, label: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
        raise InvalidRequest(f"{label} id {value!r} must be a whole number from 1 to {MAX_ID}")
    return value


def _member_id(conn: Connection, handle: str) -> int:
    return int(
        conn.execute(sa.select(member_t.c.id).where(member_t.c.handle == handle)).scalar_one()
    )


def _statuses(value: object, enum: type[E], label: str) -> list[E]:
    if value is None:
        return []
    items = [value] if isinstance(value, (str, Enum)) else list(value)  # type: ignore[call-overload]
    return [parse_enum(enum, item, label) for item in items]


def connect(
    url: str | None = None,
    *,
    busy_timeout: float | None = None,
    clock: Clock | None = None,
    pool_size: int | None = None,
) -> Rentcal:
    """Open (and on first use create) a rentcal database.

    Parameters:
        url: ``sqlite:///PATH``, a bare file path, or
            ``postgresql+psycopg://USER@HOST/DB``. ``None`` reads
            ``$RENTCAL_DATABASE_URL``, else the embedded SQLite file
            ``$XDG_DATA_HOME/rentcal/rentcal.db``.
        busy_timeout: seconds an operation may wait (for locks, connections,
            retries) before ``Busy``; ``None`` reads ``$RENTCAL_BUSY_TIMEOUT``, else 10.
        clock: returns the current aware datetime (tests inject one).
        pool_size: most connections this object opens at once; ``None`` reads
            ``$RENTCAL_POOL_SIZE``, else 5 (see docs/postgres.md).

    Raises:
        DatabaseError: unreachable, unreadable, or a schema newer than this rentcal.
    """
    store = Store(url, busy_timeout=busy_timeout, pool_size=pool_size)
    return Rentcal(store, clock=clock)


__all__ = ["Rentcal", "RentcalError", "connect"]
