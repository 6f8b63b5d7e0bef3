"""The hot reads of a server: one read per request, answers reused until something changes.

A server answers the same few questions thousands of times a second: who a
token or session stands for, whether a machine is free, a month of events,
whether a feed changed. Each answer here is kept per connection (per worker)
together with the revision it was read at, and used again only while
:func:`revisions` — ONE indexed read of two counters, through the driver's
cursor — says nothing has changed since: never for a time, so never stale.

* Credentials are kept per secret digest with the credentials' revision (every
  revoke, logout, password change or member change raises it, in the same
  transaction, on every host) and until the next "last used" touch is due or
  the session ends; :class:`~rentcal.service.tokens.Tokens` and
  :class:`~rentcal.service.sessions.Accounts` remember what they resolved.
* Availability answers, events and the per-revision facts (machine rows,
  rental limits) are kept with the calendar's revision and today's date, and
  only while nothing shown has gone stale by time alone
  (:func:`rentcal.db.sql.freshness.stale_until`): a request expiring by age
  changes the answer without a write, so it ends the cache's trust too.

Nothing here writes and nothing waits for a lock, so a front end may call
these on its event loop with SQLite; None means "not known here: ask the
ordinary use case", which may write (housekeeping, touches).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple, TypeVar

from rentcal.core import checks
from rentcal.core.availability import Availability, Conflict, availability
from rentcal.core.credential_values import FeedToken
from rentcal.core.limits import RentalLimits, check_rental_days
from rentcal.core.ranges import validate_range
from rentcal.core.types import ConflictKind, MachineStatus
from rentcal.core.values import Member
from rentcal.db import sql as q
from rentcal.db.quick_reads import Reader
from rentcal.db.rows import MachineRecord
from rentcal.db.sql.freshness import stale_until
from rentcal.db.sql.overlap import CONFLICTS_STATEMENT
from rentcal.db.sql.revisions import REVISIONS_STATEMENT, Revisions
from rentcal.errors import RentcalError
from rentcal.service.answer_cache import AnswerCache
from rentcal.service.base import Context
from rentcal.service.org_limits import read_limits
from rentcal.service.sessions import usable_secret

T = TypeVar("T")
#: Bounds of the per-worker caches (entries): secrets, answers, event lists. At
#: most ~10 MB of answers and ~30 MB of event lists per worker, whatever clients ask.
CREDENTIALS_SIZE = 10_000
ANSWERS_SIZE = 10_000
EVENTS_SIZE = 128
#: An event list longer than this is built afresh each time rather than kept.
EVENTS_KEPT_MAX = 500


@dataclass(frozen=True, slots=True)
class KnownMember:
    """What a secret resolved to, at a credentials revision, until a moment."""

    credentials: int
    member: Member
    until: datetime


class Facts(NamedTuple):
    """What one calendar revision says, for one day: limits and when it goes stale."""

    calendar: int
    day: date
    limits: RentalLimits
    stale_at: datetime | None  # None: something is stale already


class Snapshot(NamedTuple):
    """One request's read transaction: the revisions as it opened, and its reader."""

    revisions: Revisions
    reader: Reader


