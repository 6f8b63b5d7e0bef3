"""What both feed formats share: titles, the status palette, the exclusive end.

FullCalendar JSON (:mod:`rentcal.feeds.fullcalendar`) and iCalendar
(:mod:`rentcal.feeds.ical`) import these, so a calendar app and a FullCalendar
page show the same words and colours, and both say "the day after the last
day" the same way. Pure: no database, no clock, no icalendar.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

from rentcal.core.ranges import ONE_DAY
from rentcal.core.types import MaintenanceKind, MaintenanceStatus, RentalStatus
from rentcal.core.values import Maintenance, Rental

#: Separator between the machine's title and the event title in multi-machine feeds.
TITLE_SEPARATOR: Final = " — "


@dataclass(frozen=True, slots=True)
class Style:
    """How one status is drawn.

    ``background`` and ``text`` are the FullCalendar colours (hex);
    ``css_name`` is the nearest CSS colour *name*, which is what RFC 7986's
    ``COLOR`` property of an iCalendar event requires.
    """

    background: str
    text: str
    css_name: str


RED: Final = Style("#dc3545", "#ffffff", "red")
YELLOW: Final = Style("#ffc107", "#000000", "gold")
ORANGE: Final = Style("#fd7e14", "#000000", "orange")  # white on it: 2.6:1, unreadable
GREY: Final = Style("#6c757d", "#ffffff", "gray")

RENTAL_STYLES: Final[dict[RentalStatus, Style]] = {
    RentalStatus.PENDING: YELLOW,
    RentalStatus.APPROVED: RED,
    RentalStatus.REJECTED: GREY,
    RentalStatus.CANCELLED: GREY,
    RentalStatus.COMPLETED: GREY,
}
MAINTENANCE_STYLES: Final[dict[MaintenanceStatus, Style]] = {
    MaintenanceStatus.SCHEDULED: ORANGE,
    MaintenanceStatus.DONE: GREY,
    MaintenanceStatus.CANCELLED: GREY,
}

# Title templates; ``{name}`` is the member's display name, ``{kind}`` the
# capitalised maintenance kind.
RENTAL_TITLES: Final[dict[RentalStatus, str]] = {
    RentalStatus.PENDING: "Requested by {name}",
    RentalStatus.APPROVED: "Rented by {name}",
    RentalStatus.REJECTED: "Rejected: {name}",
    RentalStatus.CANCELLED: "Cancelled: {name}",
    RentalStatus.COMPLETED: "Completed by {name}",
}
MAINTENANCE_TITLES: Final[dict[MaintenanceStatus, str]] = {
    MaintenanceStatus.SCHEDULED: "Maintenance: {kind}",
    MaintenanceStatus.DONE: "Maintenance done: {kind}",
    MaintenanceStatus.CANCELLED: "Cancelled maintenance: {kind}",
}

RENTAL_DESCRIPTIONS: Final[dict[RentalStatus, str]] = {
    RentalStatus.PENDING: "Rental requested, waiting for an admin or its payment",
    RentalStatus.APPROVED: "Rental approved: the machine is taken",
    RentalStatus.REJECTED: "Rental request rejected by an admin",
    RentalStatus.CANCELLED: "Rental cancelled",
    RentalStatus.COMPLETED: "Rental finished",
}
MAINTENANCE_DESCRIPTIONS: Final[dict[MaintenanceStatus, str]] = {
    MaintenanceStatus.SCHEDULED: "Machine out of service for maintenance",
    MaintenanceStatus.DONE: "Maintenance carried out",
    MaintenanceStatus.CANCELLED: "Maintenance called off",
}


def _capitalise(word: str) -> str:
    return word[:1].upper() + word[1:]


def rental_status(value: str) -> RentalStatus:
    """The status as an enum; values from the library already are (no Enum call)."""
    return value if isinstance(value, RentalStatus) else RentalStatus(value)


def _prefixed(title: str, machine_title: str, multi_machine: bool) -> str:
    return f"{machine_title}{TITLE_SEPARATOR}{title}" if multi_machine else title


def rental_title(rental: Rental, *, multi_machine: bool = False) -> str:
    """The one-line title of a rental, e.g. ``"Rented by John Doe"``.

    Parameters:
        rental: The rental.
        multi_machine: Prefix the machine's title, for feeds of all machines.
    """
    title = RENTAL_TITLES[rental_status(rental.status)].format(name=rental.member_name)
    return _prefixed(title, rental.machine_title, multi_machine)


def maintenance_title(maintenance: Maintenance, *, multi_machine: bool = False) -> str:
    """The one-line title of a maintenance block, e.g. ``"Maintenance: Preventive"``.

    Parameters:
        maintenance: The maintenance block.
        multi_machine: Prefix the machine's title, for feeds of all machines.
    """
    template = MAINTENANCE_TITLES[MaintenanceStatus(maintenance.status)]
    title = template.format(kind=_capitalise(MaintenanceKind(maintenance.kind).value))
    return _prefixed(title, maintenance.machine_title, multi_machine)


def rental_style(rental: Rental) -> Style:
    """The colours of a rental, chosen by its status."""
    return RENTAL_STYLES[rental_status(rental.status)]


def maintenance_style(maintenance: Maintenance) -> Style:
    """The colours of a maintenance block, chosen by its status."""
    return MAINTENANCE_STYLES[MaintenanceStatus(maintenance.status)]


def exclusive_end(last_day: date) -> date:
    """The day after ``last_day``: the exclusive end FullCalendar and iCalendar want."""
    return last_day + ONE_DAY


def sort_key(item: Rental | Maintenance) -> tuple[date, str]:
    """iCalendar order: by first day, then by calendar UID (stable between exports)."""
    return (item.start, item.uid)


__all__ = [
    "MAINTENANCE_STYLES",
    "RENTAL_STYLES",
    "TITLE_SEPARATOR",
    "Style",
    "exclusive_end",
    "maintenance_style",
    "maintenance_title",
    "rental_style",
    "rental_title",
    "sort_key",
]
