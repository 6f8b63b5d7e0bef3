"""A booking as an iCalendar invitation (iTIP, RFC 5546) for e-mail (iMIP, RFC 6047).

When a booking is approved or moved, the member's e-mail carries a
``METHOD:REQUEST`` calendar; when it is cancelled, rejected or expires, a
``METHOD:CANCEL`` one. The event is the feeds' own VEVENT (same ``UID``), so
Outlook, Gmail and Apple Calendar update or remove the event they already
have instead of adding a second one; ``SEQUENCE`` is the rental's, which every
change raises, so each invitation supersedes the one before.

Pure formatting like :mod:`rentcal.feeds.ical`: values in, bytes out, built by
the icalendar package. The organiser is the address the mail comes from; the
member is the one attendee, already accepted (they asked for the booking).
"""

from __future__ import annotations

from typing import Literal

from icalendar import STATUS, Calendar, vCalAddress, vText

from rentcal.core.values import Rental
from rentcal.feeds.ical import prodid, rental_vevent

Method = Literal["REQUEST", "CANCEL"]


def _address(email: str, name: str | None, **params: str) -> vCalAddress:
    """A ``mailto:`` calendar address with a display name (CN) and parameters."""
    address = vCalAddress(f"mailto:{email}")
    if name:
        address.params["CN"] = vText(name)
    for key, value in params.items():
        address.params[key] = vText(value)
    return address


def invitation(
    rental: Rental,
    method: Method,
    *,
    organizer: str,
    organizer_name: str | None,
    attendee: str,
    version: str,
) -> bytes:
    """The iTIP calendar of one rental, for ``method`` (REQUEST or CANCEL).

    Parameters:
        rental: The rental as it is now (its ``uid`` and ``sequence``).
        method: ``REQUEST`` (approved or moved) or ``CANCEL`` (cancelled,
            rejected, expired).
        organizer: The sender's e-mail address (``mail_from``).
        organizer_name: The sender's display name, if any.
        attendee: The member's e-mail address.
        version: rentcal's version, for PRODID.
    """
    event = rental_vevent(rental, multi_machine=True)  # the machine, in the member's calendar
    event.add("organizer", _address(organizer, organizer_name))
    event.add(
        "attendee",
        _address(attendee, rental.member_name, ROLE="REQ-PARTICIPANT", PARTSTAT="ACCEPTED"),
    )
    if method == "CANCEL":
        event.pop("STATUS", None)
        event.add("status", STATUS.CANCELLED)
    calendar = Calendar()
    calendar.add("prodid", prodid(version))
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    calendar.add_component(event)
    data: bytes = calendar.to_ical()
    return data


__all__ = ["Method", "invitation"]
