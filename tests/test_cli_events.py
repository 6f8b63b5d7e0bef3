"""``rentcal events``: FullCalendar JSON, iCalendar, resources, legend and tables."""

from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path

import pytest

import rentcal
from rentcal.feeds import fullcalendar
from tests.cli_support import cli, failed, ok_json
from tests.conftest import d


@pytest.fixture
def busy(seeded: rentcal.Rentcal) -> rentcal.Rentcal:
    """Rentals in several statuses and a maintenance block."""
    a = seeded.book("tractor", d(10), d(12), member="bob", today=d(9))
    seeded.approve(a.id, acting="ada", today=d(9))
    seeded.book("saw", d(14), d(14), member="dan", purpose="fence", today=d(9))
    c = seeded.book("tractor", d(20), d(21), member="dan", today=d(9))
    seeded.cancel(c.id, acting="dan", today=d(9))
    seeded.add_maintenance("saw", d(16), d(17), acting="ada", today=d(9))
    return seeded


class TestJson:
    """--json is exactly the library's FullCalendar events."""

    def test_all(self, busy: rentcal.Rentcal, db_url: str) -> None:
        data = ok_json(db_url, "events")
        assert data == busy.events()
        assert [e["id"] for e in data] == ["rental-1", "rental-2", "maintenance-1"]
        assert data[0]["end"] == "2030-01-13"  # exclusive, as FullCalendar wants

    @pytest.mark.parametrize(
        "args",
        [
            pytest.param(["--machine", "saw"], id="machine"),
            pytest.param(["--member", "dan"], id="member"),
            pytest.param(["--from", "2030-01-13", "--to", "+10d"], id="window"),
            pytest.param(["--all-statuses"], id="all-statuses"),
        ],
    )
    def test_filters_match_the_library(
        self, busy: rentcal.Rentcal, db_url: str, args: list[str]
    ) -> None:
        options = {"--machine": "machine", "--member": "member"}
        kwargs: dict[str, object] = {}
        for flag, name in options.items():
            if flag in args:
                kwargs[name] = args[args.index(flag) + 1]
        if "--from" in args:
            kwargs.update(start=d(13), end=d(19))
        if "--all-statuses" in args:
            kwargs["all_statuses"] = True
        expected = busy.events(**kwargs)  # type: ignore[arg-type]
        assert expected and expected != busy.events()  # the filter really selects
        assert ok_json(db_url, "events", *args) == expected

    def test_all_statuses_adds_cancelled(self, busy: rentcal.Rentcal, db_url: str) -> None:
        ids = [e["id"] for e in ok_json(db_url, "events", "--all-statuses")]
        assert "rental-3" in ids
        assert "rental-3" not in [e["id"] for e in ok_json(db_url, "events")]

    def test_unknown_machine(self, busy: rentcal.Rentcal, db_url: str) -> None:
        failed(cli(db_url, "events", "--machine", "nope", "--json"), 2, "machine 'nope' not found")


