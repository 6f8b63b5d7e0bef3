"""Leaks and origins: what an error shows, what the log keeps, which Host is served, Secure.

In-process first (Starlette's TestClient), then against a real ``rentcal
serve`` process, where the Host header, the raw request path and uvicorn's
proxy headers are exactly what a client sends.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import httpx2
import pytest
from typer.testing import CliRunner

import rentcal
import rentcal.web.server
from rentcal.cli.app import app as cli_app
from rentcal.web import Settings
from rentcal.web.hosts import host_allowed, host_name
from rentcal.web.middleware import loggable_path
from rentcal.web.server import ServeOptions
from rentcal.web.server_settings import serve_hosts
from tests.cli_support import ENV
from tests.test_web_server import PATIENCE, _free_port, start_server, wait_ready
from tests.web_support import PASSWORD, Web, error_of

#: 43 URL-safe characters, the shape of a feed secret.
SECRET = "Zq3x" * 10 + "abc"
#: A database URL whose password must never be shown or logged.
DB_DETAIL = "database error (postgresql://rentcal:hunter2@db.internal:5432/rentcal): refused"
PUBLIC = "https://rentcal.example.org"


@pytest.fixture
def cal_bob(seeded: rentcal.Rentcal) -> rentcal.Rentcal:
    seeded.set_password("bob", PASSWORD, acting="ada")
    return seeded


def _guarded(cal: rentcal.Rentcal, **settings: Any) -> Web:
    """An app serving only the hosts ``rentcal serve --base-url PUBLIC`` would."""
    hosts = serve_hosts([], PUBLIC)
    return Web(cal, Settings(base_url=PUBLIC, allowed_hosts=hosts, **settings))


class TestHostAllowList:
    """A foreign Host is refused before any route or the CSRF check sees it."""

    def test_a_foreign_host_gets_400_on_metrics(self, cal_bob: rentcal.Rentcal) -> None:
        web = _guarded(cal_bob, metrics=True)
        answer = web.anonymous(base_url="http://evil.example").get("/metrics")
        assert answer.status_code == 400
        body = error_of(answer)
        assert body["code"] == "bad_host"
        assert "'evil.example'" in body["error"]

    def test_a_foreign_origin_equal_to_host_cannot_log_in(self, cal_bob: rentcal.Rentcal) -> None:
        """DNS rebinding: Origin == Host == the attacker's name passes the CSRF check."""
        client = _guarded(cal_bob).anonymous(base_url="http://evil.example")
        answer = client.post(
            "/login",
            data={"handle": "bob", "password": PASSWORD},
            headers={"Origin": "http://evil.example", "Accept": "application/json"},
        )
        assert answer.status_code == 400
        assert error_of(answer)["code"] == "bad_host"
        assert "set-cookie" not in answer.headers

    @pytest.mark.parametrize(
        "base", ["https://rentcal.example.org", "http://localhost:8000", "http://127.0.0.1:9"]
    )
    def test_the_base_url_host_and_loopback_are_served(
        self, cal_bob: rentcal.Rentcal, base: str
    ) -> None:
        answer = _guarded(cal_bob).anonymous(base_url=base).get("/login")
        assert answer.status_code == 200

    @pytest.mark.parametrize("path", ["/healthz", "/readyz"])
    def test_probes_answer_any_host(self, cal_bob: rentcal.Rentcal, path: str) -> None:
        answer = _guarded(cal_bob).anonymous(base_url="http://10.1.2.3:8000").get(path)
        assert answer.status_code == 200

    def test_star_allows_any_host(self, cal_bob: rentcal.Rentcal) -> None:
        web = Web(cal_bob, Settings(allowed_hosts=serve_hosts(["*"], PUBLIC)))
        assert web.anonymous(base_url="http://evil.example").get("/login").status_code == 200

    @pytest.mark.parametrize(
        ("header", "allowed"),
        [
            ("rentcal.example.org", True),
            ("RENTCAL.example.org:443", True),
            ("rentcal.example.org.", True),
            ("a.lan.example", True),
            ("lan.example", False),
            ("evillan.example", False),
            ("[::1]:8000", True),
            ("rentcal.example.org@evil", False),
            ("", False),
        ],
    )
    def test_matching(self, header: str, allowed: bool) -> None:
        hosts = serve_hosts(["rentcal.example.org, *.lan.example", "::1"], None)
        name = host_name(header)
        assert (name is not None and host_allowed(name, hosts)) is allowed


