"""Logins cannot starve the server or lock members out.

The rules (issue: "security"): failures are counted per handle *and* client
address (5 in 15 minutes) and per address (20 in 15 minutes) — a stranger's
guesses throttle the stranger, not the owner; Argon2 runs at most
``MAX_HASHES`` at once per process; and a web worker checks passwords behind
its own small gate, apart from the request thread pool, so a flood of logins
leaves a member's requests fast and the worker's memory bounded. The last
rules are proved against a real ``rentcal serve``; every test on SQLite and
PostgreSQL, where the counting lives.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest

import rentcal
import rentcal.web.server
from rentcal import InvalidRequest
from rentcal.service import login_limits, sessions
from rentcal.web.auth import SESSION_COOKIE
from rentcal.web.error_responses import WebError
from rentcal.web.hashing import LoginGate
from rentcal.web.server import ServeOptions
from rentcal.web.server_settings import Settings
from tests.conftest import BOTH
from tests.shared_server import TwoWorkerServers
from tests.test_web_serve_cli import serve
from tests.test_web_server import (
    PATIENCE,
    _backends,
    _free_port,
    all_at_once,
    start_server,
    wait_ready,
)
from tests.web_support import error_of

pytestmark = BOTH

PASSWORD = "correct horse battery"
ATTACKER = "203.0.113.66"
OWNER = "198.51.100.7"
START = datetime(2030, 1, 9, 9, 0, tzinfo=UTC)


class ManualClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def cal(db_url: str, clock: ManualClock) -> Iterator[rentcal.Rentcal]:
    with rentcal.connect(db_url, clock=clock) as c:
        c.add_member("ada", admin=True)
        c.add_member("bob", acting="ada")
        c.set_password("ada", PASSWORD, acting="ada")
        c.set_password("bob", PASSWORD, acting="bob")
        yield c


def fail(cal: rentcal.Rentcal, handle: str, times: int, client: str | None) -> None:
    for _ in range(times):
        with pytest.raises(rentcal.AuthFailed):
            cal.login(handle, "wrong password", client=client)


class TestNoLockOutButton:
    """Guesses from one address throttle that address, never the owner's."""

    def test_owner_logs_in_while_the_attacker_is_throttled(self, cal: rentcal.Rentcal) -> None:
        fail(cal, "ada", 5, ATTACKER)
        with pytest.raises(rentcal.Throttled) as err:
            cal.login("ada", PASSWORD, client=ATTACKER)  # even the right password
        assert (err.value.field, err.value.value, err.value.retry_after) == ("handle", "ada", 900)
        assert cal.login("ada", PASSWORD, client=OWNER)[0].member == "ada"

    def test_twenty_guesses_an_hour_no_longer_keep_an_admin_out(
        self, cal: rentcal.Rentcal, clock: ManualClock
    ) -> None:
        """Before: five wrong passwords every 15 minutes locked ada out for good."""
        for _ in range(4):
            fail(cal, "ada", 5, ATTACKER)
            assert cal.login("ada", PASSWORD, client=OWNER)[0].member == "ada"
            clock.advance(minutes=15)

    def test_the_guessing_limit_per_handle_and_address_holds(
        self, cal: rentcal.Rentcal, clock: ManualClock
    ) -> None:
        fail(cal, "bob", 5, ATTACKER)
        clock.advance(minutes=5)
        with pytest.raises(rentcal.Throttled) as err:
            cal.login("bob", "sixth guess", client=ATTACKER)
        assert err.value.retry_after == 600
        assert "from this address" in err.value.message
        assert cal.login("ada", PASSWORD, client=ATTACKER)  # other handles: not yet throttled
        clock.advance(minutes=10)
        assert cal.login("bob", PASSWORD, client=ATTACKER)  # the window slid

    def test_an_address_trying_many_handles_is_throttled(
        self, cal: rentcal.Rentcal, clock: ManualClock
    ) -> None:
        for i in range(login_limits.MAX_ADDRESS_FAILURES):
            fail(cal, f"ghost{i}", 1, ATTACKER)
            clock.advance(seconds=10)
        with pytest.raises(rentcal.Throttled) as err:
            cal.login("bob", PASSWORD, client=ATTACKER)
        assert err.value.retry_after == 15 * 60 - 200  # when the first failure ages out
        assert err.value.message.startswith("too many failed logins from this address")
        assert cal.login("bob", PASSWORD, client=OWNER)[0].member == "bob"

    def test_no_client_counts_as_one_local_caller(self, cal: rentcal.Rentcal) -> None:
        fail(cal, "bob", 5, None)
        with pytest.raises(rentcal.Throttled):
            cal.login("bob", PASSWORD)
        with pytest.raises(rentcal.Throttled):
            cal.login("bob", PASSWORD, client=login_limits.LOCAL_CLIENT)
        assert cal.login("bob", PASSWORD, client=OWNER)

    def test_counted_across_instances(self, db_url: str, cal: rentcal.Rentcal) -> None:
        """In the database: a second process (here a second connection) shares the count."""
        with rentcal.connect(db_url, clock=ManualClock()) as other:
            for i in range(10):
                fail(cal, f"ghost{i}", 1, ATTACKER)
                fail(other, f"phantom{i}", 1, ATTACKER)
            with pytest.raises(rentcal.Throttled):
                cal.login("bob", PASSWORD, client=ATTACKER)
            with pytest.raises(rentcal.Throttled):
                other.login("bob", PASSWORD, client=ATTACKER)
            assert other.login("bob", PASSWORD, client=OWNER)

    def test_no_raw_address_is_stored(self, cal: rentcal.Rentcal) -> None:
        fail(cal, "bob", 2, ATTACKER)
        with cal.store.engine.connect() as conn:
            keys = [row[0] for row in conn.exec_driver_sql("SELECT handle FROM login_failure")]
        assert len(keys) == 4  # two counters, two attempts
        assert keys and not any(ATTACKER in key or "bob" in key for key in keys)
        assert all(len(key) <= 64 for key in keys)


