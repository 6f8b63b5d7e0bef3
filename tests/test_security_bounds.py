"""Every resource a client can hold is bounded: metric series, connections, streams.

The metric labels come from closed sets, so random methods and paths add no
series. A real ``rentcal serve`` started with ``RLIMIT_NOFILE`` 1024 (as
under systemd) keeps answering ``/healthz`` within a second while 1,100 SSE
streams or 1,100 trickling connections are held against it through raw
sockets; the caps answer the excess with 429 / 503 and a trickling header is
cut off. The connection bounds are checked on both of uvicorn's parsers:
httptools (what ``rentcal serve`` runs when it imports) and h11 (its fallback).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import resource
import select
import socket
import string
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY

import rentcal
from rentcal.web.limits import DESCRIPTOR_RESERVE, StreamSlots, connection_cap, stream_cap
from rentcal.web.server_settings import Settings
from tests.shared_server import Shared
from tests.test_web_server import PATIENCE, _free_port, wait_ready
from tests.web_support import Web

#: The two protocols ``rentcal serve`` may run (see rentcal.web.server.http_protocol).
PROTOCOLS = ["httptools", "h11"]
#: ``python -c`` running ``rentcal`` in a Python where httptools does not import.
WITHOUT_HTTPTOOLS = (
    "import sys; sys.modules['httptools'] = None; sys.argv[0] = 'rentcal'; "
    "from rentcal.cli import main; main()"
)
#: A method only h11 lets through to the app: httptools' parser refuses it (400).
UNKNOWN_METHOD = b"BREW /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
#: The descriptor limit systemd gives a service unless told otherwise.
SYSTEMD_NOFILE = 1024
#: More connections than a worker has descriptors.
CROWD = 1100
HEALTHZ = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"


def _random_word(rng: random.Random, size: int = 8) -> str:
    return "".join(rng.choice(string.ascii_uppercase) for _ in range(size))


def _series(*names: str) -> int:
    """Samples of the named metric families in this process's registry."""
    return sum(len(m.samples) for m in REGISTRY.collect() if m.name in names)


class TestClosedLabels:
    """In process: no request can add a series to the registry."""

    def test_random_methods_and_paths_add_no_series(self, web_sqlite: Web) -> None:
        rng = random.Random(17)
        client = web_sqlite.as_("bob")
        for method, path in [("FOO", "/nope"), ("FOO", "/healthz"), ("GET", "/nope")]:
            client.request(method, path)
        before = _series("http_requests", "http_request_duration_seconds")
        for i in range(200):
            method = _random_word(rng) if i % 2 else "GET"
            client.request(method, f"/{_random_word(rng)}/{i}")
            client.request(_random_word(rng), "/healthz")
        assert _series("http_requests", "http_request_duration_seconds") == before

    def test_labels_outside_the_sets_are_other(self) -> None:
        from rentcal.web import metrics

        assert metrics.method_label("BREW") == "other"
        assert metrics.method_label("PATCH") == "PATCH"
        assert metrics.status_label(299) == "other"
        assert metrics.status_label(429) == "429"


class TestLimitsArithmetic:
    """The defaults follow the descriptor limit; a setting wins."""

    def test_defaults_leave_descriptors_in_reserve(self) -> None:
        assert connection_cap(Settings(), SYSTEMD_NOFILE) == SYSTEMD_NOFILE - DESCRIPTOR_RESERVE
        assert connection_cap(Settings(), 100_000) == 1000
        assert stream_cap(Settings(), SYSTEMD_NOFILE) == (SYSTEMD_NOFILE - DESCRIPTOR_RESERVE) // 2
        assert connection_cap(Settings(max_connections=7), SYSTEMD_NOFILE) == 7
        assert stream_cap(Settings(max_streams=3), SYSTEMD_NOFILE) == 3

    def test_slots_refuse_429_per_member_and_503_in_total(self) -> None:
        from rentcal.web.error_responses import WebError

        slots = StreamSlots(total=3, per_member=2)
        slots.acquire(1)
        slots.acquire(1)
        with pytest.raises(WebError) as member_full:
            slots.acquire(1)
        assert (member_full.value.status, member_full.value.headers) == (429, {"Retry-After": "5"})
        slots.acquire(2)
        with pytest.raises(WebError) as worker_full:
            slots.acquire(3)
        assert worker_full.value.status == 503
        slots.release(1)
        slots.acquire(3)
        assert slots.open == Counter({1: 1, 2: 1, 3: 1})

    @pytest.mark.parametrize(
        ("field", "value"),
        [("max_connections", 0), ("max_streams_per_member", 1.5), ("header_timeout", -1)],
    )
    def test_bad_limits_name_the_setting(self, field: str, value: object) -> None:
        with pytest.raises(rentcal.InvalidRequest, match=field):
            Settings(**{field: value})  # type: ignore[arg-type]