class TestServeOption:
    """``rentcal serve --allowed-host``, its variable and its default."""

    @pytest.fixture
    def launched(self, monkeypatch: pytest.MonkeyPatch) -> list[ServeOptions]:
        found: list[ServeOptions] = []
        monkeypatch.setattr(rentcal.web.server, "launch", found.append)
        return found

    def serve(self, db: Path, *args: str, env: dict[str, str | None] | None = None) -> Any:
        if not db.exists():
            with rentcal.connect(f"sqlite:///{db}") as cal:
                cal.init("ada")
        argv = ["--db", str(db), "serve", *args]
        return CliRunner().invoke(cli_app, argv, env={**ENV, **(env or {})})

    def test_default_is_the_base_url_host_and_loopback(
        self, tmp_path: Path, launched: list[ServeOptions]
    ) -> None:
        result = self.serve(tmp_path / "a.db", "--base-url", "https://Rentcal.Example.org/x")
        assert result.exit_code == 0, result.output
        hosts = launched.pop().settings.allowed_hosts
        assert hosts == ("rentcal.example.org", "localhost", "127.0.0.1", "[::1]")

    def test_option_wins_over_the_variable(
        self, tmp_path: Path, launched: list[ServeOptions]
    ) -> None:
        env = {"RENTCAL_ALLOWED_HOSTS": "e.lan, f.lan"}
        assert self.serve(tmp_path / "a.db", env=env).exit_code == 0
        assert launched.pop().settings.allowed_hosts == ("e.lan", "f.lan")
        args = ("--allowed-host", "o.lan", "--allowed-host", "*")
        assert self.serve(tmp_path / "a.db", *args, env=env).exit_code == 0
        assert launched.pop().settings.allowed_hosts == ("o.lan", "*")

    @pytest.mark.parametrize("bad", ["https://x.org", "x.org:8000", "x.org/path", "a*.org"])
    def test_a_bad_name_is_exit_2(
        self, tmp_path: Path, launched: list[ServeOptions], bad: str
    ) -> None:
        result = self.serve(tmp_path / "a.db", "--allowed-host", bad)
        assert result.exit_code == 2, result.output
        assert f"allowed host {bad!r} is not a host name" in result.stderr
        assert "Traceback" not in result.output
        assert not launched