class TestHashing:
    """Argon2 (19 MiB each) never runs more than MAX_HASHES at once in a process."""

    def test_concurrent_checks_wait_for_a_slot(self, monkeypatch: pytest.MonkeyPatch) -> None:
        running, peak, lock = [0], [0], threading.Lock()

        class SlowHasher:
            def verify(self, stored: str, password: str) -> bool:
                with lock:
                    running[0] += 1
                    peak[0] = max(peak[0], running[0])
                time.sleep(0.2)
                with lock:
                    running[0] -= 1
                return True

        monkeypatch.setattr(sessions, "hasher", SlowHasher)
        threads = [
            threading.Thread(target=sessions.verify_password, args=(None, "x")) for _ in range(12)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=PATIENCE)
        assert 1 <= peak[0] <= login_limits.MAX_HASHES  # 12 without the bound

    def test_unknown_and_throttled_handles_cost_what_known_ones_cost(
        self, cal: rentcal.Rentcal, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """One Argon2 verification per checked attempt, known handle or not: no
        enumeration by timing (a throttled answer, the same for both, costs none)."""
        calls: list[str] = []
        real = sessions.verify_password

        def counting(stored: str | None, password: object) -> bool:
            calls.append("known" if stored else "unknown")
            return real(stored, password)

        monkeypatch.setattr(sessions, "verify_password", counting)
        fail(cal, "bob", 1, ATTACKER)
        fail(cal, "nobody", 1, ATTACKER)
        fail(cal, "Not A Handle!", 1, ATTACKER)
        assert calls == ["known", "unknown", "unknown"]


# -- against a real server ----------------------------------------------------------------


@dataclass
class Served:
    url: str
    process: Any
    db_url: str
    log: Path

    def login(self, handle: str, password: str, address: str) -> httpx2.Response:
        return httpx2.post(
            self.url + "/login",
            json={"handle": handle, "password": password},
            headers={
                "Accept": "application/json",
                "Origin": self.url,
                "X-Forwarded-For": address,
            },
            timeout=PATIENCE,
        )

    def member(self, handle: str) -> str:
        """Add ``handle`` with :data:`PASSWORD` (a test on a shared server names its own)."""
        with rentcal.connect(self.db_url) as cal:
            cal.add_member(handle, acting="ada")
            cal.set_password(handle, PASSWORD, acting=handle)
        return handle


@contextlib.contextmanager
def _serve(db_url: str, workdir: Path, *args: str) -> Iterator[Served]:
    """``rentcal serve --proxy-headers`` (loopback is a trusted proxy: each test
    request names its client address in X-Forwarded-For), stopped cleanly."""
    with rentcal.connect(db_url) as setup:
        setup.add_member("ada", admin=True)
        setup.set_password("ada", PASSWORD, acting="ada")
    port = _free_port()
    log = workdir / "server.log"
    process = start_server(db_url, log, "--port", str(port), "--proxy-headers", *args)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, process, log)
        yield Served(url, process, db_url, log)
    finally:
        process.terminate()
        assert process.wait(timeout=PATIENCE) == 0, log.read_text()
        assert "Traceback" not in log.read_text()


