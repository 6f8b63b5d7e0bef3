"""Calendar feeds: FullCalendar JSON and iCalendar, from values only.

Golden files live in ``tests/golden/``; regenerate them after a deliberate
change with ``RENTCAL_REGEN_GOLDEN=1 pytest tests/test_feeds.py`` (the golden
tests then fail, naming each file they rewrote), review the diff, and rerun
without the variable.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import icalendar
import pytest
import vobject
from hypothesis import given, settings
from hypothesis import strategies as st

from rentcal.core.privacy import EVERYTHING, PUBLIC, Viewer
from rentcal.core.ranges import iter_days
from rentcal.core.types import (
    MachineStatus,
    MaintenanceKind,
    MaintenanceStatus,
    RentalStatus,
    Role,
)
from rentcal.core.values import Machine, Maintenance, Member, Rental
from rentcal.feeds.fullcalendar import (
    LEGEND,
    events,
    iter_events,
    legend,
    maintenance_event,
    rental_event,
    resources,
)
from rentcal.feeds.ical import build_calendar, to_ics

GOLDEN = Path(__file__).parent / "golden"
REGEN_ENV = "RENTCAL_REGEN_GOLDEN"
REPO = Path(__file__).resolve().parent.parent

STAMP = datetime(2030, 1, 2, 9, 30, 15, tzinfo=UTC)
NASTY = "Ålesund ☃ — «grass», silage; 50% \\ done\nline 2"


# --------------------------------------------------------------------------- factories


def _uid(kind: str, ident: int) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"rentcal:{kind}:{ident}"))


def make_rental(**overrides: Any) -> Rental:
    """A rental of Tractor 6120 by John Doe; any field can be overridden."""
    ident = overrides.pop("id", 123)
    fields: dict[str, Any] = {
        "id": ident,
        "uid": _uid("rental", ident),
        "machine": "tractor-6120",
        "machine_title": "Tractor 6120",
        "member": "jdoe",
        "member_name": "John Doe",
        "start": date(2030, 1, 15),
        "end": date(2030, 1, 20),
        "status": RentalStatus.APPROVED,
        "purpose": "Ploughing the north field",
        "price": Decimal("600.00"),
        "created_at": STAMP - timedelta(days=1),
        "updated_at": STAMP,
        "sequence": 0,
        "status_changed_by": None,
        "reason": None,
    }
    fields.update(overrides)
    return Rental(**fields)


def make_maintenance(**overrides: Any) -> Maintenance:
    """A scheduled preventive maintenance block of Tractor 6120."""
    ident = overrides.pop("id", 45)
    fields: dict[str, Any] = {
        "id": ident,
        "uid": _uid("maintenance", ident),
        "machine": "tractor-6120",
        "machine_title": "Tractor 6120",
        "start": date(2030, 1, 10),
        "end": date(2030, 1, 12),
        "kind": MaintenanceKind.PREVENTIVE,
        "status": MaintenanceStatus.SCHEDULED,
        "notes": "Oil change; new filters, check belts",
        "created_at": STAMP - timedelta(days=3),
        "updated_at": STAMP,
        "sequence": 0,
    }
    fields.update(overrides)
    return Maintenance(**fields)


def make_machine(name: str = "tractor-6120", title: str = "Tractor 6120") -> Machine:
    return Machine(
        id=1,
        name=name,
        title=title,
        daily_price=Decimal("100.00"),
        description=None,
        status=MachineStatus.ACTIVE,
        auto_approve=False,
        created_at=STAMP,
    )


MOWER = {"machine": "mower-x", "machine_title": "Mower X"}


def tractor_rows() -> tuple[list[Rental], list[Maintenance]]:
    """One machine, every status, awkward text: the single-machine golden feed."""
    rentals = [
        make_rental(),
        make_rental(
            id=124,
            member="ase",
            member_name="Åse Nilsen",
            start=date(2030, 1, 22),
            end=date(2030, 1, 22),
            status=RentalStatus.PENDING,
            purpose=NASTY,
            price=Decimal("100.00"),
            updated_at=datetime(2030, 1, 3, 8, 0, tzinfo=timezone(timedelta(hours=2))),
            sequence=1,
        ),
        make_rental(
            id=125,
            start=date(2030, 2, 1),
            end=date(2030, 2, 3),
            status=RentalStatus.CANCELLED,
            reason="Weather",
            sequence=2,
        ),
        make_rental(
            id=126,
            member="bob",
            member_name="Bob",
            start=date(2030, 2, 1),
            end=date(2030, 2, 1),
            status=RentalStatus.REJECTED,
            purpose=None,
            reason="Machine needed elsewhere",
            sequence=1,
        ),
        make_rental(
            id=127,
            start=date(2029, 12, 1),
            end=date(2029, 12, 2),
            status=RentalStatus.COMPLETED,
            price=Decimal("200.00"),
        ),
    ]
    maintenance = [
        make_maintenance(),
        make_maintenance(
            id=46,
            start=date(2029, 11, 20),
            end=date(2029, 11, 20),
            kind=MaintenanceKind.REPAIR,
            status=MaintenanceStatus.DONE,
            notes=None,
        ),
    ]
    return rentals, maintenance


def all_rows() -> tuple[list[Rental], list[Maintenance]]:
    """Two machines: the multi-machine golden feed."""
    rentals, maintenance = tractor_rows()
    rentals.append(make_rental(id=200, member="ase", member_name="Åse Nilsen", **MOWER))
    maintenance.append(
        make_maintenance(
            id=47,
            start=date(2030, 1, 15),
            end=date(2030, 1, 15),
            kind=MaintenanceKind.INSPECTION,
            status=MaintenanceStatus.CANCELLED,
            **MOWER,
        )
    )
    return rentals, maintenance


# --------------------------------------------------------------------------- helpers


def unfold(ics: bytes) -> list[str]:
    """Content lines of an .ics, unfolded (RFC 5545 section 3.1)."""
    text = ics.decode("utf-8").replace("\r\n", "\n")
    return [line for line in re.sub(r"\n[ \t]", "", text).split("\n") if line]


def normalise_ics(ics: bytes) -> list[Any]:
    """A tree of components whose property lines are sorted.

    Harmless reordering of properties (and of parameters inside a line) does
    not change the result; the order of components (events) does, because
    rentcal promises it.
    """
    stack: list[tuple[str, list[str], list[Any]]] = [("", [], [])]
    for line in unfold(ics):
        if line.startswith("BEGIN:"):
            stack.append((line[6:], [], []))
        elif line.startswith("END:"):
            name, props, children = stack.pop()
            assert name == line[4:], f"END:{line[4:]} closes BEGIN:{name}"
            stack[-1][2].append([name, sorted(props), children])
        else:
            head, _, value = line.partition(":")
            name, *params = head.split(";")
            stack[-1][1].append(";".join([name, *sorted(params)]) + ":" + value)
    assert len(stack) == 1
    return stack[0][2]


def check_golden(name: str, produced: bytes) -> None:
    """Compare ``produced`` with ``tests/golden/<name>`` after normalisation.

    With ``RENTCAL_REGEN_GOLDEN=1`` the file is rewritten and the test FAILS,
    so a regenerating run can never pass for a checking one.
    """
    path = GOLDEN / name
    if os.environ.get(REGEN_ENV) == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(produced)
        pytest.fail(f"regenerated {path}; review the diff and rerun without {REGEN_ENV}")
    assert path.exists(), f"{path} is missing: run with {REGEN_ENV}=1"
    expected = path.read_bytes()
    if name.endswith(".json"):
        assert json.loads(produced) == json.loads(expected)
    else:
        assert normalise_ics(produced) == normalise_ics(expected)


def as_json(data: object) -> bytes:
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def vevent_lines(ics: bytes) -> list[list[str]]:
    """The unfolded content lines of each VEVENT, in order."""
    found: list[list[str]] = []
    current: list[str] | None = None
    for line in unfold(ics):
        if line == "BEGIN:VEVENT":
            current = []
        elif line == "END:VEVENT":
            assert current is not None
            found.append(current)
            current = None
        elif current is not None:
            current.append(line)
    return found


def event_days(start: str, end: str) -> list[date]:
    """Days covered by [start, end): FullCalendar's exclusive end."""
    first, stop = date.fromisoformat(start), date.fromisoformat(end)
    return [first + timedelta(days=n) for n in range((stop - first).days)]


