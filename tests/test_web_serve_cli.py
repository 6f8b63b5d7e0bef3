"""``rentcal serve``'s options and settings, and the one revision reader per process.

The server itself is tested for real in tests/test_web_server.py; here
``launch`` is replaced, so the options are checked without a socket.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import rentcal.web.server
from rentcal.cli.app import app
from rentcal.errors import InvalidRequest
from rentcal.web.changes import RevisionWatcher, sse
from rentcal.web.server import ServeOptions
from rentcal.web.server_settings import SETTINGS_ENV, Settings


@pytest.fixture
def launched(monkeypatch: pytest.MonkeyPatch) -> list[ServeOptions]:
    found: list[ServeOptions] = []
    monkeypatch.setattr(rentcal.web.server, "launch", found.append)
    return found


def serve(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    """``rentcal serve`` on a database made first (serve, like every command but
    init and demo, never creates one)."""
    rentcal.connect(f"sqlite:///{tmp_path / 'serve.db'}").close()
    return CliRunner().invoke(
        app,
        ["--db", str(tmp_path / "serve.db"), "serve", *args],
        env={"RENTCAL_BASE_URL": None, **(env or {})},  # type: ignore[dict-item]
    )


class TestServeOptions:
    """What `rentcal serve` hands to uvicorn."""

    def test_defaults(self, tmp_path: Path, launched: list[ServeOptions]) -> None:
        result = serve(tmp_path)
        assert result.exit_code == 0, result.output
        (options,) = launched
        assert (options.host, options.port, options.workers) == ("127.0.0.1", 8000, 1)
        assert options.proxy_headers is False
        assert options.settings.metrics is False
        assert options.settings.database_url == str(tmp_path / "serve.db")
        assert (tmp_path / "serve.db").is_file()  # the schema exists before any worker

    def test_everything(self, tmp_path: Path, launched: list[ServeOptions]) -> None:
        result = serve(
            tmp_path,
            *("--host", "0.0.0.0", "--port", "8080", "--workers", "3"),
            *("--base-url", "https://rentcal.example.org/", "--root-path", "/rentcal"),
            *("--proxy-headers", "--metrics", "--slow-ms", "250", "--session-days", "2"),
        )
        assert result.exit_code == 0, result.output
        (options,) = launched
        assert options.workers == 3 and options.root_path == "/rentcal"
        assert options.settings.base_url == "https://rentcal.example.org"
        assert options.settings.secure
        assert options.settings.slow_request_ms == 250
        assert options.settings.session_idle_days == 2

    def test_base_url_from_the_environment(
        self, tmp_path: Path, launched: list[ServeOptions]
    ) -> None:
        result = serve(tmp_path, env={"RENTCAL_BASE_URL": "http://lan.example:8000"})
        assert result.exit_code == 0, result.output
        assert launched[0].settings.base_url == "http://lan.example:8000"

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (("--base-url", "ftp://example.org"), "base URL"),
            (("--base-url", "https://example.org/?x=1"), "query"),
            (("--base-url", "https://user@example.org"), "user"),
            (("--base-url", "http://[::1"), "base URL"),  # a ValueError before, not exit 2
            (("--root-path", "rentcal"), "--root-path"),
            (("--root-path", "/rentcal/"), "--root-path"),
            (("--workers", "0"), "--workers"),
            (("--port", "70000"), "--port"),
        ],
    )
    def test_bad_options_are_exit_2(
        self, tmp_path: Path, launched: list[ServeOptions], args: tuple[str, ...], message: str
    ) -> None:
        result = serve(tmp_path, *args)
        assert result.exit_code == 2
        assert message in result.output
        assert launched == []

    def test_an_unusable_database_is_exit_4(
        self, tmp_path: Path, launched: list[ServeOptions]
    ) -> None:
        (tmp_path / "dir.db").mkdir()
        result = CliRunner().invoke(app, ["--db", str(tmp_path / "dir.db"), "serve"])
        assert result.exit_code == 4
        assert launched == []


class TestSettings:
    """Settings travel to the workers as JSON in one environment variable."""

    def test_round_trip(self) -> None:
        settings = Settings(base_url="https://x.example", metrics=True, database_url="db.sqlite")
        assert Settings.from_env({SETTINGS_ENV: settings.to_env()}) == settings

    def test_defaults_and_base_url_env(self) -> None:
        assert Settings.from_env({}) == Settings()
        found = Settings.from_env({"RENTCAL_BASE_URL": "https://y.example/"})
        assert found.base_url == "https://y.example"
        assert found.origin == "https://y.example"

    def test_unknown_keys_are_ignored(self) -> None:
        raw = json.dumps({"metrics": True, "from_a_newer_rentcal": 1})
        assert Settings.from_env({SETTINGS_ENV: raw}).metrics is True

    @pytest.mark.parametrize("raw", ["{", "[]"])
    def test_bad_json(self, raw: str) -> None:
        with pytest.raises(InvalidRequest):
            Settings.from_env({SETTINGS_ENV: raw})

    @pytest.mark.parametrize("field", ["slow_request_ms", "poll_seconds", "session_idle_days"])
    def test_positive_numbers(self, field: str) -> None:
        with pytest.raises(InvalidRequest, match=field):
            Settings(**{field: 0})  # type: ignore[arg-type]

    def test_serve_options(self) -> None:
        with pytest.raises(InvalidRequest):
            ServeOptions(workers=65)
        assert ServeOptions(root_path="/a/b").root_path == "/a/b"


class FakeCal:
    """A 'database' whose revision grows on every read: each read is a change."""

    class store:  # noqa: N801 - mimics Rentcal.store
        dialect = "sqlite"

    def __init__(self) -> None:
        self.reads = 0

    def revision(self) -> tuple[int, datetime]:
        self.reads += 1
        return self.reads, datetime(2030, 1, 1, tzinfo=UTC)


def test_one_reader_per_process_however_many_clients() -> None:
    """20 streams share the watcher's reads: each revision is read once and seen by all."""
    cal = FakeCal()
    watcher = RevisionWatcher(cal, poll_seconds=3600, heartbeat_seconds=3600)  # type: ignore[arg-type]
    seen: list[list[int]] = [[] for _ in range(20)]

    async def client(mine: list[int]) -> None:
        async for chunk in watcher.stream():
            if chunk.startswith("event: revision"):
                mine.append(int(chunk.split("data: ")[1]))
                if len(mine) == 5:
                    return

    async def everyone_has(count: int) -> None:
        while any(len(s) < count for s in seen):
            await asyncio.sleep(0)

    async def main() -> None:
        clients = [asyncio.ensure_future(client(s)) for s in seen]
        await asyncio.wait_for(everyone_has(1), 30)
        for count in range(2, 6):  # what the poll loop does once a second
            await watcher.read()
            await asyncio.wait_for(everyone_has(count), 30)
        await asyncio.gather(*clients)
        await watcher.aclose()

    asyncio.run(main())
    assert all(s == [1, 2, 3, 4, 5] for s in seen)
    assert cal.reads == 5  # per client it would be 100


def test_sse_format() -> None:
    assert sse("revision", "7") == "event: revision\ndata: 7\n\n"
