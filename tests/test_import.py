"""Bulk import: rentals from CSV, maintenance from iCalendar, all or nothing."""

from __future__ import annotations

from datetime import date

import pytest

import rentcal
from rentcal.imports import (
    BlockRow,
    Ignored,
    ImportFailed,
    Problem,
    Sweep,
    decode_lines,
    read_blocks_ics,
    read_rentals_csv,
)
from tests.conftest import BOTH, TODAY, d

pytestmark = BOTH

HEADER = "machine,member,start,end,status,purpose"


def rows(*lines: str) -> list[object]:
    return list(read_rentals_csv([HEADER, *lines]))


class TestReadCsv:
    """Parsing validates every field and numbers the bad lines."""

    def test_good_and_bad_lines(self) -> None:
        got = rows(
            "tractor,bob,2029-01-01,2029-01-03,completed,old hay",
            "tractor,bob,2030-02-30,2030-03-01,approved,",
            "tractor,bob,2030-01-05,2030-01-01,pending,",
            "tractor,bob,2030-01-05,2030-01-06,lost,",
            "x'; DROP TABLE rental;--,bob,2030-01-05,2030-01-06,pending,",
            "tractor,bob,2030-01-05,2030-01-06,,,extra",
        )
        first = got[0]
        assert not isinstance(first, Problem)
        assert (first.line, first.status, first.purpose) == (2, "completed", "old hay")
        problems = {p.line: p.message for p in got if isinstance(p, Problem)}
        assert "start date '2030-02-30' is not a date" in problems[3]
        assert problems[4] == "end date 2030-01-01 is before start date 2030-01-05"
        assert problems[5].startswith("status 'lost' is not one of")
        assert "is not valid" in problems[6]
        assert problems[7] == "1 more field than the header"

    def test_header_is_required(self) -> None:
        with pytest.raises(rentcal.InvalidRequest, match="missing: end"):
            list(read_rentals_csv(["machine,member,start", "a,b,2030-01-01"]))

    def test_status_defaults_to_approved(self) -> None:
        (row,) = list(
            read_rentals_csv(["machine,member,start,end", "saw,bob,2030-01-01,2030-01-01"])
        )
        assert not isinstance(row, Problem) and row.status == "approved"


class TestImportRentals:
    """The service applies book's rules, history allowed, overlaps refused."""

    def test_history_is_welcome(self, seeded: rentcal.Rentcal) -> None:
        result = seeded.import_rentals(
            rows(
                "tractor,bob,2020-01-01,2020-01-03,completed,long ago",
                "tractor,dan,2020-01-02,2020-01-02,cancelled,",
                "tractor,carol,2020-02-01,2020-02-01,rejected,",  # unverified: non-blocking is fine
                "saw,dan,2030-01-10,2030-01-12,approved,",
            ),
            acting="ada",
        )
        assert (result.imported, result.skipped, result.problems) == (4, 0, ())
        stored = seeded.rentals()
        assert [r.status for r in stored] == ["completed", "cancelled", "rejected", "approved"]
        assert str(stored[0].price) == "360.00"
        assert str(stored[3].price) == "46.50"
        assert seeded.history(stored[0].id)[0]["reason"] == "imported"
        assert not seeded.check("saw", d(12), d(12), today=TODAY).available

    def test_all_or_nothing(self, seeded: rentcal.Rentcal) -> None:
        existing = seeded.book("tractor", d(10), d(12), member="bob", today=TODAY)
        batch = rows(
            "tractor,bob,2030-01-20,2030-01-21,approved,",
            "tractor,dan,2030-01-12,2030-01-13,pending,",  # overlaps the stored rental
            "tractor,dan,2030-01-21,2030-01-22,pending,",  # overlaps line 2 of the file
            "nope,dan,2030-01-21,2030-01-22,pending,",
            "tractor,zed,2030-01-25,2030-01-25,pending,",
            "tractor,carol,2030-01-26,2030-01-26,pending,",
        )
        with pytest.raises(ImportFailed) as info:
            seeded.import_rentals(batch, acting="ada")
        assert [p.line for p in info.value.problems] == [3, 4, 5, 6, 7]
        messages = [p.message for p in info.value.problems]
        assert messages[0] == f"2030-01-12..2030-01-13 overlaps rental {existing.id} (pending)"
        assert messages[1] == "2030-01-21..2030-01-22 overlaps line 2"
        assert messages[2:] == [
            "machine 'nope' not found",
            "member 'zed' not found",
            "member 'carol' is not verified",
        ]
        assert "nothing imported" in str(info.value)
        assert [r.id for r in seeded.rentals()] == [existing.id]
        result = seeded.import_rentals(batch, acting="ada", skip_invalid=True)
        assert (result.imported, result.skipped) == (1, 5)
        assert len(seeded.rentals()) == 2

    def test_admins_only_and_progress(self, seeded: rentcal.Rentcal) -> None:
        with pytest.raises(rentcal.PermissionDenied, match="only admins can import rentals"):
            seeded.import_rentals(rows("saw,bob,2030-01-10,2030-01-10,approved,"), acting="bob")
        seen: list[tuple[int, int]] = []
        batch = rows(
            *[f"saw,bob,2031-01-{day:02d},2031-01-{day:02d},approved," for day in range(1, 29)]
        )
        seeded.import_rentals(
            batch, acting="ada", progress=lambda done, total: seen.append((done, total))
        )
        assert seen[-1] == (28, 28)


