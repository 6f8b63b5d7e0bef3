"""Booking from the command line: check, free, book, rentals, show and status changes."""

from __future__ import annotations

import json

import pytest

import rentcal
from tests.cli_support import (
    CHECK_KEYS,
    CONFLICT_KEYS,
    FREE_KEYS,
    RENTAL_KEYS,
    cli,
    failed,
    ok_json,
    snapshot,
)
from tests.conftest import d

#: The days of the rental the tables show, in words.
FIRST, LAST = "Thu 10 Jan 2030", "Fri 11 Jan 2030"


class TestCheck:
    """check: exit 0 available, 1 not (conflicts listed), 2 bad input."""

    def test_available(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        result = cli(db_url, "check", "tractor", "2030-01-15", "2030-01-20")
        assert result.exit_code == 0
        assert result.stdout == "available: tractor is available 2030-01-15..2030-01-20 (6 days)\n"
        assert result.stderr == ""

    def test_available_json(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        data = ok_json(db_url, "check", "tractor", "fri", "--days", "3")
        assert data == {
            "available": True,
            "machine": "tractor",
            "start": "2030-01-11",
            "end": "2030-01-13",
            "conflicts": [],
            "message": "tractor is available 2030-01-11..2030-01-13 (3 days)",
        }

    def test_not_available(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        rental = seeded.book("tractor", d(14), d(16), member="bob", today=d(9))
        block = seeded.add_maintenance("tractor", d(18), d(18), acting="ada", today=d(9))
        result = cli(db_url, "check", "tractor", "2030-01-15", "2030-01-20")
        assert result.exit_code == 1
        assert result.stderr == ""
        assert result.stdout.startswith("NOT available: tractor is not available")
        assert f"rental       {rental.id}" in result.stdout
        assert f"maintenance  {block.id}" in result.stdout

        as_json = cli(db_url, "check", "tractor", "2030-01-15", "2030-01-20", "--json")
        assert as_json.exit_code == 1
        assert as_json.stderr == ""
        data = json.loads(as_json.stdout)
        assert set(data) == CHECK_KEYS
        assert data["available"] is False
        assert [(c["kind"], c["id"]) for c in data["conflicts"]] == [
            ("rental", rental.id),
            ("maintenance", block.id),
        ]
        assert all(set(c) == CONFLICT_KEYS for c in data["conflicts"])
        assert data["conflicts"][0] == {
            "kind": "rental",
            "id": rental.id,
            "start": "2030-01-14",
            "end": "2030-01-16",
            "status": "pending",
        }

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            pytest.param(
                ["tractor", "2030-02-30", "2030-03-01"], "invalid date '2030-02-30'", id="feb-30"
            ),
            pytest.param(["tractor", "2029-12-01", "2029-12-02"], "is in the past", id="past"),
            pytest.param(
                ["tractor", "2030-02-03", "2030-02-01"],
                "is before start date",
                id="end-before-start",
            ),
            pytest.param(["nope", "+1d", "+2d"], "machine 'nope' not found", id="unknown"),
            pytest.param(["tractor", "+1d"], "missing END", id="no-end"),
            pytest.param(["tractor", "+1d", "+2d", "--days", "2"], "not both", id="end-and-days"),
            pytest.param(
                ["tractor", "+1d", "--days", "0"], "Invalid value for '--days'", id="zero-days"
            ),
            pytest.param(["tractor", "01/02/2030", "+5d"], "ambiguous", id="ambiguous"),
        ],
    )
    def test_bad_input(
        self, seeded: rentcal.Rentcal, db_url: str, args: list[str], message: str
    ) -> None:
        result = cli(db_url, "check", *args, "--json")
        failed(result, 2, message)
        assert result.stdout == ""

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            pytest.param(["saw"], "missing START (and END or --days N)", id="no-start"),
            pytest.param(
                [], "missing MACHINE and START (and END or --days N), or use --batch", id="nothing"
            ),
        ],
    )
    def test_says_exactly_what_is_missing(
        self, seeded: rentcal.Rentcal, db_url: str, args: list[str], message: str
    ) -> None:
        result = cli(db_url, "check", *args)
        assert result.exit_code == 2
        assert result.stdout == ""
        assert result.stderr == f"Error: {message}\n"


