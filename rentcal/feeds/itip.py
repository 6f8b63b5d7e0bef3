"""A booking as an iCalendar invitation (iTIP, RFC 5546) for e-mail (iMIP, RFC 6047).

When a booking is approved or moved, the member's e-mail carries a
``METHOD:REQUEST`` calendar; when it is cancelled, rejected or expires, a
``METHOD:CANCEL`` one. The event is the feeds' own VEVENT (same ``UID``), so
Outlook, Gmail and Apple Calendar update or remove the event they already
have instead of adding a second one; ``SEQUENCE`` is the rental's, which every
change raises, so each invitation supersedes the one before.

Two steps, because the people are known only when the mail is sent (as its
From and To headers are): :func:`invitation` is the calendar taken when the
mail is queued, with the change (stored in the outbox); :func:`addressed`
adds the organiser (the address the mail comes from) and the member as the
one attendee, already accepted (they asked for the booking). Pure
formatting like :mod:`rentcal.feeds.ical`: values in, bytes out, built and
parsed by the icalendar package.
"""

from __future__ import annotations

from typing import Literal

from icalendar import STATUS, Calendar, Event, vCalAddress, vText

from rentcal.core.mail import header_text
from rentcal.core.privacy import Viewer
from rentcal.core.types import RentalStatus
from rentcal.core.values import Rental
from rentcal.feeds.ical import prodid, rental_vevent

Method = Literal["REQUEST", "CANCEL"]
#: The notification kinds that end a booking: the event leaves the member's calendar.
CANCEL_KINDS = frozenset({"cancelled", "rejected", "expired"})
#: The kinds that put an approved booking there, or change its days.
REQUEST_KINDS = frozenset({"approved", "moved"})


def method_for(kind: str, rental: Rental) -> Method | None:
    """The iTIP method of the e-mail for notification ``kind`` about ``rental``, or None.

    Only approved bookings are events in the member's calendar: moving a
    pending request sends no invitation (it lands when it is approved).
    """
    if kind in CANCEL_KINDS:
        return "CANCEL"
    if kind in REQUEST_KINDS and rental.status == RentalStatus.APPROVED:
        return "REQUEST"
    return None


def _address(email: str, name: str | None, **params: str) -> vCalAddress:
    """A ``mailto:`` calendar address with a display name (CN, one line) and parameters."""
    address = vCalAddress(f"mailto:{email}")
    shown = header_text(name or "", 200)
    if shown:
        address.params["CN"] = vText(shown)
    for key, value in params.items():
        address.params[key] = vText(value)
    return address


def invitation(rental: Rental, method: Method, version: str) -> bytes:
    """The iTIP calendar of one rental, for ``method``, without its people.

    Parameters:
        rental: The rental as it is after the change (its ``uid`` and ``sequence``).
        method: ``REQUEST`` (approved or moved) or ``CANCEL`` (cancelled,
            rejected, expired).
        version: rentcal's version, for PRODID.

    Returns:
        The calendar, byte-stable (DTSTAMP is the rental's last change).
    """
    # The machine, in the member's own calendar: their own rental's details, as on their pages.
    event = rental_vevent(rental, multi_machine=True, viewer=Viewer(rental.member, admin=False))
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


def addressed(
    calendar: bytes,
    *,
    organizer: str,
    organizer_name: str | None,
    attendee: str,
    attendee_name: str | None,
) -> bytes:
    """``calendar`` (from :func:`invitation`) with its ORGANIZER and ATTENDEE.

    Parameters:
        calendar: The stored invitation.
        organizer: The sender's e-mail address (``mail_from``).
        organizer_name: The sender's display name, if any.
        attendee: The recipient's (the member's) e-mail address.
        attendee_name: The recipient's name; control characters become spaces.

    Raises:
        ValueError: ``calendar`` is not one calendar with one VEVENT.
    """
    parsed = Calendar.from_ical(calendar)
    events = [c for c in parsed.subcomponents if isinstance(c, Event)]
    if not isinstance(parsed, Calendar) or len(events) != 1:
        raise ValueError("an invitation holds exactly one VEVENT")
    event = events[0]
    event.add("organizer", _address(organizer, organizer_name))
    event.add(
        "attendee",
        _address(attendee, attendee_name, ROLE="REQ-PARTICIPANT", PARTSTAT="ACCEPTED"),
    )
    data: bytes = parsed.to_ical()
    return data


__all__ = ["CANCEL_KINDS", "REQUEST_KINDS", "Method", "addressed", "invitation", "method_for"]
