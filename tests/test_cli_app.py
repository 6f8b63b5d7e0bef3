"""The rentcal command as a whole: help, docs, version, startup, entry points, errors."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
import typer.main

import rentcal
from rentcal import errors as lib_errors
from rentcal.cli import exit_codes
from rentcal.cli.app import app
from tests.cli_support import cli, failed
from tests.conftest import TODAY

DOCS = Path(__file__).resolve().parents[1] / "docs" / "cli.md"
HEAVY = ("sqlalchemy", "sqlmodel", "icalendar", "alembic")


def _walk(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every command and group under the root, with its path of names."""
    for name, sub in getattr(command, "commands", {}).items():
        yield (*path, name), sub
        yield from _walk(sub, (*path, name))


COMMANDS = sorted(path for path, _ in _walk(typer.main.get_command(app)))


class TestRegistry:
    """The command set is the one the spec asks for."""

    def test_every_spec_command_exists(self) -> None:
        expected = {
            ("init",),
            ("demo",),
            ("machine",),
            ("machine", "add"),
            ("machine", "list"),
            ("machine", "show"),
            ("machine", "retire"),
            ("machine", "edit"),
            ("machine", "reactivate"),
            ("machine", "keeper"),
            ("machine", "keeper", "add"),
            ("machine", "keeper", "remove"),
            ("machine", "keeper", "list"),
            ("machine", "readings"),
            ("checkout",),
            ("checkin",),
            ("no-show",),
            ("no-show", "show"),
            ("no-show", "set"),
            ("mail",),
            ("mail", "send"),
            ("mail", "list"),
            ("mail", "retry"),
            ("mail", "discard"),
            ("mail", "test"),
            ("reminders",),
            ("reminders", "show"),
            ("reminders", "set"),
            ("signup",),
            ("signup", "show"),
            ("signup", "set"),
            ("currency",),
            ("currency", "show"),
            ("currency", "set"),
            ("statement",),
            ("charges",),
            ("charges", "list"),
            ("charges", "export"),
            ("charge",),
            ("charge", "add"),
            ("cancellation",),
            ("cancellation", "show"),
            ("cancellation", "set"),
            ("online-payments",),
            ("online-payments", "show"),
            ("online-payments", "set"),
            ("invoice",),
            ("invoice", "settings"),
            ("invoice", "settings", "show"),
            ("invoice", "settings", "set"),
            ("invoice", "address"),
            ("invoice", "issue"),
            ("invoice", "list"),
            ("invoice", "show"),
            ("invoice", "pdf"),
            ("invoice", "credit"),
            ("payment",),
            ("payment", "add"),
            ("payment", "list"),
            ("balance",),
            ("member",),
            ("member", "add"),
            ("member", "verify"),
            ("member", "list"),
            ("member", "passwd"),
            ("member", "show"),
            ("member", "edit"),
            ("member", "role"),
            ("member", "deactivate"),
            ("member", "reactivate"),
            ("member", "notifications"),
            ("member", "invite"),
            ("member", "reinvite"),
            ("member", "uninvite"),
            ("member", "invitations"),
            ("token",),
            ("token", "create"),
            ("token", "list"),
            ("token", "revoke"),
            ("feed",),
            ("feed", "create"),
            ("feed", "list"),
            ("feed", "revoke"),
            ("check",),
            ("book",),
            ("rentals",),
            ("show",),
            ("approve",),
            ("reject",),
            ("cancel",),
            ("complete",),
            ("move",),
            ("housekeeping",),
            ("maintenance",),
            ("maintenance", "add"),
            ("maintenance", "list"),
            ("maintenance", "cancel"),
            ("maintenance", "done"),
            ("maintenance", "edit"),
            ("free",),
            ("calendar",),
            ("report",),
            ("report", "utilisation"),
            ("notifications",),
            ("events",),
            ("import",),
            ("db",),
            ("db", "status"),
            ("db", "upgrade"),
            ("db", "check"),
            ("backup",),
            ("serve",),
            ("config",),
            ("config", "show"),
            ("timezone",),
            ("timezone", "show"),
            ("timezone", "set"),
            ("limits",),
            ("limits", "show"),
            ("limits", "set"),
        }
        assert set(COMMANDS) == expected


