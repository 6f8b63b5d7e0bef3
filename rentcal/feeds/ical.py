"""iCalendar (RFC 5545 / RFC 7986) feeds from rentals and maintenance blocks.

Pure formatting: values in, an :class:`icalendar.Calendar` (or its bytes)
out. No database, no clock, no I/O. All text goes through :mod:`icalendar`,
which escapes ``,;\\`` and newlines, and folds lines at 75 octets with CRLF;
nothing here writes iCalendar syntax by hand.

Byte-stable by construction: every timestamp comes from the values
(``DTSTAMP``, ``LAST-MODIFIED`` from ``updated_at``, ``CREATED`` from
``created_at``), the calendar has no random ``UID``, and events are sorted by
start day then UID. The same input always gives the same bytes.

Private details -- a rental's purpose, price and reasons, a maintenance
block's notes -- go into DESCRIPTION only for a viewer who may read them
(:mod:`rentcal.core.privacy`); the default viewer is the public one, so a
calendar published on a web server carries none of them unless asked.

Deliberate deviations from the RFCs are listed in ``docs/feeds.md``.

Examples:

    >>> from datetime import date, datetime, timezone
    >>> from decimal import Decimal
    >>> from rentcal.core.types import RentalStatus
    >>> from rentcal.core.values import Rental
    >>> at = datetime(2030, 1, 2, 9, 30, tzinfo=UTC)
    >>> rental = Rental(
    ...     id=123, uid="6f1c0d1e-0000-4000-8000-000000000123",
    ...     machine="tractor-6120", machine_title="Tractor 6120",
    ...     member="jdoe", member_name="John Doe",
    ...     start=date(2030, 1, 15), end=date(2030, 1, 20),
    ...     status=RentalStatus.APPROVED, purpose=None, price=Decimal("600.00"),
    ...     created_at=at, updated_at=at, sequence=0,
    ...     status_changed_by=None, reason=None)
    >>> ics = to_ics([rental], [], name="rentcal: Tractor 6120")
    >>> b"DTEND;VALUE=DATE:20300121\\r\\n" in ics
    True
    >>> b"DTSTAMP:20300102T093000Z\\r\\n" in ics
    True
    >>> from rentcal.core.privacy import EVERYTHING
    >>> private = to_ics([rental], [], name="n", viewer=EVERYTHING)
    >>> b"Price: 600.00" in ics, b"Price: 600.00" in private
    (False, True)
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Final

from icalendar import STATUS, TRANSP, Calendar, Event, vDuration, vText

from rentcal.core.news import status_words
from rentcal.core.privacy import PUBLIC, Viewer
from rentcal.core.types import MaintenanceKind, MaintenanceStatus, RentalStatus
from rentcal.core.values import Maintenance, Rental
from rentcal.feeds.common import (
    exclusive_end,
    maintenance_style,
    maintenance_title,
    rental_style,
    rental_title,
    sort_key,
)

#: How often clients should re-fetch a subscribed feed (REFRESH-INTERVAL, X-PUBLISHED-TTL).
DEFAULT_REFRESH: Final = timedelta(hours=1)

RENTAL_STATUS: Final[dict[RentalStatus, STATUS]] = {
    RentalStatus.PENDING: STATUS.TENTATIVE,
    RentalStatus.APPROVED: STATUS.CONFIRMED,
    RentalStatus.REJECTED: STATUS.CANCELLED,
    RentalStatus.CANCELLED: STATUS.CANCELLED,
    RentalStatus.COMPLETED: STATUS.CONFIRMED,
}
MAINTENANCE_STATUS: Final[dict[MaintenanceStatus, STATUS]] = {
    MaintenanceStatus.SCHEDULED: STATUS.CONFIRMED,
    MaintenanceStatus.DONE: STATUS.CONFIRMED,
    MaintenanceStatus.CANCELLED: STATUS.CANCELLED,
}


def prodid(version: str) -> str:
    """The PRODID of rentcal's feeds, e.g. ``-//rentcal//rentcal 1.2//EN``."""
    return f"-//rentcal//rentcal {version}//EN"


