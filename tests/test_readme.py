"""README.md's examples run as written."""

from __future__ import annotations

import os
import re
import runpy
import shlex
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

import rentcal

README = Path(__file__).resolve().parents[1] / "README.md"


def _block(section: str, lang: str) -> str:
    text = README.read_text(encoding="utf-8").split(f"\n## {section}", 1)[1]
    match = re.search(rf"```{lang}\n(.*?)```", text, re.S)
    assert match, f"no ```{lang} block under ## {section}"
    return match.group(1)


def test_library_example_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """It books three days, is refused an overlap, finds the next free week; and re-runs."""
    monkeypatch.chdir(tmp_path)
    script = tmp_path / "example.py"
    script.write_text(_block("Use it as a library", "python"), encoding="utf-8")
    runpy.run_path(str(script), run_name="__main__")  # twice: the example is re-runnable
    first = capsys.readouterr().out
    runpy.run_path(str(script), run_name="__main__")
    assert capsys.readouterr().out == first
    refused, windows = first.splitlines()
    match = re.fullmatch(
        r"tractor-6120 is not available (\S+)\.\.\1: rental 1 \(approved\) (\S+)\.\.\1 \[1\]",
        refused,
    )
    assert match, refused
    end, start = (date.fromisoformat(group) for group in match.groups())
    assert end - start == timedelta(days=2)  # inclusive: three days
    assert windows == repr([(end + timedelta(days=1), start + timedelta(days=9))])
    with rentcal.connect(str(tmp_path / "example.db")) as cal:
        [rental] = cal.rentals()
    assert (rental.member, rental.status, rental.start, rental.end) == (
        "bob",
        "approved",
        start,
        end,
    )


def test_quick_start_runs(tmp_path: Path) -> None:
    """The rentcal lines of the Quick start, on a fresh embedded default database."""
    exe = shutil.which("rentcal", path=str(Path(sys.executable).parent))
    assert exe, "the rentcal entry point is not installed"
    env = {k: v for k, v in os.environ.items() if not k.startswith("RENTCAL_")}
    env.update(XDG_DATA_HOME=str(tmp_path / "xdg"), NO_COLOR="1")
    lines = [ln for ln in _block("Quick start", "sh").splitlines() if ln.startswith("rentcal ")]
    assert lines[0] == "rentcal demo"
    for line in lines:
        result = subprocess.run(
            [exe, *shlex.split(line)[1:]], env=env, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, (line, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr
    assert (tmp_path / "xdg" / "rentcal" / "rentcal.db").is_file()