def vobject_events(ics: bytes) -> list[Any]:
    return list(vobject.readOne(ics.decode("utf-8")).vevent_list)


# --------------------------------------------------------------------------- FullCalendar


class TestRentalEvent:
    """A rental becomes one all-day FullCalendar event with an exclusive end."""

    def test_documented_shape(self) -> None:
        assert rental_event(make_rental()) == {
            "id": "rental-123",
            "title": "Rented by John Doe",
            "start": "2030-01-15",
            "end": "2030-01-21",
            "allDay": True,
            "backgroundColor": "#dc3545",
            "borderColor": "#dc3545",
            "textColor": "#ffffff",
            "extendedProps": {
                "type": "rental",
                "status": "approved",
                "rentalId": 123,
                "userName": "John Doe",
                "machine": "tractor-6120",
            },
        }

    def test_one_day_rental_ends_next_day(self) -> None:
        event = rental_event(make_rental(start=date(2030, 2, 28), end=date(2030, 2, 28)))
        assert (event["start"], event["end"]) == ("2030-02-28", "2030-03-01")

    def test_end_crosses_year(self) -> None:
        event = rental_event(make_rental(start=date(2030, 12, 30), end=date(2030, 12, 31)))
        assert event["end"] == "2031-01-01"

    @pytest.mark.parametrize(
        ("status", "title", "background", "text"),
        [
            pytest.param(
                RentalStatus.APPROVED, "Rented by John Doe", "#dc3545", "#ffffff", id="approved"
            ),
            pytest.param(
                RentalStatus.PENDING, "Requested by John Doe", "#ffc107", "#000000", id="pending"
            ),
            pytest.param(
                RentalStatus.REJECTED, "Rejected: John Doe", "#6c757d", "#ffffff", id="rejected"
            ),
            pytest.param(
                RentalStatus.CANCELLED, "Cancelled: John Doe", "#6c757d", "#ffffff", id="cancelled"
            ),
            pytest.param(
                RentalStatus.COMPLETED,
                "Completed by John Doe",
                "#6c757d",
                "#ffffff",
                id="completed",
            ),
        ],
    )
    def test_status_sets_title_and_colours(
        self, status: RentalStatus, title: str, background: str, text: str
    ) -> None:
        event = rental_event(make_rental(status=status))
        assert event["title"] == title
        assert event["backgroundColor"] == event["borderColor"] == background
        assert event["textColor"] == text
        assert event["extendedProps"] == {
            "type": "rental",
            "status": status.value,
            "rentalId": 123,
            "userName": "John Doe",
            "machine": "tractor-6120",
        }

    def test_single_machine_has_no_prefix_nor_resource(self) -> None:
        event = rental_event(make_rental(), multi_machine=False)
        assert event["title"] == "Rented by John Doe"
        assert "resourceId" not in event

    def test_multi_machine_prefixes_title_and_sets_resource(self) -> None:
        event = rental_event(make_rental(), multi_machine=True)
        assert event["title"] == "Tractor 6120 — Rented by John Doe"
        assert event["resourceId"] == "tractor-6120"