def utc(moment: datetime) -> datetime:
    """``moment`` in UTC, whole seconds (iCalendar has no fractions).

    A naive datetime is taken to be UTC already (that is how SQLite hands
    timestamps back), never local time.
    """
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0)


def rental_description(rental: Rental, viewer: Viewer = PUBLIC) -> str:
    """The DESCRIPTION text of a rental: machine, member, status; purpose, price and
    reason only if ``viewer`` may read them (the pages' rule)."""
    private = viewer.sees_private_of(rental.member)
    lines = [
        f"Machine: {rental.machine_title} ({rental.machine})",
        f"Member: {rental.member_name} ({rental.member})",
    ]
    if private and rental.purpose:
        lines.append(f"Purpose: {rental.purpose}")
    if private:
        lines.append(f"Price: {rental.price}")
    # a booking awaiting its card payment says until when (money: private, as the price)
    status = status_words(rental) if private else RentalStatus(rental.status).value
    lines.append(f"Status: {status}")
    if private and rental.reason:
        lines.append(f"Reason: {rental.reason}")
    return "\n".join(lines)


def maintenance_description(maintenance: Maintenance, viewer: Viewer = PUBLIC) -> str:
    """The DESCRIPTION text of a maintenance block: kind, status; notes only if
    ``viewer`` may read them (admins)."""
    lines = [
        f"Machine: {maintenance.machine_title} ({maintenance.machine})",
        f"Kind: {MaintenanceKind(maintenance.kind).value}",
        f"Status: {MaintenanceStatus(maintenance.status).value}",
    ]
    if viewer.sees_notes and maintenance.notes:
        lines.append(f"Notes: {maintenance.notes}")
    return "\n".join(lines)


def _vevent(
    *,
    uid: str,
    start: date,
    last_day: date,
    created_at: datetime,
    updated_at: datetime,
    sequence: int,
    summary: str,
    description: str,
    status: STATUS,
    categories: list[str],
    color: str,
) -> Event:
    stamp = utc(updated_at)
    # ``stamp`` is always given: Event.new would otherwise use the clock.
    return Event.new(
        uid=uid,
        stamp=stamp,
        created=utc(created_at),
        last_modified=stamp,
        sequence=sequence,
        start=start,
        end=exclusive_end(last_day),
        summary=summary,
        description=description,
        status=status,
        transparency=TRANSP.OPAQUE,
        categories=categories,
        color=color,
    )


def rental_vevent(rental: Rental, *, multi_machine: bool = False, viewer: Viewer = PUBLIC) -> Event:
    """The VEVENT of one rental (all-day; DTEND is the day after the last day).

    Parameters:
        rental: The rental.
        multi_machine: Prefix the machine's title to SUMMARY, as in the JSON feed.
        viewer: Whose eyes: private details only if they may read them.
    """
    status = RentalStatus(rental.status)
    return _vevent(
        uid=rental.uid,
        start=rental.start,
        last_day=rental.end,
        created_at=rental.created_at,
        updated_at=rental.updated_at,
        sequence=rental.sequence,
        summary=rental_title(rental, multi_machine=multi_machine),
        description=rental_description(rental, viewer),
        status=RENTAL_STATUS[status],
        categories=["rental", status.value],
        color=rental_style(rental).css_name,
    )


def maintenance_vevent(
    maintenance: Maintenance, *, multi_machine: bool = False, viewer: Viewer = PUBLIC
) -> Event:
    """The VEVENT of one maintenance block (all-day; DTEND exclusive).

    Parameters:
        maintenance: The maintenance block.
        multi_machine: Prefix the machine's title to SUMMARY, as in the JSON feed.
        viewer: Whose eyes: notes only if they may read them.
    """
    return _vevent(
        uid=maintenance.uid,
        start=maintenance.start,
        last_day=maintenance.end,
        created_at=maintenance.created_at,
        updated_at=maintenance.updated_at,
        sequence=maintenance.sequence,
        summary=maintenance_title(maintenance, multi_machine=multi_machine),
        description=maintenance_description(maintenance, viewer),
        status=MAINTENANCE_STATUS[MaintenanceStatus(maintenance.status)],
        categories=["maintenance", MaintenanceKind(maintenance.kind).value],
        color=maintenance_style(maintenance).css_name,
    )