class TestHelp:
    """Every command explains itself with an example; the docs cover every command."""

    @pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
    def test_help_has_text_and_example(self, path: tuple[str, ...]) -> None:
        result = cli(None, *path, "--help", as_=None)
        assert result.exit_code == 0, result.output
        assert f"Usage: rentcal {' '.join(path)}" in result.stdout
        assert "Examples:" in result.stdout
        assert re.search(rf"^\s+rentcal .*\b{re.escape(path[-1])}\b", result.stdout, re.M)

    @pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
    def test_documented_in_docs_cli_md(self, path: tuple[str, ...]) -> None:
        text = DOCS.read_text(encoding="utf-8")
        heading = f"rentcal {' '.join(path)}"
        assert re.search(rf"^#+ `{re.escape(heading)}\b", text, re.M), heading
        assert re.search(rf"^\$ rentcal .*\b{re.escape(' '.join(path))}\b", text, re.M), heading

    def test_docs_list_exit_codes_and_env_vars(self) -> None:
        text = DOCS.read_text(encoding="utf-8")
        for code, _meaning in exit_codes.EXIT_CODES:
            assert re.search(rf"^\| {code} +\|", text, re.M), code
        for var in ("RENTCAL_DATABASE_URL", "RENTCAL_USER", "RENTCAL_TODAY", "NO_COLOR"):
            assert var in text

    def test_top_level_help_lists_exit_codes(self) -> None:
        result = cli(None, "--help", as_=None)
        assert result.exit_code == 0
        assert "Exit codes:" in result.stdout
        for code, meaning in exit_codes.EXIT_CODES:
            assert re.search(rf"^\s+{code}\s+{re.escape(meaning)}$", result.stdout, re.M)

    def test_short_help_flag(self) -> None:
        assert cli(None, "book", "-h", as_=None).stdout == cli(None, "book", "--help").stdout

    def test_no_arguments_prints_help(self) -> None:
        result = cli(None, as_=None)
        assert result.exit_code == 2  # a usage error, as Click reports it
        assert "Commands:" in result.output


