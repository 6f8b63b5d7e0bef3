"""Scripting contracts: empty options, money limits, safe text, rentcal's own words.

Each class is a table over every command or value it concerns, so a new
option or a new message is covered without a new test.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
import typer.main

import rentcal
from rentcal.cli.app import app
from rentcal.core.pricing import MAX_AMOUNT
from tests.cli_support import cli, failed, ok_json, snapshot
from tests.conftest import TODAY, d


def _options() -> list[tuple[list[str], str, bool]]:
    """(command path, option, takes a value) for every option of every command."""
    found: list[tuple[list[str], str, bool]] = []

    def walk(command: object, path: list[str]) -> None:
        for param in getattr(command, "params", []):
            if (
                getattr(param, "param_type_name", "") == "option"
                and not param.is_flag
                and param.name not in ("install_completion", "show_completion")
            ):
                found.append((path, max(param.opts, key=len), True))
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return found


#: Arguments that make each command otherwise valid, so only the option is wrong.
ARGS = {
    "book": ["saw", "+1d", "--days", "1"],
    "check": ["saw", "+1d", "--days", "1"],
    "free": ["saw"],
    "import": ["rentals.csv"],
    "init": ["--admin", "ada"],
    "machine add": ["drill", "--price", "5"],
    "maintenance add": ["saw", "+30d", "--days", "1"],
    "member add": ["eve"],
    "member invite": ["eve", "--email", "eve@example.org"],
    "reject": ["1"],
    "cancel": ["1"],
    "move": ["1"],
    "checkout": ["1"],
    "checkin": ["1"],
    "machine edit": ["saw"],
    "member edit": ["bob"],
    "member notifications": ["bob"],
    "maintenance edit": ["1"],
    "mail test": ["someone@example.org"],
    "charge add": ["--member", "bob", "--amount", "-1", "--reason", "x"],
    "cancellation set": ["--free-days", "7"],
    "invoice address": ["bob"],
    "invoice issue": ["--month", "2029-12"],
    "invoice show": ["2030-000001"],
    "invoice pdf": ["2030-000001", "-o", "x.pdf"],
    "invoice credit": ["2030-000001", "--reason", "x"],
    "payment add": ["--member", "bob", "--amount", "1", "--method", "cash"],
}
OPTIONS = [
    pytest.param(path, option, id=" ".join([*path, option]))
    for path, option, _ in _options()
    if option
    not in (
        "--days",
        "--busy-timeout",
        "--pool-size",
        "--port",
        "--workers",
        "--slow-ms",
        "--session-days",
        "--login-hashes",
        "--login-queue",
        "--max-connections",
        "--max-streams",
        "--max-streams-per-member",
        "--header-timeout",
        "--max-days",
        "--horizon-days",
        "--free-days",
        "--rental",
        "--months",
        "--terms-days",
        "--hold-minutes",
    )  # numbers: Click refuses them
]


class TestEmptyOptions:
    """An option given as '' or blank is refused, with the same sentence, everywhere."""

    def test_every_option_is_listed(self) -> None:
        options = {(" ".join(p), o) for p, o, _ in _options()}
        assert ("book", "--for") in options and ("", "--db") in options
        assert len(options) > 25

    @pytest.mark.parametrize(("path", "option"), OPTIONS)
    def test_refused(
        self,
        seeded: rentcal.Rentcal,
        db_url: str,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        path: list[str],
        option: str,
    ) -> None:
        value = " \t" if len(option) % 2 else ""  # blank counts as empty
        monkeypatch.chdir(tmp_path)
        (tmp_path / "rentals.csv").write_text("machine,member,start,end\n", encoding="utf-8")
        seeded.book("saw", d(20), d(20), member="bob", today=TODAY)
        before = snapshot(seeded)
        if path:
            args = [*path, *ARGS.get(" ".join(path), []), option, value]
        else:  # a global option, before any command
            args = [option, value, "machine", "list"]
        result = cli(None if args[0] == "--db" else db_url, *args, as_="ada")
        if option in ("--status", "--kind", "--request-policy", "--condition") and path != [
            "import"
        ]:
            failed(result, 2, f"Invalid value for '{option}'")  # a choice: Click lists them
        else:
            failed(result, 2, f"{option} is empty: give ")
            assert result.stderr.count("\n") == 1
        assert result.stdout == ""
        assert snapshot(seeded) == before

    def test_for_empty_never_books_for_the_admin(
        self, seeded: rentcal.Rentcal, db_url: str
    ) -> None:
        result = cli(db_url, "book", "saw", "+1d", "--days", "1", "--for", "", as_="ada")
        assert result.stderr == (
            "Error: --for is empty: give a member handle, or leave --for out to use the default\n"
        )
        assert seeded.rentals() == []


class TestMoney:
    """Amounts up to NUMERIC(12,2)'s largest are exact on both backends; larger are exit 2."""

    @pytest.mark.parametrize(
        ("price", "days", "total"),
        [
            ("9999999999.99", 1, "9999999999.99"),
            ("4999999999.99", 2, "9999999999.98"),
            ("1234567.89", 8100, "9999999909.00"),
            ("0.01", 1, "0.01"),
            ("3333333333.33", 3, "9999999999.99"),
            ("1111111111.11", 9, "9999999999.99"),
        ],
    )
    def test_round_trip(
        self, seeded: rentcal.Rentcal, db_url: str, price: str, days: int, total: str
    ) -> None:
        seeded.set_limits(max_days=36_500, horizon_days=36_500, acting="ada")  # 8,100 days
        added = ok_json(db_url, "machine", "add", "rig", "--price", price)
        assert added["daily_price"] == price
        assert seeded.machine("rig").daily_price == Decimal(price)
        booked = ok_json(db_url, "book", "rig", "+1d", "--days", str(days))
        assert booked["price"] == total
        assert ok_json(db_url, "show", str(booked["id"]))["price"] == total
        assert seeded.rental(booked["id"]).price == Decimal(total)
        assert [r["price"] for r in ok_json(db_url, "rentals", "--machine", "rig")] == [total]

    @pytest.mark.parametrize(
        ("price", "days"),
        [("9999999999.99", 2), ("5000000000", 2), ("29121039999.97", 1), ("0.02", 10**9)],
    )
    def test_too_much_is_refused_before_writing(
        self, seeded: rentcal.Rentcal, db_url: str, price: str, days: int
    ) -> None:
        if Decimal(price) <= MAX_AMOUNT:
            assert cli(db_url, "machine", "add", "rig", "--price", price).exit_code == 0
            result = cli(db_url, "book", "rig", "2030-01-10", "--days", str(days))
            if days == 10**9:
                failed(result, 2, "outside the supported range")
                return
            failed(result, 2, f"the price of {days} days at {Decimal(price):.2f} a day would be")
            assert "more than the largest amount rentcal stores (9,999,999,999.99)" in (
                result.stderr
            )
        else:
            result = cli(db_url, "machine", "add", "rig", "--price", price)
            failed(result, 2, "is larger than 9,999,999,999.99")
        assert seeded.rentals() == []

    def test_import_over_the_limit(
        self, seeded: rentcal.Rentcal, db_url: str, tmp_path: Path
    ) -> None:
        seeded.add_machine("rig", daily_price="9999999999.99", acting="ada")
        path = tmp_path / "rentals.csv"
        path.write_text(
            "machine,member,start,end,status\nrig,bob,2020-01-01,2020-01-02,completed\n",
            encoding="utf-8",
        )
        failed(cli(db_url, "import", str(path)), 2, "more than the largest amount")
        assert seeded.rentals() == []

    @pytest.mark.parametrize("price", ["1_000", "١٢٣", "1e3x", "12,50"])
    def test_odd_spellings_refused(self, seeded: rentcal.Rentcal, db_url: str, price: str) -> None:
        failed(cli(db_url, "machine", "add", "rig", "--price", price), 2, "is not a number")