@pytest.fixture(params=_backends())
def two_workers(
    request: pytest.FixtureRequest, two_worker_servers: TwoWorkerServers
) -> Iterator[Served]:
    """The session's two-worker server on each backend (tests/shared_server.py): the
    failures are counted per client address, and each test guesses from addresses
    of its own, for a member of its own. After the test it must still run and have
    logged no traceback."""
    database = request.getfixturevalue("pg_database") if request.param == "postgresql" else None
    server = two_worker_servers.get(request.param, database)
    yield Served(server.url, server.process, server.db_url, server.log)
    server.check()


@pytest.mark.slow
class TestServedThrottling:
    """Through sockets into two workers sharing nothing but the database."""

    def test_owner_logs_in_while_the_attackers_address_is_throttled(
        self, two_workers: Served
    ) -> None:
        attacker, owner = "203.0.113.1", "198.51.100.1"
        handle = two_workers.member("owner1")
        for _ in range(5):
            assert two_workers.login(handle, "a wrong guess", attacker).status_code == 401
        refused = two_workers.login(handle, PASSWORD, attacker)
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["retry-after"]) <= 15 * 60
        assert error_of(refused)["code"] == "throttled"
        assert two_workers.login(handle, PASSWORD, owner).status_code == 200

    def test_an_address_hammering_many_handles_gets_429(self, two_workers: Served) -> None:
        attacker, owner = "203.0.113.2", "198.51.100.2"
        handle = two_workers.member("owner2")
        answers = [
            two_workers.login(f"ghost{i}", "a wrong guess", attacker).status_code
            for i in range(login_limits.MAX_ADDRESS_FAILURES)
        ]
        assert answers == [401] * login_limits.MAX_ADDRESS_FAILURES
        refused = two_workers.login(handle, PASSWORD, attacker)
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["retry-after"]) <= 15 * 60
        assert two_workers.login(handle, PASSWORD, owner).status_code == 200


def _memory_kib(pid: int) -> dict[str, int]:
    """VmRSS (now) and VmHWM (peak) of a process, in KiB (Linux)."""
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    return {
        line.split(":")[0]: int(line.split()[1])
        for line in lines
        if line.startswith(("VmRSS:", "VmHWM:"))
    }


@pytest.fixture
def one_worker(db_url: str, tmp_path: Path) -> Iterator[Served]:
    """One worker: uvicorn serves in the process it was started as (its RSS is ours).

    A server of its own: the worker's peak memory (VmHWM) is the flood's alone."""
    with _serve(db_url, tmp_path, "--workers", "1") as server:
        yield server


FLOOD = 200
#: Generous: a healthy /api/me answers in milliseconds (11 s before the gate).
ME_BOUND = 2.0
#: The worker's peak may exceed its resting size by this much (830 MB before).
MEMORY_BOUND_KIB = 250 * 1024


#: Polls ``GET /api/me`` in a process of its own (the flood's 200 client threads
#: must not slow the measuring one) until told to stop on stdin; prints
#: [[status, seconds], ...].
WATCH = """
import json, select, sys, time
import httpx2
url, cookie = sys.argv[1], sys.argv[2]
client = httpx2.Client(base_url=url, cookies={"%s": cookie}, timeout=60)
seen = []
while not select.select([sys.stdin], [], [], 0)[0]:
    began = time.monotonic()
    status = client.get("/api/me").status_code
    seen.append([status, time.monotonic() - began])
    time.sleep(0.05)
print(json.dumps(seen))
"""


