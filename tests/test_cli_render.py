"""rentcal.cli.render: colour rules, safe text, JSON values and atomic files."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest

from rentcal import errors as lib_errors
from rentcal.cli import output_files, render


class TestRender:
    """Colour rules, safe text and atomic files."""

    class FakeTty(StringIO):
        def isatty(self) -> bool:
            return True

    def test_colour_on_a_terminal(self) -> None:
        assert render.colour_enabled(self.FakeTty(), env={})

    @pytest.mark.parametrize(
        "env", [{"NO_COLOR": "1"}, {"NO_COLOR": "yes"}, {"TERM": "dumb"}], ids=str
    )
    def test_no_colour_when_asked(self, env: dict[str, str]) -> None:
        assert not render.colour_enabled(self.FakeTty(), env=env)

    def test_empty_no_color_does_not_disable(self) -> None:
        assert render.colour_enabled(self.FakeTty(), env={"NO_COLOR": ""})

    def test_no_colour_into_a_pipe(self) -> None:
        assert not render.colour_enabled(StringIO(), env={})

    def test_paint(self) -> None:
        assert render.paint("x", "red", enabled=False) == "x"
        assert render.paint("x", "red", enabled=True) == "\x1b[31mx\x1b[0m"

    def test_control_characters_never_reach_the_terminal(self) -> None:
        assert render.safe("a\x1b[31mb\x07c\x9bd") == "a?[31mb?c?d"
        assert render.cell("line1\nline2\ttab") == "line1 line2 tab"
        assert render.cell("x" * 100) == "x" * 57 + "..."

    def test_json_types(self) -> None:
        from datetime import date
        from decimal import Decimal

        from rentcal.core.types import RentalStatus

        text = render.to_json(
            {"d": date(2030, 1, 9), "p": Decimal("1.50"), "s": RentalStatus.PENDING}
        )
        assert json.loads(text) == {"d": "2030-01-09", "p": "1.50", "s": "pending"}

    def test_atomic_write_replaces_and_keeps_mode(self, tmp_path: Path) -> None:
        target = tmp_path / "feed.ics"
        target.write_bytes(b"old")
        target.chmod(0o640)
        output_files.write_atomic(target, b"new")
        assert target.read_bytes() == b"new"
        assert target.stat().st_mode & 0o777 == 0o640
        assert sorted(p.name for p in tmp_path.iterdir()) == ["feed.ics"]

    def test_atomic_write_new_file_is_readable(self, tmp_path: Path) -> None:
        target = tmp_path / "new.ics"
        output_files.write_atomic(target, b"x")
        assert target.stat().st_mode & 0o444  # not the 0600 of a temp file

    def test_atomic_write_failure(self, tmp_path: Path) -> None:
        with pytest.raises(lib_errors.InvalidRequest, match="cannot write"):
            output_files.write_atomic(tmp_path / "missing-dir" / "x.ics", b"x")
