"""``rentcal init`` and ``rentcal demo`` (and the library's build_demo)."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

import rentcal
from rentcal.demo import DEMO_ADMIN, build_demo
from tests.cli_support import MEMBER_KEYS, cli, failed, ok_json, snapshot
from tests.conftest import BOTH, TODAY, d, make_clock

pytestmark = BOTH


class TestInit:
    """init creates the database and its first admin, once."""

    def test_creates_the_first_admin(self, db_url: str) -> None:
        result = cli(
            db_url,
            "init",
            "--admin",
            "Ada",
            "--name",
            "Ada L.",
            "--email",
            "ada@example.org",
            as_=None,
        )
        assert result.exit_code == 0, result.stderr
        assert "Initialised" in result.stdout
        assert "with admin ada" in result.stdout
        assert "rentcal --as ada machine add" in result.stdout
        assert result.stderr == ""
        with rentcal.connect(db_url) as cal:
            [ada] = cal.members()
        assert (ada.handle, ada.name, ada.email, ada.verified, ada.role.value) == (
            "ada",
            "Ada L.",
            "ada@example.org",
            True,
            "admin",
        )

    def test_running_again_changes_nothing_and_says_so(self, db_url: str) -> None:
        assert cli(db_url, "init", "--admin", "ada").exit_code == 0
        with rentcal.connect(db_url) as cal:
            before = snapshot(cal)
        again = cli(db_url, "init", "--admin", "eve", "--name", "Eve")
        assert again.exit_code == 0
        assert "already initialised; nothing changed" in again.stdout
        with rentcal.connect(db_url) as cal:
            assert snapshot(cal) == before

    def test_json(self, db_url: str) -> None:
        first = ok_json(db_url, "init", "--admin", "ada")
        assert first["created"] is True
        assert set(first["admin"]) == MEMBER_KEYS
        assert first["admin"]["role"] == "admin"
        assert first["database"].startswith(db_url.split("://")[0])
        second = ok_json(db_url, "init", "--admin", "ada")
        assert second == {
            "created": False,
            "database": first["database"],
            "admin": None,
            "timezone": first["timezone"],
        }

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            pytest.param(["--admin", "x'; DROP TABLE member;--"], "is not valid", id="sql"),
            pytest.param(["--admin", "zoë"], "is not valid", id="unicode-handle"),
            pytest.param(["--admin", "ada", "--email", "nope"], "is not an e-mail", id="email"),
        ],
    )
    def test_bad_input(self, db_url: str, args: list[str], message: str) -> None:
        failed(cli(db_url, "init", *args), 2, message)
        with rentcal.connect(db_url) as cal:
            assert cal.is_empty()

    def test_missing_admin_is_a_usage_error(self, db_url: str) -> None:
        failed(cli(db_url, "init"), 2, "Missing option '--admin'")

    def test_a_stranger_is_told_how_to_get_in(self, db_url: str) -> None:
        assert cli(db_url, "init", "--admin", "ada").exit_code == 0
        again = cli(db_url, "init", "--admin", "Eve")
        assert again.exit_code == 0
        assert "'Eve' is not a member of it: an admin adds you" in again.stdout
        rerun = cli(db_url, "init", "--admin", "ADA")
        assert "not a member" not in rerun.stdout  # the admin re-running it

    def test_refuses_the_demos_database(self, db_url: str) -> None:
        """Your own data never goes into the demo's database (README's first ten minutes)."""
        assert cli(None, "demo", "--db", db_url, as_=None).exit_code == 0
        with rentcal.connect(db_url) as cal:
            before = snapshot(cal)
        failed(
            cli(db_url, "init", "--admin", "alex"),
            2,
            "holds the demo (rentcal demo), not your own data; nothing changed",
        )
        assert cli(db_url, "init", "--admin", "ada").exit_code == 0  # its own admin: fine
        with rentcal.connect(db_url) as cal:
            assert snapshot(cal) == before


class TestDemo:
    """demo fills an empty database through the library and says what to try."""

    def test_its_own_file_by_default(self, tmp_path: Path) -> None:
        """Without a configured database the demo goes beside the default one, never
        into it: `rentcal init` afterwards starts the default database afresh."""
        env: dict[str, str | None] = {"XDG_DATA_HOME": str(tmp_path), "RENTCAL_DATABASE_URL": None}
        result = cli(None, "demo", as_=None, env=env)
        assert result.exit_code == 0, result.stderr
        demo_file = tmp_path / "rentcal" / "demo.db"
        assert f"export RENTCAL_DATABASE_URL='{demo_file}'" in result.stdout
        assert "unset RENTCAL_DATABASE_URL" in result.stdout
        assert demo_file.is_file()
        assert not (tmp_path / "rentcal" / "rentcal.db").exists()
        made = cli(None, "init", "--admin", "alex", as_=None, env=env)
        assert made.exit_code == 0, made.stderr
        assert "Initialised" in made.stdout

    def test_builds_sample_data(self, db_url: str) -> None:
        result = cli(None, "demo", "--db", db_url, as_=None)
        assert result.exit_code == 0, result.stderr
        assert "Demo database ready" in result.stdout
        assert "export RENTCAL_USER=ada" in result.stdout
        assert "rentcal calendar" in result.stdout
        with rentcal.connect(db_url) as cal:
            assert len(cal.machines()) == 3
            assert len(cal.members()) >= 3
            statuses = {r.status.value for r in cal.rentals()}
            assert statuses == {"pending", "approved", "rejected", "cancelled", "completed"}
            assert cal.maintenance(status="scheduled")
            pending = cal.rentals(status="pending")[0]
        assert f"rentcal approve {pending.id}" in result.stdout

    def test_dates_are_relative_to_today(self, db_url: str) -> None:
        later = (TODAY + timedelta(days=400)).isoformat()
        assert cli(db_url, "demo", env={"RENTCAL_TODAY": later}).exit_code == 0
        with rentcal.connect(db_url) as cal:
            rentals = cal.rentals()
        base = TODAY + timedelta(days=400)
        assert len(rentals) == 7
        assert all(abs((r.start - base).days) <= 31 for r in rentals)
        completed = [r for r in rentals if r.status.value == "completed"]
        assert completed and all(r.end < base for r in completed)

    def test_the_suggested_commands_work(
        self, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Every command under "Try next" runs as printed, acting as the demo's admin."""
        monkeypatch.chdir(tmp_path)  # "events --ics -o demo.ics" writes here
        import rentcal.web.server

        launched: list[object] = []  # "rentcal serve" runs up to the point of listening
        monkeypatch.setattr(rentcal.web.server, "launch", launched.append)
        shown = cli(db_url, "demo").stdout
        lines = [ln.strip() for ln in shown.splitlines() if ln.strip().startswith("rentcal ")]
        assert len(lines) >= 8, shown
        with rentcal.connect(db_url) as cal:
            pending = cal.rentals(status="pending")[0]
        assert f"rentcal approve {pending.id}" in lines
        for line in lines:
            args = shlex.split(line, comments=True)[1:]
            result = cli(db_url, *args, as_=None, env={"RENTCAL_USER": DEMO_ADMIN})
            assert result.exit_code == 0, (line, result.output)
            assert "Traceback" not in result.output
        with rentcal.connect(db_url) as cal:
            assert cal.rental(pending.id).status == "approved"
            newest = max(cal.rentals(), key=lambda r: r.id)  # "--as bob book saw +5d ..."
            assert (newest.member, newest.machine, newest.start) == ("bob", "saw", d(14))
        assert (tmp_path / "demo.ics").read_bytes().startswith(b"BEGIN:VCALENDAR\r\n")
        assert len(launched) == 1

    def test_every_member_can_log_in_with_the_printed_password(self, db_url: str) -> None:
        shown = cli(db_url, "demo").stdout
        printed = shown.split("Passwords for the web pages", 1)[1].splitlines()[1:]
        pairs = [line.split() for line in printed if line.strip()]
        with rentcal.connect(db_url) as cal:
            assert sorted(h for h, _ in pairs) == sorted(m.handle for m in cal.members())
            for handle, password in pairs:
                session, _secret = cal.login(handle, password)
                assert session.member == handle
        assert len({p for _, p in pairs}) == len(pairs)  # random, not one shared password

    def test_refuses_a_database_that_is_not_empty(
        self, seeded: rentcal.Rentcal, db_url: str
    ) -> None:
        before = snapshot(seeded)
        result = cli(db_url, "demo")
        failed(result, 2, "is not empty; the demo only fills a new database")
        assert result.stdout == ""
        assert snapshot(seeded) == before

    def test_global_db_option_works_too(self, db_url: str) -> None:
        assert cli(db_url, "demo").exit_code == 0
        with rentcal.connect(db_url) as cal:
            assert len(cal.machines()) == 3