class TestMaintenanceEvent:
    """A maintenance block becomes an orange (or grey when over) all-day event."""

    def test_documented_shape(self) -> None:
        assert maintenance_event(make_maintenance()) == {
            "id": "maintenance-45",
            "title": "Maintenance: Preventive",
            "start": "2030-01-10",
            "end": "2030-01-13",
            "allDay": True,
            "backgroundColor": "#fd7e14",
            "borderColor": "#fd7e14",
            "textColor": "#000000",
            "extendedProps": {
                "type": "maintenance",
                "maintenanceId": 45,
                "maintenanceType": "preventive",
                "status": "scheduled",
                "machine": "tractor-6120",
            },
        }

    @pytest.mark.parametrize(
        ("status", "kind", "title", "background", "text"),
        [
            pytest.param(
                MaintenanceStatus.SCHEDULED,
                MaintenanceKind.REPAIR,
                "Maintenance: Repair",
                "#fd7e14",
                "#000000",  # white on orange would be 2.6:1, below WCAG's 4.5:1
                id="scheduled",
            ),
            pytest.param(
                MaintenanceStatus.DONE,
                MaintenanceKind.INSPECTION,
                "Maintenance done: Inspection",
                "#6c757d",
                "#ffffff",
                id="done",
            ),
            pytest.param(
                MaintenanceStatus.CANCELLED,
                MaintenanceKind.PREVENTIVE,
                "Cancelled maintenance: Preventive",
                "#6c757d",
                "#ffffff",
                id="cancelled",
            ),
        ],
    )
    def test_status_sets_title_and_colour(
        self,
        status: MaintenanceStatus,
        kind: MaintenanceKind,
        title: str,
        background: str,
        text: str,
    ) -> None:
        event = maintenance_event(make_maintenance(status=status, kind=kind))
        assert event["title"] == title
        assert event["backgroundColor"] == event["borderColor"] == background
        assert event["textColor"] == text

    def test_multi_machine(self) -> None:
        event = maintenance_event(make_maintenance(**MOWER), multi_machine=True)
        assert event["title"] == "Mower X — Maintenance: Preventive"
        assert event["resourceId"] == "mower-x"


