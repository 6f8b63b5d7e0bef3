"""The servers the web benchmark measures, and the databases behind them.

``rentcal serve --workers 2`` and the design reference's ``run.sh`` (gunicorn, 2
sync workers) run as child processes on free loopback ports and are stopped by
their own pids. The reference's databases are made by its own ``rebuild.sh``
(``seed_data``), invoked with ``SQLITE_PATH`` / ``PG_NAME``; nothing in its
directory is written. PostgreSQL databases of the benchmark are named
``rcbench_*`` and are the only ones it creates or drops.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

#: Where the reference's README puts its virtual environment (its env.sh reads it there).
REFERENCE_VENV = Path("/tmp/seed-django/venv")
REFERENCE_PACKAGES = ["django", "gunicorn", "psycopg[binary]"]


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A server process on a loopback port, its log, and how to tell it is ready."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    sink: IO[bytes] = field(repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, path: str, headers: dict[str, str], seconds: float = 90) -> None:
        """Until ``path`` answers 2xx: the workers are up and the database opened."""
        deadline = time.monotonic() + seconds
        request = urllib.request.Request(self.url + path, headers=headers)
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"{self.name} exited:\n{self.log.read_text(errors='replace')}")
            try:
                with urllib.request.urlopen(request, timeout=10):  # loopback: our child
                    return
            except (OSError, urllib.error.HTTPError):
                time.sleep(0.2)
        self.stop()
        raise SystemExit(f"{self.name} did not start:\n{self.log.read_text(errors='replace')}")

    def stop(self) -> None:
        """SIGTERM (both servers stop their workers on it), then wait."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.sink.close()


def _start(
    name: str, port: int, argv: list[str], env: dict[str, str], log: Path, cwd: Path | None
) -> Server:
    sink = log.open("ab")
    process = subprocess.Popen(argv, env=env, cwd=cwd, stdout=sink, stderr=subprocess.STDOUT)
    return Server(name, port, process, log, sink)


def start_rentcal(db_url: str, workdir: Path, label: str) -> Server:
    """``rentcal serve --workers 2`` on ``db_url``, without the caller's RENTCAL_* settings."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RENTCAL_", "PROMETHEUS_"))}
    argv = [sys.executable, "-m", "rentcal", "--db", db_url, "serve"]
    argv += ["--port", str(port), "--workers", "2", "--slow-ms", "60000"]
    log = workdir / f"rentcal-{label}.log"
    server = _start(f"rentcal serve ({label})", port, argv, env, log, None)
    server.wait_ready("/readyz", {})
    return server


def reference_env(db: str, sqlite_path: Path | None, pg_name: str) -> dict[str, str]:
    """The environment the reference's scripts read (DB, SQLITE_PATH, PG_NAME); its
    baseline is Django's default CONN_MAX_AGE=0, whatever the caller's environment says."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RENTCAL_", "DJANGO_"))}
    env.pop("CONN_MAX_AGE", None)
    env["DB"] = db
    if sqlite_path is not None:
        env["SQLITE_PATH"] = str(sqlite_path)
    env["PG_NAME"] = pg_name
    return env


def start_reference(reference: Path, env: dict[str, str], workdir: Path, auth: str) -> Server:
    """The reference's ``run.sh DB PORT``: gunicorn with 2 sync workers (it execs, so the
    pid is gunicorn's)."""
    port = free_port()
    argv = [str(reference / "run.sh"), env["DB"], str(port)]
    log = workdir / f"reference-{env['DB']}.log"
    server = _start(f"design reference ({env['DB']})", port, argv, env, log, reference)
    server.wait_ready("/machines/api/calendar/1/events/", {"Authorization": auth})
    return server


def ensure_reference_venv() -> None:
    """The reference's virtual environment, as its README builds it, when missing."""
    if (REFERENCE_VENV / "bin" / "gunicorn").exists():
        return
    print(f"building the design reference's venv at {REFERENCE_VENV} ...", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", str(REFERENCE_VENV)], check=True)
    pip = [str(REFERENCE_VENV / "bin" / "pip"), "install", "-q", *REFERENCE_PACKAGES]
    subprocess.run(pip, check=True)


def reference_versions() -> str:
    """Django's and gunicorn's versions in the reference's venv."""
    code = "import django, gunicorn; print(django.get_version(), gunicorn.__version__)"
    out = subprocess.run(
        [str(REFERENCE_VENV / "bin" / "python"), "-c", code], capture_output=True, text=True
    )
    django, _, gunicorn = out.stdout.strip().partition(" ")
    return f"Django {django}, gunicorn {gunicorn} (2 sync workers)"


def rebuild_reference(reference: Path, env: dict[str, str], rentals: int, log: Path) -> None:
    """``rebuild.sh DB N``: drop, migrate, ``seed_data --rentals N --machines 100``."""
    with log.open("ab") as sink:
        done = subprocess.run(
            [str(reference / "rebuild.sh"), env["DB"], str(rentals)],
            env=env,
            cwd=reference,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    if done.returncode != 0:
        raise SystemExit(f"rebuild.sh {env['DB']} {rentals} failed; see {log}")


class Postgres:
    """The benchmark's own PostgreSQL databases, through an admin connection."""

    def __init__(self, url: str) -> None:
        from sqlalchemy.engine import make_url

        self.url = make_url(url)
        if not self.url.drivername.startswith("postgresql"):
            raise SystemExit(f"--postgres {url!r} is not a PostgreSQL URL")
        self.admin = self.conninfo(self.url.database or "postgres")

    def conninfo(self, name: str) -> str:
        """psycopg's URL of database ``name`` on this server."""
        plain = self.url.set(drivername="postgresql", database=name)
        return plain.render_as_string(hide_password=False)

    def sqlalchemy(self, name: str) -> str:
        """rentcal's URL of database ``name`` on this server."""
        plain = self.url.set(drivername="postgresql+psycopg", database=name)
        return plain.render_as_string(hide_password=False)

    def _execute(self, sql: str, name: str | None = None) -> list[tuple[object, ...]]:
        import psycopg

        try:
            with psycopg.connect(self.conninfo(name) if name else self.admin, autocommit=True) as c:
                cur = c.execute(sql.encode())  # our own fixed statements, no parameters
                return cur.fetchall() if cur.description else []
        except psycopg.OperationalError as err:
            message = f"PostgreSQL at {self.admin}: {err} (or run with --skip-postgres)"
            raise SystemExit(message) from None

    def version(self) -> str:
        return f"PostgreSQL {self._execute('SHOW server_version')[0][0]}"

    def exists(self, name: str) -> bool:
        assert name.startswith("rcbench_"), name
        return bool(self._execute(f"SELECT 1 FROM pg_database WHERE datname = '{name}'"))

    def recreate(self, name: str) -> None:
        """An empty database ``name`` (a ``rcbench_`` one: never anyone else's)."""
        assert name.startswith("rcbench_"), name
        self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self._execute(f'CREATE DATABASE "{name}"')

    def drop_older(self, prefix: str, keep: set[str]) -> None:
        """Drop this benchmark's databases of other sizes or days (``rcbench_`` ones only)."""
        assert prefix.startswith("rcbench_"), prefix
        for (name,) in self._execute("SELECT datname FROM pg_database"):
            if isinstance(name, str) and name.startswith(prefix) and name not in keep:
                self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def vacuum_analyze(self, name: str) -> None:
        """What the reference's ``seed_data`` does after its load (and autovacuum soon after)."""
        self._execute("VACUUM ANALYZE", name)


__all__ = ["Postgres", "Server", "free_port", "start_reference", "start_rentcal"]
