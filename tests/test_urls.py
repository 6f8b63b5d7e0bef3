"""Every database URL is checked before use: accepted options work, the rest are named.

A bad URL is exit 2 with one ``Error:`` line naming the problem, before any
file or connection is opened; a password never appears in any message.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

import rentcal
from rentcal.db.urls import URL_OPTIONS, parse_url, resolve_url, safe_url
from rentcal.errors import InvalidRequest
from tests.cli_support import cli, failed
from tests.conftest import BOTH, _pg_schema_url

pytestmark = BOTH

PG_OPTIONS = ", ".join(URL_OPTIONS["postgresql"])


@pytest.mark.parametrize(
    ("url", "message"),
    [
        pytest.param("sqlite:///x.db?foo=bar", "unknown option 'foo' (a SQLite URL accepts: mode)"),
        pytest.param("sqlite:///x.db?timeout=abc", "unknown option 'timeout'", id="driver-option"),
        pytest.param("sqlite:///x.db?uri=true", "unknown option 'uri'", id="uri"),
        pytest.param("sqlite:///x.db?mode=rw", "option mode='rw' must be one of: ro"),
        pytest.param("sqlite:///x.db?mode=ro&mode=ro", "option 'mode' is given 2 times"),
        pytest.param("sqlite:///x.db?mode=", "option 'mode' is empty", id="empty-option"),
        pytest.param("sqlite:///x.db?mode", "option 'mode' is empty", id="bare-option"),
        pytest.param("sqlite://host/x.db", "a SQLite URL names no host or user", id="host"),
        pytest.param("sqlite://u:p@/x.db", "a SQLite URL names no host or user", id="user"),
        pytest.param("sqlite:///file:x.db?mode=ro", "not file:", id="file-uri"),
        pytest.param("sqlite:///x.db#frag", "'#' starts a URL fragment", id="fragment"),
        pytest.param("sqlite+pysqlcipher:///x.db", "unsupported backend 'sqlite+pysqlcipher'"),
        pytest.param("sqlite+foo:///x.db", "unsupported backend 'sqlite+foo'", id="no-driver"),
        pytest.param("mysql://u@h/db", "unsupported backend 'mysql'", id="mysql"),
        pytest.param("postgresql+asyncpg://u@h/db", "unsupported backend 'postgresql+asyncpg'"),
        pytest.param("postgresql+psycopg2://u@h/db", "unsupported backend", id="psycopg2"),
        pytest.param("postgresql://u@h:abc/db", "malformed host or port", id="port-text"),
        pytest.param("postgresql://u@[::1/db", "malformed host or port", id="bad-ipv6"),
        pytest.param("postgresql://u@h:99999/db", "the port must be a number from 1 to 65535"),
        pytest.param(
            "postgresql://u@h/db?foo=bar",
            f"unknown option 'foo' (a PostgreSQL URL accepts: {PG_OPTIONS})",
            id="pg-unknown",
        ),
        pytest.param("postgresql://u@h/db?sslmode=bogus", "option sslmode='bogus' must be one of"),
        pytest.param("postgresql://u@h/db?connect_timeout=abc", "must be a whole number"),
        pytest.param("postgresql://u@h/db?port=0", "option port='0' must be a port number"),
        pytest.param("postgresql://u@h/db?keepalives=yes", "option keepalives='yes' must be"),
        pytest.param("postgresql://u@h/db?dbname=other", "unknown option 'dbname'", id="dbname"),
        pytest.param("x.db?mode=ro", "contains '?': for options write sqlite:///PATH?mode=ro"),
        pytest.param("://x", "not a valid URL", id="no-scheme"),
        pytest.param("sqlite:///x%00.db", "contains a NUL character", id="nul"),
    ],
)
def test_bad_url_is_refused_before_anything_is_opened(
    url: str, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for args in (["machine", "list"], ["init", "--admin", "ada"]):
        result = cli(url, *args)
        failed(result, 2, message)
        assert result.stdout == ""
        assert result.stderr.count("\n") == 1, result.stderr
        assert "Warning" not in result.stderr
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(InvalidRequest):
        rentcal.connect(url)


def test_every_option_named_in_the_docs_is_the_one_accepted() -> None:
    docs = (Path(__file__).resolve().parents[1] / "docs" / "cli.md").read_text(encoding="utf-8")
    section = docs.split("## Database URLs", 1)[1].split("\n## ", 1)[0]
    for backend, options in URL_OPTIONS.items():
        for option in options:
            assert f"`{option}" in section, (backend, option)


class TestLongAndSecret:
    """Messages quote a bounded prefix of a URL and never a password."""

    def test_a_100kB_url_is_not_repeated(self, tmp_path: Path) -> None:
        url = f"sqlite:///{tmp_path}/{'x' * 100_000}.db?foo=1"
        result = cli(url, "machine", "list")
        failed(result, 2, "database URL 'sqlite:///")
        assert len(result.stderr) < 400

    @pytest.mark.parametrize(
        "url",
        [
            "postgresql://rentcal:hunter2@127.0.0.1:1/x",
            "postgresql://rentcal@127.0.0.1:1/x?password=hunter2",
            "postgresql://rentcal@127.0.0.1:1/x?password=hunter2&sslmode=bogus",
            "postgresql://rentcal:hunter2@127.0.0.1:abc/x",
            "postgresql://rentcal:hunter2@127.0.0.1/x?foo=1",
            "postgresql://rentcal:hunter2@127.0.0.1/x?PASSWORD=hunter2&foo=1",
            "mysql://rentcal:hunter2@h/x",
            "postgresql://rentcal:hunter2@127.0.0.1:1/x?password=hunter2&" + "a" * 5000,
        ],
        ids=[
            "userinfo-unreachable",
            "query-unreachable",
            "query-bad-option",
            "userinfo-bad-port",
            "userinfo-unknown-option",
            "upper-case-query",
            "other-backend",
            "long",
        ],
    )
    def test_password_never_printed(self, url: str) -> None:
        result = cli(url, "machine", "list")
        assert result.exit_code in (2, 4), result.output
        assert "hunter2" not in result.output
        assert "***" in result.stderr

    def test_safe_url_masks_both_forms(self) -> None:
        assert safe_url("postgresql://u:pw@h/db?password=pw2&sslmode=require") == (
            "postgresql://u:***@h/db?password=***&sslmode=require"
        )
        assert safe_url("not a url u:pw@ ?password=pw") == "not a url u:pw@ ?password=***"

    def test_library_url_hides_the_query_password(self, sqlite_url: str) -> None:
        with rentcal.connect(sqlite_url) as cal:
            cal.store.url += "?password=hunter2"  # what a PostgreSQL URL may carry
            assert "hunter2" not in cal.url
            assert "hunter2" not in repr(cal)


class TestSqliteForms:
    """Plain paths are literal, URLs decode %XX, mode=ro never writes."""

    def test_a_plain_path_is_taken_literally(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.chdir(tmp_path)
        assert cli("my farm #1.db", "init", "--admin", "ada").exit_code == 0
        assert [p.name for p in tmp_path.iterdir() if p.suffix == ".db"] == ["my farm #1.db"]

    def test_url_escapes_are_decoded(self, tmp_path: Path) -> None:
        url = f"sqlite:///{tmp_path}/my%20farm%3F.db"
        assert cli(url, "init", "--admin", "ada").exit_code == 0
        assert (tmp_path / "my farm?.db").is_file()
        assert sa.make_url(resolve_url(url)).database == f"{tmp_path}/my farm?.db"

    def test_scheme_is_case_insensitive(self, tmp_path: Path) -> None:
        assert cli(f"SQLite:///{tmp_path}/up.db", "init", "--admin", "ada").exit_code == 0
        assert (tmp_path / "up.db").is_file()

    def test_read_only(self, tmp_path: Path) -> None:
        path = tmp_path / "rentcal.db"
        assert cli(str(path), "init", "--admin", "ada").exit_code == 0
        assert cli(str(path), "machine", "add", "saw", "--price", "5").exit_code == 0
        url = f"sqlite:///{path}?mode=ro"
        listed = cli(url, "machine", "list", "--json")
        assert listed.exit_code == 0, listed.stderr
        assert [m["name"] for m in json.loads(listed.stdout)] == ["saw"]
        before = path.read_bytes()
        refused = cli(url, "machine", "add", "drill", "--price", "5")
        failed(refused, 4, "attempt to write a readonly database")
        assert path.read_bytes() == before
        assert [
            m["name"] for m in json.loads(cli(str(path), "machine", "list", "--json").stdout)
        ] == ["saw"]

    def test_read_only_never_creates(self, tmp_path: Path) -> None:
        result = cli(f"sqlite:///{tmp_path}/none.db?mode=ro", "machine", "list")
        failed(result, 4, "unable to open database file")
        assert list(tmp_path.iterdir()) == []

    def test_parse_url_canonical_driver(self) -> None:
        assert parse_url("postgres://u@h/db").drivername == "postgresql+psycopg"
        assert parse_url("sqlite+pysqlite:///x.db").drivername == "sqlite"


@pytest.mark.postgres
class TestPostgresOptions:
    """libpq options in the URL reach the connection, and win over rentcal's defaults."""

    def test_options_reach_the_connection(self, pg_database: str) -> None:
        url = sa.make_url(_pg_schema_url(pg_database)).update_query_dict(
            {"application_name": "rentcal-test", "connect_timeout": "7", "password": "hunter2"}
        )
        text = url.render_as_string(hide_password=False)
        with rentcal.connect(text) as cal, cal.store.engine.connect() as conn:
            assert conn.exec_driver_sql("SHOW application_name").scalar() == "rentcal-test"
            info = conn.connection.dbapi_connection.info  # type: ignore[union-attr]
            assert info.get_parameters()["connect_timeout"] == "7"
            assert "hunter2" not in cal.url
        created = cli(text, "init", "--admin", "ada", "--json")
        assert created.exit_code == 0, created.stderr
        assert "hunter2" not in created.stdout
        assert "password=***" in json.loads(created.stdout)["database"]


def test_resolve_url_env_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("RENTCAL_DATABASE_URL", "sqlite:///x.db?bogus=1")
    with pytest.raises(InvalidRequest, match="unknown option 'bogus'"):
        resolve_url(None)
    monkeypatch.delenv("RENTCAL_DATABASE_URL")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "with ? mark"))
    assert sa.make_url(resolve_url(None)).database == str(
        tmp_path / "with ? mark" / "rentcal" / "rentcal.db"
    )
