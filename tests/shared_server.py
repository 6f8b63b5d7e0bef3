"""A server shared by several tests, started by the first one that uses it (no tests here).

Starting ``rentcal serve`` costs seconds (importing rentcal in each process,
uvicorn's workers, waiting for ``/readyz``), so the server tests that leave no
state behind share one server per module (and protocol or backend), each test
with members, addresses or handles of its own. A module- or class-scoped
fixture would start it *before* the first test takes the heavy lock of
tests/conftest.py (fixtures of a wider scope are set up first), so on two cores
it would compete with another worker's heavy test. :class:`Shared` defers the
start to the first :meth:`Shared.get`, made from a test (or a function-scoped
fixture), under that test's lock; the owning fixture calls :meth:`Shared.close`.

:class:`TwoWorkerServers` is the session's two-worker server per backend, shared
by the modules whose tests need two workers and leave nothing behind.
"""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

import pytest

T = TypeVar("T")


class Shared(Generic[T]):
    """What ``start()`` yields, entered at the first :meth:`get`, exited at :meth:`close`."""

    def __init__(self, start: Callable[[], AbstractContextManager[T]]) -> None:
        self._start = start
        self._stack = ExitStack()
        self._value: T | None = None

    def get(self) -> T:
        if self._value is None:
            self._value = self._stack.enter_context(self._start())
        return self._value

    def started(self) -> T | None:
        """The value, when a test has started it."""
        return self._value

    def close(self) -> None:
        """Stop it (its own checks run here), when a test started it."""
        self._value = None
        self._stack.close()


@dataclass
class TwoWorkers:
    """A running ``rentcal serve --workers 2 --proxy-headers`` and its database."""

    url: str
    db_url: str
    process: subprocess.Popen[bytes]
    log: Path
    terminated: bool = False

    def terminate(self) -> None:
        """Send SIGTERM once (a second one would cut uvicorn's graceful stop short)."""
        if not self.terminated:
            self.terminated = True
            self.process.terminate()

    def check(self) -> None:
        """After a test: still serving (for the next test), no traceback logged."""
        assert self.process.poll() is None, self.log.read_text()
        assert "Traceback" not in self.log.read_text(), self.log.read_text()


#: The password of ``ada`` (an admin) on a :class:`TwoWorkerServers` server.
ADA_PASSWORD = "correct horse battery"


@contextlib.contextmanager
def two_workers(db_url: str, workdir: Path) -> Iterator[TwoWorkers]:
    """The server (its database holds ``ada``, an admin, and machine ``saw``); it
    must stop with 0 and log no traceback."""
    import rentcal
    from tests.test_web_server import PATIENCE, _free_port, start_server, wait_ready

    with rentcal.connect(db_url) as cal:
        cal.add_member("ada", admin=True)
        cal.set_password("ada", ADA_PASSWORD, acting="ada")
        cal.add_machine("saw", daily_price="10", acting="ada")
    port = _free_port()
    log = workdir / "server.log"
    args = ("--port", str(port), "--workers", "2", "--proxy-headers")
    server = TwoWorkers(f"http://127.0.0.1:{port}", db_url, start_server(db_url, log, *args), log)
    try:
        wait_ready(server.url, server.process, log)
        yield server
    finally:
        server.terminate()
        assert server.process.wait(timeout=PATIENCE) == 0, log.read_text()
        assert "Traceback" not in log.read_text(), log.read_text()


class TwoWorkerServers:
    """The session's :class:`TwoWorkers`, one per backend, each started by the first
    test that asks (tests/conftest.py's ``two_worker_servers``).

    Two workers take the longest to start (uvicorn imports the app in each), and
    the modules using them (test_security_login's throttling,
    test_security_credentials_served) only add rows of their own: each test its
    own members, and, where failures are counted, its own client addresses
    (``--proxy-headers``: loopback is a trusted proxy, so a request names its
    client in ``X-Forwarded-For``; without one it is loopback, as before).
    """

    def __init__(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        self.tmp_path_factory = tmp_path_factory
        self.servers: dict[str, Shared[TwoWorkers]] = {}

    def get(self, backend: str, pg_database: str | None = None) -> TwoWorkers:
        """The server on ``backend`` ("sqlite", or "postgresql" in ``pg_database``)."""
        if backend not in self.servers:
            workdir = self.tmp_path_factory.mktemp(f"two-workers-{backend}")
            if backend == "sqlite":
                db_url = f"sqlite:///{workdir}/served.db"
            else:
                from tests.conftest import _pg_schema_url

                assert pg_database is not None
                db_url = _pg_schema_url(pg_database)
            self.servers[backend] = Shared(lambda: two_workers(db_url, workdir))
        return self.servers[backend].get()

    def close(self) -> None:
        """Stop them all, told at once (their graceful stops overlap), each checked."""
        for server in self.servers.values():
            if (started := server.started()) is not None:
                started.terminate()
        with contextlib.ExitStack() as stack:
            for server in self.servers.values():
                stack.callback(server.close)
