"""iTIP invitations of a booking: parsed back by icalendar, the feeds' UID, a rising SEQUENCE."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from icalendar import Calendar

from rentcal.core.types import RentalStatus
from rentcal.core.values import Rental
from rentcal.feeds.ical import to_ics
from rentcal.feeds.itip import addressed, invitation, method_for

AT = datetime(2030, 1, 2, 9, 30, tzinfo=UTC)
RENTAL = Rental(
    id=7,
    uid="6f1c0d1e-0000-4000-8000-000000000007",
    machine="tractor",
    machine_title="Tractor 6120",
    member="jdoe",
    member_name='John "JD" Doe; Jr., the 2nd',
    start=date(2030, 1, 15),
    end=date(2030, 1, 17),
    status=RentalStatus.APPROVED,
    purpose="Field work",
    price=Decimal("360.00"),
    created_at=AT,
    updated_at=AT,
    sequence=1,
    status_changed_by="ada",
    reason=None,
)


def parsed(rental: Rental, method: str) -> Calendar:
    data = addressed(
        invitation(rental, method, version="1.0"),  # type: ignore[arg-type]
        organizer="rentcal@example.org",
        organizer_name="Co-op Machines",
        attendee="jdoe@example.org",
        attendee_name=rental.member_name,
    )
    return Calendar.from_ical(data)


def test_request_is_the_feeds_event_with_people() -> None:
    calendar = parsed(RENTAL, "REQUEST")
    assert str(calendar["METHOD"]) == "REQUEST"
    (event,) = calendar.walk("VEVENT")
    feed_event = Calendar.from_ical(to_ics([RENTAL], [], name="x")).walk("VEVENT")[0]
    assert event["UID"] == feed_event["UID"] == RENTAL.uid
    assert event.decoded("DTSTART") == date(2030, 1, 15)
    assert event.decoded("DTEND") == date(2030, 1, 18)  # exclusive, as in the feeds
    assert int(event["SEQUENCE"]) == 1
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["ORGANIZER"]) == "mailto:rentcal@example.org"
    assert event["ORGANIZER"].params["CN"] == "Co-op Machines"
    attendee = event["ATTENDEE"]
    assert str(attendee) == "mailto:jdoe@example.org"
    assert attendee.params["CN"] == RENTAL.member_name  # quotes, ; and , survive
    assert attendee.params["PARTSTAT"] == "ACCEPTED"
    assert "Tractor 6120" in str(event["SUMMARY"])


@pytest.mark.parametrize("status", [RentalStatus.CANCELLED, RentalStatus.REJECTED])
def test_cancel_supersedes_the_request(status: RentalStatus) -> None:
    ended = replace(RENTAL, status=status, sequence=RENTAL.sequence + 1)
    calendar = parsed(ended, "CANCEL")
    assert str(calendar["METHOD"]) == "CANCEL"
    (event,) = calendar.walk("VEVENT")
    assert event["UID"] == RENTAL.uid
    assert int(event["SEQUENCE"]) > int(parsed(RENTAL, "REQUEST").walk("VEVENT")[0]["SEQUENCE"])
    assert str(event["STATUS"]) == "CANCELLED"


def test_byte_stable() -> None:
    """No clock: the same rental always gives the same bytes (DTSTAMP from the rental)."""
    make = lambda: addressed(  # noqa: E731
        invitation(RENTAL, "REQUEST", "1"),
        organizer="a@b.c",
        organizer_name=None,
        attendee="d@e.f",
        attendee_name=None,
    )
    assert make() == make()


def test_stored_invitation_names_nobody() -> None:
    """The queued calendar has no people: they are added when the mail is sent."""
    (event,) = Calendar.from_ical(invitation(RENTAL, "REQUEST", "1")).walk("VEVENT")
    assert "ORGANIZER" not in event and "ATTENDEE" not in event


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("Eve\r\nATTENDEE:mailto:mallory@example.org", id="crlf"),
        pytest.param('Eve "x"; ROLE=CHAIR: mailto:m@x', id="param-syntax"),
        pytest.param("Ève \u2028 Ünïcödé, 名前", id="unicode"),
    ],
)
def test_hostile_names_stay_one_parameter(name: str) -> None:
    """A name cannot add a property or a parameter: one attendee, its CN the name on one line."""
    data = addressed(
        invitation(RENTAL, "CANCEL", "1"),
        organizer="a@b.c",
        organizer_name=name,
        attendee="d@e.f",
        attendee_name=name,
    )
    (event,) = Calendar.from_ical(data).walk("VEVENT")
    attendee = event["ATTENDEE"]
    assert str(attendee) == "mailto:d@e.f"  # one attendee: not a list
    assert attendee.params["CN"] == " ".join(name.replace("\u2028", " ").split())
    assert set(attendee.params) == {"CN", "ROLE", "PARTSTAT"}
    assert event["ORGANIZER"].params["CN"] == attendee.params["CN"]


def test_not_an_invitation() -> None:
    with pytest.raises(ValueError, match="exactly one VEVENT"):
        addressed(
            to_ics([], [], name="x"),
            organizer="a@b.c",
            organizer_name=None,
            attendee="d@e.f",
            attendee_name=None,
        )


@pytest.mark.parametrize(
    ("kind", "status", "method"),
    [
        ("approved", RentalStatus.APPROVED, "REQUEST"),
        ("moved", RentalStatus.APPROVED, "REQUEST"),
        ("moved", RentalStatus.PENDING, None),  # not in the member's calendar yet
        ("cancelled", RentalStatus.CANCELLED, "CANCEL"),
        ("rejected", RentalStatus.REJECTED, "CANCEL"),
        ("expired", RentalStatus.REJECTED, "CANCEL"),
        ("request", RentalStatus.PENDING, None),
        ("retired", RentalStatus.APPROVED, None),
        ("maintenance", RentalStatus.APPROVED, None),
    ],
)
def test_method_for(kind: str, status: RentalStatus, method: str | None) -> None:
    assert method_for(kind, replace(RENTAL, status=status)) == method