class TestVersionAndEntryPoints:
    """--version, the installed script and python -m rentcal."""

    def test_version(self) -> None:
        result = cli(None, "--version", as_=None)
        assert result.exit_code == 0
        assert result.stdout == f"rentcal {rentcal.__version__}\n"

    def test_command_modules_have_evaluated_annotations(self) -> None:
        """Typer reads each command's annotations: strings would be compiled on every run."""
        cli_dir = Path(rentcal.__file__).parent / "cli"
        declaring = [
            p.name
            for p in sorted(cli_dir.glob("*.py"))
            if re.search(r"@\w+\.(command|callback)\(", p.read_text(encoding="utf-8"))
        ]
        assert "machines.py" in declaring and "app.py" in declaring
        postponed = [
            name
            for name in declaring
            if "from __future__ import annotations" in (cli_dir / name).read_text("utf-8")
        ]
        assert postponed == [], "see rentcal/cli/app.py's docstring"

    @pytest.mark.parametrize("args", [["--version"], ["--help"], ["book", "--help"]])
    def test_startup_does_not_import_the_database_layer(self, args: list[str]) -> None:
        code = (
            "import sys\n"
            "from rentcal.cli import main\n"
            f"sys.argv = ['rentcal', *{args!r}]\n"
            "try:\n    main()\n"
            "except SystemExit as exit:\n    assert exit.code in (0, None), exit.code\n"
            f"heavy = sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})\n"
            "print('HEAVY=' + ','.join(heavy), file=sys.stderr)\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        assert "HEAVY=\n" in done.stderr

    def test_bare_version_answers_before_typer_loads(self) -> None:
        code = (
            "import sys\n"
            "from rentcal.cli import main\n"
            "sys.argv = ['rentcal', '--version']\n"
            "main()\n"
            "print('TYPER=' + str('typer' in sys.modules), file=sys.stderr)\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout == f"rentcal {rentcal.__version__}\n"
        assert "TYPER=False" in done.stderr

    @pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
    def test_bare_version_to_a_full_disk_is_exit_74(self) -> None:
        with open("/dev/full", "w") as full:
            done = subprocess.run(
                [sys.executable, "-m", "rentcal", "--version"],
                stdout=full,
                stderr=subprocess.PIPE,
                text=True,
                timeout=60,
            )
        assert done.returncode == 74
        assert done.stderr == "Error: cannot write the output (stdout): No space left on device\n"

    def test_python_dash_m(self) -> None:
        done = subprocess.run(
            [sys.executable, "-m", "rentcal", "--version"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout == f"rentcal {rentcal.__version__}\n"

    def test_installed_entry_point(self, tmp_path: Path) -> None:
        script = shutil.which("rentcal", path=str(Path(sys.executable).parent))
        assert script is not None, "the rentcal console script is not installed"
        env = {k: v for k, v in os.environ.items() if not k.startswith("RENTCAL_")}
        env.update(RENTCAL_TODAY=TODAY.isoformat(), RENTCAL_USER="ada")
        env["RENTCAL_DATABASE_URL"] = str(tmp_path / "entry.db")

        def run(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [script, *args], capture_output=True, text=True, env=env, timeout=60
            )

        assert run("init", "--admin", "ada").returncode == 0
        assert run("machine", "add", "saw", "--price", "15.50", "--auto-approve").returncode == 0
        booked = run("book", "saw", "+1d", "--days", "2", "--json")
        assert booked.returncode == 0, booked.stderr
        assert json.loads(booked.stdout)["status"] == "approved"
        taken = run("check", "saw", "+2d", "+3d")
        assert taken.returncode == 1
        assert "not available" in taken.stdout
        assert taken.stderr == ""
        bad = run("book", "saw", "2030-02-30", "--days", "1")
        assert bad.returncode == 2
        assert bad.stderr == "Error: invalid date '2030-02-30': day is out of range for month\n"
        assert bad.stdout == ""


class TestErrorMapping:
    """One table maps every library error to its exit code."""

    @pytest.mark.parametrize(
        ("error", "code"),
        [
            pytest.param(lib_errors.Unavailable("x"), 1, id="unavailable"),
            pytest.param(lib_errors.InvalidRequest("x"), 2, id="invalid-request"),
            pytest.param(lib_errors.NotFound("x"), 2, id="not-found"),
            pytest.param(lib_errors.InvalidTransition("x"), 2, id="invalid-transition"),
            pytest.param(lib_errors.PermissionDenied("x"), 3, id="permission-denied"),
            pytest.param(lib_errors.DatabaseError("x"), 4, id="database-error"),
            pytest.param(lib_errors.Busy("x"), 4, id="busy"),
            pytest.param(ValueError("x"), 70, id="unexpected"),
            pytest.param(KeyboardInterrupt(), 130, id="interrupt"),
        ],
    )
    def test_exit_code(self, error: BaseException, code: int) -> None:
        assert exit_codes.exit_code(error) == code

    @pytest.mark.parametrize(
        ("error", "code", "message"),
        [
            pytest.param(
                lib_errors.Busy("the database stayed locked"), 4, "stayed locked", id="busy"
            ),
            pytest.param(lib_errors.DatabaseError("unreachable"), 4, "unreachable", id="database"),
            pytest.param(
                RuntimeError("boom"), 70, "internal error: RuntimeError: boom", id="internal"
            ),
            pytest.param(KeyboardInterrupt(), 130, "interrupted", id="interrupt"),
        ],
    )
    def test_raised_inside_a_command(
        self,
        monkeypatch: pytest.MonkeyPatch,
        db_url: str,
        error: BaseException,
        code: int,
        message: str,
    ) -> None:
        def explode(*_args: object, **_kwargs: object) -> None:
            raise error

        rentcal.connect(db_url).close()  # read commands never create a database
        monkeypatch.setattr("rentcal.service.Rentcal.machines", explode)
        result = cli(db_url, "machine", "list")
        failed(result, code, message)
        assert result.stdout == ""

    def test_debug_env_shows_the_traceback_of_internal_errors(
        self, monkeypatch: pytest.MonkeyPatch, db_url: str
    ) -> None:
        def explode(*_args: object, **_kwargs: object) -> None:
            raise RuntimeError("boom")

        rentcal.connect(db_url).close()  # read commands never create a database
        monkeypatch.setattr("rentcal.service.Rentcal.machines", explode)
        result = cli(db_url, "machine", "list", env={"RENTCAL_DEBUG": "1"})
        assert result.exit_code == 70
        assert "Traceback" in result.stderr

    def test_main_catches_what_escapes_typer(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        from rentcal.cli import main

        def explode(*_args: object, **_kwargs: object) -> None:
            raise RuntimeError("outside any command")

        monkeypatch.setattr(typer.Typer, "__call__", explode)
        with pytest.raises(SystemExit) as exit_info:
            main()
        assert exit_info.value.code == 70
        assert "Error: internal error: RuntimeError: outside any command" in capsys.readouterr().err

    def test_usage_error_goes_to_stderr(self) -> None:
        result = cli(None, "book", "--bogus")
        failed(result, 2, "No such option: --bogus")
        assert result.stdout == ""

    def test_unknown_command(self) -> None:
        failed(cli(None, "bogus"), 2, "No such command 'bogus'")

    @pytest.mark.parametrize("value", ["tomorrow", "2030-13-01", "x" * 100])
    def test_bad_rentcal_today(self, db_url: str, value: str) -> None:
        result = cli(db_url, "machine", "list", env={"RENTCAL_TODAY": value})
        failed(result, 2, "RENTCAL_TODAY=")
        assert len(result.stderr) < 120  # long junk is cut short

    def test_nobody_acting(
        self, monkeypatch: pytest.MonkeyPatch, seeded: rentcal.Rentcal, db_url: str
    ) -> None:
        def no_login() -> str:
            raise OSError("no login name")

        monkeypatch.setattr("rentcal.cli.context.getpass.getuser", no_login)
        result = cli(db_url, "book", "saw", "+1d", "+2d", as_=None)
        failed(result, 3, "this needs an acting member: pass --as HANDLE or set RENTCAL_USER")
        assert seeded.rentals() == []

    def test_login_name_is_the_default_member(
        self, monkeypatch: pytest.MonkeyPatch, seeded: rentcal.Rentcal, db_url: str
    ) -> None:
        monkeypatch.setattr("rentcal.cli.context.getpass.getuser", lambda: "bob")
        result = cli(db_url, "book", "saw", "+1d", "+2d", "--json", as_=None)
        assert result.exit_code == 0, result.stderr
        assert json.loads(result.stdout)["member"] == "bob"

    def test_rentcal_user_env(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        result = cli(
            db_url, "book", "saw", "+1d", "+2d", "--json", as_=None, env={"RENTCAL_USER": "dan"}
        )
        assert result.exit_code == 0, result.stderr
        assert json.loads(result.stdout)["member"] == "dan"

    def test_database_env(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        result = cli(None, "machine", "list", "--json", env={"RENTCAL_DATABASE_URL": db_url})
        assert result.exit_code == 0, result.stderr
        assert [m["name"] for m in json.loads(result.stdout)] == ["saw", "tractor"]

    @pytest.mark.parametrize("value", ["", "  "], ids=["empty", "blank"])
    @pytest.mark.parametrize(
        ("option", "what"),
        [("--db", "a database URL or file path"), ("--as", "a member handle")],
    )
    def test_empty_global_option_is_refused(
        self, seeded: rentcal.Rentcal, db_url: str, option: str, what: str, value: str
    ) -> None:
        db, acting = (value, "ada") if option == "--db" else (db_url, value)
        result = cli(db, "machine", "list", as_=acting)
        assert result.exit_code == 2
        assert result.stdout == ""
        assert result.stderr == (
            f"Error: {option} is empty: give {what}, or leave {option} out to use the default\n"
        )

    @pytest.mark.parametrize("value", ["", "  "], ids=["empty", "blank"])
    @pytest.mark.parametrize(
        ("variable", "option", "what"),
        [
            ("RENTCAL_DATABASE_URL", "--db", "a database URL or file path"),
            ("RENTCAL_USER", "--as", "a member handle"),
        ],
    )
    def test_empty_environment_variable_is_refused(
        self,
        seeded: rentcal.Rentcal,
        db_url: str,
        variable: str,
        option: str,
        what: str,
        value: str,
    ) -> None:
        db = None if option == "--db" else db_url
        result = cli(db, "book", "saw", "+1d", "+2d", as_=None, env={variable: value})
        assert result.exit_code == 2
        assert result.stdout == ""
        assert result.stderr == (
            f"Error: {option} is empty: {variable} is set to {value!r}; "
            f"unset it to use the default, or set it to {what}\n"
        )
        assert seeded.rentals() == []

    def test_empty_option_is_named_even_when_the_variable_is_empty_too(
        self, seeded: rentcal.Rentcal
    ) -> None:
        result = cli("", "machine", "list", env={"RENTCAL_DATABASE_URL": ""})
        assert result.exit_code == 2
        assert result.stdout == ""
        assert result.stderr.startswith("Error: --db is empty: give a database URL")

    def test_a_set_option_wins_over_an_empty_variable(
        self, seeded: rentcal.Rentcal, db_url: str
    ) -> None:
        result = cli(
            db_url,
            "machine",
            "list",
            "--json",
            as_="bob",
            env={"RENTCAL_DATABASE_URL": "", "RENTCAL_USER": ""},
        )
        assert result.exit_code == 0, result.stderr
        assert result.stderr == ""
        assert [m["name"] for m in json.loads(result.stdout)] == ["saw", "tractor"]

    def test_empty_demo_db_is_refused(self, tmp_path: Path) -> None:
        result = cli(None, "demo", "--db", "", env={"XDG_DATA_HOME": str(tmp_path)})
        assert result.exit_code == 2
        assert result.stdout == ""
        assert result.stderr == (
            "Error: --db is empty: give a database URL or file path for the demo\n"
        )
        assert list(tmp_path.iterdir()) == []

    def test_unknown_acting_member_gets_a_hint(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        failed(
            cli(db_url, "machine", "add", "drill", "--price", "5", as_="nobody"),
            2,
            "acting member 'nobody' not found (choose who you are with --as HANDLE",
        )
