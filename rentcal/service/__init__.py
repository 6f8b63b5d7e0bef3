"""The use cases behind :func:`rentcal.connect`: permissions, rules, history.

One use-case object per group of use cases, all sharing ONE explicit
:class:`~rentcal.service.base.Context` and calling each other only through
public methods; :class:`Rentcal` is the thin public facade handing each call
to one of them. Its calls are grouped by what they are about, one class of
delegations per module, which ``Rentcal`` inherits; each module's docstring
names the use-case modules behind its calls:

========================  ===============================================
``base``                  ``Context``: the store, the clock, the
                          organisation's zone, lookups, THE guarded write
``wiring``                ``UseCases`` (who gets which sibling) and ``via``
                          (a facade method delegating to a use case)
``facade_catalogue``      members, machines, keepers, maintenance
``facade_rentals``        availability, bookings, reads, moves, hand-overs,
                          housekeeping, imports
``facade_settings``       calendars, notifications, reminders, the
                          organisation's settings, the server's figures
``facade_billing``        charges, statements, invoices, payments, invoice
                          settings, the cancellation policy, utilisation
``facade_accounts``       passwords, sessions, resets, invitations, signup,
                          e-mail changes, tokens, the mail outbox
========================  ===============================================

Every public method checks its arguments first (:mod:`rentcal.core.checks`:
a wrong type is an ArgumentTypeError naming the parameter, nothing is
coerced), then opens exactly one transaction through :class:`rentcal.db.store.Store`;
every write that depends on availability re-checks it *inside* the write
transaction after taking the machine's lock, so two bookers can never both win.
Results are frozen values from :mod:`rentcal.core.values`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from rentcal.db.revision_watch import RevisionWatch
from rentcal.db.store import Store
from rentcal.errors import RentcalError
from rentcal.service.base import Clock, Context, utc_now
from rentcal.service.facade_accounts import AccountsFacade
from rentcal.service.facade_billing import BillingFacade
from rentcal.service.facade_catalogue import CatalogueFacade
from rentcal.service.facade_rentals import RentalsFacade
from rentcal.service.facade_settings import SettingsFacade
from rentcal.service.wiring import UseCases, via

if TYPE_CHECKING:
    from rentcal.service.quick_reads import QuickReads

#: Seconds a writer may wait: at least 1 ms (PostgreSQL reads 0 ms as "wait
#: forever"), at most a day (its lock_timeout holds under 25 days).
BUSY_TIMEOUT_RANGE = (0.001, 86400.0)
#: Seconds between a revision watch's wake-ups: often enough to be a loop, not a
#: spin (10 ms), and at least once an hour so a dead stream is noticed.
WATCH_SECONDS_RANGE = (0.01, 3600.0)


class Rentcal(CatalogueFacade, RentalsFacade, SettingsFacade, BillingFacade, AccountsFacade):
    """A connection to one rentcal database; see :func:`rentcal.connect`.

    A thin facade: each public method hands the call to one use-case object
    (:class:`~rentcal.service.wiring.UseCases`), all sharing one
    :class:`~rentcal.service.base.Context`. The delegations are grouped by
    area in the ``facade_*`` modules' classes, which hold nothing else; the
    connection's own methods and properties are ordinary ``def`` here.
    """

    def __init__(
        self, store: Store, *, clock: Clock | None = None, timezone: str | None = None
    ) -> None:
        self.store = store
        self._context = Context(store, clock=clock, timezone=timezone)
        self._cases = UseCases(self._context)

    def __enter__(self) -> Rentcal:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Rentcal {self.store.display_url}>"

    # -- the connection -----------------------------------------------------------

    close = via("context", Context.close)
    now = via("context", Context.now)
    today = via("context", Context.today)

    @property
    def url(self) -> str:
        """The database URL in use, password hidden."""
        return self._context.url

    @property
    def session_idle(self) -> timedelta:
        """A session unused this long expires (sliding); set it to change it."""
        return self._cases.accounts.session_idle

    @session_idle.setter
    def session_idle(self, value: timedelta) -> None:
        self._cases.accounts.session_idle = value

    @property
    def touch_interval(self) -> timedelta:
        """``last_seen_at`` / ``last_used_at`` are written at most this often."""
        return self._cases.accounts.touch_interval

    @touch_interval.setter
    def touch_interval(self, value: timedelta) -> None:
        self._cases.accounts.touch_interval = value

    @property
    def quick_reads(self) -> QuickReads:
        """A server's hot reads: answers without a write, reused until a revision
        changes (:mod:`rentcal.service.quick_reads`); None from them means "ask
        the ordinary method"."""
        return self._cases.accounts.quick

    @property
    def dialect(self) -> str:
        """Which database this is ("sqlite" or "postgresql"), for a front end's own
        choices (say, running short SQLite reads on the event loop)."""
        return self.store.dialect

    def watch_revisions(self, *, poll_seconds: float, quiet_seconds: float) -> RevisionWatch:
        """Wake-ups when the calendar's revision may have changed (live streams).

        A context manager whose ``wait()`` returns a revision the database
        announced (PostgreSQL LISTEN/NOTIFY, under the Store's timeouts and
        watchdog) or None when it is time to read :meth:`revision` (SQLite:
        every ``poll_seconds``; PostgreSQL: after ``quiet_seconds`` of silence).

        Raises:
            DatabaseError: the database could not be watched (try again later).
            ArgumentTypeError: ``poll_seconds`` or ``quiet_seconds`` not a number.
            InvalidRequest: either outside :data:`WATCH_SECONDS_RANGE`.
        """
        from rentcal.core import checks

        poll = checks.seconds(poll_seconds, "poll_seconds", *WATCH_SECONDS_RANGE)
        quiet = checks.seconds(quiet_seconds, "quiet_seconds", *WATCH_SECONDS_RANGE)
        return self.store.watch_revisions(poll_seconds=poll, quiet_seconds=quiet)