class TestProtocolChoice:
    """``rentcal serve`` runs the httptools protocol when httptools imports, else the h11 one."""

    def test_httptools_when_it_imports(self) -> None:
        from rentcal.web.server import HTTPTOOLS_PROTOCOL, http_protocol

        assert http_protocol() == HTTPTOOLS_PROTOCOL

    def test_h11_when_httptools_does_not_import(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from rentcal.web.server import H11_PROTOCOL, http_protocol

        monkeypatch.setitem(sys.modules, "httptools", None)
        assert http_protocol() == H11_PROTOCOL

    @pytest.mark.parametrize("name", ["HTTPTOOLS_PROTOCOL", "H11_PROTOCOL"])
    def test_each_names_a_bounded_protocol(self, name: str) -> None:
        import importlib

        from rentcal.web import server
        from rentcal.web.bounded_protocol import ConnectionBounds

        module, _, cls = getattr(server, name).partition(":")
        assert issubclass(getattr(importlib.import_module(module), cls), ConnectionBounds)


class FakeTransport(asyncio.Transport):
    """What a protocol writes, and whether it closed."""

    def __init__(self) -> None:
        super().__init__()
        self.written = bytearray()
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += data

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return default

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


async def _answer(scope: Any, receive: Any, send: Any) -> None:
    """A tiny ASGI app: reads the body, answers 200 "ok"."""
    while (await receive()).get("more_body"):
        pass
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]}
    )
    await send({"type": "http.response.body", "body": b"ok"})


def _bounded(protocol: str) -> type[Any]:
    if protocol == "h11":
        from rentcal.web.bounded_protocol import BoundedH11Protocol

        return BoundedH11Protocol
    from rentcal.web.bounded_httptools import BoundedHttpToolsProtocol

    return BoundedHttpToolsProtocol


def fed(protocol: str, *chunks: bytes) -> tuple[bytes, bool]:
    """What the bounded ``protocol`` wrote, and whether it closed, after reading ``chunks``."""
    from uvicorn.config import Config
    from uvicorn.server import ServerState

    async def run() -> tuple[bytes, bool]:
        config = Config(_answer, http=_bounded(protocol), lifespan="off", log_level="error")
        config.load()
        connection = _bounded(protocol)(config, ServerState(), {}, asyncio.get_running_loop())
        transport = FakeTransport()
        connection.connection_made(transport)
        for chunk in chunks:
            if transport.closed:
                break
            connection.data_received(chunk)
            for _ in range(20):  # let the app answer (no clock involved)
                await asyncio.sleep(0)
        closed = transport.closed  # before connection_lost, which closes it too
        connection.connection_lost(None)
        return bytes(transport.written), closed

    return asyncio.run(run())


def request(header_bytes: int = 0, body: bytes = b"", end: bool = True) -> bytes:
    """A POST: ``header_bytes`` in a header, ``body``; cut after that header if not ``end``."""
    head = b"POST / HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * header_bytes
    rest = f"\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body
    return head + rest if end else head