class TestEvents:
    """events() merges rentals and maintenance in one deterministic order."""

    def test_sorted_by_start_then_id_string(self) -> None:
        rentals = [
            make_rental(id=45, start=date(2030, 1, 10)),
            make_rental(id=123, start=date(2030, 1, 10)),
            make_rental(id=2, start=date(2030, 1, 1)),
        ]
        maintenance = [make_maintenance(id=45, start=date(2030, 1, 10))]
        ids = [event["id"] for event in events(rentals, maintenance)]
        # "rental-123" < "rental-45" as strings: the order is by id *string*.
        assert ids == ["rental-2", "maintenance-45", "rental-123", "rental-45"]

    def test_input_order_does_not_matter(self) -> None:
        rentals, maintenance = all_rows()
        forward = events(rentals, maintenance, multi_machine=True)
        backward = events(rentals[::-1], maintenance[::-1], multi_machine=True)
        assert forward == backward

    def test_iter_events_is_a_lazy_generator_with_the_same_events(self) -> None:
        rentals, maintenance = all_rows()
        stream = iter_events(iter(rentals), iter(maintenance))
        assert isinstance(stream, Iterator)
        assert list(stream) == events(rentals, maintenance)

    def test_empty(self) -> None:
        assert events([], []) == []

    def test_json_serialisable(self) -> None:
        rentals, maintenance = all_rows()
        data = events(rentals, maintenance, multi_machine=True)
        assert json.loads(json.dumps(data)) == data


class TestResourcesAndLegend:
    """resources() feeds a resource timeline; the legend matches the events."""

    def test_resources(self) -> None:
        machines = [make_machine(), make_machine("mower-x", "Mower X")]
        assert resources(machines) == [
            {"id": "tractor-6120", "title": "Tractor 6120"},
            {"id": "mower-x", "title": "Mower X"},
        ]

    def test_resource_ids_match_event_resource_ids(self) -> None:
        rentals, maintenance = all_rows()
        ids = {r["id"] for r in resources([make_machine(), make_machine("mower-x", "Mower X")])}
        assert {e["resourceId"] for e in events(rentals, maintenance, multi_machine=True)} == ids

    def test_legend_covers_every_status(self) -> None:
        pairs = {(entry["type"], entry["status"]) for entry in legend()}
        assert pairs == {("rental", s.value) for s in RentalStatus} | {
            ("maintenance", s.value) for s in MaintenanceStatus
        }
        for entry in legend():
            assert set(entry) == {
                "type",
                "status",
                "label",
                "backgroundColor",
                "textColor",
                "description",
            }

    @pytest.mark.parametrize("status", list(RentalStatus), ids=lambda s: s.value)
    def test_legend_colours_match_rental_events(self, status: RentalStatus) -> None:
        event = rental_event(make_rental(status=status))
        (entry,) = [e for e in LEGEND if e["type"] == "rental" and e["status"] == status.value]
        assert (entry["backgroundColor"], entry["textColor"]) == (
            event["backgroundColor"],
            event["textColor"],
        )

    @pytest.mark.parametrize("status", list(MaintenanceStatus), ids=lambda s: s.value)
    def test_legend_colours_match_maintenance_events(self, status: MaintenanceStatus) -> None:
        event = maintenance_event(make_maintenance(status=status))
        (entry,) = [e for e in LEGEND if e["type"] == "maintenance" and e["status"] == status.value]
        assert (entry["backgroundColor"], entry["textColor"]) == (
            event["backgroundColor"],
            event["textColor"],
        )

    def test_docs_table_matches_legend(self) -> None:
        docs = (REPO / "docs" / "feeds.md").read_text(encoding="utf-8")
        for entry in LEGEND:
            row = (
                f"| {entry['type']} | {entry['status']} | `{entry['label']}` "
                f"| `{entry['backgroundColor']}`"
            )
            assert row in docs, row
            line = next(line for line in docs.splitlines() if line.startswith(row))
            assert line.rstrip().endswith(f"| `{entry['textColor']}` |"), line

    def test_legend_hands_out_copies(self) -> None:
        legend()[0]["backgroundColor"] = "#000000"
        assert legend()[0]["backgroundColor"] == LEGEND[0]["backgroundColor"] != "#000000"


