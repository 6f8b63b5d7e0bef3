"""Real processes: output that cannot be written, batch as a co-process, Ctrl-C.

Every test runs the installed program (``python -m rentcal``) with real file
descriptors, because what is tested here — a full disk, a closed pipe, a
closed stdout, signals, strict encodings — cannot be simulated in-process.
"""

from __future__ import annotations

import json
import os
import select
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import rentcal
from rentcal.demo import build_demo
from tests.conftest import TODAY

CMD = [sys.executable, "-m", "rentcal"]
FULL = "Error: cannot write the output (stdout): No space left on device\n"
CLOSED = "Error: cannot write the output (stdout): stdout is closed\n"
#: Seconds a process may take to start and answer; far above what it needs.
PATIENCE = 60
#: The busy timeout of the Ctrl-C tests: far beyond PATIENCE, so exit 130 (not
#: 4) proves the interrupt ended the wait, however slow a loaded host is.
WAIT = "600"
pytestmark = pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs Linux")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RENTCAL_", "PYTHONIO"))}
    env.update(RENTCAL_TODAY=TODAY.isoformat(), RENTCAL_USER="ada", NO_COLOR="1")
    env.update(extra)
    return env


@pytest.fixture
def demo_db(tmp_path: Path) -> str:
    """A demo database file (3 machines, rentals, maintenance)."""
    path = tmp_path / "demo.db"
    with rentcal.connect(str(path)) as cal:
        build_demo(cal, TODAY)
    return str(path)


def run(
    db: str, *args: str, stdin: str | bytes = b"", **kwargs: Any
) -> subprocess.CompletedProcess[bytes]:
    """``rentcal --db DB ARGS`` to completion; stdout/stderr captured unless given."""
    data = stdin.encode() if isinstance(stdin, str) else stdin
    kwargs.setdefault("stdout", subprocess.PIPE)
    kwargs.setdefault("env", _env())
    return subprocess.run(
        [*CMD, "--db", db, *args],
        input=data,
        stderr=subprocess.PIPE,
        timeout=PATIENCE,
        check=False,
        **kwargs,
    )


REQUEST = json.dumps({"machine": "saw", "start": "+20d", "end": "+21d"}) + "\n"
OUTPUTS = [
    pytest.param(["rentals"], id="table"),
    pytest.param(["rentals", "--json"], id="json"),
    pytest.param(["events", "--ics"], id="ics-bytes"),
    pytest.param(["calendar"], id="calendar"),
    pytest.param(["--help"], id="help"),
    pytest.param(["book", "--help"], id="command-help"),
    pytest.param(["check", "--batch"], id="batch"),
]


class TestFullDisk:
    """stdout on a full disk: one Error line, exit 74 — never 1, 70 or a traceback."""

    @pytest.mark.parametrize("args", OUTPUTS)
    def test_stdout(self, demo_db: str, args: list[str]) -> None:
        with open("/dev/full", "wb") as full:
            done = run(demo_db, *args, stdin=REQUEST, stdout=full)
        assert (done.returncode, done.stderr.decode()) == (74, FULL)

    def test_the_work_is_done_and_the_database_intact(self, demo_db: str) -> None:
        with open("/dev/full", "wb") as full:
            done = run(demo_db, "book", "saw", "+20d", "--days", "1", stdout=full)
        assert (done.returncode, done.stderr.decode()) == (74, FULL)
        with rentcal.connect(demo_db) as cal:
            assert [r.start.isoformat() for r in cal.rentals(machine="saw", start=TODAY)][-1] == (
                "2030-01-29"
            )
        with sqlite3.connect(demo_db) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)

    def test_output_file(self, demo_db: str) -> None:
        done = run(demo_db, "events", "--ics", "-o", "/dev/full")
        assert done.returncode == 74
        assert done.stderr.decode() == (
            "Error: cannot write the output ('/dev/full'): No space left on device\n"
        )

    def test_stderr_closed_too(self, demo_db: str) -> None:
        with open("/dev/full", "wb") as full:
            done = subprocess.run(
                [*CMD, "--db", demo_db, "rentals"],
                stdout=full,
                stderr=subprocess.DEVNULL,
                preexec_fn=lambda: os.close(2),
                env=_env(),
                timeout=PATIENCE,
                check=False,
            )
        assert done.returncode == 74


