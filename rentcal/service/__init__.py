"""The use cases behind :func:`rentcal.connect`: permissions, rules, history.

One module per group of use cases; :class:`Rentcal` is the one public facade
that combines them. Where things live:

========================  ===============================================
``base``                  the store, the clock, lookups, THE guarded write
``catalogue``             members and machines (``init``, ``add_member``, ...)
``availability``          ``check``, ``check_many``, ``free_windows``
``bookings``              ``book``, approve / reject / cancel / complete, reads
``maintenance``           ``add_maintenance``, ``cancel_maintenance``, reads
``bulk``                  ``import_rentals``, ``import_maintenance``
``feeds``                 ``events``, ``ical``, ``feed_items``
``notifications``         ``notifications``, ``mark_read``
``accounts``              passwords, ``login`` / sessions, API tokens, feed
                          tokens, ``revision``
``idempotency``           helpers making ``book(idempotency_key=...)`` once-only
========================  ===============================================

Every method opens exactly one transaction through :class:`rentcal.store.Store`;
every write that depends on availability re-checks it *inside* the write
transaction after taking the machine's lock, so two bookers can never both win.
Results are frozen values from :mod:`rentcal.core.values`.
"""

from __future__ import annotations

from rentcal.errors import RentcalError
from rentcal.service.accounts import Accounts
from rentcal.service.availability import Availabilities
from rentcal.service.base import Clock, utc_now
from rentcal.service.bookings import Bookings
from rentcal.service.bulk import Bulk
from rentcal.service.catalogue import Catalogue
from rentcal.service.feeds import Feeds
from rentcal.service.maintenance import Upkeep
from rentcal.service.notifications import Inbox
from rentcal.store import Store


class Rentcal(Catalogue, Availabilities, Bookings, Upkeep, Bulk, Feeds, Inbox, Accounts):
    """A connection to one rentcal database; see :func:`rentcal.connect`."""

    def __enter__(self) -> Rentcal:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Rentcal {self.store.display_url}>"


def connect(
    url: str | None = None, *, busy_timeout: float | None = None, clock: Clock | None = None
) -> Rentcal:
    """Open (and on first use create) a rentcal database.

    Parameters:
        url: ``sqlite:///PATH``, a bare file path, or
            ``postgresql+psycopg://USER@HOST/DB``. ``None`` reads
            ``$RENTCAL_DATABASE_URL``, else the embedded SQLite file
            ``$XDG_DATA_HOME/rentcal/rentcal.db``.
        busy_timeout: seconds a writer waits for another before ``Busy``.
        clock: returns the current aware datetime (tests inject one).

    Raises:
        DatabaseError: unreachable, unreadable, or a schema newer than this rentcal.
    """
    from rentcal.store import DEFAULT_BUSY_TIMEOUT

    store = Store(url, busy_timeout=DEFAULT_BUSY_TIMEOUT if busy_timeout is None else busy_timeout)
    return Rentcal(store, clock=clock)


__all__ = ["Rentcal", "RentcalError", "connect", "utc_now"]