@pytest.mark.parametrize("protocol", PROTOCOLS)
class TestHeaderSize:
    """A header past 16 KiB (h11's bound) gets 400 on both protocols; a body never counts."""

    def test_a_header_of_15_kib_is_answered(self, protocol: str) -> None:
        written, closed = fed(protocol, request(15 * 1024))
        assert written.startswith(b"HTTP/1.1 200") and not closed

    def test_a_header_past_16_kib_in_one_read_gets_400(self, protocol: str) -> None:
        written, closed = fed(protocol, request(20 * 1024, end=False))
        assert written.startswith(b"HTTP/1.1 400") and closed

    def test_a_header_trickled_past_16_kib_gets_400(self, protocol: str) -> None:
        written, closed = fed(protocol, request(end=False), *[b"a" * 1024] * 20)
        assert written.startswith(b"HTTP/1.1 400") and closed

    def test_a_body_and_the_next_header_in_one_read_are_not_a_header(self, protocol: str) -> None:
        first = request(body=b"b" * 40 * 1024)
        second = request(1024)
        written, closed = fed(protocol, first + second[:200], second[200:])
        assert written.count(b"HTTP/1.1 200") == 2 and b"HTTP/1.1 400" not in written
        assert not closed


# --- a real server ----------------------------------------------------------------------


def _systemd_nofile() -> None:
    """In the server's child process: the descriptor limit a systemd service gets."""
    resource.setrlimit(resource.RLIMIT_NOFILE, (SYSTEMD_NOFILE, SYSTEMD_NOFILE))


class Served:
    """A ``rentcal serve --workers 1`` with a 1,024-descriptor limit, and members' tokens.

    ``protocol`` "h11" runs it where httptools does not import (its fallback).
    """

    def __init__(self, workdir: Path, protocol: str, *args: str) -> None:
        self.db_url = f"sqlite:///{workdir}/bounds.db"
        with rentcal.connect(self.db_url) as cal:
            cal.add_member("ada", admin=True)
        self.tokens: dict[str, str] = {}
        self.terminated = False
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = workdir / "server.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("RENTCAL_", "PROMETHEUS_"))}
        run = ["-c", WITHOUT_HTTPTOOLS] if protocol == "h11" else ["-m", "rentcal"]
        command = [sys.executable, *run, "--db", self.db_url, "serve"]
        with self.log.open("ab") as sink:
            self.process = subprocess.Popen(
                [*command, "--port", str(self.port), *args],
                env=env,
                stdout=sink,
                stderr=subprocess.STDOUT,
                preexec_fn=_systemd_nofile,
            )
        wait_ready(self.url, self.process, self.log)
        with self.connect() as sock:  # the protocol is the one asked for
            sock.sendall(UNKNOWN_METHOD)
            assert (status_of(sock) == 400) == (protocol == "httptools")

    def token(self, handle: str) -> str:
        """The API token of verified member ``handle``, added on first use: a test
        on a shared server names members of its own, so no stream slot it held
        is still counted against the next test's."""
        if handle not in self.tokens:
            with rentcal.connect(self.db_url) as cal:
                cal.add_member(handle, verified=True, acting="ada")
                self.tokens[handle] = cal.create_token(handle)[1]
        return self.tokens[handle]

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=PATIENCE)

    def stream(self, handle: str) -> socket.socket:
        """A connection that asked for ``/api/changes`` as ``handle``."""
        token = self.token(handle)
        sock = self.connect()
        sock.sendall(
            b"GET /api/changes HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            + f"Authorization: Bearer {token}\r\n\r\n".encode()
        )
        return sock

    def terminate(self) -> None:
        """Send SIGTERM once (a second one would cut uvicorn's graceful stop short)."""
        if not self.terminated:
            self.terminated = True
            self.process.terminate()

    def stop(self) -> str:
        self.terminate()
        self.process.wait(timeout=PATIENCE)
        return self.log.read_text()


@contextlib.contextmanager
def serving(tmp_path: Path, *args: str, protocol: str = "httptools") -> Iterator[Served]:
    """A server for one test (or, through :class:`SharedServers`, for several); it
    must stop cleanly and log no traceback."""
    server = Served(tmp_path, protocol, *args)
    try:
        yield server
    finally:
        log = server.stop()
        assert server.process.returncode == 0, log
        assert "Traceback" not in log, log


