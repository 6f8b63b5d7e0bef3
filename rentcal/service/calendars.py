"""Feeds: what a calendar shows, read in one transaction, formatted by rentcal.feeds.

The rows come from one read transaction, so a feed never mixes two states of
the database; the formatting is pure (:mod:`rentcal.feeds`), and icalendar
is imported only when an .ics document is asked for.

An .ics document is rendered for a viewer (:mod:`rentcal.core.privacy`):
nobody's (the default: no purposes, prices, reasons or notes), everybody's
(``private=True``), or a member's, whose current rights are read in the same
transaction as the rows -- so a secret feed URL shows what its owner's pages
show today, never what they showed when the URL was made.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.engine import Connection

from rentcal.core import checks
from rentcal.core.privacy import EVERYTHING, PUBLIC, Viewer
from rentcal.core.ranges import validate_range
from rentcal.core.types import BLOCKING_MAINTENANCE_STATUSES, BLOCKING_RENTAL_STATUSES
from rentcal.core.values import Maintenance, Rental
from rentcal.db import sql as q
from rentcal.db.sql import credential_tables as qa
from rentcal.errors import InvalidRequest
from rentcal.service.base import Context
from rentcal.service.housekeeping import Housekeeping

#: (rentals, maintenance blocks, the calendar's name, whose eyes) of one feed.
FeedRows = tuple[list[Rental], list[Maintenance], str, Viewer]


class Feeds:
    """Use cases that publish calendars."""

    def __init__(self, ctx: Context, housekeeping: Housekeeping) -> None:
        self.ctx = ctx
        self.housekeeping = housekeeping

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
        rentals, upkeep, _, _ = self._feed(machine, member, start, end, all_statuses)
        return rentals, upkeep

    def _feed(
        self,
        machine: str | None,
        member: str | None,
        start: date | None,
        end: date | None,
        all_statuses: bool,
        viewer: str | None = None,
    ) -> FeedRows:
        """A feed's rows, its calendar name and the viewer's current rights (PUBLIC
        without one), in ONE read transaction."""
        machine_name = checks.optional_handle(machine, "machine")
        handle = checks.optional_handle(member, "member")
        seer_handle = checks.optional_handle(viewer, "viewer")
        first, last = checks.optional_day(start, "start"), checks.optional_day(end, "end")
        every = checks.flag(all_statuses, "all_statuses")
        if first is not None and last is not None:
            validate_range(first, last)

        day = self.ctx.today()
        from rentcal.db.sql import windows as qw  # built on first use: not on the CLI's start

        def work(conn: Connection) -> tuple[FeedRows, bool]:
            mach = None if machine_name is None else self.ctx.machine_row(conn, machine_name)
            who = None if handle is None else self.ctx.member_row(conn, handle)
            seer = (
                PUBLIC
                if seer_handle is None
                else Viewer.of(q.member(self.ctx.member_row(conn, seer_handle)))
            )
            rentals: list[Rental]
            upkeep: list[Maintenance]
            if mach is not None and who is None and not every and first is not None:
                # one machine's calendar, the hot case: check's O(log n) seek, never the
                # machine's history; the same rows as below (tests/test_event_windows.py)
                until = last or date.max
                rentals = qw.machine_window_rentals(conn, mach.id, first, until)
                upkeep = qw.machine_window_maintenance(conn, mach.id, first, until)
            else:
                rentals = q.find_rentals(
                    conn,
                    machine_id=None if mach is None else mach.id,
                    member_id=None if who is None else who.id,
                    statuses=[] if every else sorted(BLOCKING_RENTAL_STATUSES),
                    start=first,
                    end=last,
                )
                upkeep = (
                    []
                    if who is not None
                    else q.find_maintenance(
                        conn,
                        machine_id=None if mach is None else mach.id,
                        statuses=[] if every else sorted(BLOCKING_MAINTENANCE_STATUSES),
                        start=first,
                        end=last,
                    )
                )
            if mach is not None:
                name = f"rentcal: {mach.title}"
            elif who is not None:
                name = f"rentcal: {who.name}"
            else:
                name = "rentcal: all machines"
            return (rentals, upkeep, name, seer), self.housekeeping.stale_rows(conn, rentals, day)

        return self.housekeeping.fresh(work, day)

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

        rentals, upkeep, _, _ = self._feed(machine, member, start, end, all_statuses)
        return fullcalendar.events(rentals, upkeep, multi_machine=machine is None)

    def ical(
        self,
        machine: str | None = None,
        member: str | None = None,
        start: date | None = None,
        end: date | None = None,
        all_statuses: bool = False,
        *,
        private: bool = False,
        viewer: str | None = None,
    ) -> bytes:
        """An iCalendar (.ics) document of the same events, byte-stable between exports.

        Without ``private`` or ``viewer`` it is fit to publish: no purposes,
        prices, reasons or maintenance notes. ``private=True`` shows them all;
        ``viewer="bob"`` shows what bob's pages show now (an admin: all; a
        member: those of their own rentals). Not both.
        """
        from rentcal._version import __version__
        from rentcal.feeds import ical

        seer_handle = checks.optional_handle(viewer, "viewer")
        if checks.flag(private, "private") and seer_handle is not None:
            raise InvalidRequest(
                "private and viewer cannot be combined: private shows every detail, "
                "viewer what one member may see",
                field="viewer",
                value=viewer,
                reason="private-and-viewer",
            )
        rentals, upkeep, name, seer = self._feed(
            machine, member, start, end, all_statuses, viewer=viewer
        )
        return ical.to_ics(
            rentals,
            upkeep,
            name=name,
            multi_machine=machine is None,
            prodid_version=__version__,
            viewer=EVERYTHING if private else seer,
        )

    # -- revisions ----------------------------------------------------------------

    def revision(self) -> tuple[int, datetime]:
        """The calendar's revision (bumped by every calendar change) and when it changed.

        ``changed_at`` never moves backwards, so it can serve as Last-Modified.
        """
        return self.ctx.read(qa.revision)


__all__ = ["Feeds"]
