"""What every use case shares: the store, the clock, lookups, the guarded write.

:class:`ServiceBase` is the common ancestor of the use-case modules; the
public facade :class:`rentcal.service.Rentcal` combines them. Every public
method opens exactly one transaction, through :meth:`ServiceBase._read` or
:meth:`ServiceBase._write`; the latter is THE guarded write: when the
database itself refuses an overlap (something bypassed the machine's lock),
the caller gets the same :class:`~rentcal.errors.Unavailable`, with its
conflicts, as when the service found them first.
"""

from __future__ import annotations

import os
import time
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
from rentcal.db.sql import accounts as qa
from rentcal.db.store import Store
from rentcal.errors import DatabaseError, InvalidRequest, NotFound, PermissionDenied, Unavailable

E = TypeVar("E", bound=Enum)
T = TypeVar("T")
Clock = Callable[[], datetime]
#: What a guarded write may occupy: (machine name, first day, last day).
Span = tuple[str, date, date]
#: The spans of a write, or a function giving them (called only on a refusal).
Spans = Iterable[Span] | Callable[[], Iterable[Span]]

#: Ids are 32-bit on every backend; larger numbers cannot name a row.
MAX_ID = checks.MAX_ID
#: The organisation setting holding the time zone (see rentcal.service.settings).
TIMEZONE_KEY = "timezone"
#: The zone used when the database holds none and connect() was given none.
TIMEZONE_ENV = "RENTCAL_TIMEZONE"
#: Seconds one connection trusts the zone it read (a change on another host is
#: seen within this; a change through this connection at once).
ZONE_TTL = 30.0


def utc_now() -> datetime:
    """The default clock: an aware UTC datetime."""
    return datetime.now(UTC)


def host_zone_name() -> str | None:
    """This host's IANA zone name (``$TZ``, else the /etc/localtime link), or None."""
    from zoneinfo import ZoneInfo

    candidates = [os.environ.get("TZ", "").lstrip(":")]
    try:
        target = os.path.realpath("/etc/localtime")
    except OSError:  # pragma: no cover - realpath does not raise on Linux
        target = ""
    if "zoneinfo/" in target:
        candidates.append(target.split("zoneinfo/", 1)[1])
    for name in candidates:
        if name and not name.startswith("/"):
            try:
                ZoneInfo(name)
            except (ValueError, LookupError, OSError):
                continue
            return name
    return None


def int_id(value: object, label: str) -> int:
    """``value`` as a row id, or InvalidRequest naming the parameter ``{label}_id``."""
    return checks.record_id(value, f"{label}_id", label)


def statuses(value: object, enum: type[E], label: str, name: str = "status") -> list[E]:
    """A status filter (one value, several, or None) as enum members; ``name`` is the parameter."""
    return checks.choices(value, enum, name, label)


def span_text(start: date, end: date) -> str:
    """``2030-01-02..2030-01-04``: how messages name an inclusive range."""
    return f"{start.isoformat()}..{end.isoformat()}"