#: The server most tests share, per protocol: the default limits, ``/metrics`` on
#: (it only serves the page: requests are counted either way).
DEFAULTS = ("--metrics",)
#: The server the header-timeout tests share, per protocol: a trickling header is
#: cut off after 1 s instead of the default 10 (``--header-timeout``, a setting of
#: ``rentcal serve``). Not the tests' default: 1,100 trickling connections must
#: still be held, not timed out, while ``/healthz`` is measured.
QUICK_HEADER_TIMEOUT = ("--header-timeout", "1")


class SharedServers:
    """This module's shared servers, one per protocol and flags, each started by the
    first test that asks (under its heavy lock: tests/shared_server.py)."""

    def __init__(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        self.tmp_path_factory = tmp_path_factory
        self.servers: dict[tuple[str, ...], Shared[Served]] = {}

    def get(self, protocol: str, *args: str) -> Served:
        key = (protocol, *args)
        if key not in self.servers:
            workdir = self.tmp_path_factory.mktemp(f"shared-{protocol}")
            self.servers[key] = Shared(lambda: serving(workdir, *args, protocol=protocol))
        return self.servers[key].get()

    def close(self) -> None:
        """Stop every one, each checked (all stopped even when one fails its checks);
        all are told at once, so their graceful stops overlap."""
        for server in self.servers.values():
            if (started := server.started()) is not None:
                started.terminate()
        with contextlib.ExitStack() as stack:
            for server in self.servers.values():
                stack.callback(server.close)


@pytest.fixture(scope="module")
def shared_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedServers]:
    servers = SharedServers(tmp_path_factory)
    yield servers
    servers.close()


@pytest.fixture
def shared(shared_servers: SharedServers) -> Iterator[Callable[..., Served]]:
    """``shared(protocol, *flags)``: the shared server; after the test, it must still
    run (for the next test) and have logged no traceback (this test's, if any)."""
    used: list[Served] = []

    def get(protocol: str, *args: str) -> Served:
        used.append(shared_servers.get(protocol, *args))
        return used[-1]

    yield get
    for server in used:
        log = server.log.read_text()
        assert server.process.poll() is None, log
        assert "Traceback" not in log, log