class TestWhatAnErrorShows:
    """A 503 tells that the database is unavailable; the log says which and why."""

    def test_readyz_hides_the_database(
        self,
        cal_bob: rentcal.Rentcal,
        monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        def gone() -> None:
            raise rentcal.DatabaseError(DB_DETAIL)

        web = Web(cal_bob)
        monkeypatch.setattr(cal_bob, "revision", gone)
        with caplog.at_level(logging.INFO, logger="rentcal.web"):
            answer = web.anonymous().get("/readyz", headers={"X-Request-ID": "req-7"})
        assert answer.status_code == 503
        body = answer.json()
        assert body["status"] == "unavailable" and body["request_id"] == "req-7"
        assert "the database is unavailable" in body["error"]
        for detail in ("db.internal", "hunter2", "postgresql", "refused"):
            assert detail not in answer.text
        assert "req-7" in caplog.text and "db.internal" in caplog.text
        assert "refused" in caplog.text and "hunter2" not in caplog.text

    @pytest.mark.parametrize("error", [rentcal.DatabaseError, rentcal.Busy])
    def test_an_api_503_hides_the_database(
        self,
        cal_bob: rentcal.Rentcal,
        monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture,
        error: type[Exception],
    ) -> None:
        def fail(*_args: Any, **_kwargs: Any) -> None:
            raise error(DB_DETAIL)

        web = Web(cal_bob)
        monkeypatch.setattr(cal_bob, "check", fail)
        query = {"machine": "saw", "start": "2030-02-01", "end": "2030-02-02"}
        with caplog.at_level(logging.INFO, logger="rentcal.web"):
            answer = web.as_("bob").post("/api/check-availability", json=query)
        assert answer.status_code == 503
        body = error_of(answer)
        assert body["request_id"] in body["error"]
        assert "db.internal" not in answer.text and "hunter2" not in answer.text
        assert "db.internal" in caplog.text and "hunter2" not in caplog.text


class TestLogRedaction:
    """Feed secrets never reach the request log, whatever the path's spelling."""

    @pytest.mark.parametrize(
        "path",
        [
            f"//feeds/{SECRET}.ics",
            f"/./feeds/{SECRET}.ics",
            f"/static/../feeds/{SECRET}.json",
            f"/FEEDS/{SECRET}.ics",
            f"/feeds//{SECRET}.ics",
            f"/nothing/{SECRET}",
            f"/{'x/' * 90}{SECRET}",  # cut at 200 characters, after the redaction
        ],
    )
    def test_loggable_path(self, path: str) -> None:
        shown = loggable_path({"path": path})
        assert SECRET[:20] not in shown
        assert "[redacted]" in shown

    def test_an_ordinary_unknown_path_is_logged_as_is(self) -> None:
        assert loggable_path({"path": "/api/nothing-here"}) == "/api/nothing-here"

    def test_through_the_app(
        self, cal_bob: rentcal.Rentcal, caplog: pytest.LogCaptureFixture
    ) -> None:
        client = Web(cal_bob).anonymous()
        with caplog.at_level(logging.INFO, logger="rentcal.web"):
            for path in (f"//feeds/{SECRET}.ics", f"/FEEDS/{SECRET}.ics"):
                assert client.get(f"http://testserver{path}").status_code == 404
        assert "[redacted]" in caplog.text and SECRET not in caplog.text


class TestSecureCookies:
    """Secure follows the scheme of each request, not only the base URL."""

    @pytest.mark.parametrize(("scheme", "secure"), [("https", True), ("http", False)])
    def test_login_cookies_follow_the_request_scheme(
        self, cal_bob: rentcal.Rentcal, scheme: str, secure: bool
    ) -> None:
        client = Web(cal_bob).anonymous(base_url=f"{scheme}://testserver")
        answer = client.post(
            "/login",
            json={"handle": "bob", "password": PASSWORD},
            headers={"Origin": f"{scheme}://testserver"},
        )
        assert answer.status_code == 200, answer.text
        cookies = _cookies(answer)
        assert set(cookies) == {"rentcal_session", "csrftoken"}
        for name, cookie in cookies.items():
            assert bool(cookie[name]["secure"]) is secure, name


def _cookies(answer: Any) -> dict[str, SimpleCookie]:
    found: dict[str, SimpleCookie] = {}
    for header in answer.headers.get_list("set-cookie"):
        cookie: SimpleCookie = SimpleCookie()
        cookie.load(header)
        for name in cookie:
            found[name] = cookie
    return found


# --- a real ``rentcal serve`` -------------------------------------------------------------


@dataclass
class Served:
    """A ``rentcal serve --proxy-headers --metrics`` without ``--base-url``."""

    port: int
    db: Path
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def raw(self, request_line: str, host: str | None = None) -> str:
        """Send one request exactly as written (path unnormalised); the answer's text."""
        host = host or f"127.0.0.1:{self.port}"
        data = f"{request_line}\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()
        with socket.create_connection(("127.0.0.1", self.port), timeout=PATIENCE) as sock:
            sock.sendall(data)
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode("utf-8", "replace")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    workdir = tmp_path_factory.mktemp("leaks")
    db = workdir / "leaks.db"
    with rentcal.connect(f"sqlite:///{db}") as cal:
        cal.add_member("ada", admin=True)
        cal.add_member("bob", verified=True, acting="ada")
        cal.set_password("bob", PASSWORD, acting="ada")
    server = Served(_free_port(), db, workdir / "server.log")
    process = start_server(
        f"sqlite:///{db}", server.log, "--port", str(server.port), "--proxy-headers", "--metrics"
    )
    try:
        wait_ready(server.url, process, server.log)
        yield server
    finally:
        process.terminate()
        process.wait(timeout=PATIENCE)


@pytest.mark.slow
class TestRealServer:
    """The same points through real sockets (in this order: the last one breaks the database)."""

    def test_1_a_foreign_host_gets_400(self, served: Served) -> None:
        refused = served.raw("GET /metrics HTTP/1.1", host="evil.example")
        assert refused.startswith("HTTP/1.1 400"), refused
        assert "bad_host" in refused
        served_ok = served.raw("GET /metrics HTTP/1.1", host=f"localhost:{served.port}")
        assert served_ok.startswith("HTTP/1.1 200"), served_ok

    def test_2_feed_secrets_never_reach_the_log(self, served: Served) -> None:
        for path in (f"//feeds/{SECRET}.ics", f"/./feeds/{SECRET}.ics", f"/a/../feeds/{SECRET}"):
            answer = served.raw(f"GET {path} HTTP/1.1")
            assert answer.startswith("HTTP/1.1 "), answer
        log = ""
        for _ in range(100):  # request lines are written in batches (rentcal.web.request_log)
            log = served.log.read_text()
            if "[redacted]" in log:
                break
            time.sleep(0.05)
        assert "[redacted]" in log
        assert SECRET not in log and SECRET[:20] not in log

    def test_3_cookies_are_secure_behind_a_tls_proxy(self, served: Served) -> None:
        answer = httpx2.post(
            served.url + "/login",
            json={"handle": "bob", "password": PASSWORD},
            headers={"Origin": served.url, "X-Forwarded-Proto": "https"},
            timeout=PATIENCE,
        )
        assert answer.status_code == 200, answer.text
        cookies = _cookies(answer)
        assert cookies and all(cookie[name]["secure"] for name, cookie in cookies.items())

    def test_4_readyz_hides_a_broken_database(self, served: Served) -> None:
        for suffix in ("", "-wal", "-shm"):  # zeroed in place: the server's open files too
            path = Path(f"{served.db}{suffix}")
            if path.exists():
                path.write_bytes(b"\0" * max(path.stat().st_size, 8192))
        answer = httpx2.get(served.url + "/readyz", timeout=PATIENCE)
        assert answer.status_code == 503
        body = answer.json()
        assert body["error"].startswith("the database is unavailable")
        assert body["request_id"] in body["error"]
        assert str(served.db) not in answer.text and "sqlite" not in answer.text
        assert os.fspath(served.db) in served.log.read_text()