def connect(
    url: str | None = None,
    *,
    busy_timeout: float | None = None,
    clock: Clock | None = None,
    create: bool = True,
    pool_size: int | None = None,
    timezone: str | None = None,
) -> Rentcal:
    """Open (and on first use create) a rentcal database.

    Parameters:
        url: ``sqlite:///PATH``, a bare file path, or
            ``postgresql+psycopg://USER@HOST/DB``. ``None`` reads
            ``$RENTCAL_DATABASE_URL``, else the embedded SQLite file
            ``$XDG_DATA_HOME/rentcal/rentcal.db``.
        busy_timeout: seconds an operation may wait (for locks, connections,
            retries) before ``Busy``, from 0.001 to 86400; ``None`` reads
            ``$RENTCAL_BUSY_TIMEOUT``, else 10.
        clock: returns the current aware datetime (tests inject one).
        create: give a missing or empty database rentcal's schema (the
            default); ``False`` refuses it instead and creates nothing.
        pool_size: most connections this object opens at once; ``None`` reads
            ``$RENTCAL_POOL_SIZE``, else 5 (see docs/postgres.md).
        timezone: the organisation's time zone (an IANA name, e.g.
            ``"Europe/Berlin"``) while the database holds none, and the one
            :meth:`~Rentcal.init` stores; ``None`` reads ``$RENTCAL_TIMEZONE``,
            else the host's zone. Once the database holds a zone, that one
            is "today" for everyone (see :meth:`~Rentcal.set_timezone`).

    Raises:
        DatabaseError: unreachable, unreadable, no rentcal database there
            (``create=False``), another application's database, or a schema
            newer than this rentcal.
        ArgumentTypeError: ``url`` not a str, ``busy_timeout`` not a number,
            ``clock`` not callable, ``create`` not a bool, ``pool_size`` not an int,
            ``timezone`` not a str.
        InvalidRequest: ``timezone`` (or ``$RENTCAL_TIMEZONE``) names no time zone.
    """
    from rentcal.core import checks

    checks.text_or_none(url, "url")
    timeout = (
        None
        if busy_timeout is None
        else checks.seconds(busy_timeout, "busy_timeout", *BUSY_TIMEOUT_RANGE)
    )
    checks.callback(clock, "clock")
    checks.flag(create, "create")
    if pool_size is not None:
        checks.positive_int(pool_size, "pool_size")
    zone = _given_zone(timezone)
    store = Store(url, busy_timeout=timeout, create=create, pool_size=pool_size)
    return Rentcal(store, clock=clock, timezone=zone)


def _given_zone(timezone: str | None) -> str | None:
    """connect()'s ``timezone``, else ``$RENTCAL_TIMEZONE``, checked; None if neither."""
    import os

    from rentcal.core import checks
    from rentcal.errors import InvalidRequest
    from rentcal.service.org_zone import TIMEZONE_ENV

    if timezone is not None:
        return checks.zone(timezone, "timezone")
    value = os.environ.get(TIMEZONE_ENV, "")
    if not value.strip():
        return None
    try:
        return checks.zone(value, "timezone")
    except InvalidRequest as err:
        raise InvalidRequest(
            f"{TIMEZONE_ENV}: {err.message}", field="timezone", value=value, reason=err.reason
        ) from None


__all__ = ["Rentcal", "RentcalError", "connect", "utc_now"]