def head_of(sock: socket.socket) -> bytes:
    """The status line and headers the server sent on ``sock`` (b"" when it just closed)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            return data
        data += chunk
    return data.split(b"\r\n\r\n", 1)[0]


def status_of(sock: socket.socket) -> int:
    head = head_of(sock)
    return int(head.split(b" ", 2)[1]) if head else 0


def statuses_of(sock: socket.socket, count: int) -> list[int]:
    """The statuses of the next ``count`` responses on a kept-alive ``sock`` (0: closed)."""
    data, statuses = b"", []
    while len(statuses) < count:
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                return [*statuses, 0]
            data += chunk
        head, data = data.split(b"\r\n\r\n", 1)
        length = next(
            int(line.split(b":", 1)[1])
            for line in head.lower().split(b"\r\n")
            if line.startswith(b"content-length:")
        )
        while len(data) < length:
            data += sock.recv(65536)
        data = data[length:]
        statuses.append(int(head.split(b" ", 2)[1]))
    return statuses


def healthz_seconds(server: Served) -> float:
    """Seconds ``GET /healthz`` took on a fresh connection, checked to be 200."""
    started = time.monotonic()
    with server.connect() as sock:
        sock.sendall(HEALTHZ)
        assert status_of(sock) == 200
    return time.monotonic() - started


def trickled_until_closed(sock: socket.socket) -> bool:
    """Send a byte every 0.2 s (never idle) until the server closes; False after PATIENCE."""
    sock.settimeout(0.2)
    for _ in range(int(PATIENCE / 0.2)):
        try:
            sock.sendall(b"a")
            if sock.recv(1) == b"":
                return True
        except TimeoutError:
            continue
        except OSError:
            return True
    return False


def close_all(socks: list[socket.socket]) -> None:
    for sock in socks:
        sock.close()


@pytest.mark.slow
class TestRealServer:
    """Through raw sockets into ``rentcal serve`` under a 1,024-descriptor limit.

    The tests that leave nothing behind share a server per protocol (``shared``:
    :data:`DEFAULTS`, or :data:`QUICK_HEADER_TIMEOUT` for the header-timeout tests),
    each with members of its own and closing what it opened; a test that fills a
    small cap starts its own (``serving``), so no slot it held is another test's.
    """

    @pytest.mark.parametrize("protocol", PROTOCOLS)
    def test_random_methods_add_no_series_to_metrics(
        self, shared: Callable[..., Served], protocol: str
    ) -> None:
        rng = random.Random(5)
        # h11 hands any method to the app (404 / 405); httptools' parser refuses it (400).
        expected = {400} if protocol == "httptools" else {404, 405}

        def send(method: str, path: str) -> int:
            with server.connect() as sock:
                request = (
                    f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                )
                sock.sendall(request.encode())
                return status_of(sock)

        def series() -> int:
            with server.connect() as sock:
                sock.sendall(
                    b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                )
                text = b"".join(iter(lambda: sock.recv(65536), b"")).decode()
            return sum(line.startswith("http_requests_total{") for line in text.splitlines())

        server = shared(protocol, *DEFAULTS)
        send("BREW", "/coffee")
        send("BREW", "/healthz")
        series()
        before = series()
        for i in range(100):
            assert send(_random_word(rng), f"/{_random_word(rng)}/{i}") in expected
            send(_random_word(rng), "/healthz")
        assert series() == before

    def test_1100_streams_of_one_member_get_429_and_healthz_answers(
        self, shared: Callable[..., Served]
    ) -> None:
        server = shared("httptools", *DEFAULTS)
        socks = [server.stream("crowd") for _ in range(CROWD)]
        try:
            statuses = Counter(status_of(sock) for sock in socks)
            assert statuses[200] == 8  # the member's cap
            assert statuses[429] > 0 and set(statuses) <= {200, 429, 503}, statuses
            assert max(healthz_seconds(server) for _ in range(5)) < 1.0
        finally:
            close_all(socks)

    @pytest.mark.parametrize("protocol", PROTOCOLS)
    def test_1100_trickling_headers_and_healthz_answers(
        self, shared: Callable[..., Served], protocol: str
    ) -> None:
        """On the default header timeout (10 s): the crowd is held, not timed out,
        while ``/healthz`` is measured; past the connection cap the worker makes room."""
        server = shared(protocol, *DEFAULTS)
        socks: list[socket.socket] = []
        try:
            for _ in range(CROWD):
                sock = server.connect()
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a")
                socks.append(sock)
            assert max(healthz_seconds(server) for _ in range(5)) < 1.0
            for sock in socks[-100:]:
                with contextlib.suppress(OSError):
                    sock.sendall(b"a")
            assert max(healthz_seconds(server) for _ in range(5)) < 1.0
        finally:
            close_all(socks)

    @pytest.mark.parametrize("protocol", PROTOCOLS)
    def test_a_trickling_header_is_cut_off(
        self, shared: Callable[..., Served], protocol: str
    ) -> None:
        with shared(protocol, *QUICK_HEADER_TIMEOUT).connect() as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            assert trickled_until_closed(sock)

    @pytest.mark.parametrize("protocol", PROTOCOLS)
    def test_a_trickling_header_after_a_response_is_cut_off(
        self, shared: Callable[..., Served], protocol: str
    ) -> None:
        """Kept alive after a first answer, the next header is on the same clock."""
        with shared(protocol, *QUICK_HEADER_TIMEOUT).connect() as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            head = head_of(sock)
            assert head.startswith(b"HTTP/1.1 200") and b"connection: close" not in head.lower()
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            assert trickled_until_closed(sock)

    @pytest.mark.parametrize("protocol", PROTOCOLS)
    def test_an_oversized_header_gets_400(
        self, shared: Callable[..., Served], protocol: str
    ) -> None:
        """h11 bounds a header's size; the httptools protocol keeps the same bound."""
        with shared(protocol, *DEFAULTS).connect() as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ")
            with contextlib.suppress(OSError):  # the server may close while we still send
                for _ in range(64):
                    sock.sendall(b"a" * 1024)
            assert status_of(sock) == 400

    def test_streams_over_the_member_and_worker_caps(self, tmp_path: Path) -> None:
        args = ("--max-streams", "3", "--max-streams-per-member", "2")
        with serving(tmp_path, *args) as server:
            held = [server.stream("m1"), server.stream("m1")]
            try:
                assert [status_of(sock) for sock in held] == [200, 200]
                with server.stream("m1") as third:
                    head = head_of(third)
                assert head.startswith(b"HTTP/1.1 429") and b"retry-after: 5" in head.lower()
                held.append(server.stream("m2"))
                assert status_of(held[-1]) == 200
                with server.stream("m3") as fourth:
                    head = head_of(fourth)
                assert head.startswith(b"HTTP/1.1 503") and b"retry-after: 5" in head.lower()
                held.pop(0).close()  # its slot comes back once the server sees it gone
                for _ in range(int(PATIENCE / 0.1)):
                    again = server.stream("m3")
                    if status_of(again) == 200:
                        held.append(again)
                        break
                    again.close()
                    time.sleep(0.1)
                else:
                    pytest.fail("a closed stream's slot never came back")
            finally:
                close_all(held)

    @pytest.mark.parametrize("protocol", PROTOCOLS)
    def test_a_large_body_is_not_taken_for_a_header(
        self, shared: Callable[..., Served], protocol: str
    ) -> None:
        """A 40 KiB body, and the next request sent with it, are answered like a small one."""
        day = date.today() + timedelta(days=7)  # within the server's horizon
        server = shared(protocol, *DEFAULTS)
        token = server.token("poster")
        with server.connect() as sock:

            def check(padding: int) -> bytes:
                body = f'{{"machine": "nope", "start": "{day}", "end": "{day}"'.encode()
                body += b" " * padding + b"}"
                return (
                    b"POST /api/check-availability HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + f"Authorization: Bearer {token}\r\n".encode()
                    + b"Content-Type: application/json\r\n"
                    + f"Content-Length: {len(body)}\r\n\r\n".encode()
                    + body
                )

            sock.sendall(check(40 * 1024) + check(0))  # pipelined: one write
            first, second = statuses_of(sock, 2)
            assert first == second and first not in {0, 400}, (first, second)
            sock.sendall(check(0)[:60])  # the next header, after the body, still counts from 0
            sock.sendall(check(0)[60:])
            assert statuses_of(sock, 1) == [first]

    @pytest.mark.parametrize("protocol", PROTOCOLS)
    def test_connections_over_the_cap(self, tmp_path: Path, protocol: str) -> None:
        args = ("--max-connections", "3", "--max-streams", "3")
        with serving(tmp_path, *args, protocol=protocol) as server:
            idle = [server.connect() for _ in range(3)]
            try:
                for sock in idle:
                    sock.sendall(b"GET /healthz HTTP/1.1\r\n")  # and no more: idle
                # Past the 1 s a silent newcomer is spared: on a loaded host the worker
                # may not have read those bytes yet, and the idle ones must be closable.
                time.sleep(1.5)
                assert healthz_seconds(server) < 1.0  # an idle connection made room
                readable, _, _ = select.select(idle, [], [], PATIENCE)
                assert readable and all(sock.recv(1) == b"" for sock in readable)
            finally:
                close_all(idle)
            streams = [server.stream(h) for h in ("m1", "m2", "m3")]
            try:
                assert [status_of(sock) for sock in streams] == [200, 200, 200]
                with server.connect() as extra:
                    head = head_of(extra)
                assert head.startswith(b"HTTP/1.1 503") and b"retry-after: 5" in head.lower()
            finally:
                close_all(streams)