@pytest.mark.slow
def test_a_login_flood_leaves_a_member_fast_and_memory_bounded(
    one_worker: Served, capsys: pytest.CaptureFixture[str]
) -> None:
    """200 logins at once, each from its own address for an unknown handle (so
    no throttle helps): a logged-in member's ``GET /api/me`` keeps answering."""
    member = httpx2.Client(
        base_url=one_worker.url, timeout=PATIENCE, headers={"Origin": one_worker.url}
    )
    assert member.post("/login", json={"handle": "ada", "password": PASSWORD}).status_code == 200
    cookie = member.cookies[SESSION_COOKIE]
    resting = _memory_kib(one_worker.process.pid)["VmRSS"]
    flood = httpx2.Client(
        base_url=one_worker.url,
        timeout=PATIENCE,
        limits=httpx2.Limits(max_connections=FLOOD, max_keepalive_connections=FLOOD),
    )

    def guess(i: int) -> httpx2.Response:
        return flood.post(
            "/login",
            json={"handle": f"ghost{i}", "password": "a wrong guess"},
            headers={
                "Accept": "application/json",
                "Origin": one_worker.url,
                "X-Forwarded-For": f"10.9.{i // 250}.{i % 250}",
            },
        )

    watcher = subprocess.Popen(
        [sys.executable, "-c", WATCH % SESSION_COOKIE, one_worker.url, cookie],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    time.sleep(1.0)  # the watcher is polling before the flood starts
    began = time.monotonic()
    answers = all_at_once(FLOOD, guess)
    took = time.monotonic() - began
    out, _ = watcher.communicate(b"stop\n", timeout=PATIENCE)
    seen = json.loads(out)
    latencies = sorted(seconds for _, seconds in seen)
    memory = _memory_kib(one_worker.process.pid)
    statuses = sorted({a.status_code for a in answers})
    with capsys.disabled():
        print(
            f"\nflood of {FLOOD}: {took:.1f} s, answers {statuses}; /api/me "
            f"{len(latencies)} calls, max {latencies[-1] * 1000:.0f} ms, "
            f"median {latencies[len(latencies) // 2] * 1000:.0f} ms; worker RSS "
            f"{resting // 1024} MB resting, peak {memory['VmHWM'] // 1024} MB, "
            f"after {memory['VmRSS'] // 1024} MB"
        )
    assert {status for status, _ in seen} == {200}, seen
    assert latencies[-1] < ME_BOUND, latencies
    assert memory["VmHWM"] - resting < MEMORY_BOUND_KIB, memory
    assert set(statuses) <= {401, 503}, statuses
    busy = [a for a in answers if a.status_code == 503]
    assert busy and all(a.headers["retry-after"] == "2" for a in busy)
    assert error_of(busy[0])["code"] == "busy"
    assert member.get("/api/me").status_code == 200


class TestLoginGate:
    """The web worker's gate: ``login_hashes`` at once, ``login_queue`` waiting, 503 beyond."""

    def test_one_running_one_waiting_the_third_refused(self) -> None:
        gate = LoginGate(running=1, waiting=1)
        release = threading.Event()
        outcomes: list[object] = []

        async def one(i: int) -> None:
            try:
                outcomes.append(await gate.run(lambda: release.wait(PATIENCE) and i))
            except WebError as err:
                outcomes.append((err.status, err.code, err.headers["Retry-After"]))
                release.set()

        async def main() -> None:
            async with anyio.create_task_group() as tasks:
                for i in range(3):
                    tasks.start_soon(one, i)
                    await anyio.sleep(0.05)

        anyio.run(main)
        assert outcomes == [(503, "busy", "2"), 0, 1]
        assert gate.admitted == 0

    def test_serve_flags_reach_the_settings(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        launched: list[ServeOptions] = []
        monkeypatch.setattr(rentcal.web.server, "launch", launched.append)
        result = serve(tmp_path, "--login-hashes", "3", "--login-queue", "0")
        assert result.exit_code == 0, result.output
        assert (launched[0].settings.login_hashes, launched[0].settings.login_queue) == (3, 0)
        assert Settings() == Settings(login_hashes=2, login_queue=32)

    @pytest.mark.parametrize(
        ("field", "value"),
        [("login_hashes", 0), ("login_hashes", True), ("login_queue", -1), ("login_queue", 1.5)],
    )
    def test_bad_settings_refused(self, field: str, value: object) -> None:
        with pytest.raises(InvalidRequest, match=field):
            Settings(**{field: value})  # type: ignore[arg-type]