class ServiceBase:
    """A connection to one rentcal database: store, clock and shared lookups."""

    def __init__(
        self, store: Store, *, clock: Clock | None = None, timezone: str | None = None
    ) -> None:
        self.store = store
        self._clock = clock or utc_now
        #: The zone given to connect() (or $RENTCAL_TIMEZONE): used until the
        #: database holds one, and stored by init().
        self._given_zone = timezone
        #: (monotonic time read, the TimeZone): the zone cache of this connection.
        self._zone: tuple[float, TimeZone] | None = None

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
        is read once per connection and trusted for :data:`ZONE_TTL` seconds,
        so operations do not pay a query for it.
        """
        given = checks.optional_day(today, "today")
        if given is not None:
            return given
        zone = self._timezone()
        now = self._clock()
        if zone.source == "host":
            return now.astimezone().date()
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            tz = ZoneInfo(zone.name)
        except (ZoneInfoNotFoundError, ValueError):
            raise DatabaseError(
                f"the organisation's time zone {zone.name[:64]!r} is not known to this "
                "host's time-zone data; install tzdata (pip install tzdata) or have an "
                "admin set another zone"
            ) from None
        return now.astimezone(tz).date()

    def _timezone(self, *, fresh: bool = False) -> TimeZone:
        """The organisation's zone (cached per connection, see :meth:`today`)."""
        cached = self._zone
        if not fresh and cached is not None and time.monotonic() - cached[0] < ZONE_TTL:
            return cached[1]
        zone = self._read(self._zone_in)
        self._zone = (time.monotonic(), zone)
        return zone

    def _zone_in(self, conn: Connection) -> TimeZone:
        """The zone as seen in transaction ``conn`` (the database's, else the fallbacks)."""
        row = q.org_setting(conn, TIMEZONE_KEY)
        if row is not None:
            return TimeZone(row.value, "database", row.changed_by, row.changed_at)
        return self._fallback_zone()

    def _fallback_zone(self) -> TimeZone:
        """The zone while the database holds none: connect()'s (or the variable), the host's."""
        if self._given_zone is not None:
            return TimeZone(self._given_zone, "connect")
        return TimeZone(host_zone_name() or "localtime", "host")

    def _store_initial_zone(self, conn: Connection, member_id: int | None) -> None:
        """``init()``'s part: the given zone, else the host's, else UTC, if none is stored."""
        if q.org_setting(conn, TIMEZONE_KEY) is None:
            name = self._given_zone or host_zone_name() or "UTC"
            q.add_org_setting(conn, TIMEZONE_KEY, name, member_id, self.now())
        self._zone = None

    def _read(self, fn: Callable[[Connection], T]) -> T:
        return self.store.run(fn, write=False)

    def _write(
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
        notify = self.store.dialect == "postgresql"

        def revised(conn: Connection) -> T:
            result = fn(conn)
            qa.bump_revision(conn, self.now(), notify=notify)
            return result

        try:
            return self.store.run(revised if calendar else fn, write=True)
        except exc.IntegrityError as err:
            if not self.store.is_overlap(err):
                raise
        raise self._refused(list(spans() if callable(spans) else spans), skip_rental)

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

        found = self._read(work)
        if len(found) == 1:
            (name, start, end), spans_found = found[0]
            answer = availability(name, start, end, spans_found)
            return Unavailable(answer.message, answer.conflicts, machine=name, start=start, end=end)
        conflicts = [c for (_, s, e), hits in found for c in find_conflicts(s, e, hits)]
        return Unavailable(
            "the database refused an overlapping rental or maintenance block", conflicts
        )

    # -- lookups ------------------------------------------------------------------

    def _machine_row(self, conn: Connection, name: str) -> MachineRecord:
        handle = checks.handle(name, "machine")
        row = q.machine_row(conn, handle)
        if row is None:
            raise NotFound(f"machine {handle!r} not found", field="machine", value=handle)
        return row

    def _active_machine_row(self, conn: Connection, name: str) -> MachineRecord:
        row = self._machine_row(conn, name)
        if row.status != MachineStatus.ACTIVE:
            raise InvalidRequest(
                f"machine {row.name!r} is retired and cannot be booked",
                field="machine",
                value=row.name,
                reason="retired",
            )
        return row

    def _member_row(
        self,
        conn: Connection,
        handle: str,
        label: str = "member",
        *,
        lock: Literal["shared", "exclusive"] | None = None,
    ) -> MemberRecord:
        """The member's row; with ``lock``, read under the member's lock (Store.lock_member)."""
        clean = checks.handle(handle, "acting" if label == "acting member" else "member", label)
        if lock is None:
            row = q.member_row(conn, clean)
        else:
            row = self.store.lock_member(conn, clean, shared=lock == "shared")
        if row is None:
            raise NotFound(f"{label} {clean!r} not found", field=label, value=clean)
        return row

    def _actor(self, conn: Connection, acting: str | None) -> Member:
        """THE acting member of a use case: it exists and is active (not deactivated)."""
        if acting is None:
            raise PermissionDenied("this needs an acting member", field="acting", reason="no-actor")
        actor = q.member(self._member_row(conn, acting, "acting member"))
        self._refuse_deactivated(actor, "acting")
        return actor

    @staticmethod
    def _refuse_deactivated(member: Member, field: str) -> None:
        """PermissionDenied (reason ``deactivated``) for a member an admin deactivated."""
        if not member.active:
            raise PermissionDenied(
                f"member {member.handle!r} is deactivated",
                field=field,
                value=member.handle,
                reason="deactivated",
            )

    def _admin(self, conn: Connection, acting: str | None, what: str) -> Member:
        actor = self._actor(conn, acting)
        if not actor.is_admin:
            raise PermissionDenied(
                f"member {actor.handle!r} is not an admin; only admins can {what}",
                field="acting",
                value=actor.handle,
                reason="not-admin",
            )
        return actor

    def _get_rental(self, conn: Connection, rental_id: int) -> Rental:
        found = q.rental_by_id(conn, int_id(rental_id, "rental"))
        if found is None:
            raise NotFound(f"rental {rental_id} not found", field="rental", value=rental_id)
        return found

    def _get_maintenance(self, conn: Connection, maintenance_id: int) -> Maintenance:
        found = q.maintenance_by_id(conn, int_id(maintenance_id, "maintenance"))
        if found is None:
            raise NotFound(
                f"maintenance {maintenance_id} not found",
                field="maintenance",
                value=maintenance_id,
            )
        return found

    def _conflicts(
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

    def _notify(
        self,
        conn: Connection,
        member_ids: Iterable[int],
        message: str,
        rental_id: int | None = None,
    ) -> None:
        """One notification per member (each at most once), in the caller's transaction."""
        now = self.now()
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
                for mid in dict.fromkeys(member_ids)
            ),
        )

    def _machine_value(self, conn: Connection, name: str) -> Machine:
        return q.machine(self._machine_row(conn, name))


__all__ = [
    "MAX_ID",
    "TIMEZONE_ENV",
    "TIMEZONE_KEY",
    "ZONE_TTL",
    "Clock",
    "ServiceBase",
    "Span",
    "Spans",
    "host_zone_name",
    "int_id",
    "span_text",
    "statuses",
    "utc_now",
]
