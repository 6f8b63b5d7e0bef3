"""The real thing: ``rentcal serve --workers 2`` on a loopback port, on every backend.

Races go through real sockets into two uvicorn worker processes that share
nothing but the database: exactly one of 50 simultaneous bookings of the
same days wins, 400 disjoint bookings all land without an overlap, and one
Idempotency-Key sent ten times at once books once. A ``rentcal book`` run in
another process reaches an open ``/api/changes`` stream; SIGTERM ends the
server cleanly, streams and all; metrics add up across the workers.
"""

from __future__ import annotations

import itertools
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx2
import pytest

import rentcal
from tests.conftest import PG_ENV, _pg_schema_url
from tests.processes import Start, in_threads

pytestmark = pytest.mark.slow

#: Far enough ahead that the server's real clock never makes these days past.
DAY = date(2099, 3, 1)
MEMBERS = [f"m{i}" for i in range(16)]
#: A hang guard, not a measurement: a healthy server answers in milliseconds.
PATIENCE = 60.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _backends() -> list[Any]:
    params: list[Any] = [pytest.param("sqlite", id="sqlite")]
    if os.environ.get(PG_ENV):
        params.append(pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres))
    return params


@dataclass
class Server:
    """A running ``rentcal serve`` and what the tests need to talk to it."""

    url: str
    db_url: str
    process: subprocess.Popen[bytes]
    log: Path
    tokens: dict[str, str]
    env: dict[str, str]

    def client(self, handle: str = "m0", **kwargs: Any) -> httpx2.Client:
        headers = {"Authorization": f"Bearer {self.tokens[handle]}"}
        return httpx2.Client(base_url=self.url, headers=headers, timeout=PATIENCE, **kwargs)

    def stop(self) -> int:
        """SIGTERM, then the exit status (the server must stop on its own)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=PATIENCE)


def start_server(db_url: str, log: Path, *args: str) -> subprocess.Popen[bytes]:
    """``rentcal serve`` in a child process; its stderr goes to ``log``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RENTCAL_", "PROMETHEUS_"))}
    with log.open("ab") as sink:
        return subprocess.Popen(
            [sys.executable, "-m", "rentcal", "--db", db_url, "serve", *args],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )


def wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"rentcal serve exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx2.get(url + "/readyz", timeout=2).status_code == 200:
                return
        except httpx2.HTTPError:
            pass
        time.sleep(0.1)
    pytest.fail(f"rentcal serve did not get ready:\n{log.read_text()}")


@pytest.fixture(scope="module", params=_backends())
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """One server with two workers per backend, shared by this module's tests."""
    workdir = tmp_path_factory.mktemp("served")
    if request.param == "sqlite":
        db_url = f"sqlite:///{workdir}/served.db"
    else:
        db_url = _pg_schema_url(request.getfixturevalue("pg_database"))
    with rentcal.connect(db_url) as cal:
        cal.add_member("ada", admin=True)
        cal.set_limits(horizon_days=36_500, acting="ada")  # DAY is decades ahead of the clock
        for handle in MEMBERS:
            cal.add_member(handle, verified=True, acting="ada")
        for name in ("race", "disjoint", "again", "live", "count"):
            cal.add_machine(name, daily_price="10", acting="ada")
        tokens = {h: cal.create_token(h)[1] for h in ["ada", *MEMBERS]}
    port = _free_port()
    log = workdir / "server.log"
    process = start_server(db_url, log, "--port", str(port), "--workers", "2", "--metrics")
    server = Server(f"http://127.0.0.1:{port}", db_url, process, log, tokens, {})
    try:
        wait_ready(server.url, process, log)
        yield server
    finally:
        code = server.stop()
        assert code == 0, log.read_text()
        assert "Traceback" not in log.read_text()


def all_at_once(count: int, job: Callable[[int], Any]) -> list[Any]:
    """Run ``job(i)`` for i < count in as many (daemon) threads, released together.

    Bounded as a whole (a job may send 25 requests, each bounded by PATIENCE):
    a thread still waiting fails the test instead of keeping pytest from exiting.
    """

    def run(start: Start, i: int) -> Any:
        start()
        return job(i)

    jobs = [(i,) for i in range(count)]
    return in_threads(run, jobs, timeout=5 * PATIENCE, barrier_timeout=PATIENCE)


def booking(machine: str, start: date, days: int = 1) -> dict[str, str]:
    last = start + timedelta(days=days - 1)
    return {"machine": machine, "start": start.isoformat(), "end": last.isoformat()}