ICS = b"""BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//test//EN\r
BEGIN:VEVENT\r
UID:1\r
SUMMARY:Christmas\r
DTSTART;VALUE=DATE:20301224\r
DTEND;VALUE=DATE:20301227\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:2\r
SUMMARY:Workshop inspection\r
DTSTART:20310105T090000Z\r
DTEND:20310105T170000Z\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:3\r
SUMMARY:Overlapping\r
DTSTART;VALUE=DATE:20301226\r
END:VEVENT\r
END:VCALENDAR\r
"""


class TestImportMaintenance:
    """Calendar events become maintenance blocks; DTEND is exclusive."""

    def test_read_blocks(self) -> None:
        blocks = list(read_blocks_ics(ICS))
        assert [(b.start, b.end, b.notes) for b in blocks] == [  # type: ignore[union-attr]
            (date(2030, 12, 24), date(2030, 12, 26), "Christmas"),
            (date(2031, 1, 5), date(2031, 1, 5), "Workshop inspection"),
            (date(2030, 12, 26), date(2030, 12, 26), "Overlapping"),
        ]

    def test_import(self, seeded: rentcal.Rentcal) -> None:
        with pytest.raises(
            # lines of the file: event 3 begins on line 16, event 1 on line 4
            ImportFailed,
            match=r"line 16: 2030-12-26\.\.2030-12-26 overlaps the event on line 4",
        ):
            seeded.import_maintenance("tractor", read_blocks_ics(ICS), acting="ada")
        assert seeded.maintenance() == []
        result = seeded.import_maintenance(
            "tractor", read_blocks_ics(ICS), kind="inspection", acting="ada", skip_invalid=True
        )
        assert (result.imported, result.skipped) == (2, 1)
        assert [(m.kind, m.notes) for m in seeded.maintenance()] == [
            ("inspection", "Christmas"),
            ("inspection", "Workshop inspection"),
        ]

    def test_not_a_calendar(self) -> None:
        with pytest.raises(rentcal.InvalidRequest, match="not an iCalendar file"):
            list(read_blocks_ics(b"hello"))


def test_sweep_finds_the_only_possible_clash() -> None:
    sweep = Sweep([(d(1), d(10), "a"), (d(12), d(13), "b")])
    assert sweep.clash(d(11), d(11)) is None
    assert sweep.clash(d(5), d(11)) == "a"
    assert sweep.clash(d(5), d(14)) == "b"
    sweep.add(d(11), d(11), "c")
    assert sweep.clash(d(11), d(11)) == "c"


def _ics(*events: str) -> bytes:
    body = "".join(f"BEGIN:VEVENT\r\nUID:{i}\r\n{e}END:VEVENT\r\n" for i, e in enumerate(events))
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n{body}END:VCALENDAR\r\n".encode()


