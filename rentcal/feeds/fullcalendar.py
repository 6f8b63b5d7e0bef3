"""FullCalendar event objects from rentals and maintenance blocks.

Pure formatting: values in, JSON-able dicts out. No database, no clock, no
I/O, and no import of :mod:`icalendar` (the CLI imports this module on every
``rentcal events --json`` and must start fast).

Every event is all-day. rentcal's ranges are *inclusive* (``end`` is the last
day); FullCalendar's ``end`` is *exclusive*, so :func:`rental_event` and
:func:`maintenance_event` emit ``end`` as the day after the last day.

The titles and palette come from :mod:`rentcal.feeds.common`, shared with
:mod:`rentcal.feeds.ical`, so a calendar app and a FullCalendar page show the
same words and colours.

Examples:

    >>> from datetime import date, datetime, timezone
    >>> from decimal import Decimal
    >>> from rentcal.core.types import RentalStatus
    >>> from rentcal.core.values import Rental
    >>> at = datetime(2030, 1, 2, 9, 30, tzinfo=timezone.utc)
    >>> rental = Rental(
    ...     id=123, uid="6f1c0d1e-0000-4000-8000-000000000123",
    ...     machine="tractor-6120", machine_title="Tractor 6120",
    ...     member="jdoe", member_name="John Doe",
    ...     start=date(2030, 1, 15), end=date(2030, 1, 20),
    ...     status=RentalStatus.APPROVED, purpose=None, price=Decimal("600.00"),
    ...     created_at=at, updated_at=at, sequence=0,
    ...     status_changed_by=None, reason=None)
    >>> event = rental_event(rental)
    >>> event["title"], event["start"], event["end"]
    ('Rented by John Doe', '2030-01-15', '2030-01-21')
    >>> rental_event(rental, multi_machine=True)["title"]
    'Tractor 6120 — Rented by John Doe'
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from typing import Final

from rentcal.core.types import MaintenanceKind, MaintenanceStatus
from rentcal.core.values import Machine, Maintenance, Rental
from rentcal.feeds.common import (
    GREY,
    MAINTENANCE_DESCRIPTIONS,
    MAINTENANCE_STYLES,
    MAINTENANCE_TITLES,
    ORANGE,
    RED,
    RENTAL_DESCRIPTIONS,
    RENTAL_STYLES,
    RENTAL_TITLES,
    TITLE_SEPARATOR,
    YELLOW,
    Style,
    exclusive_end,
    maintenance_style,
    maintenance_title,
    rental_status,
    rental_style,
    rental_title,
)


def _legend() -> tuple[dict[str, str], ...]:
    entries: list[dict[str, str]] = []
    for status_, style in RENTAL_STYLES.items():
        entries.append(
            {
                "type": "rental",
                "status": status_.value,
                "label": RENTAL_TITLES[status_].format(name="<name>"),
                "backgroundColor": style.background,
                "textColor": style.text,
                "description": RENTAL_DESCRIPTIONS[status_],
            }
        )
    for upkeep, style in MAINTENANCE_STYLES.items():
        entries.append(
            {
                "type": "maintenance",
                "status": upkeep.value,
                "label": MAINTENANCE_TITLES[upkeep].format(kind="<Kind>"),
                "backgroundColor": style.background,
                "textColor": style.text,
                "description": MAINTENANCE_DESCRIPTIONS[upkeep],
            }
        )
    return tuple(entries)


#: One entry per (type, status): what ``rentcal events --legend`` prints.
#: Treat as read-only; :func:`legend` hands out copies.
LEGEND: Final[tuple[dict[str, str], ...]] = _legend()


def legend() -> list[dict[str, str]]:
    """The colour legend, one fresh dict per (type, status).

    Returns:
        Dicts with ``type``, ``status``, ``label``, ``backgroundColor``,
        ``textColor`` and ``description``, rentals first, in status order.

    Examples:

        >>> legend()[0]["status"], legend()[0]["backgroundColor"]
        ('pending', '#ffc107')
    """
    return [dict(entry) for entry in LEGEND]


def _event(
    *,
    event_id: str,
    title: str,
    start: date,
    last_day: date,
    style: Style,
    machine: str,
    multi_machine: bool,
    props: dict[str, object],
) -> dict[str, object]:
    event: dict[str, object] = {
        "id": event_id,
        "title": title,
        "start": start.isoformat(),
        "end": exclusive_end(last_day).isoformat(),
        "allDay": True,
        "backgroundColor": style.background,
        "borderColor": style.background,
        "textColor": style.text,
    }
    if multi_machine:
        event["resourceId"] = machine
    event["extendedProps"] = props
    return event


def rental_event(rental: Rental, *, multi_machine: bool = False) -> dict[str, object]:
    """The FullCalendar event of one rental.

    Parameters:
        rental: The rental; its ``end`` is the last (inclusive) day.
        multi_machine: For a feed of several machines: prefix the machine's
            title to the event title and add ``resourceId`` (the machine name).

    Returns:
        A JSON-able dict; ``end`` is exclusive (the day after the last day).
    """
    status = rental_status(rental.status)
    return _event(
        event_id=f"rental-{rental.id}",
        title=rental_title(rental, multi_machine=multi_machine),
        start=rental.start,
        last_day=rental.end,
        style=RENTAL_STYLES[status],
        machine=rental.machine,
        multi_machine=multi_machine,
        props={
            "type": "rental",
            "status": status.value,
            "rentalId": rental.id,
            "userName": rental.member_name,
            "machine": rental.machine,
        },
    )


def maintenance_event(
    maintenance: Maintenance, *, multi_machine: bool = False
) -> dict[str, object]:
    """The FullCalendar event of one maintenance block.

    Parameters:
        maintenance: The block; its ``end`` is the last (inclusive) day.
        multi_machine: As for :func:`rental_event`.

    Returns:
        A JSON-able dict; ``end`` is exclusive (the day after the last day).
    """
    status = MaintenanceStatus(maintenance.status)
    return _event(
        event_id=f"maintenance-{maintenance.id}",
        title=maintenance_title(maintenance, multi_machine=multi_machine),
        start=maintenance.start,
        last_day=maintenance.end,
        style=MAINTENANCE_STYLES[status],
        machine=maintenance.machine,
        multi_machine=multi_machine,
        props={
            "type": "maintenance",
            "maintenanceId": maintenance.id,
            "maintenanceType": MaintenanceKind(maintenance.kind).value,
            "status": status.value,
            "machine": maintenance.machine,
        },
    )


def _sort_key(item: Rental | Maintenance) -> tuple[date, str]:
    kind = "rental" if isinstance(item, Rental) else "maintenance"
    return (item.start, f"{kind}-{item.id}")


def iter_events(
    rentals: Iterable[Rental],
    maintenance: Iterable[Maintenance] = (),
    *,
    multi_machine: bool = False,
) -> Iterator[dict[str, object]]:
    """Yield the events of :func:`events` one at a time, in the same order.

    Only the (small, already loaded) values are sorted up front; each event
    dict is built when it is asked for, so a caller streaming a large feed
    as JSON holds one dict at a time.
    """
    items: list[Rental | Maintenance] = [*rentals, *maintenance]
    items.sort(key=_sort_key)
    for item in items:
        if isinstance(item, Rental):
            yield rental_event(item, multi_machine=multi_machine)
        else:
            yield maintenance_event(item, multi_machine=multi_machine)


def events(
    rentals: Iterable[Rental],
    maintenance: Iterable[Maintenance] = (),
    *,
    multi_machine: bool = False,
) -> list[dict[str, object]]:
    """The FullCalendar events of rentals and maintenance blocks.

    Parameters:
        rentals: Rentals to show; the caller chooses which statuses.
        maintenance: Maintenance blocks to show.
        multi_machine: As for :func:`rental_event`.

    Returns:
        Events sorted by start day, then by ``id`` string
        (``"maintenance-7"`` before ``"rental-7"``): the same input always
        gives the same list.
    """
    return list(iter_events(rentals, maintenance, multi_machine=multi_machine))


def resources(machines: Iterable[Machine]) -> list[dict[str, str]]:
    """FullCalendar resources (rows of a resource timeline), one per machine.

    Returns:
        ``[{"id": machine.name, "title": machine.title}, ...]`` in the order
        given; event ``resourceId`` values refer to these ids.
    """
    return [{"id": machine.name, "title": machine.title} for machine in machines]


__all__ = [
    "GREY",
    "LEGEND",
    "MAINTENANCE_STYLES",
    "ORANGE",
    "RED",
    "RENTAL_STYLES",
    "TITLE_SEPARATOR",
    "YELLOW",
    "Style",
    "events",
    "exclusive_end",
    "iter_events",
    "legend",
    "maintenance_event",
    "maintenance_style",
    "maintenance_title",
    "rental_event",
    "rental_style",
    "rental_title",
    "resources",
]