class TestIcs:
    """--ics writes the library's bytes, to stdout or atomically to a file."""

    def test_stdout(self, busy: rentcal.Rentcal, db_url: str) -> None:
        result = cli(db_url, "events", "--ics", "--machine", "tractor")
        assert result.exit_code == 0, result.stderr
        assert result.stdout_bytes == busy.ical(machine="tractor")
        assert result.stdout_bytes.startswith(b"BEGIN:VCALENDAR\r\n")  # CRLF kept
        assert result.stderr == ""

    def test_output_file(self, busy: rentcal.Rentcal, db_url: str, tmp_path: Path) -> None:
        public = tmp_path / "public"
        public.mkdir()
        target = public / "feed.ics"
        target.write_text("stale")
        result = cli(db_url, "events", "--ics", "-o", str(target))
        assert result.exit_code == 0, result.stderr
        assert result.stdout == ""
        assert target.read_bytes() == busy.ical()
        assert [p.name for p in public.iterdir()] == ["feed.ics"]  # no temp file left

    def test_published_file_leaves_private_details_out(
        self, busy: rentcal.Rentcal, db_url: str
    ) -> None:
        """The documented cron recipe publishes the file: no purposes, prices, reasons or
        notes (what a member's pages do not show of others' bookings) unless --private."""
        rejected = busy.book("tractor", d(24), d(24), member="bob", purpose="hay", today=d(9))
        busy.reject(rejected.id, acting="ada", reason="tyres flat", today=d(9))
        busy.edit_maintenance(1, notes="blade guard", acting="ada", today=d(9))
        private = ("fence", "hay", "Price:", "tyres flat", "blade guard")
        published = cli(db_url, "events", "--ics", "--all-statuses")
        assert published.exit_code == 0, published.stderr
        assert published.stdout_bytes == busy.ical(all_statuses=True)
        text = published.stdout_bytes.replace(b"\r\n ", b"")  # unfolded
        assert [w for w in private if w.encode() in text] == []
        assert b"Member: Dan Driver (dan)" in text
        full = cli(db_url, "events", "--ics", "--all-statuses", "--private")
        assert full.exit_code == 0, full.stderr
        assert full.stdout_bytes == busy.ical(all_statuses=True, private=True)
        text = full.stdout_bytes.replace(b"\r\n ", b"")
        assert [w for w in private if w.encode() not in text] == []

    def test_private_needs_ics(self, busy: rentcal.Rentcal, db_url: str) -> None:
        failed(cli(db_url, "events", "--json", "--private"), 2, "--private applies to --ics")

    def test_json_to_file(self, busy: rentcal.Rentcal, db_url: str, tmp_path: Path) -> None:
        target = tmp_path / "events.json"
        assert cli(db_url, "events", "--json", "--output", str(target)).exit_code == 0
        assert json.loads(target.read_text()) == busy.events()

    def test_unwritable_output(self, busy: rentcal.Rentcal, db_url: str, tmp_path: Path) -> None:
        result = cli(db_url, "events", "--ics", "-o", str(tmp_path / "no" / "such" / "x.ics"))
        failed(result, 2, "cannot write")
        assert result.stdout == ""


