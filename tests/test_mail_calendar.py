"""The booking lands in the member's calendar (issue #20): iMIP invitations.

The member's own e-mail about an approval or a move carries a
``text/calendar; method=REQUEST`` part, about a cancellation, rejection or
expiry a ``method=CANCEL`` one (RFC 6047), parsed here with icalendar as a
mail program would: the feeds' UID, a SEQUENCE rising with each change, the
sender as ORGANIZER, the member as ATTENDEE. Admins' copies carry none.
The approve -> move -> cancel story runs on both backends (the queuing
statement picks the member's row with a CASE each dialect renders and types
itself); the rest cannot depend on the backend and runs on SQLite.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest
from icalendar import Calendar, Event

import rentcal
from rentcal.service.smtp_sender import SmtpSender
from tests.conftest import BOTH, BUSY_TIMEOUT, d, make_clock, seed
from tests.mail_support import Received, smtp_server
from tests.mail_support import SmtpServer as Server

FROM = "Tool Library <rentcal@example.org>"


@pytest.fixture
def smtp() -> Iterator[Server]:
    with smtp_server() as server:
        yield server


@pytest.fixture
def mailcal(db_url: str) -> Iterator[rentcal.Rentcal]:
    """The seeded members and machines; bob has an address (ada, the admin, has one)."""
    clock = make_clock(datetime(2030, 1, 8, 12, tzinfo=UTC))
    with rentcal.connect(db_url, clock=clock, busy_timeout=BUSY_TIMEOUT) as cal:
        seed(cal)
        cal.edit_member("bob", email="bob@example.org", acting="ada")
        yield cal


def delivered(cal: rentcal.Rentcal, smtp: Server, to: str) -> list[Received]:
    """Send what is due; the messages ``to`` got, in order."""
    report = cal.deliver_mail(SmtpSender(smtp.url, FROM))
    assert report.retrying == report.failed == 0
    return smtp.to(to)


def calendar_parts(message: EmailMessage) -> list[EmailMessage]:
    return [p for p in message.walk() if p.get_content_type() == "text/calendar"]  # type: ignore[misc]


def invitation(got: Received) -> tuple[str, Event]:
    """The one text/calendar part of ``got``: its method parameter and its one VEVENT,
    checked to agree with the calendar's METHOD."""
    (part,) = calendar_parts(got.message)
    assert got.message.get_content_type() == "multipart/alternative"
    calendar = Calendar.from_ical(part.get_content())
    (event,) = calendar.walk("VEVENT")
    method = str(part.get_param("method"))
    assert str(calendar["METHOD"]) == method
    return method, event


def feed_uid(cal: rentcal.Rentcal, rental_id: int) -> str:
    """The UID of the one VEVENT in the iCalendar feed (every status): rental ``rental_id``."""
    (event,) = Calendar.from_ical(cal.ical(all_statuses=True)).walk("VEVENT")
    assert f"({cal.rental(rental_id).machine})" in str(event["DESCRIPTION"])
    return str(event["UID"])


@BOTH
def test_approve_move_cancel_update_one_event(mailcal: rentcal.Rentcal, smtp: Server) -> None:
    """Three invitations of one event: REQUEST, REQUEST, CANCEL, each SEQUENCE higher."""
    booked = mailcal.book("tractor", d(20), d(21), member="bob", acting="bob")
    mailcal.approve(booked.id, acting="ada")
    mailcal.move(booked.id, start=d(24), acting="ada")
    mailcal.cancel(booked.id, acting="ada", reason="storm")
    got = delivered(mailcal, smtp, "bob@example.org")
    assert [" ".join(str(r.message["Subject"]).split()[:4]) for r in got] == [
        "Your booking of Tractor",
        "Ada Admin moved Bob",
        "Your booking of Tractor",
    ]
    assert ["approved" in str(r.message["Subject"]) for r in got] == [True, False, False]
    assert ["cancelled" in str(r.message["Subject"]) for r in got] == [False, False, True]
    seen = [invitation(r) for r in got]
    assert [method for method, _ in seen] == ["REQUEST", "REQUEST", "CANCEL"]
    uid = mailcal.rental(booked.id).uid
    assert {str(e["UID"]) for _, e in seen} == {uid}
    sequences = [int(e["SEQUENCE"]) for _, e in seen]
    assert sequences == sorted(set(sequences)), sequences  # strictly increasing
    assert sequences[-1] == mailcal.rental(booked.id).sequence
    assert [e.decoded("DTSTART") for _, e in seen] == [d(20), d(24), d(24)]
    assert [str(e["STATUS"]) for _, e in seen] == ["CONFIRMED", "CONFIRMED", "CANCELLED"]
    for _, event in seen:
        assert str(event["ORGANIZER"]) == "mailto:rentcal@example.org"
        assert event["ORGANIZER"].params["CN"] == "Tool Library"
        assert str(event["ATTENDEE"]) == "mailto:bob@example.org"
        assert event["ATTENDEE"].params["CN"] == "Bob Baker"
    admin_copies = smtp.to("ada@example.org")
    assert admin_copies, "the admins hear of the request and the move"
    assert all(not calendar_parts(r.message) for r in admin_copies)