class TestFree:
    """free: windows at least N days long; default the next 90 days."""

    def test_default_window(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        seeded.book("tractor", d(12), d(14), member="bob", today=d(9))
        data = ok_json(db_url, "free", "tractor")
        assert data == [
            {"start": "2030-01-09", "end": "2030-01-11", "days": 3},
            {"start": "2030-01-15", "end": "2030-04-08", "days": 84},
        ]
        assert all(set(w) == FREE_KEYS for w in data)

    def test_min_days_and_range(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        seeded.book("tractor", d(12), d(14), member="bob", today=d(9))
        data = ok_json(
            db_url, "free", "tractor", "--from", "2030-01-10", "--to", "2030-01-20", "--days", "3"
        )
        assert data == [{"start": "2030-01-15", "end": "2030-01-20", "days": 6}]
        human = cli(db_url, "free", "tractor", "--from", "2030-01-10", "--to", "2030-01-20")
        assert human.stdout.splitlines()[2].split() == ["2030-01-10", "2030-01-11", "2"]

    def test_nothing_free(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        result = cli(db_url, "free", "tractor", "--to", "+1d", "--days", "5")
        assert result.exit_code == 0
        assert result.stdout == "No free window that long.\n"

    @pytest.mark.parametrize(
        ("args", "code", "message"),
        [
            pytest.param(["nope"], 2, "machine 'nope' not found", id="unknown"),
            pytest.param(
                ["tractor", "--from", "+5d", "--to", "+1d"], 2, "is before start", id="reversed"
            ),
            pytest.param(["tractor", "--days", "0"], 2, "Invalid value for '--days'", id="days"),
            pytest.param(["tractor", "--from", "2030-02-30"], 2, "invalid date", id="feb-30"),
        ],
    )
    def test_bad_input(
        self, seeded: rentcal.Rentcal, db_url: str, args: list[str], code: int, message: str
    ) -> None:
        failed(cli(db_url, "free", *args), code, message)


class TestBook:
    """book: prints the new rental; exit 1 with the conflicts when not available."""

    def test_human(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        result = cli(
            db_url, "book", "tractor", "2030-01-15", "2030-01-20", "--purpose", "hay", as_="bob"
        )
        assert result.exit_code == 0, result.stderr
        assert result.stdout.startswith(
            "Booked rental 1: tractor Tue 15 – Sun 20 Jan 2030 - waiting for an admin to approve"
        )
        assert "720.00" in result.stdout
        assert result.stderr == ""
        [rental] = seeded.rentals()
        assert (rental.member, rental.purpose, rental.status.value) == ("bob", "hay", "pending")

    def test_json_shape(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        data = ok_json(db_url, "book", "saw", "tomorrow", "--days", "3", as_="bob")
        assert set(data) == RENTAL_KEYS
        assert {
            k: data[k]
            for k in ("id", "machine", "member", "start", "end", "status", "purpose", "price")
        } == {
            "id": 1,
            "machine": "saw",
            "member": "bob",
            "start": "2030-01-10",
            "end": "2030-01-12",
            "status": "approved",
            "purpose": None,
            "price": "46.50",
        }
        assert data["created_at"].startswith("2030-01-09T")  # the clock follows RENTCAL_TODAY

    def test_date_forms(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        data = ok_json(db_url, "book", "saw", "15 Jan 2030", "+2w", as_="bob")
        assert (data["start"], data["end"]) == ("2030-01-15", "2030-01-23")

    def test_admin_books_for_a_member(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        data = ok_json(db_url, "book", "tractor", "+1d", "+2d", "--for", "dan", as_="ada")
        assert data["member"] == "dan"

    def test_member_may_not_book_for_another(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        result = cli(db_url, "book", "tractor", "+1d", "+2d", "--for", "dan", as_="bob")
        failed(result, 3, "only admins can book for 'dan'")
        assert seeded.rentals() == []

    def test_unavailable(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        taken = seeded.book("tractor", d(14), d(16), member="dan", today=d(9))
        before = snapshot(seeded)
        result = cli(db_url, "book", "tractor", "2030-01-15", "2030-01-20", as_="bob")
        failed(result, 1, f"tractor is not available 2030-01-15..2030-01-20: rental {taken.id}")
        assert result.stdout == ""
        assert snapshot(seeded) == before

    def test_unavailable_json(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        taken = seeded.book("tractor", d(14), d(16), member="dan", today=d(9))
        result = cli(db_url, "book", "tractor", "2030-01-15", "2030-01-20", "--json", as_="bob")
        assert result.exit_code == 1
        data = json.loads(result.stdout)
        assert set(data) == {"error", "conflicts"}
        assert data["error"].startswith("tractor is not available 2030-01-15..2030-01-20")
        assert data["conflicts"] == [
            {
                "kind": "rental",
                "id": taken.id,
                "start": "2030-01-14",
                "end": "2030-01-16",
                "status": "pending",
            }
        ]
        assert result.stderr.startswith("Error: tractor is not available")

    def test_unverified_member(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        failed(cli(db_url, "book", "saw", "+1d", "+1d", as_="carol"), 3, "not verified yet")
        assert seeded.rentals() == []

    def test_unknown_for(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        failed(
            cli(db_url, "book", "saw", "+1d", "+1d", "--for", "nope"), 2, "member 'nope' not found"
        )


class TestRentals:
    """rentals: filters and the list JSON shape."""

    @pytest.fixture
    def booked(self, seeded: rentcal.Rentcal) -> list[rentcal.Rental]:
        a = seeded.book("tractor", d(10), d(11), member="bob", today=d(9))
        b = seeded.book("saw", d(12), d(13), member="dan", today=d(9))
        c = seeded.book("tractor", d(20), d(21), member="dan", today=d(9))
        seeded.approve(a.id, acting="ada", today=d(9))
        return [a, b, c]

    def test_all(self, booked: list[rentcal.Rental], db_url: str) -> None:
        data = ok_json(db_url, "rentals")
        assert [r["id"] for r in data] == [r.id for r in booked]
        assert all(set(r) == RENTAL_KEYS for r in data)

    @pytest.mark.parametrize(
        ("args", "expected"),
        [
            pytest.param(["--machine", "tractor"], [1, 3], id="machine"),
            pytest.param(["--member", "dan"], [2, 3], id="member"),
            pytest.param(["--status", "approved"], [1, 2], id="status"),
            pytest.param(["--status", "PENDING"], [3], id="status-any-case"),
            pytest.param(["--status", "pending", "--status", "approved"], [1, 2, 3], id="both"),
            pytest.param(["--from", "2030-01-12", "--to", "+5d"], [2], id="window"),
            pytest.param(["--from", "+10d"], [3], id="from-only"),
            pytest.param(["--machine", "saw", "--member", "bob"], [], id="none"),
        ],
    )
    def test_filters(
        self, booked: list[rentcal.Rental], db_url: str, args: list[str], expected: list[int]
    ) -> None:
        assert [r["id"] for r in ok_json(db_url, "rentals", *args)] == expected

    def test_human(self, booked: list[rentcal.Rental], db_url: str) -> None:
        lines = cli(db_url, "rentals", "--member", "bob").stdout.splitlines()
        assert lines[0].split() == [
            "id",
            "machine",
            "member",
            "start",
            "end",
            "days",
            "status",
            "price",
            "purpose",
        ]
        assert lines[2].split() == [
            "1",
            "tractor",
            "bob",
            *FIRST.split(),
            *LAST.split(),
            "2",
            "approved",
            "240.00",
        ]
        assert cli(db_url, "rentals", "--member", "ada").stdout == "No rentals match.\n"

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            pytest.param(["--status", "lost"], "Invalid value for '--status'", id="status"),
            pytest.param(["--machine", "nope"], "machine 'nope' not found", id="machine"),
            pytest.param(["--member", "nope"], "member 'nope' not found", id="member"),
            pytest.param(["--from", "2030-02-30"], "invalid date", id="date"),
        ],
    )
    def test_bad_filters(
        self, seeded: rentcal.Rentcal, db_url: str, args: list[str], message: str
    ) -> None:
        failed(cli(db_url, "rentals", *args), 2, message)


class TestShowAndTransitions:
    """show, approve, reject, cancel, complete."""

    def test_show(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        rental = seeded.book("tractor", d(10), d(11), member="bob", purpose="hay", today=d(9))
        seeded.reject(rental.id, acting="ada", reason="broken", today=d(9))
        data = ok_json(db_url, "show", str(rental.id))
        history = data.pop("history")  # the rental object, plus its history
        assert data.pop("handovers") == []  # and its hand-overs (none)
        assert data == seeded.rental(rental.id).as_dict()
        assert [(h["from"], h["to"], h["by"], h["reason"]) for h in history] == [
            (None, "pending", "bob", None),
            ("pending", "rejected", "ada", "broken"),
        ]
        assert [h["at"] for h in history] == [
            h["at"].isoformat() for h in seeded.history(rental.id)
        ]
        human = cli(db_url, "show", str(rental.id)).stdout
        assert "history:" in human
        assert human.splitlines()[-1].split()[6:] == ["rejected", "ada", "broken"]
        assert human.splitlines()[-2].split()[6:] == ["requested", "bob"]

    @pytest.mark.parametrize(
        ("value", "message"),
        [
            pytest.param("999", "rental 999 not found", id="unknown"),
            pytest.param("0", "Invalid value for 'RENTAL_ID'", id="zero"),
            pytest.param("-3", "No such option: -3", id="negative"),
            pytest.param("abc", "Invalid value for 'RENTAL_ID'", id="text"),
            pytest.param("1" * 30, "Invalid value for 'RENTAL_ID'", id="huge"),
        ],
    )
    def test_show_bad_id(
        self, seeded: rentcal.Rentcal, db_url: str, value: str, message: str
    ) -> None:
        failed(cli(db_url, "show", value), 2, message)

    def test_approve(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        rental = seeded.book("tractor", d(10), d(11), member="bob", today=d(9))
        failed(cli(db_url, "approve", str(rental.id), as_="bob"), 3, "only admins can approve")
        result = cli(db_url, "approve", str(rental.id))
        assert result.exit_code == 0
        assert result.stdout.startswith(f"Approved rental {rental.id}.\n")
        assert seeded.rental(rental.id).status.value == "approved"
        failed(
            cli(db_url, "approve", str(rental.id)),
            2,
            f"cannot approve rental {rental.id}: it is approved",
        )

    def test_approve_conflict_is_exit_1(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        rental = seeded.book("tractor", d(10), d(11), member="bob", today=d(9))
        seeded.add_maintenance("tractor", d(11), d(11), acting="ada", force=True, today=d(9))
        result = cli(db_url, "approve", str(rental.id), "--json")
        assert result.exit_code == 1
        assert json.loads(result.stdout)["conflicts"][0]["kind"] == "maintenance"
        assert seeded.rental(rental.id).status.value == "pending"

    def test_reject_with_reason(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        rental = seeded.book("tractor", d(10), d(11), member="bob", today=d(9))
        data = ok_json(db_url, "reject", str(rental.id), "--reason", "in repair")
        assert data["status"] == "rejected"
        assert seeded.rental(rental.id).reason == "in repair"

    def test_cancel_by_member(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        rental = seeded.book("tractor", d(10), d(11), member="bob", today=d(9))
        failed(cli(db_url, "cancel", str(rental.id), as_="dan"), 3, "belongs to 'bob'")
        data = ok_json(db_url, "cancel", str(rental.id), "--reason", "rain", as_="bob")
        assert data["status"] == "cancelled"
        failed(cli(db_url, "cancel", str(rental.id), as_="bob"), 2, "it is cancelled")

    def test_complete(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        rental = seeded.book("saw", d(9), d(10), member="bob", today=d(9))
        later = seeded.book("saw", d(20), d(21), member="bob", today=d(9))
        data = ok_json(db_url, "complete", str(rental.id))
        assert data["status"] == "completed"
        failed(cli(db_url, "complete", str(later.id)), 2, "it starts on 2030-01-20")
        assert seeded.rental(later.id).status.value == "approved"