INVISIBLE = [
    pytest.param("\u202e", id="RLO"),
    pytest.param("\u2066", id="LRI"),
    pytest.param("\u200f", id="RLM"),
    pytest.param("\u200b", id="ZWSP"),
    pytest.param("\u2060", id="WJ"),
    pytest.param("\ufeff", id="BOM"),
    pytest.param("\u2028", id="LS"),
    pytest.param("\u2029", id="PS"),
    pytest.param("\U000e0041", id="TAG"),
]
TEXT_OPTIONS = [
    pytest.param(["book", "saw", "+1d", "--days", "1", "--purpose"], id="purpose"),
    pytest.param(["machine", "add", "rig", "--price", "1", "--title"], id="title"),
    pytest.param(["machine", "add", "rig", "--price", "1", "--description"], id="description"),
    pytest.param(["member", "add", "eve", "--name"], id="name"),
    pytest.param(["maintenance", "add", "saw", "+30d", "--days", "1", "--notes"], id="notes"),
    pytest.param(["reject", "1", "--reason"], id="reason"),
]


class TestSafeText:
    """Characters that reorder or hide text are refused in input, neutralised in output."""

    @pytest.mark.parametrize("char", INVISIBLE)
    @pytest.mark.parametrize("args", TEXT_OPTIONS)
    def test_refused_in_every_text(
        self, seeded: rentcal.Rentcal, db_url: str, args: list[str], char: str
    ) -> None:
        seeded.book("saw", d(20), d(20), member="bob", today=TODAY)
        before = snapshot(seeded)
        result = cli(db_url, *args, f"evil{char}txt")
        failed(result, 2, f"contains the invisible character U+{ord(char):04X} (")
        assert char not in result.stderr
        assert snapshot(seeded) == before

    def test_joiners_are_text(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        family = "👨\u200d👩\u200d👧 and می\u200cخواهم"
        data = ok_json(db_url, "book", "saw", "+1d", "--days", "1", "--purpose", family)
        assert data["purpose"] == family

    def test_stored_text_is_neutralised_in_every_output(
        self, seeded: rentcal.Rentcal, db_url: str
    ) -> None:
        import sqlalchemy as sa

        from rentcal.db.store import resolve_url
        from rentcal.db.tables import machine_t, rental_t

        seeded.book("saw", d(10), d(11), member="bob", today=TODAY)
        evil = "abc\u202edcba\u200b\u2028x\x9b"
        engine = sa.create_engine(resolve_url(db_url))
        with engine.begin() as conn:  # as another tool, or an older rentcal, wrote it
            conn.execute(sa.update(rental_t).values(purpose=evil))
            conn.execute(sa.update(machine_t).values(title=evil))
        engine.dispose()
        for args in (
            ["rentals"],
            ["show", "1"],
            ["machine", "list"],
            ["machine", "show", "saw"],
            ["events"],
            ["events", "--ics"],
            ["events", "--resources"],
            ["calendar", "saw", "--month", "2030-01"],
        ):
            out = cli(db_url, *args).stdout
            assert not re.search("[\u202e\u200b\u2028\x9b]", out), (args, out)
        for args in (["rentals"], ["show", "1"], ["events"], ["machine", "list"]):
            text = cli(db_url, *args, "--json").stdout
            assert not re.search("[\u202e\u200b\u2028\x9b]", text), args
            assert "\\u202e" in text
            assert evil in json.dumps(json.loads(text), ensure_ascii=False)  # data kept exactly


class TestOwnWords:
    """No validation-library phrasing, no Python spellings, correct plurals."""

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (
                ["free", "saw", "--days", "abc"],
                "Invalid value for '--days': 'abc' is not a whole number",
            ),
            (
                ["free", "saw", "--days", "0"],
                "Invalid value for '--days': '0' is too small: the least is 1",
            ),
            (["show", "1.5"], "Invalid value for 'RENTAL_ID': '1.5' is not a whole number"),
            (["show", "3000000000"], "'3000000000' is too large: the most is 2147483647"),
            (["rentals", "--status", "lost"], "Invalid value for '--status': 'lost' is not one of"),
            (
                ["maintenance", "add", "saw", "+3d", "--days", "1", "--kind", "x"],
                "'x' is not one of",
            ),
            (["maintenance", "cancel", "x"], "Invalid value for 'ID': 'x' is not a whole number"),
        ],
    )
    def test_usage_errors(
        self, seeded: rentcal.Rentcal, db_url: str, args: list[str], message: str
    ) -> None:
        result = cli(db_url, *args)
        failed(result, 2, message)
        assert "Input should" not in result.stderr and "Value error" not in result.stderr

    def test_no_python_spellings(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        seeded.book("saw", d(20), d(21), member="bob", today=TODAY)
        clash = cli(db_url, "maintenance", "add", "saw", "2030-01-20", "--days", "1")
        failed(clash, 1, "(add --force to schedule it anyway; their members are notified)")
        assert "force=True" not in clash.stderr
        empty = cli(
            str(Path(seeded.store.url.removeprefix("sqlite:///")).parent / "new.db")
            if seeded.store.dialect == "sqlite"
            else db_url,
            "member",
            "add",
            "x",
        )
        assert "=True" not in empty.stderr and "acting=" not in empty.stderr

    def test_one_day(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        shown = cli(db_url, "book", "saw", "+1d", "--days", "1", as_="bob").stdout
        assert "(1 day)" in shown and "1 days" not in shown
        assert "(2 days)" in cli(db_url, "book", "saw", "+3d", "--days", "2", as_="bob").stdout

    @pytest.mark.parametrize(
        "args",
        [
            ["machine", "show", "x" * 100_000],
            ["book", "saw", "x" * 100_000, "+1d"],
            ["machine", "add", "rig", "--price", "9" * 100_000],
            ["member", "add", "eve", "--email", "x" * 100_000],
            ["rentals", "--member", "é" * 100_000],
            ["--db", "x" * 100_000 + "?", "rentals"],
        ],
        ids=["machine", "date", "price", "email", "member", "db"],
    )
    def test_long_input_is_quoted_by_a_prefix(
        self, seeded: rentcal.Rentcal, db_url: str, args: list[str]
    ) -> None:
        result = cli(db_url if args[0] != "--db" else None, *args)
        assert result.exit_code == 2
        assert len(result.stderr) < 400, result.stderr[:500]


class TestBatchForms:
    """`check --batch` reads a BOM, `days` instead of `end`, and refuses the rest per line."""

    def test_forms(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        lines = [
            "\ufeff" + json.dumps({"machine": "saw", "start": "+1d", "days": 3}),
            json.dumps({"machine": "saw", "start": "+1d", "end": "+2d", "days": 2}),
            json.dumps({"machine": "saw", "start": "+1d", "days": 0}),
            json.dumps({"machine": "saw", "start": "+1d", "days": True}),
            json.dumps({"machine": "saw", "start": "+1d", "days": "3"}),
            json.dumps({"machine": "saw", "start": "+1d", "ned": "+2d"}),
            json.dumps({"machine": "saw", "start": "+1d"}),
            "[" * 100_000,
            '{"machine": ' + "1" * 5000 + "}",
            json.dumps({"machine": "saw", "start": "+1d", "days": 10**9}),
        ]
        result = cli(db_url, "check", "--batch", input="\n".join(lines) + "\n")
        assert result.exit_code == 2, result.output
        answers = [json.loads(line) for line in result.stdout.splitlines()]
        assert len(answers) == len(lines)
        assert answers[0]["start"] == "2030-01-10" and answers[0]["end"] == "2030-01-12"
        assert [a.get("error") for a in answers[1:]] == [
            "line 2: give end or days, not both",
            "line 3: days 0 must be a whole number of at least 1",
            "line 4: days True must be a whole number of at least 1",
            "line 5: days '3' must be a whole number of at least 1",
            "line 6: unknown field 'ned' (a request has machine, start, and end or days)",
            "line 7: missing or non-text field: end",
            "line 8: longer than 65536 bytes",
            "line 9: not JSON (a number with too many digits)",
            "line 10: invalid number of days 1000000000: the result is outside the supported "
            "range 0001-01-01 to 9999-12-31",
        ]


class TestImportContracts:
    """Importing twice stores nothing twice; options of the other kind are refused."""

    CSV = (
        "machine,member,start,end,status\n"
        "tractor,bob,2020-01-01,2020-01-02,completed\n"
        "tractor,bob,2030-02-01,2030-02-02,approved\n"
    )
    ICS = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n"
        "BEGIN:VEVENT\r\nUID:a\r\nSUMMARY:Holiday\r\nDTSTART;VALUE=DATE:20300301\r\n"
        "DTEND;VALUE=DATE:20300303\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:b\r\nSTATUS:CANCELLED\r\nDTSTART;VALUE=DATE:20300310\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )

    def test_csv_twice(self, seeded: rentcal.Rentcal, db_url: str, tmp_path: Path) -> None:
        path = tmp_path / "rentals.csv"
        path.write_text(self.CSV, encoding="utf-8")
        assert ok_json(db_url, "import", str(path))["imported"] == 2
        again = ok_json(db_url, "import", str(path))
        assert (again["imported"], again["skipped"], again["problems"]) == (0, 0, [])
        assert [i["line"] for i in again["ignored"]] == [2, 3]
        assert again["ignored"][0]["reason"].startswith("already stored as rental ")
        assert len(seeded.rentals()) == 2

    def test_ics_twice(self, seeded: rentcal.Rentcal, db_url: str, tmp_path: Path) -> None:
        path = tmp_path / "holidays.ics"
        path.write_text(self.ICS, encoding="utf-8")
        args = ["import", str(path), "--machine", "tractor", "--as-maintenance"]
        first = ok_json(db_url, *args)
        assert first["imported"] == 1
        assert first["ignored"] == [
            {"line": 10, "reason": "event 2 is cancelled (STATUS:CANCELLED)"}
        ]
        again = ok_json(db_url, *args)
        assert again["imported"] == 0 and len(again["ignored"]) == 2
        assert len(seeded.maintenance()) == 1
        human = cli(db_url, *args)
        assert human.stdout.startswith("imported 0 rows, skipped 0, left out 2")

    @pytest.mark.parametrize(
        ("extra", "message"),
        [
            (["--machine", "tractor"], "--machine only apply to a calendar (.ics) import"),
            (["--kind", "repair"], "--kind only apply to a calendar"),
            (["--as-maintenance", "--machine", "tractor"], "--machine, --as-maintenance only"),
        ],
    )
    def test_csv_refuses_calendar_options(
        self, seeded: rentcal.Rentcal, db_url: str, tmp_path: Path, extra: list[str], message: str
    ) -> None:
        path = tmp_path / "rentals.csv"
        path.write_text(self.CSV, encoding="utf-8")
        failed(cli(db_url, "import", str(path), *extra), 2, message)
        assert seeded.rentals() == []

    def test_calendar_by_content(
        self, seeded: rentcal.Rentcal, db_url: str, tmp_path: Path
    ) -> None:
        path = tmp_path / "holidays.txt"
        path.write_text(self.ICS, encoding="utf-8")
        failed(cli(db_url, "import", str(path)), 2, "is a calendar: add --as-maintenance")
