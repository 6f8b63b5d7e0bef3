"""What every use case shares: the store, the clock, lookups, the guarded write.

:class:`Context` is the ONE object the use-case objects share (each gets it
explicitly; none inherits it); the public facade :class:`rentcal.service.Rentcal`
builds it. Every public method opens exactly one transaction, through
:meth:`Context.read` or :meth:`Context.write`; the latter is THE guarded write:
when the database itself refuses an overlap (something bypassed the machine's
lock), the caller gets the same :class:`~rentcal.errors.Unavailable`, with its
conflicts, as when the service found them first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from enum import Enum
from typing import Literal, TypeVar

from sqlalchemy import exc
from sqlalchemy.engine import Connection

from rentcal.core import checks
from rentcal.core.availability import Conflict, availability, find_conflicts
from rentcal.core.types import MachineStatus
from rentcal.core.values import Machine, Maintenance, Member, Rental, TimeZone
from rentcal.db import sql as q
from rentcal.db.rows import MachineRecord, MemberRecord
from rentcal.db.store import Store
from rentcal.errors import InvalidRequest, NotFound, PermissionDenied, Unavailable
from rentcal.service.mail_queue import queue as queue_mail
from rentcal.service.org_currency import CurrencyCache
from rentcal.service.org_zone import OrgZone, local_date

E = TypeVar("E", bound=Enum)
T = TypeVar("T")
Clock = Callable[[], datetime]
#: What a guarded write may occupy: (machine name, first day, last day).
Span = tuple[str, date, date]
#: The spans of a write, or a function giving them (called only on a refusal).
Spans = Iterable[Span] | Callable[[], Iterable[Span]]

#: Ids are 32-bit on every backend; larger numbers cannot name a row.
MAX_ID = checks.MAX_ID


def utc_now() -> datetime:
    """The default clock: an aware UTC datetime."""
    return datetime.now(UTC)


def int_id(value: object, label: str) -> int:
    """``value`` as a row id, or InvalidRequest naming the parameter ``{label}_id``."""
    return checks.record_id(value, f"{label}_id", label)


def statuses(value: object, enum: type[E], label: str, name: str = "status") -> list[E]:
    """A status filter (one value, several, or None) as enum members; ``name`` is the parameter."""
    return checks.choices(value, enum, name, label)


def span_text(start: date, end: date) -> str:
    """``2030-01-02..2030-01-04``: how messages name an inclusive range."""
    return f"{start.isoformat()}..{end.isoformat()}"


def refuse_deactivated(member: Member, field: str) -> None:
    """PermissionDenied (reason ``deactivated``) for a member an admin deactivated."""
    if not member.active:
        raise PermissionDenied(
            f"member {member.handle!r} is deactivated",
            field=field,
            value=member.handle,
            reason="deactivated",
        )


class Context:
    """One connection's shared state: store, clock, the organisation's zone, lookups.

    Use cases receive it explicitly and call only its public methods; it
    knows no use case.
    """

    def __init__(
        self, store: Store, *, clock: Clock | None = None, timezone: str | None = None
    ) -> None:
        self.store = store
        self._clock = clock or utc_now
        #: The zone given to connect() (or $RENTCAL_TIMEZONE) and the zone cache.
        self._zone = OrgZone(timezone)
        #: The organisation's currency, as the messages word prices (cached).
        self._currency = CurrencyCache()

    # -- plumbing -----------------------------------------------------------------

    def close(self) -> None:
        """Release the database connections."""
        self.store.close()

    @property
    def url(self) -> str:
        """The database URL in use, password hidden."""
        return self.store.display_url

    def now(self) -> datetime:
        """The injected clock's aware UTC time."""
        return self._clock()

    def today(self, today: date | None = None) -> date:
        """``today`` if given, else the clock's date in the organisation's time zone.

        This is the one place "today" is read. The zone is the one stored in
        the database (so every host agrees), else the one given to
        ``connect()`` / ``$RENTCAL_TIMEZONE``, else the host's local zone. It
        is read once per connection and trusted for
        :data:`~rentcal.service.org_zone.ZONE_TTL` seconds,
        so operations do not pay a query for it.
        """
        given = checks.optional_day(today, "today")
        if given is not None:
            return given
        return local_date(self.timezone(), self._clock())

    def timezone(self, *, fresh: bool = False) -> TimeZone:
        """The organisation's zone (cached per connection, see :meth:`today`)."""
        cached = None if fresh else self._zone.cached()
        if cached is not None:
            return cached
        zone = self.read(self._zone.read_in)
        self._zone.remember(zone)
        return zone

    def zone_in(self, conn: Connection) -> TimeZone:
        """The zone as seen in transaction ``conn`` (the database's, else the fallbacks)."""
        return self._zone.read_in(conn)

    def fallback_zone(self) -> TimeZone:
        """The zone while the database holds none: connect()'s (or the variable), the host's."""
        return self._zone.fallback()

    def store_initial_zone(self, conn: Connection, member_id: int | None) -> None:
        """``init()``'s part: the given zone, else the host's, else UTC, if none is stored."""
        self._zone.store_initial(conn, member_id, self.now())

    def currency_in(self, conn: Connection) -> str | None:
        """The currency prices are worded in (cached per connection, like the zone)."""
        return self._currency.read_in(conn)

    def forget_currency(self) -> None:
        """Drop the cached currency: this connection changed it."""
        self._currency.forget()

    def forget_zone(self) -> None:
        """Drop the cached zone: this connection changed it, the next read is fresh."""
        self._zone.forget()

    @property
    def serialised(self) -> bool:
        """Whether a write transaction already excludes every other writer (SQLite's
        BEGIN IMMEDIATE): then what it read before taking a lock is still current,
        and the locking recipe's re-reads under the lock are not needed."""
        return self.store.serialises_writers

    def read(self, fn: Callable[[Connection], T]) -> T:
        """``fn(conn)`` in one read transaction."""
        return self.store.run(fn, write=False)

    def write(
        self,
        fn: Callable[[Connection], T],
        spans: Spans = (),
        *,
        calendar: bool = True,
        skip_rental: int | None = None,
    ) -> T:
        """THE write path: one write transaction; a database overlap refusal -> Unavailable.

        ``spans`` names what the write may occupy. The service decides
        availability under the machine's lock before writing, so the guard
        fires only when something bypassed the lock; then the conflicts are
        read afresh for ``spans`` and reported like any other refusal.

        ``calendar`` (the default) says the write may change what a calendar
        shows: the calendar's revision is then bumped in the same transaction,
        after ``fn`` (and, on PostgreSQL, ``NOTIFY rentcal_revision`` is sent
        on commit), so caches and live views never miss a change nor see one
        that was rolled back. Writes that no calendar shows (passwords,
        sessions, tokens, read marks) pass ``calendar=False``.

        ``skip_rental``: a rental that moves is never its own conflict.
        """

        def revised(conn: Connection) -> T:
            result = fn(conn)
            self.bump_revision(conn)
            return result

        try:
            return self.store.run(revised if calendar else fn, write=True)
        except exc.IntegrityError as err:
            if not self.store.is_overlap(err):
                raise
        raise self._refused(list(spans() if callable(spans) else spans), skip_rental)

    def bump_revision(self, conn: Connection) -> None:
        """Raise the calendar's revision in ``conn``'s transaction: for a write that
        passed ``calendar=False`` because only some of its outcomes change a calendar."""
        self.store.bump_revision(conn, self.now())

    def _refused(self, spans: list[Span], skip_rental: int | None = None) -> Unavailable:
        """The Unavailable a database guard refusal stands for, with its conflicts."""

        def work(conn: Connection) -> list[tuple[Span, list[Conflict]]]:
            found = []
            for name, start, end in spans:
                row = q.machine_row(conn, name)
                if row is not None:
                    hits = [
                        c
                        for c in q.conflicts(conn, row.id, start, end)
                        if not (c.kind.value == "rental" and c.id == skip_rental)
                    ]
                    found.append(((row.name, start, end), hits))
            return found

        found = self.read(work)
        if len(found) == 1:
            (name, start, end), spans_found = found[0]
            answer = availability(name, start, end, spans_found)
            return Unavailable(answer.message, answer.conflicts, machine=name, start=start, end=end)
        conflicts = [c for (_, s, e), hits in found for c in find_conflicts(s, e, hits)]
        return Unavailable(
            "the database refused an overlapping rental or maintenance block", conflicts
        )

    # -- lookups ------------------------------------------------------------------

    def machine_row(self, conn: Connection, name: str) -> MachineRecord:
        """The machine's row, or NotFound naming it."""
        handle = checks.handle(name, "machine")
        row = q.machine_row(conn, handle)
        if row is None:
            raise NotFound(f"machine {handle!r} not found", field="machine", value=handle)
        return row

    def active_machine_row(self, conn: Connection, name: str) -> MachineRecord:
        """The machine's row, or NotFound / InvalidRequest (retired: not bookable)."""
        return self.bookable(self.machine_row(conn, name))

    @staticmethod
    def bookable(row: MachineRecord) -> MachineRecord:
        """``row`` of an active machine, or InvalidRequest: a retired one is not bookable."""
        if row.status != MachineStatus.ACTIVE:
            raise InvalidRequest(
                f"machine {row.name!r} is retired and cannot be booked",
                field="machine",
                value=row.name,
                reason="retired",
            )
        return row

    def member_row(
        self,
        conn: Connection,
        handle: str,
        label: str = "member",
        *,
        lock: Literal["shared", "exclusive"] | None = None,
    ) -> MemberRecord:
        """The member's row, or NotFound naming them as ``label``; with ``lock``, the
        row read under the member's lock (:meth:`Store.lock_member`: bookings take it
        shared, a deactivation exclusive)."""
        clean = self.member_handle(handle, label)
        if lock is None:
            row = q.member_row(conn, clean)
        else:
            row = self.store.lock_member(conn, clean, shared=lock == "shared")
        return self.found_member(row, handle, label)

    @staticmethod
    def member_handle(handle: str, label: str = "member") -> str:
        """``handle`` checked and normalised, as :meth:`member_row` looks it up."""
        return checks.handle(handle, "acting" if label == "acting member" else "member", label)

    def found_member(
        self, row: MemberRecord | None, handle: str, label: str = "member"
    ) -> MemberRecord:
        """``row`` (a member looked up by ``handle``), or NotFound naming them as ``label``."""
        clean = self.member_handle(handle, label)
        if row is None:
            raise NotFound(f"{label} {clean!r} not found", field=label, value=clean)
        return row

    def actor(self, conn: Connection, acting: str | None) -> Member:
        """THE acting member of a use case: it exists and is active (not deactivated)."""
        if acting is None:
            raise PermissionDenied("this needs an acting member", field="acting", reason="no-actor")
        return self.acting_member(self.member_row(conn, acting, "acting member"), acting)

    def acting_member(self, row: MemberRecord | None, acting: str) -> Member:
        """:meth:`actor` for the row already read by handle ``acting`` (None: nobody)."""
        actor = q.member(self.found_member(row, acting, "acting member"))
        refuse_deactivated(actor, "acting")
        return actor

    def admin(self, conn: Connection, acting: str | None, what: str) -> Member:
        """THE acting admin: an active member who is an admin, else PermissionDenied."""
        actor = self.actor(conn, acting)
        if not actor.is_admin:
            raise PermissionDenied(
                f"member {actor.handle!r} is not an admin; only admins can {what}",
                field="acting",
                value=actor.handle,
                reason="not-admin",
            )
        return actor

    def get_rental(self, conn: Connection, rental_id: int) -> Rental:
        """The rental, or NotFound."""
        found = q.rental_by_id(conn, int_id(rental_id, "rental"))
        if found is None:
            raise NotFound(f"rental {rental_id} not found", field="rental", value=rental_id)
        return found

    def get_maintenance(self, conn: Connection, maintenance_id: int) -> Maintenance:
        """The maintenance block, or NotFound."""
        found = q.maintenance_by_id(conn, int_id(maintenance_id, "maintenance"))
        if found is None:
            raise NotFound(
                f"maintenance {maintenance_id} not found",
                field="maintenance",
                value=maintenance_id,
            )
        return found

    def conflicts(
        self,
        conn: Connection,
        machine_id: int,
        start: date,
        end: date,
        *,
        skip_rental: int | None = None,
    ) -> list[Conflict]:
        """Blocking rentals and maintenance of one machine overlapping [start, end]."""
        found = q.conflicts(conn, machine_id, start, end)
        if skip_rental is None:
            return found
        return [c for c in found if not (c.kind.value == "rental" and c.id == skip_rental)]

    def notify(
        self,
        conn: Connection,
        member_ids: Iterable[int],
        message: str,
        rental_id: int | None = None,
        *,
        kind: str = "notice",
        rental: Rental | None = None,
    ) -> None:
        """One notification per member (each at most once), in the caller's transaction,
        and the same news as an e-mail to each of them with an address (the outbox,
        :mod:`rentcal.service.mail_queue`): ``kind`` says what happened; ``rental`` is
        rental ``rental_id`` when the caller has it (else it is read for the e-mail)."""
        now = self.now()
        ids = list(dict.fromkeys(member_ids))
        q.add_notifications(
            conn,
            (
                {
                    "member_id": mid,
                    "rental_id": rental_id,
                    "message": message,
                    "created_at": now,
                    "read_at": None,
                }
                for mid in ids
            ),
        )
        about = rental or rental_id
        currency = None if about is None else self.currency_in(conn)
        queue_mail(conn, ids, message, about, kind, now, currency)

    def machine_value(self, conn: Connection, name: str) -> Machine:
        """The machine as a value, or NotFound."""
        return q.machine(self.machine_row(conn, name))


__all__ = [
    "MAX_ID",
    "Clock",
    "Context",
    "Span",
    "Spans",
    "int_id",
    "refuse_deactivated",
    "span_text",
    "statuses",
    "utc_now",
]