def test_the_uid_is_the_feeds(mailcal: rentcal.Rentcal, smtp: Server) -> None:
    """A subscribed feed and the invitation are the same event in the member's calendar."""
    booked = mailcal.book("saw", d(20), d(20), member="bob", acting="bob")  # auto-approved
    (got,) = delivered(mailcal, smtp, "bob@example.org")
    method, event = invitation(got)
    assert method == "REQUEST"
    assert str(event["UID"]) == feed_uid(mailcal, booked.id)


@pytest.mark.parametrize("ending", ["rejected", "expired"])
def test_a_refused_request_is_cancelled(
    mailcal: rentcal.Rentcal, smtp: Server, ending: str
) -> None:
    """Rejected or expired: the request's mail is not an invitation, its end a CANCEL."""
    booked = mailcal.book("tractor", d(20), d(21), member="bob", acting="bob")
    if ending == "rejected":
        mailcal.reject(booked.id, acting="ada", reason="in repair")
    else:
        mailcal.housekeeping(today=d(22))
    (got,) = delivered(mailcal, smtp, "bob@example.org")
    words = "was rejected" if ending == "rejected" else "expired"
    assert words in str(got.message["Subject"])
    method, event = invitation(got)
    assert method == "CANCEL"
    assert str(event["STATUS"]) == "CANCELLED"
    assert str(event["UID"]) == feed_uid(mailcal, booked.id)
    assert int(event["SEQUENCE"]) == mailcal.rental(booked.id).sequence


def test_news_that_changes_no_event_has_no_calendar(mailcal: rentcal.Rentcal, smtp: Server) -> None:
    """The admin's "new request", a member moving their pending request: no invitation."""
    booked = mailcal.book("tractor", d(20), d(21), member="bob", acting="bob")
    mailcal.move(booked.id, start=d(23), acting="bob")
    (request, *_) = delivered(mailcal, smtp, "ada@example.org")
    assert "Bob Baker asked to book" in str(request.message["Subject"])
    everyone = smtp.received
    assert len(everyone) >= 2
    assert all(not calendar_parts(r.message) for r in everyone)


@pytest.mark.parametrize(
    "name",
    [
        pytest.param('Bob "B"; ROLE=CHAIR:mailto:m@x, Jr.', id="param-syntax"),
        pytest.param("Bób \\ Bäcker 名前 <mallory@example.org>", id="address-like"),
        pytest.param("Bob ^n^' Carets", id="rfc6868-carets"),
    ],
)
def test_hostile_names_break_nothing(mailcal: rentcal.Rentcal, smtp: Server, name: str) -> None:
    """The member's name (as rentcal accepts it: one line, no control characters; the
    unit tests in test_itip.py try CR and LF) reaches the To header and the CN
    parameter, and changes neither the headers nor the calendar's structure."""
    mailcal.edit_member("bob", name=name, acting="ada")
    mailcal.book("saw", d(20), d(20), member="bob", acting="bob")
    (got,) = delivered(mailcal, smtp, "bob@example.org")
    (to,) = got.message["To"].addresses
    assert to.addr_spec == "bob@example.org"
    _, event = invitation(got)
    attendee = event["ATTENDEE"]
    assert str(attendee) == "mailto:bob@example.org"  # one attendee, not a list
    assert set(attendee.params) == {"CN", "ROLE", "PARTSTAT"}
    assert attendee.params["CN"] == to.display_name == name