class TestRaces:
    """Concurrent requests through real sockets into two workers."""

    def test_fifty_for_the_same_days_one_wins(self, served: Server) -> None:
        clients = [served.client(MEMBERS[i % len(MEMBERS)]) for i in range(50)]

        def book(i: int) -> int:
            return clients[i].post("/api/rentals", json=booking("race", DAY, 3)).status_code

        statuses = Counter(all_at_once(50, book))
        for client in clients:
            client.close()
        assert statuses == Counter({201: 1, 409: 49})
        with rentcal.connect(served.db_url) as cal:
            assert len(cal.rentals(machine="race")) == 1

    def test_sixteen_clients_twenty_five_disjoint_bookings_each(self, served: Server) -> None:
        def client_run(i: int) -> list[int]:
            with served.client(MEMBERS[i]) as client:
                return [
                    client.post(
                        "/api/rentals", json=booking("disjoint", DAY + timedelta(days=i * 25 + k))
                    ).status_code
                    for k in range(25)
                ]

        results = all_at_once(16, client_run)
        assert Counter(s for statuses in results for s in statuses) == Counter({201: 400})
        with rentcal.connect(served.db_url) as cal:
            found = sorted(cal.rentals(machine="disjoint"), key=lambda r: r.start)
        assert len(found) == 400
        assert all(a.end < b.start for a, b in itertools.pairwise(found))

    def test_one_idempotency_key_ten_times_at_once(self, served: Server) -> None:
        clients = [served.client("m3") for _ in range(10)]
        body = {**booking("again", DAY, 2), "purpose": "double click"}

        def send(i: int) -> tuple[int, int]:
            answer = clients[i].post(
                "/api/rentals", json=body, headers={"Idempotency-Key": "click-1"}
            )
            return answer.status_code, answer.json().get("id", 0)

        answers = all_at_once(10, send)
        for client in clients:
            client.close()
        assert {status for status, _ in answers} == {201}
        assert len({rid for _, rid in answers}) == 1
        with rentcal.connect(served.db_url) as cal:
            assert len(cal.rentals(machine="again")) == 1

    def test_metrics_add_up_across_workers(self, served: Server) -> None:
        def count() -> float:
            text = httpx2.get(served.url + "/metrics", timeout=PATIENCE).text
            total = 0.0
            for line in text.splitlines():
                if line.startswith("http_requests_total{") and 'route="/api/machines"' in line:
                    total += float(line.rsplit(" ", 1)[1])
            return total

        before = count()
        with served.client() as client:
            for _ in range(20):
                assert client.get("/api/machines").status_code == 200
        assert count() - before == 20
        pids = {line for line in served.log.read_text().splitlines() if "Started server" in line}
        assert len(pids) == 2


class TestLive:
    """Live revisions, and a clean stop with streams open."""

    def test_a_shell_booking_reaches_the_stream(self, served: Server) -> None:
        with (
            served.client("m5") as client,
            client.stream("GET", "/api/changes") as stream,
        ):
            assert stream.headers["content-type"].startswith("text/event-stream")
            lines = stream.iter_lines()
            first = _next_revision(lines)
            done = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "rentcal",
                    "--db",
                    served.db_url,
                    "--as",
                    "m5",
                    "book",
                    "live",
                    DAY.isoformat(),
                    DAY.isoformat(),
                ],
                capture_output=True,
                text=True,
                timeout=PATIENCE,
                check=False,
            )
            assert done.returncode == 0, done.stderr
            assert _next_revision(lines) > first

    @pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
    def test_a_signal_stops_it_with_a_stream_open(self, tmp_path: Path, sig: int) -> None:
        db_url = f"sqlite:///{tmp_path}/stop.db"
        with rentcal.connect(db_url) as cal:
            cal.add_member("ada", admin=True)
            _, token = cal.create_token("ada")
        port = _free_port()
        log = tmp_path / "server.log"
        process = start_server(db_url, log, "--port", str(port))
        url = f"http://127.0.0.1:{port}"
        wait_ready(url, process, log)
        headers = {"Authorization": f"Bearer {token}"}
        with httpx2.Client(base_url=url, headers=headers, timeout=PATIENCE) as client:
            with client.stream("GET", "/api/changes") as stream:
                lines = stream.iter_lines()
                _next_revision(lines)
                process.send_signal(sig)
                rest = list(lines)  # the server ends the stream
            assert all(not line.startswith("data:") for line in rest)
        assert process.wait(timeout=PATIENCE) == 0, log.read_text()
        text = log.read_text()
        assert "GET /api/changes 200" in text
        assert "Traceback" not in text


def _next_revision(lines: Iterator[str]) -> int:
    for line in lines:
        if line.startswith("data: "):
            return int(line.removeprefix("data: "))
    raise AssertionError("the stream ended without a revision")


def test_serve_imports_the_web_stack_lazily() -> None:
    """``rentcal --help`` (and every other command) never loads FastAPI & co."""
    code = (
        "import sys\n"
        "from rentcal.cli import main\n"
        "sys.argv = ['rentcal', '--help']\n"
        "try:\n    main()\n"
        "except SystemExit:\n    pass\n"
        "web = ('fastapi', 'starlette', 'uvicorn', 'jinja2', 'prometheus_client', 'pydantic')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in web), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=PATIENCE, check=True
    )
    assert done.stderr.strip().splitlines()[-1] == "[]"


def test_a_busy_port_is_a_clear_error(tmp_path: Path) -> None:
    rentcal.connect(f"sqlite:///{tmp_path / 'x.db'}").close()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "rentcal",
                "--db",
                str(tmp_path / "x.db"),
                "serve",
                "--port",
                str(port),
            ],
            capture_output=True,
            text=True,
            timeout=PATIENCE,
            check=False,
        )
    assert done.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
    assert "Traceback" not in done.stderr
