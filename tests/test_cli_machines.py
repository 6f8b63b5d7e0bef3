"""``rentcal machine add | list | show | retire``."""

from __future__ import annotations

import pytest

import rentcal
from tests.cli_support import (
    MACHINE_KEYS,
    MAINTENANCE_KEYS,
    RENTAL_KEYS,
    cli,
    failed,
    ok_json,
    snapshot,
)
from tests.conftest import d


class TestMachineAdd:
    """Admins add machines; the result is printed as a table or the machine JSON shape."""

    def test_human(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        result = cli(
            db_url,
            "machine",
            "add",
            "Drill",
            "--price",
            "7.5",
            "--title",
            "Drill",
            "--description",
            "cordless",
        )
        assert result.exit_code == 0, result.stderr
        assert result.stdout.startswith("Added machine drill.\n")
        assert "7.50" in result.stdout
        assert result.stderr == ""
        drill = seeded.machine("drill")
        assert (str(drill.daily_price), drill.description) == ("7.50", "cordless")

    def test_json(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        data = ok_json(db_url, "machine", "add", "drill", "--price", "7.50", "--auto-approve")
        assert data == {
            "name": "drill",
            "title": "drill",
            "daily_price": "7.50",
            "status": "active",
            "auto_approve": True,
            "description": None,
            "request_policy": "block",
            "request_expiry_hours": None,
            "meter": None,
            "unit_price": None,
            "minimum_charge": None,
        }
        assert set(data) == MACHINE_KEYS

    def test_unicode_title_round_trips(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        title = "Zoë's Ünïcødé 🚜 — Traktor"
        data = ok_json(db_url, "machine", "add", "trak", "--price", "1", "--title", title)
        assert data["title"] == title
        assert seeded.machine("trak").title == title
        shown = cli(db_url, "machine", "list")
        assert title in shown.stdout

    @pytest.mark.parametrize(
        ("args", "code", "message"),
        [
            pytest.param(["saw", "--price", "1"], 2, "machine 'saw' already exists", id="dup"),
            pytest.param(["drill", "--price", "-1"], 2, "daily price -1 is negative", id="neg"),
            pytest.param(["drill", "--price", "1.234"], 2, "more than 2 decimal", id="cents"),
            pytest.param(["drill", "--price", "abc"], 2, "is not a number", id="nan"),
            pytest.param(
                ["x'; DROP TABLE machine;--", "--price", "1"], 2, "is not valid", id="sql-name"
            ),
            pytest.param(["Zoë", "--price", "1"], 2, "is not valid", id="unicode-name"),
            pytest.param(["drill"], 2, "Missing option '--price'", id="no-price"),
        ],
    )
    def test_bad_input(
        self, seeded: rentcal.Rentcal, db_url: str, args: list[str], code: int, message: str
    ) -> None:
        before = snapshot(seeded)
        failed(cli(db_url, "machine", "add", *args), code, message)
        assert snapshot(seeded) == before

    def test_members_may_not(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        before = snapshot(seeded)
        result = cli(db_url, "machine", "add", "drill", "--price", "1", as_="bob")
        failed(result, 3, "member 'bob' is not an admin; only admins can add machines")
        assert result.stdout == ""
        assert snapshot(seeded) == before


class TestMachineListShowRetire:
    """Listing, details with what is coming up, retiring."""

    def test_list_json(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        data = ok_json(db_url, "machine", "list")
        assert [m["name"] for m in data] == ["saw", "tractor"]
        assert all(set(m) == MACHINE_KEYS for m in data)
        assert data[0]["daily_price"] == "15.50"

    def test_list_human(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        result = cli(db_url, "machine", "list")
        lines = result.stdout.splitlines()
        assert lines[0].split() == ["name", "title", "daily", "price", "status", "auto-approve"]
        assert lines[2].split()[:2] == ["saw", "Band"]
        assert "yes" in lines[2]

    def test_list_empty(self, cal: rentcal.Rentcal, db_url: str) -> None:
        result = cli(db_url, "machine", "list")
        assert result.exit_code == 0
        assert "No machines yet" in result.stdout
        assert ok_json(db_url, "machine", "list") == []

    def test_show_upcoming(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        past = seeded.book("tractor", d(2), d(3), member="bob", today=d(1))
        future = seeded.book("tractor", d(20), d(22), member="bob", today=d(9))
        seeded.book("saw", d(20), d(22), member="bob", today=d(9))
        block = seeded.add_maintenance("tractor", d(25), d(26), acting="ada", today=d(9))
        data = ok_json(db_url, "machine", "show", "tractor")
        assert set(data) == MACHINE_KEYS | {"upcoming_rentals", "upcoming_maintenance", "history"}
        assert [r["id"] for r in data["upcoming_rentals"]] == [future.id]
        assert past.id not in [r["id"] for r in data["upcoming_rentals"]]
        assert set(data["upcoming_rentals"][0]) == RENTAL_KEYS
        assert [m["id"] for m in data["upcoming_maintenance"]] == [block.id]
        assert set(data["upcoming_maintenance"][0]) == MAINTENANCE_KEYS
        human = cli(db_url, "machine", "show", "tractor").stdout
        assert "Tractor 6120" in human
        assert "upcoming rentals:" in human
        assert "Sun 20 Jan 2030" in human and "2030-01-20" not in human

    def test_show_unknown(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        failed(cli(db_url, "machine", "show", "nope"), 2, "machine 'nope' not found")

    def test_retire(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        data = ok_json(db_url, "machine", "retire", "saw")
        assert data["status"] == "retired"
        assert seeded.machine("saw").status.value == "retired"
        failed(cli(db_url, "machine", "retire", "saw"), 2, "already retired")
        failed(cli(db_url, "book", "saw", "+1d", "+2d"), 2, "is retired and cannot be booked")

    def test_retire_needs_admin(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        failed(cli(db_url, "machine", "retire", "saw", as_="bob"), 3, "only admins")
        assert seeded.machine("saw").status.value == "active"
