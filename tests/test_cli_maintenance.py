"""``rentcal maintenance add | list | cancel``."""

from __future__ import annotations

import json

import pytest

import rentcal
from rentcal.core.availability import Conflict
from rentcal.core.types import ConflictKind
from rentcal.errors import Unavailable
from tests.cli_support import MAINTENANCE_KEYS, cli, failed, ok_json, snapshot
from tests.conftest import d


class TestAdd:
    """Admins take machines out of service; over rentals only with --force."""

    def test_json(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        data = ok_json(
            db_url,
            "maintenance",
            "add",
            "tractor",
            "2030-02-03",
            "2030-02-04",
            "--kind",
            "Repair",
            "--notes",
            "hydraulics",
        )
        assert set(data) == MAINTENANCE_KEYS
        assert {k: v for k, v in data.items() if k != "id"} == {
            "machine": "tractor",
            "start": "2030-02-03",
            "end": "2030-02-04",
            "kind": "repair",
            "status": "scheduled",
            "notes": "hydraulics",
        }
        assert [m.id for m in seeded.maintenance()] == [data["id"]]

    def test_human_with_days(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        result = cli(db_url, "maintenance", "add", "saw", "mon", "--days", "2")
        assert result.exit_code == 0, result.stderr
        assert result.stdout.startswith("Scheduled maintenance 1.\n")
        [block] = seeded.maintenance()
        assert (block.start, block.end, block.kind.value) == (d(14), d(15), "preventive")

    def test_over_rentals_needs_force(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        rental = seeded.book("tractor", d(10), d(12), member="bob", today=d(9))
        before = snapshot(seeded)
        result = cli(db_url, "maintenance", "add", "tractor", "+2d", "+3d", "--json")
        assert result.exit_code == 1
        assert json.loads(result.stdout)["conflicts"][0]["id"] == rental.id
        assert result.stderr.startswith("Error: maintenance overlaps rentals: ")
        assert "--force" in result.stderr
        assert result.stderr.count("\n") == 1
        human = cli(db_url, "maintenance", "add", "tractor", "+2d", "+3d")
        assert human.exit_code == 1
        assert human.stdout == ""
        assert human.stderr.startswith("Error: maintenance overlaps rentals: ")
        assert "--force" in human.stderr
        assert snapshot(seeded) == before
        forced = ok_json(db_url, "maintenance", "add", "tractor", "+2d", "+3d", "--force")
        assert forced["status"] == "scheduled"
        assert any("overlaps your booking" in n.message for n in seeded.notifications("bob"))

    @pytest.mark.parametrize(
        ("message", "kind", "hinted"),
        [
            pytest.param("maintenance overlaps rentals: x", "rental", True, id="no-hint"),
            pytest.param("maintenance overlaps maintenance: x", "maintenance", False, id="upkeep"),
        ],
    )
    def test_force_hint_when_the_library_gives_none(
        self,
        monkeypatch: pytest.MonkeyPatch,
        seeded: rentcal.Rentcal,
        db_url: str,
        message: str,
        kind: str,
        hinted: bool,
    ) -> None:
        conflict = Conflict(ConflictKind(kind), 1, d(10), d(12), "pending")

        def refuse(*_args: object, **_kwargs: object) -> None:
            raise Unavailable(message, [conflict])

        monkeypatch.setattr("rentcal.service.Rentcal.add_maintenance", refuse)
        result = cli(db_url, "maintenance", "add", "tractor", "+2d", "+3d")
        assert result.exit_code == 1
        assert result.stdout == ""
        hint = " (add --force to schedule it anyway; their members are notified)"
        assert result.stderr == f"Error: {message}{hint if hinted else ''}\n"
        as_json = cli(db_url, "maintenance", "add", "tractor", "+2d", "+3d", "--json")
        assert as_json.exit_code == 1
        assert json.loads(as_json.stdout)["error"] == message
        assert as_json.stderr == result.stderr

    @pytest.mark.parametrize(
        ("args", "code", "message"),
        [
            pytest.param(
                ["tractor", "+1d", "+2d", "--kind", "party"],
                2,
                "Invalid value for '--kind'",
                id="kind",
            ),
            pytest.param(["tractor", "2029-01-01", "2029-01-02"], 2, "is in the past", id="past"),
            pytest.param(["tractor", "2030-02-30", "+1d"], 2, "invalid date", id="feb-30"),
            pytest.param(["nope", "+1d", "+2d"], 2, "machine 'nope' not found", id="unknown"),
            pytest.param(
                ["tractor", "+1d", "+2d", "--notes", "x" * 10_000],
                2,
                "notes is 10000 characters long; the limit is 2000",
                id="10kB",
            ),
        ],
    )
    def test_bad_input(
        self, seeded: rentcal.Rentcal, db_url: str, args: list[str], code: int, message: str
    ) -> None:
        failed(cli(db_url, "maintenance", "add", *args), code, message)
        assert seeded.maintenance() == []

    def test_members_may_not(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        failed(
            cli(db_url, "maintenance", "add", "saw", "+1d", "+1d", as_="bob"),
            3,
            "only admins can schedule maintenance",
        )
        assert seeded.maintenance() == []


class TestListCancel:
    """Listing with filters, and cancelling."""

    @pytest.fixture
    def blocks(self, seeded: rentcal.Rentcal) -> list[rentcal.Maintenance]:
        a = seeded.add_maintenance("tractor", d(10), d(11), acting="ada", today=d(9))
        b = seeded.add_maintenance("saw", d(20), d(20), kind="inspection", acting="ada", today=d(9))
        return [a, b]

    def test_list(self, blocks: list[rentcal.Maintenance], db_url: str) -> None:
        data = ok_json(db_url, "maintenance", "list")
        assert [m["id"] for m in data] == [b.id for b in blocks]
        assert all(set(m) == MAINTENANCE_KEYS for m in data)
        assert [m["id"] for m in ok_json(db_url, "maintenance", "list", "--machine", "saw")] == [
            blocks[1].id
        ]
        assert ok_json(db_url, "maintenance", "list", "--from", "+5d", "--to", "+7d") == []
        human = cli(db_url, "maintenance", "list").stdout
        assert "inspection" in human
        assert "preventive" in human

    def test_cancel(self, blocks: list[rentcal.Maintenance], db_url: str) -> None:
        data = ok_json(db_url, "maintenance", "cancel", str(blocks[0].id))
        assert data["status"] == "cancelled"
        listed = ok_json(db_url, "maintenance", "list", "--status", "scheduled")
        assert [m["id"] for m in listed] == [blocks[1].id]
        failed(cli(db_url, "maintenance", "cancel", str(blocks[0].id)), 2, "it is cancelled")

    def test_cancel_errors(self, blocks: list[rentcal.Maintenance], db_url: str) -> None:
        failed(cli(db_url, "maintenance", "cancel", "99"), 2, "maintenance 99 not found")
        failed(cli(db_url, "maintenance", "cancel", str(blocks[0].id), as_="bob"), 3, "only admins")
        failed(cli(db_url, "maintenance", "cancel", "x"), 2, "Invalid value for 'ID'")

    def test_empty(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        assert cli(db_url, "maintenance", "list").stdout == "No maintenance matches.\n"
