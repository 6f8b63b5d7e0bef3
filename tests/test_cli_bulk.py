"""`rentcal import` and `rentcal check --batch`: exit codes, output, nothing half-done."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import rentcal
from tests.cli_support import cli
from tests.conftest import TODAY, d

CSV = "machine,member,start,end,status,purpose\n"


class TestImport:
    """All or nothing by default; --skip-invalid; --json summary."""

    def test_all_or_nothing_then_skip(
        self, seeded: rentcal.Rentcal, db_url: str, tmp_path: Path
    ) -> None:
        path = tmp_path / "rentals.csv"
        path.write_text(
            CSV + "tractor,bob,2020-01-01,2020-01-03,completed,old\n"
            "tractor,zed,2020-02-01,2020-02-01,completed,\n",
            encoding="utf-8",
        )
        bad = cli(db_url, "import", str(path), as_="ada")
        assert bad.exit_code == 2
        assert bad.stdout == ""
        assert "line 3: member 'zed' not found" in bad.stderr
        assert seeded.rentals() == []
        good = cli(db_url, "import", str(path), "--skip-invalid", "--json", as_="ada")
        assert good.exit_code == 0
        assert json.loads(good.stdout) == {
            "imported": 1,
            "skipped": 1,
            "problems": [{"line": 3, "message": "member 'zed' not found"}],
        }
        assert [r.status for r in seeded.rentals()] == ["completed"]

    def test_failed_import_json_summary(
        self, seeded: rentcal.Rentcal, db_url: str, tmp_path: Path
    ) -> None:
        path = tmp_path / "rentals.csv"
        path.write_text(
            CSV + "tractor,bob,2020-01-01,2020-01-03,completed,old\n"
            "tractor,zed,2020-02-01,2020-02-01,completed,\n"
            "nope,bob,2020-03-01,2020-03-01,completed,\n",
            encoding="utf-8",
        )
        result = cli(db_url, "import", str(path), "--json", as_="ada")
        assert result.exit_code == 2
        assert json.loads(result.stdout) == {
            "imported": 0,
            "skipped": 2,
            "problems": [
                {"line": 3, "message": "member 'zed' not found"},
                {"line": 4, "message": "machine 'nope' not found"},
            ],
        }
        assert result.stderr == (
            "Error: 2 invalid rows, nothing imported (use --skip-invalid to import the rest)\n"
        )
        assert seeded.rentals() == []

    def test_failed_import_lists_one_problem_per_line(
        self, seeded: rentcal.Rentcal, db_url: str, tmp_path: Path
    ) -> None:
        path = tmp_path / "rentals.csv"
        path.write_text(
            CSV + "tractor,zed,2020-02-01,2020-02-01,completed,\n"
            "nope,bob,2020-03-01,2020-03-01,completed,\n",
            encoding="utf-8",
        )
        result = cli(db_url, "import", str(path), as_="ada")
        assert result.exit_code == 2
        assert result.stdout == ""
        assert result.stderr.splitlines() == [
            "Error: 2 invalid rows, nothing imported (use --skip-invalid to import the rest):",
            "  line 2: member 'zed' not found",
            "  line 3: machine 'nope' not found",
        ]
        assert seeded.rentals() == []

    def test_failed_import_caps_the_problem_lines(
        self, seeded: rentcal.Rentcal, db_url: str, tmp_path: Path
    ) -> None:
        path = tmp_path / "rentals.csv"
        path.write_text(
            CSV + "tractor,zed,2020-02-01,2020-02-01,completed,\n" * 60, encoding="utf-8"
        )
        result = cli(db_url, "import", str(path), as_="ada")
        assert result.exit_code == 2
        assert result.stdout == ""
        lines = result.stderr.splitlines()
        assert lines[0].startswith("Error: 60 invalid rows, nothing imported")
        assert lines[1] == "  line 2: member 'zed' not found"
        assert lines[50] == "  line 51: member 'zed' not found"
        assert lines[51:] == ["  ... and 10 more"]
        as_json = cli(db_url, "import", str(path), "--json", as_="ada")
        assert as_json.exit_code == 2
        assert len(json.loads(as_json.stdout)["problems"]) == 60  # JSON lists them all
        assert as_json.stderr.count("\n") == 1
        assert seeded.rentals() == []

    def test_members_cannot_import(
        self, seeded: rentcal.Rentcal, db_url: str, tmp_path: Path
    ) -> None:
        path = tmp_path / "rentals.csv"
        path.write_text(CSV + "saw,bob,2030-01-10,2030-01-10,approved,\n", encoding="utf-8")
        result = cli(db_url, "import", str(path), as_="bob")
        assert result.exit_code == 3
        assert "only admins can import rentals" in result.stderr
        assert seeded.rentals() == []

    def test_maintenance_from_ics(
        self, seeded: rentcal.Rentcal, db_url: str, tmp_path: Path
    ) -> None:
        path = tmp_path / "holidays.ics"
        path.write_bytes(
            b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:1\r\n"
            b"SUMMARY:Christmas\r\nDTSTART;VALUE=DATE:20301224\r\nDTEND;VALUE=DATE:20301226\r\n"
            b"END:VEVENT\r\nEND:VCALENDAR\r\n"
        )
        assert cli(db_url, "import", str(path), as_="ada").exit_code == 2
        result = cli(
            db_url, "import", str(path), "--machine", "tractor", "--as-maintenance", as_="ada"
        )
        assert result.exit_code == 0, result.stderr
        assert [
            (m.start.isoformat(), m.end.isoformat(), m.notes) for m in seeded.maintenance()
        ] == [("2030-12-24", "2030-12-25", "Christmas")]

    def test_missing_file(self, seeded: rentcal.Rentcal, db_url: str, tmp_path: Path) -> None:
        result = cli(db_url, "import", str(tmp_path / "nope.csv"), as_="ada")
        assert result.exit_code == 2
        assert "does not exist" in result.stderr


class TestBatch:
    """One NDJSON answer per request line, in order; the exit code summarises."""

    def test_answers_in_order(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        r = seeded.book("tractor", d(10), d(12), member="bob", today=TODAY)
        lines = [
            {"machine": "tractor", "start": "2030-01-20", "end": "+12d"},
            {"machine": "tractor", "start": "2030-01-12", "end": "2030-01-13"},
            "not json",
            {"machine": "nope", "start": "+1d", "end": "+2d"},
            {"machine": "saw"},
        ]
        text = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines)
        result = cli(db_url, "check", "--batch", input=text + "\n")
        assert result.exit_code == 2, result.stderr
        assert result.stderr == ""
        answers = [json.loads(line) for line in result.stdout.splitlines()]
        assert len(answers) == 5
        assert answers[0]["available"] is True and answers[0]["end"] == "2030-01-21"
        assert answers[1]["available"] is False
        assert [c["id"] for c in answers[1]["conflicts"]] == [r.id]
        assert answers[2] == {"error": "line 3: not JSON (Expecting value)"}
        assert answers[3] == {"error": "line 4: machine 'nope' not found"}
        assert answers[4] == {"error": "line 5: missing or non-text fields: start, end"}

    def test_line_numbers_count_blank_lines(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        text = "\n".join(
            [
                "",
                json.dumps({"machine": "saw", "start": "+1d", "end": "+2d"}),
                "   ",
                "",
                json.dumps({"machine": "nope", "start": "+1d", "end": "+2d"}),
                "",
                json.dumps({"machine": "saw", "start": "+5d", "end": "+3d"}),
                "[1]",
                json.dumps({"machine": "saw", "start": "2030-02-30", "end": "+3d"}),
                json.dumps({"machine": "saw", "start": "2029-01-01", "end": "2029-01-02"}),
            ]
        )
        result = cli(db_url, "check", "--batch", input=text + "\n\n")
        assert result.exit_code == 2, result.stderr
        assert result.stderr == ""
        answers = [json.loads(line) for line in result.stdout.splitlines()]
        assert len(answers) == 6  # one per non-blank line
        assert answers[0]["available"] is True
        errors = [a["error"] for a in answers[1:]]
        assert errors[0] == "line 5: machine 'nope' not found"
        assert errors[1].startswith("line 7: ") and "before start date" in errors[1]
        assert errors[2] == "line 8: expected an object {machine, start, end}"
        assert errors[3].startswith("line 9: invalid date '2030-02-30'")
        assert errors[4].startswith("line 10: ") and "in the past" in errors[4]

    def test_many_lines_keep_their_numbers(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        good = json.dumps({"machine": "saw", "start": "+1d", "end": "+1d"})
        bad = json.dumps({"machine": "nope", "start": "+1d", "end": "+1d"})
        # more than one chunk of check_many (500), blank lines in between
        text = "\n".join(
            bad if n % 100 == 0 else ("" if n % 7 == 0 else good) for n in range(1, 1201)
        )
        result = cli(db_url, "check", "--batch", input=text + "\n")
        assert result.exit_code == 2
        assert result.stderr == ""
        errors = [
            json.loads(line)["error"] for line in result.stdout.splitlines() if "error" in line
        ]
        assert errors == [f"line {n}: machine 'nope' not found" for n in range(100, 1201, 100)]

    def test_unavailable_only_exits_one(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        seeded.book("saw", d(10), d(10), member="bob", today=TODAY)
        text = json.dumps({"machine": "saw", "start": "2030-01-10", "end": "2030-01-10"}) + "\n"
        result = cli(db_url, "check", "--batch", input=text)
        assert result.exit_code == 1
        assert result.stderr == ""
        assert json.loads(result.stdout)["available"] is False

    def test_empty_input(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        result = cli(db_url, "check", "--batch", input="\n\n")
        assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")

    @pytest.mark.parametrize(
        ("args", "given"),
        [
            pytest.param(["saw"], "MACHINE", id="machine"),
            pytest.param(["saw", "+1d"], "MACHINE, START", id="machine-start"),
            pytest.param(["saw", "+1d", "+2d"], "MACHINE, START, END", id="all"),
            pytest.param(["--days", "2"], "--days", id="days"),
            pytest.param(["--json"], "--json", id="json"),
            pytest.param(["saw", "--json"], "MACHINE, --json", id="machine-json"),
        ],
    )
    def test_batch_takes_no_request_on_the_command_line(
        self, seeded: rentcal.Rentcal, db_url: str, args: list[str], given: str
    ) -> None:
        text = json.dumps({"machine": "saw", "start": "+1d", "end": "+2d"}) + "\n"
        result = cli(db_url, "check", *args, "--batch", input=text)
        assert result.exit_code == 2
        assert result.stdout == ""
        assert result.stderr == (
            f"Error: --batch cannot be combined with {given}: it reads every request "
            "from stdin and always answers in NDJSON\n"
        )
