"""README.md's examples run as written."""

from __future__ import annotations

import os
import re
import runpy
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


def _blocks(section: str, lang: str) -> list[str]:
    """Every ```lang block under ``## section``, in order."""
    text = README.read_text(encoding="utf-8").split(f"\n## {section}", 1)[1]
    text = text.split("\n## ", 1)[0]
    return re.findall(rf"```{lang}\n(.*?)```", text, re.S)


def test_quick_start_then_own_data_runs(tmp_path: Path) -> None:
    """The Quick start, then "For your own data", in one shell as a newcomer types them
    (the venv lines aside) on a fresh machine: the demo stays in its own file, and the
    own data goes into the default database without mixing with it."""
    exe = shutil.which("rentcal", path=str(Path(sys.executable).parent))
    assert exe, "the rentcal entry point is not installed"
    demo, own = _blocks("Quick start", "sh")
    assert demo.splitlines()[2].startswith("rentcal demo ")
    skip = ("python3 -m venv", "pip install")
    script = "\n".join(line for line in (demo + own).splitlines() if not line.startswith(skip))
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RENTCAL_", "XDG_"))}
    env.update(
        HOME=str(home),
        USER="alex",
        LOGNAME="alex",
        NO_COLOR="1",
        PATH=f"{Path(exe).parent}{os.pathsep}{env.get('PATH', '')}",
    )
    result = subprocess.run(
        ["sh", "-eu", "-c", script],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    data = home / ".local" / "share" / "rentcal"
    with rentcal.connect(str(data / "rentcal.db")) as own_data:
        assert [m.handle for m in own_data.members()] == ["alex"]
        assert [m.name for m in own_data.machines()] == ["tractor-6120"]
        [rental] = own_data.rentals()
        assert (rental.member, rental.purpose) == ("alex", "hay harvest")
    with rentcal.connect(str(data / "demo.db")) as demo_data:
        assert "alex" not in {m.handle for m in demo_data.members()}
        assert {m.handle for m in demo_data.members()} >= {"ada", "bob"}


def test_init_on_the_demo_says_what_to_do(tmp_path: Path) -> None:
    """A demo built in the default database (as older releases did): init changes
    nothing, fails, and says how to keep your data apart; machine add never runs into
    "acting member not found" unexplained."""
    exe = shutil.which("rentcal", path=str(Path(sys.executable).parent))
    assert exe, "the rentcal entry point is not installed"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RENTCAL_", "XDG_"))}
    env.update(HOME=str(tmp_path), USER="alex", LOGNAME="alex", NO_COLOR="1")
    default = tmp_path / ".local" / "share" / "rentcal" / "rentcal.db"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([exe, *args], env=env, capture_output=True, text=True, check=False)

    assert run("demo", "--db", str(default)).returncode == 0
    refused = run("init", "--admin", "alex", "--name", "Your Name")
    assert refused.returncode == 2, refused
    assert "holds the demo (rentcal demo), not your own data; nothing changed" in refused.stderr
    assert "its own database" in refused.stderr
    with rentcal.connect(str(default)) as cal:
        assert "alex" not in {m.handle for m in cal.members()}