class TestOddCalendars:
    """Odd but real calendar files give per-event problems, never a crash."""

    def test_problems_and_skips(self) -> None:
        data = _ics(
            "DTSTART;VALUE=DATE:20300110\r\nDTEND:20300111T120000Z\r\n",  # mixed date/date-time
            "DTSTART;VALUE=DATE:20300230\r\n",  # impossible date
            "DTSTART;VALUE=DATE:20300110\r\nRRULE:FREQ=WEEKLY;COUNT=5\r\n",
            "DTSTART;VALUE=DATE:20300110\r\nSTATUS:CANCELLED\r\n",
            "DTSTART;VALUE=DATE:20300110\r\nDTEND;VALUE=DATE:20300105\r\n",
            "DTSTART;VALUE=DATE:20300110\r\nDURATION:-P3D\r\n",
            f"DTSTART;VALUE=DATE:20300110\r\nSUMMARY:{'x' * 2500}\r\n",
        )
        got = list(read_blocks_ics(data))
        assert len(got) == 7  # every event accounted for
        # `line` is the file line of each event's BEGIN:VEVENT
        begins = [n for n, t in enumerate(data.split(b"\r\n"), 1) if t == b"BEGIN:VEVENT"]
        assert [item.line for item in got] == begins
        event = dict(zip(range(1, 8), begins, strict=True))
        blocks = [(b.line, b.start, b.end) for b in got if isinstance(b, BlockRow)]
        assert blocks == [(event[1], d(10), d(11))]
        problems = {p.line: p.message for p in got if isinstance(p, Problem)}
        assert set(problems) == {event[n] for n in (2, 3, 5, 6, 7)}
        assert [(i.line, i.reason) for i in got if isinstance(i, Ignored)] == [
            (event[4], "event 4 is cancelled (STATUS:CANCELLED)")
        ]
        assert problems[event[2]].startswith("event 2: ")
        assert "is not a date or date-time" in problems[event[2]]
        assert "recurring events" in problems[event[3]]
        assert "DTEND 2030-01-05 is before DTSTART 2030-01-10" in problems[event[5]]
        assert "DURATION must be a positive duration" in problems[event[6]]
        assert "SUMMARY is 2500 characters long" in problems[event[7]]

    def test_duration_past_the_calendar(self) -> None:
        data = _ics(
            "DTSTART;VALUE=DATE:99991230\r\nDURATION:P30D\r\n",
            "DTSTART:99991231T230000Z\r\nDURATION:PT2H\r\n",
            "DTSTART;VALUE=DATE:20300110\r\nDURATION:P999999999D\r\n",
            "DTSTART;VALUE=DATE:20300110\r\nDURATION:P1D\r\n",
        )
        got = list(read_blocks_ics(data))
        assert [type(item).__name__ for item in got] == [
            "Problem",
            "Problem",
            "Problem",
            "BlockRow",
        ]
        assert "ends after 9999-12-31" in got[0].message  # type: ignore[union-attr]

    def test_binary_garbage(self) -> None:
        with pytest.raises(rentcal.InvalidRequest, match="not an iCalendar file") as info:
            list(read_blocks_ics(bytes(range(256)) * 4))
        assert len(str(info.value)) < 300 and str(info.value).isprintable()


class TestOddCsv:
    """Malformed CSV files are refused with the line, never a crash."""

    def test_not_utf8(self, tmp_path: object) -> None:
        from pathlib import Path

        path = Path(str(tmp_path)) / "latin1.csv"
        path.write_bytes(
            (HEADER + "\ntractor,bob,2030-01-10,2030-01-10,pending,caf\xe9\n").encode("latin-1")
        )
        with (
            path.open("rb") as handle,
            pytest.raises(rentcal.InvalidRequest, match="line 2 is not UTF-8 text"),
        ):
            list(read_rentals_csv(decode_lines(handle)))
        bom = ("\ufeff" + HEADER + "\nsaw,bob,2030-01-10,2030-01-10,pending,ok\n").encode()
        (row,) = list(read_rentals_csv(decode_lines(bom.splitlines(keepends=True))))
        assert not isinstance(row, Problem) and row.purpose == "ok"

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            pytest.param(
                "machine,member,start,end,machine\nsaw,bob,2030-01-10,2030-01-10,tractor\n",
                "repeated column machine",
                id="repeated",
            ),
            pytest.param(
                "machine,member,start,end,colour\n", "unknown column colour", id="unknown"
            ),
            pytest.param(
                HEADER + '\nsaw,bob,2030-01-10,2030-01-10,pending,"unterminated\n',
                "not valid CSV",
                id="quote",
            ),
            pytest.param(
                HEADER + "\nsaw,bob," + "x" * 200_000 + "\n", "not valid CSV (line 2)", id="huge"
            ),
        ],
    )
    def test_refused(self, text: str, message: str) -> None:
        with pytest.raises(rentcal.InvalidRequest) as info:
            list(read_rentals_csv(text.splitlines(keepends=True)))
        assert message in str(info.value)

    def test_short_row(self) -> None:
        (problem,) = rows("saw,bob,2030-01-10")
        assert (
            isinstance(problem, Problem)
            and problem.message == "missing fields: end, status, purpose"
        )


def test_completed_rentals_cannot_lie_in_the_future(seeded: rentcal.Rentcal) -> None:
    with pytest.raises(ImportFailed, match="a completed rental cannot start after today"):
        seeded.import_rentals(
            rows("tractor,bob,2030-02-01,2030-02-02,completed,"), acting="ada", today=TODAY
        )