class TestBuildDemo:
    """The library function behind the command."""

    def test_summary(self, cal: rentcal.Rentcal) -> None:
        summary = build_demo(cal, TODAY)
        assert summary.admin == DEMO_ADMIN
        assert sorted(summary.statuses()) == [
            "approved",
            "cancelled",
            "completed",
            "pending",
            "rejected",
        ]
        assert [m.name for m in summary.machines] == ["tractor-6120", "saw", "excavator"]
        assert {r.id for r in summary.rentals} == {r.id for r in cal.rentals()}
        assert summary.first("pending").status.value == "pending"

    def test_refuses_non_empty(self, seeded: rentcal.Rentcal) -> None:
        with pytest.raises(rentcal.InvalidRequest, match="not empty"):
            build_demo(seeded, TODAY)

    def test_in_memory_with_a_clock(self) -> None:
        with rentcal.connect("sqlite://", clock=make_clock()) as cal:
            summary = build_demo(cal, TODAY)
            assert len(summary.rentals) == len(cal.rentals()) == 7

    def test_importable_without_the_cli(self) -> None:
        code = (
            "import json, sys, rentcal.demo\n"
            "print(json.dumps(sorted(m for m in sys.modules\n"
            "    if m.split('.')[0] in ('typer', 'click') or m.startswith('rentcal.cli'))))"
        )
        done = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout) == []