class TestImports:
    """The JSON feed never loads icalendar, so the CLI starts fast."""

    def test_fullcalendar_does_not_import_icalendar(self) -> None:
        code = (
            "import sys, rentcal.feeds, rentcal.feeds.fullcalendar; "
            "sys.exit(3 if 'icalendar' in sys.modules else 0)"
        )
        result = subprocess.run(
            [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stderr or "icalendar was imported"

    def test_package_loads_ical_names_lazily(self) -> None:
        import rentcal.feeds

        assert rentcal.feeds.to_ics is to_ics
        assert rentcal.feeds.build_calendar is build_calendar
        with pytest.raises(AttributeError):
            _ = rentcal.feeds.no_such_name


# --------------------------------------------------------------------------- iCalendar


class TestCalendarProperties:
    """The VCALENDAR carries the RFC 7986 publishing properties, and no METHOD."""

    def lines(self, **kwargs: Any) -> list[str]:
        rentals, maintenance = tractor_rows()
        ics = to_ics(rentals, maintenance, name="rentcal: Tractor 6120", **kwargs)
        head = unfold(ics)
        return head[: head.index("BEGIN:VEVENT")]

    def test_header(self) -> None:
        lines = self.lines(prodid_version="2.5.0")
        assert lines[0] == "BEGIN:VCALENDAR"
        assert set(lines[1:]) == {
            "VERSION:2.0",
            "PRODID:-//rentcal//rentcal 2.5.0//EN",
            "CALSCALE:GREGORIAN",
            "NAME:rentcal: Tractor 6120",
            "X-WR-CALNAME:rentcal: Tractor 6120",
            "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
            "X-PUBLISHED-TTL:PT1H",
        }

    def test_default_prodid_version(self) -> None:
        assert "PRODID:-//rentcal//rentcal 1//EN" in self.lines()

    def test_refresh_interval_has_value_duration(self) -> None:
        ics = to_ics([], [], name="x", refresh=timedelta(minutes=15))
        assert b"\r\nREFRESH-INTERVAL;VALUE=DURATION:PT15M\r\n" in ics
        assert b"\r\nX-PUBLISHED-TTL:PT15M\r\n" in ics

    def test_no_method(self) -> None:
        rentals, maintenance = all_rows()
        ics = to_ics(rentals, maintenance, name="x", multi_machine=True)
        assert not any(line.startswith("METHOD") for line in unfold(ics))

    def test_name_is_escaped_text(self) -> None:
        ics = to_ics([], [], name="rentcal: a, b; c\\d")
        assert b"\r\nNAME:rentcal: a\\, b\\; c\\\\d\r\n" in ics
        parsed = vobject.readOne(ics.decode("utf-8"))
        assert parsed.contents["name"][0].value == "rentcal: a, b; c\\d"
        assert parsed.contents["x-wr-calname"][0].value == "rentcal: a, b; c\\d"

    def test_build_calendar_is_an_icalendar_calendar(self) -> None:
        rentals, maintenance = tractor_rows()
        calendar = build_calendar(rentals, maintenance, name="n")
        assert isinstance(calendar, icalendar.Calendar)
        assert len(calendar.events) == len(rentals) + len(maintenance)
        assert calendar.to_ical() == to_ics(rentals, maintenance, name="n")


class TestVevent:
    """Each rental and maintenance block becomes one all-day VEVENT."""

    def event(self, item: Rental | Maintenance, **kwargs: Any) -> icalendar.Event:
        if isinstance(item, Rental):
            ics = to_ics([item], [], name="n", **kwargs)
        else:
            ics = to_ics([], [item], name="n", **kwargs)
        (event,) = icalendar.Calendar.from_ical(ics).events
        return event

    def test_rental_lines(self) -> None:
        (lines,) = vevent_lines(to_ics([make_rental(sequence=4)], [], name="n"))
        uid = _uid("rental", 123)
        for expected in [
            f"UID:{uid}",
            "DTSTART;VALUE=DATE:20300115",
            "DTEND;VALUE=DATE:20300121",
            "DTSTAMP:20300102T093015Z",
            "LAST-MODIFIED:20300102T093015Z",
            "CREATED:20300101T093015Z",
            "SEQUENCE:4",
            "SUMMARY:Rented by John Doe",
            "STATUS:CONFIRMED",
            "TRANSP:OPAQUE",
            "CATEGORIES:rental,approved",
            "COLOR:red",
        ]:
            assert expected in lines

    def test_rental_description(self) -> None:
        event = self.event(make_rental(reason="Approved by phone"), viewer=EVERYTHING)
        assert event["DESCRIPTION"] == (
            "Machine: Tractor 6120 (tractor-6120)\n"
            "Member: John Doe (jdoe)\n"
            "Purpose: Ploughing the north field\n"
            "Price: 600.00\n"
            "Status: approved\n"
            "Reason: Approved by phone"
        )

    def test_rental_description_without_purpose(self) -> None:
        event = self.event(make_rental(purpose=None), viewer=EVERYTHING)
        assert "Purpose" not in str(event["DESCRIPTION"])

    def test_maintenance(self) -> None:
        event = self.event(make_maintenance(), viewer=EVERYTHING)
        assert event["SUMMARY"] == "Maintenance: Preventive"
        assert event["DESCRIPTION"] == (
            "Machine: Tractor 6120 (tractor-6120)\n"
            "Kind: preventive\n"
            "Status: scheduled\n"
            "Notes: Oil change; new filters, check belts"
        )
        assert event.categories == ["maintenance", "preventive"]
        assert event.color == "orange"
        assert (event.start, event.end) == (date(2030, 1, 10), date(2030, 1, 13))

    @pytest.mark.parametrize(
        ("status", "ical_status", "color"),
        [
            pytest.param(RentalStatus.PENDING, "TENTATIVE", "gold", id="pending"),
            pytest.param(RentalStatus.APPROVED, "CONFIRMED", "red", id="approved"),
            pytest.param(RentalStatus.REJECTED, "CANCELLED", "gray", id="rejected"),
            pytest.param(RentalStatus.CANCELLED, "CANCELLED", "gray", id="cancelled"),
            pytest.param(RentalStatus.COMPLETED, "CONFIRMED", "gray", id="completed"),
        ],
    )
    def test_rental_status(self, status: RentalStatus, ical_status: str, color: str) -> None:
        rental = make_rental(status=status)
        event = self.event(rental)
        assert event["STATUS"] == ical_status
        assert event.color == color
        assert event.categories == ["rental", status.value]
        assert event["SUMMARY"] == rental_event(rental)["title"]

    @pytest.mark.parametrize(
        ("status", "ical_status", "color"),
        [
            pytest.param(MaintenanceStatus.SCHEDULED, "CONFIRMED", "orange", id="scheduled"),
            pytest.param(MaintenanceStatus.DONE, "CONFIRMED", "gray", id="done"),
            pytest.param(MaintenanceStatus.CANCELLED, "CANCELLED", "gray", id="cancelled"),
        ],
    )
    def test_maintenance_status(
        self, status: MaintenanceStatus, ical_status: str, color: str
    ) -> None:
        maintenance = make_maintenance(status=status)
        event = self.event(maintenance)
        assert event["STATUS"] == ical_status
        assert event.color == color
        assert event["SUMMARY"] == maintenance_event(maintenance)["title"]

    def test_multi_machine_summary_matches_json_title(self) -> None:
        rental = make_rental(**MOWER)
        event = self.event(rental, multi_machine=True)
        assert event["SUMMARY"] == "Mower X — Rented by John Doe"
        assert event["SUMMARY"] == rental_event(rental, multi_machine=True)["title"]

    def test_uid_is_the_value_uid(self) -> None:
        assert str(self.event(make_rental())["UID"]) == _uid("rental", 123)


class TestStability:
    """Output depends on the values only: never on the clock or input order."""

    def test_byte_identical_on_two_calls(self) -> None:
        rentals, maintenance = all_rows()
        first = to_ics(rentals, maintenance, name="rentcal: all machines", multi_machine=True)
        second = to_ics(rentals, maintenance, name="rentcal: all machines", multi_machine=True)
        assert first == second

    def test_byte_identical_whatever_the_input_order(self) -> None:
        rentals, maintenance = all_rows()
        assert to_ics(rentals, maintenance, name="n") == to_ics(
            rentals[::-1], maintenance[::-1], name="n"
        )

    def test_events_sorted_by_start_then_uid(self) -> None:
        rentals, maintenance = all_rows()
        parsed = icalendar.Calendar.from_ical(to_ics(rentals, maintenance, name="n")).events
        keys = [(event.start, str(event["UID"])) for event in parsed]
        assert keys == sorted(keys)

    def test_dtstamp_is_updated_at_in_utc_not_now(self) -> None:
        updated = datetime(2001, 5, 6, 23, 30, 45, 123456, tzinfo=timezone(timedelta(hours=-5)))
        (lines,) = vevent_lines(to_ics([make_rental(updated_at=updated)], [], name="n"))
        assert "DTSTAMP:20010507T043045Z" in lines
        assert "LAST-MODIFIED:20010507T043045Z" in lines

    def test_naive_timestamp_is_taken_as_utc(self) -> None:
        (lines,) = vevent_lines(
            to_ics([make_rental(updated_at=datetime(2001, 5, 6, 23, 30))], [], name="n")
        )
        assert "DTSTAMP:20010506T233000Z" in lines

    def test_reschedule_keeps_uid_and_raises_sequence(self) -> None:
        before = make_rental(sequence=2)
        after = make_rental(
            start=date(2030, 3, 1),
            end=date(2030, 3, 4),
            sequence=3,
            updated_at=STAMP + timedelta(hours=5),
        )
        (old,) = icalendar.Calendar.from_ical(to_ics([before], [], name="n")).events
        (new,) = icalendar.Calendar.from_ical(to_ics([after], [], name="n")).events
        assert str(new["UID"]) == str(old["UID"]) == before.uid
        assert new.sequence == 3 > old.sequence == 2
        assert (new.start, new.end) == (date(2030, 3, 1), date(2030, 3, 5))
        assert new.DTSTAMP > old.DTSTAMP


class TestTextRoundTrip:
    """Awkward text is escaped, folded at 75 octets with CRLF, and parses back unchanged."""

    def nasty_feed(self) -> tuple[Rental, bytes]:
        rental = make_rental(
            member_name=NASTY, purpose=NASTY, machine_title="Tractor; 6120, \\blue\\"
        )
        return rental, to_ics([rental], [], name="n", multi_machine=True, viewer=EVERYTHING)

    def test_escaped_on_the_wire(self) -> None:
        _, ics = self.nasty_feed()
        assert "«grass»\\, silage\\; 50% \\\\ done\\nline 2" in ics.decode("utf-8")

    def test_icalendar_round_trip(self) -> None:
        rental, ics = self.nasty_feed()
        (event,) = icalendar.Calendar.from_ical(ics).events
        assert str(event["SUMMARY"]) == rental_event(rental, multi_machine=True)["title"]
        assert str(event["SUMMARY"]) == f"Tractor; 6120, \\blue\\ — Rented by {NASTY}"
        assert f"Purpose: {NASTY}\n" in str(event["DESCRIPTION"])
        assert f"Member: {NASTY} (jdoe)\n" in str(event["DESCRIPTION"])

    def test_vobject_round_trip(self) -> None:
        rental, ics = self.nasty_feed()
        (event,) = vobject_events(ics)
        assert event.summary.value == f"Tractor; 6120, \\blue\\ — Rented by {NASTY}"
        assert event.description.value == str(
            icalendar.Calendar.from_ical(ics).events[0]["DESCRIPTION"]
        )
        assert f"Purpose: {NASTY}\n" in event.description.value
        assert event.uid.value == rental.uid
        assert event.dtstart.value == date(2030, 1, 15)
        assert event.dtend.value == date(2030, 1, 21)
        assert event.dtstamp.value == STAMP
        assert int(event.sequence.value) == 0

    def test_lines_folded_at_75_octets_with_crlf(self) -> None:
        purpose = ("☃é—ø " * 2000)[:10_000]  # 10 000 characters, mostly multibyte
        ics = to_ics(
            [make_rental(purpose=purpose)],
            [make_maintenance(notes=purpose)],
            name="n",
            viewer=EVERYTHING,
        )
        assert len(ics) > 20_000
        assert ics.endswith(b"\r\n")
        for line in ics[:-2].split(b"\r\n"):
            assert len(line) <= 75, line
            assert b"\n" not in line and b"\r" not in line
            line.decode("utf-8")  # folding never splits a UTF-8 sequence
        (event,) = vobject_events(ics)[1:]
        assert f"Purpose: {purpose}\n" in event.description.value
        parsed = icalendar.Calendar.from_ical(ics).events
        assert f"Notes: {purpose}" in str(parsed[0]["DESCRIPTION"])

    @settings(max_examples=60, deadline=None)
    @given(
        st.text(
            st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\r")
            | st.sampled_from([",", ";", "\\", "\n", ":", '"'])
        )
    )
    def test_any_text_round_trips(self, text: str) -> None:
        rental = make_rental(member_name=text, purpose=text)
        ics = to_ics([rental], [], name="n")
        title = rental_event(rental)["title"]
        (event,) = icalendar.Calendar.from_ical(ics).events
        assert str(event["SUMMARY"]) == title
        (other,) = vobject_events(ics)
        assert other.summary.value == title


class TestPrivacy:
    """DESCRIPTION carries purpose, price, reason and notes only for a viewer who may
    read them: the pages' rule (rentcal.core.privacy)."""

    PRIVATE = ("Purpose: ", "Price: ", "Reason: ", "Notes: ")

    def description(self, viewer: Viewer, member: str = "jdoe") -> str:
        rental = make_rental(member=member, reason="Approved by phone")
        (event, block) = sorted(
            icalendar.Calendar.from_ical(
                to_ics([rental], [make_maintenance()], name="n", viewer=viewer)
            ).events,
            key=lambda e: str(e["CATEGORIES"].to_ical()),
        )
        return f"{event['DESCRIPTION']}\n{block['DESCRIPTION']}"

    @pytest.mark.parametrize(
        ("viewer", "shown"),
        [
            pytest.param(PUBLIC, set(), id="public"),
            pytest.param(Viewer("bob", admin=False), set(), id="another-member"),
            pytest.param(
                Viewer("jdoe", admin=False), {"Purpose: ", "Price: ", "Reason: "}, id="own"
            ),
            pytest.param(Viewer("bob", admin=True), set(PRIVATE), id="admin"),
            pytest.param(EVERYTHING, set(PRIVATE), id="everything"),
        ],
    )
    def test_details_by_viewer(self, viewer: Viewer, shown: set[str]) -> None:
        text = self.description(viewer)
        assert {label for label in self.PRIVATE if label in text} == shown
        for always in ("Member: John Doe (jdoe)", "Status: approved", "Kind: preventive"):
            assert always in text

    def test_default_is_public(self) -> None:
        rentals, maintenance = tractor_rows()
        assert to_ics(rentals, maintenance, name="n") == to_ics(
            rentals, maintenance, name="n", viewer=PUBLIC
        )

    def test_a_deactivated_member_sees_nothing_private(self) -> None:
        member = Member(7, "jdoe", "John Doe", None, True, Role.MEMBER, active=False)
        assert Viewer.of(member) == PUBLIC
        assert Viewer.of(replace(member, active=True)) == Viewer("jdoe", admin=False)


# --------------------------------------------------------------------------- properties


rentals_strategy = st.builds(
    lambda start, days, status, ident: make_rental(
        id=ident, start=start, end=start + timedelta(days=days - 1), status=status
    ),
    st.dates(min_value=date(1990, 1, 1), max_value=date(2099, 12, 31)),
    st.integers(min_value=1, max_value=60),
    st.sampled_from(RentalStatus),
    st.integers(min_value=1, max_value=10**9),
)


class TestDayCoverage:
    """An exclusive end covers exactly the rental's inclusive days."""

    @given(rentals_strategy)
    def test_fullcalendar_covers_rental_days(self, rental: Rental) -> None:
        event = rental_event(rental)
        assert event["allDay"] is True
        assert event_days(str(event["start"]), str(event["end"])) == list(
            iter_days(rental.start, rental.end)
        )

    @settings(deadline=None)
    @given(rentals_strategy)
    def test_ics_covers_rental_days(self, rental: Rental) -> None:
        ics = to_ics([rental], [], name="n")
        (lines,) = vevent_lines(ics)
        start = next(line for line in lines if line.startswith("DTSTART;VALUE=DATE:"))
        end = next(line for line in lines if line.startswith("DTEND;VALUE=DATE:"))
        first = datetime.strptime(start.rsplit(":", 1)[1], "%Y%m%d").date()
        stop = datetime.strptime(end.rsplit(":", 1)[1], "%Y%m%d").date()
        assert event_days(first.isoformat(), stop.isoformat()) == list(
            iter_days(rental.start, rental.end)
        )
        (event,) = icalendar.Calendar.from_ical(ics).events
        assert (event.start, event.end - timedelta(days=1)) == (rental.start, rental.end)


# --------------------------------------------------------------------------- golden files


class TestGolden:
    """The feeds match the reviewed files in tests/golden/ (order-insensitive where harmless)."""

    def test_fullcalendar_json(self) -> None:
        rentals, maintenance = tractor_rows()
        check_golden("feed.fullcalendar.json", as_json(events(rentals, maintenance)))

    def test_ics(self) -> None:
        rentals, maintenance = tractor_rows()
        ics = to_ics(rentals, maintenance, name="rentcal: Tractor 6120", viewer=EVERYTHING)
        check_golden("feed.ics", ics)

    def test_public_ics(self) -> None:
        """The file to publish (``rentcal events --ics``): no purposes, prices, reasons, notes."""
        rentals, maintenance = tractor_rows()
        ics = to_ics(rentals, maintenance, name="rentcal: Tractor 6120")
        check_golden("feed.public.ics", ics)

    def test_multi_machine_fullcalendar_json(self) -> None:
        rentals, maintenance = all_rows()
        machines = [make_machine(), make_machine("mower-x", "Mower X")]
        data = {
            "resources": resources(machines),
            "events": events(rentals, maintenance, multi_machine=True),
        }
        check_golden("feed.multi.fullcalendar.json", as_json(data))

    def test_multi_machine_ics(self) -> None:
        rentals, maintenance = all_rows()
        ics = to_ics(
            rentals,
            maintenance,
            name="rentcal: all machines",
            multi_machine=True,
            viewer=EVERYTHING,
        )
        check_golden("feed.multi.ics", ics)

    def test_regenerating_writes_and_fails(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(sys.modules[__name__], "GOLDEN", tmp_path)
        monkeypatch.setenv(REGEN_ENV, "1")
        with pytest.raises(pytest.fail.Exception) as info:
            check_golden("x.json", b"[1]\n")
        assert (tmp_path / "x.json").read_bytes() == b"[1]\n"
        assert str(info.value) == (
            f"regenerated {tmp_path / 'x.json'}; review the diff and rerun without {REGEN_ENV}"
        )
        monkeypatch.delenv(REGEN_ENV)
        check_golden("x.json", b"[1]")  # the regenerated file is what is checked next
        with pytest.raises(AssertionError):
            check_golden("x.json", b"[2]")

    def test_normalisation_ignores_property_order(self) -> None:
        ics = b"BEGIN:VCALENDAR\r\nA:1\r\nB;Y=2;X=1:2\r\nEND:VCALENDAR\r\n"
        swapped = b"BEGIN:VCALENDAR\r\nB;X=1;Y=2:\r\n 2\r\nA:1\r\nEND:VCALENDAR\r\n"
        assert normalise_ics(ics) == normalise_ics(swapped)
        assert normalise_ics(ics) != normalise_ics(ics.replace(b"A:1", b"A:2"))