class QuickReads:
    """The per-connection caches of a server's hot reads (see the module)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._members: AnswerCache[str, KnownMember] = AnswerCache(CREDENTIALS_SIZE)
        self._answers: AnswerCache[tuple[Any, ...], Availability] = AnswerCache(ANSWERS_SIZE)
        self._events: AnswerCache[tuple[Any, ...], list[dict[str, Any]]] = AnswerCache(EVENTS_SIZE)
        self._machines: AnswerCache[tuple[int, str], MachineRecord] = AnswerCache(ANSWERS_SIZE)
        self._feeds: AnswerCache[str, tuple[int, FeedToken]] = AnswerCache(CREDENTIALS_SIZE)
        self._facts: Facts | None = None
        #: Told of every look-up: (cache, hit). A server counts them (its metrics).
        self.on_lookup: Callable[[str, bool], None] = _ignore

    # -- the one read per request ---------------------------------------------------

    def revisions(self) -> Revisions:
        """Both revision counters, in one quick read transaction."""
        return self.ctx.store.quick_reads.run(_read_revisions)

    def read(self, fn: Callable[[Snapshot], T]) -> T:
        """``fn(snapshot)`` in ONE quick read transaction, which first reads the
        revisions: a request's whole answer, on a cache hit, is that one read."""
        return self.ctx.store.quick_reads.run(
            lambda reader: fn(Snapshot(_read_revisions(reader), reader))
        )

    def fresh(self, revisions: Revisions) -> bool:
        """Whether nothing the calendars show is stale at this revision, now: a
        cached answer (or a client's copy, for a 304) read at it still stands."""
        facts = self._facts_for(revisions.calendar)
        return facts.stale_at is not None and self.ctx.now() < facts.stale_at

    # -- credentials ------------------------------------------------------------------

    def known_member(self, revisions: Revisions, secret: str) -> Member | None:
        """The member a token or session secret resolved to, if still current; else None."""
        digest = usable_secret(secret)
        if digest is None:
            return None
        found = self._members.get(digest)
        if found is not None and (
            found.credentials != revisions.credentials or self.ctx.now() >= found.until
        ):
            self._members.drop(digest)
            found = None
        self.on_lookup("credentials", found is not None)
        return None if found is None else found.member

    def remember_member(
        self, revisions: Revisions, digest: str, member: Member, until: datetime
    ) -> None:
        """Keep what a secret resolved to; ``revisions`` must have been read BEFORE
        the lookup, so a change committed meanwhile makes the next read miss."""
        self._members.put(digest, KnownMember(revisions.credentials, member, until))

    def known_feed(self, revisions: Revisions, secret: str) -> FeedToken | None:
        """The live feed a secret URL names, if known at this credentials revision."""
        digest = usable_secret(secret)
        found = None if digest is None else self._feeds.get(digest)
        hit = found is not None and found[0] == revisions.credentials
        self.on_lookup("feed", hit)
        return found[1] if found is not None and hit else None

    def remember_feed(self, revisions: Revisions, digest: str, feed: FeedToken) -> None:
        """Keep a feed a secret resolved to (``revisions`` read before the lookup)."""
        self._feeds.put(digest, (revisions.credentials, feed))

    # -- availability -----------------------------------------------------------------

    def check(
        self, snapshot: Snapshot, machine: str, start: date, end: date
    ) -> Availability | None:
        """``check(machine, start, end)`` answered without a write, or None.

        None when the answer needs the ordinary path: an error to report, a
        machine that is not bookable, or a stale conflict to settle first.
        """
        name = checks.handle(machine, "machine")
        checks.day(start, "start")
        checks.day(end, "end")
        revisions = snapshot.revisions
        facts = self._facts_for(revisions.calendar)
        try:
            validate_range(start, end, facts.day)
            check_rental_days(start, end, facts.day, facts.limits)
        except RentcalError:
            return None
        key = (revisions.calendar, facts.day, name, start, end)
        known = self._answers.get(key)  # its conflicts cannot go stale by the clock
        self.on_lookup("availability", known is not None)
        if known is not None:
            return known
        row, found = self._conflicts(snapshot.reader, revisions.calendar, name, start, end)
        if row is None or row.status != MachineStatus.ACTIVE:
            return None
        if _maybe_stale(row, found, facts.day):
            return None
        answer = availability(row.name, start, end, found)
        self._answers.put(key, answer)
        return answer

    def _conflicts(
        self, reader: Reader, calendar: int, name: str, start: date, end: date
    ) -> tuple[MachineRecord | None, list[Conflict]]:
        """The machine's row (kept per revision) and its conflicts, in one transaction."""
        row = self._machines.get((calendar, name))
        if row is None:
            raw = reader.first(q.MACHINE_BY_NAME, {"n": name})
            if raw is None:
                return None, []
            row = MachineRecord._make(raw)
            self._machines.put((calendar, name), row)
        rows = reader.all(CONFLICTS_STATEMENT, {"m": row.id, "s": start, "e": end})
        found = [
            Conflict(ConflictKind(kind), rid, first, last, str(status))
            for kind, rid, first, last, status in rows
        ]
        return row, found

    # -- events -----------------------------------------------------------------------

    def events(self, revisions: Revisions, key: tuple[Any, ...]) -> list[dict[str, Any]] | None:
        """The event list kept for ``key`` (the query's arguments), if still current."""
        facts = self._facts_for(revisions.calendar)
        found = self._events.get((revisions.calendar, facts.day, *key))
        if found is not None and not self.fresh(revisions):
            found = None
        self.on_lookup("events", found is not None)
        return found

    def remember_events(
        self, revisions: Revisions, key: tuple[Any, ...], events: list[dict[str, Any]]
    ) -> None:
        """Keep an event list read after ``revisions`` (short lists only)."""
        if len(events) <= EVENTS_KEPT_MAX:
            facts = self._facts_for(revisions.calendar)
            self._events.put((revisions.calendar, facts.day, *key), events)

    # -- per revision -----------------------------------------------------------------

    def _facts_for(self, calendar: int) -> Facts:
        """Limits and staleness of one revision and today, read once (ordinary read)."""
        day = self.ctx.today()
        facts = self._facts
        if facts is not None and facts.calendar == calendar and facts.day == day:
            return facts
        limits, stale_at = self.ctx.read(lambda conn: (read_limits(conn), stale_until(conn, day)))
        facts = self._facts = Facts(calendar, day, limits, stale_at)
        return facts


def _ignore(_cache: str, _hit: bool) -> None:
    """No one is counting (the library outside a server)."""


def _read_revisions(reader: Reader) -> Revisions:
    row = reader.first(REVISIONS_STATEMENT)
    assert row is not None  # both tables hold their one row from creation on
    return Revisions(int(row[0]), row[1], int(row[2]))


def _maybe_stale(row: MachineRecord, found: list[Conflict], day: date) -> bool:
    """Whether a conflict may be a stale pending request (the ordinary path settles it)."""
    return any(
        conflict.kind is ConflictKind.RENTAL
        and conflict.status == "pending"
        and (conflict.start < day or row.request_expiry_hours is not None)
        for conflict in found
    )


__all__ = ["CREDENTIALS_SIZE", "KnownMember", "QuickReads", "Revisions", "Snapshot"]