class TestClosedPipe:
    """The reader went away: exit 141 quietly, like a tool stopped by SIGPIPE."""

    @pytest.mark.parametrize("args", OUTPUTS)
    def test_reader_gone_before_the_first_write(self, demo_db: str, args: list[str]) -> None:
        proc = subprocess.Popen(
            [*CMD, "--db", demo_db, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=_env(),
        )
        assert proc.stdout is not None and proc.stdin is not None
        proc.stdout.close()  # nobody reads: the first write gets EPIPE
        _, err = proc.communicate(REQUEST.encode(), timeout=PATIENCE)
        assert (proc.returncode, err.decode()) == (141, "")

    def test_head_of_a_long_batch(self, demo_db: str) -> None:
        """`rentcal check --batch < many | head -n1`: 141, no traceback, no 'Exception ignored'."""
        reader = subprocess.Popen(["head", "-n1"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        assert reader.stdin is not None
        done = run(demo_db, "check", "--batch", stdin=REQUEST * 20_000, stdout=reader.stdin)
        reader.stdin.close()
        assert reader.stdout is not None
        first = reader.stdout.read()
        reader.wait(timeout=PATIENCE)
        assert json.loads(first)["machine"] == "saw"
        assert (done.returncode, done.stderr.decode()) == (141, "")


class TestClosedStdout:
    """`rentcal ... >&-`: exit 74 saying so; nothing else is written to fd 1."""

    def _closed(self, db: str, *args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [*CMD, "--db", db, *args],
            stderr=subprocess.PIPE,
            preexec_fn=lambda: os.close(1),
            env=_env(),
            timeout=PATIENCE,
            check=False,
        )

    def test_output_to_a_closed_stdout(self, demo_db: str) -> None:
        done = self._closed(demo_db, "rentals")
        assert (done.returncode, done.stderr.decode()) == (74, CLOSED)

    def test_a_write_does_not_land_in_the_database(self, demo_db: str) -> None:
        """fd 1 is held on /dev/null, so the database file can never become stdout."""
        done = self._closed(demo_db, "book", "saw", "+20d", "--days", "1", "--purpose", "x" * 500)
        assert done.returncode == 74
        with sqlite3.connect(demo_db) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        with rentcal.connect(demo_db) as cal:
            assert any(r.purpose == "x" * 500 for r in cal.rentals(machine="saw"))

    def test_no_stdout_needed(self, demo_db: str, tmp_path: Path) -> None:
        done = self._closed(demo_db, "events", "--ics", "-o", str(tmp_path / "feed.ics"))
        assert (done.returncode, done.stderr) == (0, b"")
        assert (tmp_path / "feed.ics").read_bytes().startswith(b"BEGIN:VCALENDAR")


class TestEncodings:
    """A strict or narrow stdio encoding never ends a run with exit 70."""

    def test_narrow_stdout(self, demo_db: str) -> None:
        with rentcal.connect(demo_db) as cal:
            cal.book(
                "saw",
                TODAY.replace(day=25),
                TODAY.replace(day=25),
                member="ada",
                purpose="Zoë's 🚜",
                today=TODAY,
            )
        env = _env(PYTHONIOENCODING="latin-1:strict")
        table = run(demo_db, "rentals", env=env)
        assert table.returncode == 0, table.stderr
        assert "Zoë's \\U0001f69c".encode("latin-1") in table.stdout
        data = run(demo_db, "rentals", "--json", env=env)
        assert data.returncode == 0, data.stderr
        assert data.stdout.isascii()
        assert "Zoë's 🚜" in [r["purpose"] for r in json.loads(data.stdout)]
        refused = run(demo_db, "book", "nöpe", "+1d", "--days", "1", env=env)
        assert refused.returncode == 2
        assert refused.stderr.startswith("Error: machine 'nöpe' is not valid".encode("latin-1"))

    def test_batch_undecodable_byte_under_a_strict_encoding(self, demo_db: str) -> None:
        good = REQUEST.encode()
        done = run(
            demo_db,
            "check",
            "--batch",
            stdin=good + b'{"machine": "s\xffw"}\n' + good,
            env=_env(PYTHONIOENCODING="utf-8:strict"),
        )
        assert done.returncode == 2, done.stderr
        answers = [json.loads(line) for line in done.stdout.splitlines()]
        assert len(answers) == 3
        assert answers[1] == {"error": "line 2: not UTF-8 text (byte 15: invalid start byte)"}
        assert answers[0]["machine"] == answers[2]["machine"] == "saw"


def _readline(stream: Any) -> bytes:
    """One line from a pipe, failing (not hanging) if none comes."""
    ready, _, _ = select.select([stream], [], [], PATIENCE)
    assert ready, "no answer: the batch did not flush it"
    line: bytes = stream.readline()
    return line


def test_batch_is_a_co_process(demo_db: str) -> None:
    """Each answer is read before the next request is even written."""
    proc = subprocess.Popen(
        [*CMD, "--db", demo_db, "check", "--batch"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(),
        bufsize=0,
    )
    assert proc.stdin is not None and proc.stdout is not None
    requests = [
        b"\xef\xbb\xbf" + json.dumps({"machine": "saw", "start": "+20d", "days": 2}).encode(),
        b"",
        json.dumps({"machine": "nope", "start": "+1d", "end": "+2d"}).encode(),
        b"[" * 50_000,
        b" " * 70_000 + b"{}",
        json.dumps({"machine": "excavator", "start": "+1d", "end": "+3d"}).encode(),
    ]
    answers = []
    for request in requests:
        proc.stdin.write(request + b"\n")
        if request:
            answers.append(json.loads(_readline(proc.stdout)))
    proc.stdin.close()
    assert proc.wait(timeout=PATIENCE) == 2
    assert answers[0]["end"] == "2030-01-30" and answers[0]["available"] is True
    assert answers[1] == {"error": "line 3: machine 'nope' not found"}
    assert answers[2] == {"error": "line 4: not JSON (nested too deeply)"}
    assert answers[3] == {"error": "line 5: longer than 65536 bytes"}
    assert answers[4]["machine"] == "excavator"


def _has_open(pid: int, path: str) -> bool:
    try:
        fds = list(Path(f"/proc/{pid}/fd").iterdir())
    except FileNotFoundError:
        return False
    for fd in fds:
        try:
            if str(fd.readlink()) == path:
                return True
        except OSError:
            continue
    return False


@pytest.fixture
def locked(demo_db: str) -> Iterator[str]:
    """The demo database with another process's write lock held on it."""
    holder = sqlite3.connect(demo_db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield demo_db
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_ctrl_c_while_waiting_for_the_write_lock(locked: str) -> None:
    """SIGINT reaches a writer stuck behind another writer's lock: exit 130, long
    before the busy timeout after which it would have ended anyway."""
    before = time.monotonic()
    proc = subprocess.Popen(
        [*CMD, "--busy-timeout", WAIT, "--db", locked, "book", "saw", "+20d", "--days", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(),
    )
    while not _has_open(proc.pid, os.path.realpath(locked)):  # connected: about to wait
        assert proc.poll() is None and time.monotonic() - before < PATIENCE
        time.sleep(0.05)
    time.sleep(0.5)  # into the lock wait
    assert proc.poll() is None, proc.communicate()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=PATIENCE)
    assert (proc.returncode, out, err.decode()) == (130, b"", "Error: interrupted\n")


@pytest.mark.postgres
def test_ctrl_c_while_waiting_for_a_row_lock_on_postgresql(pg_database: str) -> None:
    """The same on PostgreSQL: the writer queued behind a machine's row lock stops."""
    import sqlalchemy as sa

    from tests.conftest import _pg_schema_url

    name = f"rentcal-ctrl-c-{os.getpid()}"
    url = (
        sa.make_url(_pg_schema_url(pg_database))
        .update_query_dict({"application_name": name})
        .render_as_string(hide_password=False)
    )
    with rentcal.connect(url) as cal:
        build_demo(cal, TODAY)
        before = len(cal.rentals())
    engine = sa.create_engine(sa.make_url(url).set(drivername="postgresql+psycopg"))
    with engine.connect() as holder, engine.connect() as watcher:
        holder.exec_driver_sql("SELECT id FROM machine WHERE name = 'saw' FOR UPDATE")
        proc = subprocess.Popen(
            [*CMD, "--busy-timeout", WAIT, "--db", url, "book", "saw", "+20d", "--days", "1"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=_env(),
        )
        waiting = sa.text(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE application_name = :n AND wait_event_type = 'Lock'"
        )
        started = time.monotonic()
        while not watcher.execute(waiting, {"n": name}).scalar():
            assert proc.poll() is None and time.monotonic() - started < PATIENCE
            watcher.rollback()
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=PATIENCE)
        holder.rollback()
    engine.dispose()
    assert (proc.returncode, out, err.decode()) == (130, b"", "Error: interrupted\n")
    with rentcal.connect(url) as cal:
        assert len(cal.rentals()) == before
