"""Every example in docs/cli.md and in the commands' help runs as documented."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from rentcal.cli.app import app
from tests.conftest import TODAY

DOCS = Path(__file__).resolve().parents[1] / "docs" / "cli.md"
SHELL_OPERATORS = {"|", ">", ">>", "&&", "||", ";", "<"}
#: Files the import examples read, written into the example's working directory.
SAMPLE_FILES = {
    "rentals.csv": "machine,member,start,end,status,purpose\n"
    "tractor-6120,ada,2020-01-01,2020-01-02,completed,old harvest\n",
    "holidays.ics": "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//example//EN\r\n"
    "BEGIN:VEVENT\r\nUID:1\r\nSUMMARY:Christmas\r\nDTSTART;VALUE=DATE:20311224\r\n"
    "DTEND;VALUE=DATE:20311227\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    "new-password.txt": "correct horse battery staple\n",
}


def _docs_examples() -> list[str]:
    return re.findall(r"^\$ (rentcal .*)$", DOCS.read_text(encoding="utf-8"), re.M)


def _help_examples() -> list[str]:
    found: list[str] = []

    def walk(command: object) -> None:
        epilog = getattr(command, "epilog", None) or ""
        found.extend(re.findall(r"^\s+(rentcal .*)$", epilog, re.M))
        for sub in getattr(command, "commands", {}).values():
            walk(sub)

    walk(typer.main.get_command(app))
    return found


def _argv(line: str) -> list[str]:
    words = shlex.split(line, comments=True)
    for index, word in enumerate(words):
        if word in SHELL_OPERATORS:
            words = words[:index]
            break
    assert words[0] == "rentcal"
    return words[1:]


def _then(line: str) -> str | None:
    """The ``rentcal ...`` command after ``&&`` in ``line``, if any (run after the first)."""
    words = shlex.split(line, comments=True)
    if "&&" in words and words[words.index("&&") + 1 :][:1] == ["rentcal"]:
        return shlex.join(words[words.index("&&") + 1 :])
    return None


def _stdin(line: str) -> str | None:
    """The text of a sample file redirected into the command (``< FILE``), if any."""
    words = shlex.split(line, comments=True)
    if "<" in words and words.index("<") + 1 < len(words):
        return SAMPLE_FILES.get(words[words.index("<") + 1])
    return None


EXAMPLES = sorted(set(_docs_examples()) | set(_help_examples()))


def test_there_are_examples() -> None:
    assert len(_docs_examples()) >= 30
    assert len(_help_examples()) >= 30


@pytest.mark.parametrize("line", EXAMPLES)
def test_example_runs(line: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run against a fresh demo database; only exit 0 (or 1 for 'not available') is fine.

    ``< FILE`` of a sample file feeds it to stdin; ``&& rentcal ...`` runs that next.
    ``rentcal serve`` runs up to the point where it would start listening.
    """
    if "postgresql://" in line:
        pytest.skip("needs a PostgreSQL server at the documented host")
    monkeypatch.chdir(tmp_path)
    for name, text in SAMPLE_FILES.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    runner = CliRunner()
    env = {"RENTCAL_TODAY": TODAY.isoformat(), "RENTCAL_USER": "ada", "NO_COLOR": None}
    demo = runner.invoke(app, ["--db", "example.db", "demo"], env=env)
    assert demo.exit_code == 0, demo.output
    env["RENTCAL_DATABASE_URL"] = "example.db"
    argv = _argv(line)
    if argv[:1] == ["demo"] or argv[:1] == ["init"]:
        env["RENTCAL_DATABASE_URL"] = "fresh.db"  # these start from nothing
    launched: list[object] = []
    if argv[:1] == ["serve"]:
        import rentcal.web.server

        monkeypatch.setattr(rentcal.web.server, "launch", launched.append)
    command: str | None = line
    while command is not None:
        argv = _argv(command)
        if "-o" in argv and argv[argv.index("-o") + 1].startswith("/"):
            argv[argv.index("-o") + 1] = "published.ics"  # not /var/www in a test
        result = runner.invoke(app, argv, env=env, input=_stdin(command))
        assert result.exit_code in (0, 1), (command, result.exit_code, result.output)
        assert "Traceback" not in result.output
        command = _then(command)
    assert bool(launched) == (argv[:1] == ["serve"])