def build_calendar(
    rentals: Iterable[Rental],
    maintenance: Iterable[Maintenance] = (),
    *,
    name: str,
    multi_machine: bool = False,
    prodid_version: str = "1",
    refresh: timedelta = DEFAULT_REFRESH,
    viewer: Viewer = PUBLIC,
) -> Calendar:
    """A VCALENDAR holding one VEVENT per rental and maintenance block.

    Parameters:
        rentals: Rentals to publish; the caller chooses which statuses.
        maintenance: Maintenance blocks to publish.
        name: The calendar's display name (NAME and X-WR-CALNAME), e.g.
            ``"rentcal: Tractor 6120"``.
        multi_machine: Prefix each SUMMARY with the machine's title.
        prodid_version: rentcal's version, written into PRODID.
        refresh: REFRESH-INTERVAL and X-PUBLISHED-TTL.
        viewer: Whose eyes the calendar is for (:mod:`rentcal.core.privacy`):
            purposes, prices, reasons and notes only where they may read them;
            the default, :data:`~rentcal.core.privacy.PUBLIC`, shows none.

    Returns:
        The calendar; events sorted by start day, then UID.
    """
    calendar = Calendar()
    calendar.add("VERSION", "2.0")
    calendar.add("PRODID", prodid(prodid_version))
    calendar.add("CALSCALE", "GREGORIAN")
    # icalendar 7.3 types NAME and X-WR-CALNAME as UNKNOWN (no escaping), so
    # wrap them in vText to have ",;\\" and newlines escaped like any TEXT.
    calendar.add("NAME", vText(name))
    calendar.add("X-WR-CALNAME", vText(name))
    # The ``refresh_interval`` helper omits VALUE=DURATION, which RFC 7986
    # section 5.7 requires on this property.
    calendar.add("REFRESH-INTERVAL", vDuration(refresh), parameters={"VALUE": "DURATION"})
    calendar.add("X-PUBLISHED-TTL", vDuration(refresh))

    items: list[Rental | Maintenance] = [*rentals, *maintenance]
    items.sort(key=sort_key)
    for item in items:
        if isinstance(item, Rental):
            event = rental_vevent(item, multi_machine=multi_machine, viewer=viewer)
        else:
            event = maintenance_vevent(item, multi_machine=multi_machine, viewer=viewer)
        calendar.add_component(event)
    return calendar


def to_ics(
    rentals: Iterable[Rental],
    maintenance: Iterable[Maintenance] = (),
    *,
    name: str,
    multi_machine: bool = False,
    prodid_version: str = "1",
    refresh: timedelta = DEFAULT_REFRESH,
    viewer: Viewer = PUBLIC,
) -> bytes:
    """The bytes of :func:`build_calendar` (UTF-8, CRLF, folded at 75 octets)."""
    calendar = build_calendar(
        rentals,
        maintenance,
        name=name,
        multi_machine=multi_machine,
        prodid_version=prodid_version,
        refresh=refresh,
        viewer=viewer,
    )
    # Component.to_ical() is unannotated in icalendar 7.3; it returns bytes.
    ics: bytes = calendar.to_ical()
    return ics


__all__ = [
    "DEFAULT_REFRESH",
    "MAINTENANCE_STATUS",
    "RENTAL_STATUS",
    "build_calendar",
    "maintenance_description",
    "maintenance_vevent",
    "prodid",
    "rental_description",
    "rental_vevent",
    "to_ics",
    "utc",
]