class TestOutputPath:
    """-o: '-' is stdout, symlinks are followed, FIFOs and devices are written into."""

    def test_dash_is_stdout(
        self, busy: rentcal.Rentcal, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        out = tmp_path / "out"
        out.mkdir()
        monkeypatch.chdir(out)
        result = cli(db_url, "events", "--ics", "-o", "-")
        assert result.exit_code == 0, result.stderr
        assert result.stdout_bytes == busy.ical()
        assert result.stderr == ""
        as_json = cli(db_url, "events", "--json", "--output", "-")
        assert as_json.exit_code == 0, as_json.stderr
        assert json.loads(as_json.stdout) == busy.events()
        assert as_json.stderr == ""
        assert list(out.iterdir()) == []  # no file named '-'

    def test_symlink_target_is_replaced_and_the_link_kept(
        self, busy: rentcal.Rentcal, db_url: str, tmp_path: Path
    ) -> None:
        out = tmp_path / "out"
        out.mkdir()
        real = out / "real.ics"
        real.write_bytes(b"stale")
        real.chmod(0o640)
        www = out / "www"
        www.mkdir()
        link = www / "x.ics"
        link.symlink_to("../real.ics")
        result = cli(db_url, "events", "--ics", "-o", str(link))
        assert result.exit_code == 0, result.stderr
        assert result.stdout == ""
        assert result.stderr == ""
        assert link.is_symlink()
        assert link.readlink() == Path("../real.ics")
        assert real.read_bytes() == busy.ical()
        assert stat.S_IMODE(real.stat().st_mode) == 0o640
        assert sorted(p.name for p in www.iterdir()) == ["x.ics"]  # no temp file left
        assert sorted(p.name for p in out.iterdir()) == ["real.ics", "www"]

    def test_dangling_symlink_creates_its_target(
        self, busy: rentcal.Rentcal, db_url: str, tmp_path: Path
    ) -> None:
        link = tmp_path / "feed.json"
        link.symlink_to("published.json")
        result = cli(db_url, "events", "--json", "-o", str(link))
        assert result.exit_code == 0, result.stderr
        assert (result.stdout, result.stderr) == ("", "")
        assert link.is_symlink()
        assert json.loads((tmp_path / "published.json").read_text()) == busy.events()

    @pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
    def test_fifo_is_written_into(self, busy: rentcal.Rentcal, db_url: str, tmp_path: Path) -> None:
        out = tmp_path / "out"
        out.mkdir()
        fifo = out / "feed.fifo"
        os.mkfifo(fifo)
        received: list[bytes] = []

        def read() -> None:
            with open(fifo, "rb") as handle:
                received.append(handle.read())

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        try:
            result = cli(db_url, "events", "--ics", "-o", str(fifo))
            reader.join(timeout=30)
        finally:
            if reader.is_alive():  # the command never opened it: release the reader
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
                reader.join(timeout=5)
        assert result.exit_code == 0, result.stderr
        assert (result.stdout, result.stderr) == ("", "")
        assert received == [busy.ical()]
        assert stat.S_ISFIFO(fifo.lstat().st_mode)
        assert [p.name for p in out.iterdir()] == ["feed.fifo"]  # no temp file left

    @pytest.mark.skipif(not Path("/dev/null").exists(), reason="needs /dev/null")
    def test_dev_null_stays_a_device(self, busy: rentcal.Rentcal, db_url: str) -> None:
        result = cli(db_url, "events", "--ics", "-o", "/dev/null")
        assert result.exit_code == 0, result.stderr
        assert (result.stdout, result.stderr) == ("", "")
        assert stat.S_ISCHR(Path("/dev/null").stat().st_mode)

    def test_directory_is_refused(self, busy: rentcal.Rentcal, db_url: str, tmp_path: Path) -> None:
        out = tmp_path / "out"
        out.mkdir()
        result = cli(db_url, "events", "--ics", "-o", str(out))
        assert result.exit_code == 2
        assert result.stdout == ""
        assert result.stderr == f"Error: output path {str(out)!r} is a directory\n"
        assert out.is_dir()
        assert list(out.iterdir()) == []


class TestResourcesAndLegend:
    """--resources and --legend."""

    def test_resources_json(self, busy: rentcal.Rentcal, db_url: str) -> None:
        assert ok_json(db_url, "events", "--resources") == [
            {"id": "saw", "title": "Band saw"},
            {"id": "tractor", "title": "Tractor 6120"},
        ]

    def test_resources_table(self, busy: rentcal.Rentcal, db_url: str) -> None:
        lines = cli(db_url, "events", "--resources").stdout.splitlines()
        assert lines[0].split() == ["id", "title"]
        assert lines[3].split() == ["tractor", "Tractor", "6120"]

    def test_legend(self, db_url: str) -> None:
        assert ok_json(db_url, "events", "--legend") == fullcalendar.legend()
        table = cli(db_url, "events", "--legend").stdout
        assert "#ffc107" in table
        assert "Requested by <name>" in table

    @pytest.mark.parametrize(
        "args",
        [
            pytest.param(["--json", "--ics"], id="json+ics"),
            pytest.param(["--resources", "--legend"], id="resources+legend"),
            pytest.param(["--ics", "--legend"], id="ics+legend"),
        ],
    )
    def test_exclusive_flags(self, db_url: str, args: list[str]) -> None:
        result = cli(db_url, "events", *args)
        failed(result, 2, "cannot be combined")
        assert result.stdout == ""


class TestTable:
    """Without --json / --ics: a table with the inclusive last day."""

    def test_table(self, busy: rentcal.Rentcal, db_url: str) -> None:
        lines = cli(db_url, "events").stdout.splitlines()
        assert lines[0].split() == ["id", "machine", "start", "end", "status", "title"]
        assert " ".join(lines[2].split()[:11]) == (
            "rental-1 tractor Thu 10 Jan 2030 Sat 12 Jan 2030 approved"
        )
        assert "Band saw — Maintenance: Preventive" in lines[4]

    def test_empty(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        assert cli(db_url, "events").stdout == "No events match.\n"
