"""The config file and the precedence of every setting: option > env > file > default.

``rentcal.cli.config.load`` is tested directly for the whole table (every setting
from every source); the CLI tests check that the front end feeds it the same
way (``--db``/``--as`` over variables over the file, ``serve``'s server
settings, ``--config`` and ``$RENTCAL_CONFIG``) and that ``config show``
says where each value came from, with passwords masked.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import rentcal
import rentcal.web.server
from rentcal.cli.app import app
from rentcal.cli.config import default_path, load
from rentcal.cli.config_file_errors import key_line
from rentcal.cli.config_settings import BY_KEY, SETTINGS
from rentcal.errors import InvalidRequest
from rentcal.web.server import ServeOptions
from tests.cli_support import ENV

#: A value of each setting, per source (distinct, so the winner is visible).
SAMPLES: dict[str, dict[str, Any]] = {
    "database_url": {"option": "opt.db", "env": "env.db", "file": "file.db"},
    "user": {"option": "olga", "env": "erik", "file": "fred"},
    "timezone": {"option": "Asia/Tokyo", "env": "America/New_York", "file": "Europe/Berlin"},
    "busy_timeout": {"option": 1.5, "env": 2.5, "file": 3.5},
    "pool_size": {"option": 2, "env": 3, "file": 4},
    "smtp_url": {
        "option": "smtp://o.example.org",
        "env": "smtps://u:p@e.example.org",
        "file": "smtp://127.0.0.1:25",
    },
    "mail_from": {"option": "o@example.org", "env": "E <e@example.org>", "file": "f@example.org"},
    "stripe_secret_key": {"option": "sk_test_o", "env": "sk_test_e", "file": "sk_live_f"},
    "stripe_webhook_secret": {"option": "whsec_o", "env": "whsec_e", "file": "whsec_f"},
    "stripe_api_base": {
        "option": "http://127.0.0.1:1",
        "env": "http://127.0.0.1:2",
        "file": "https://api.stripe.com",
    },
    "server.host": {"option": "10.0.0.1", "env": "10.0.0.2", "file": "10.0.0.3"},
    "server.port": {"option": 8081, "env": 8082, "file": 8083},
    "server.base_url": {
        "option": "https://o.example.org",
        "env": "https://e.example.org",
        "file": "https://f.example.org",
    },
    "server.workers": {"option": 2, "env": 3, "file": 4},
    "server.max_connections": {"option": 500, "env": 600, "file": 700},
    "server.max_streams": {"option": 50, "env": 60, "file": 70},
    "server.max_streams_per_member": {"option": 2, "env": 3, "file": 4},
    "server.header_timeout": {"option": 1.5, "env": 2.5, "file": 3.5},
    "server.allowed_hosts": {"option": "o.example.org", "env": "e.lan", "file": "f.lan, g.lan"},
}
#: Sources present in each case, strongest first; the first one present wins.
CASES = [
    ("option", "env", "file"),
    ("env", "file"),
    ("option", "file"),
    ("option", "env"),
    ("file",),
    ("env",),
    ("option",),
    (),
]


def toml_value(value: Any) -> str:
    return json.dumps(value) if isinstance(value, str) else repr(value)


def write_config(path: Path, values: dict[str, Any]) -> Path:
    top = [f"{k} = {toml_value(v)}" for k, v in values.items() if "." not in k]
    server = [f"{k[7:]} = {toml_value(v)}" for k, v in values.items() if k.startswith("server.")]
    path.write_text("\n".join([*top, "[server]", *server]) + "\n", encoding="utf-8")
    return path


class TestPrecedence:
    """Every setting, from every combination of sources: the strongest one wins."""

    def test_every_setting_is_sampled(self) -> None:
        assert set(SAMPLES) == set(BY_KEY)

    @pytest.mark.parametrize("present", CASES, ids=lambda c: "+".join(c) or "default")
    @pytest.mark.parametrize("key", list(SAMPLES))
    def test_strongest_source_wins(
        self, tmp_path: Path, key: str, present: tuple[str, ...]
    ) -> None:
        setting = BY_KEY[key]
        sample = SAMPLES[key]
        path = write_config(tmp_path / "c.toml", {key: sample["file"]} if "file" in present else {})
        env = {setting.env: str(sample["env"])} if "env" in present else {}
        options = {key: sample["option"]} if "option" in present else {}
        config = load(str(path), options=options, env=env)
        found = config.values[key]
        winner = present[0] if present else "default"
        assert found.source == winner
        assert found.value == (setting.default if winner == "default" else sample[winner])
        assert (
            found.origin
            == {
                "option": setting.option,
                "env": setting.env,
                "file": str(path),
                "default": None,
            }[winner]
        )

    def test_env_values_get_the_setting_type(self) -> None:
        env = {"RENTCAL_PORT": "8080", "RENTCAL_BUSY_TIMEOUT": "2", "RENTCAL_WORKERS": " 3 "}
        config = load(None, env={"XDG_CONFIG_HOME": "/nonexistent", **env})
        assert config.get("server.port") == 8080
        assert config.get("busy_timeout") == 2.0
        assert config.get("server.workers") == 3

    @pytest.mark.parametrize(
        ("name", "value", "message"),
        [
            ("RENTCAL_PORT", "http", "RENTCAL_PORT='http' must be a whole number"),
            ("RENTCAL_PORT", "0", "RENTCAL_PORT: must be from 1 to 65535, not 0"),
            ("RENTCAL_WORKERS", "", "RENTCAL_WORKERS is set but empty"),
            ("RENTCAL_TIMEZONE", "Mars/Base", "timezone 'Mars/Base' is not a known time zone"),
        ],
    )
    def test_bad_env_value_names_the_variable(self, name: str, value: str, message: str) -> None:
        with pytest.raises(InvalidRequest) as info:
            load(None, env={"XDG_CONFIG_HOME": "/nonexistent", name: value})
        assert message in str(info.value)


class TestFiles:
    """Where the file is, and what a malformed one says."""

    def test_default_path_follows_xdg(self, tmp_path: Path) -> None:
        assert default_path({"XDG_CONFIG_HOME": str(tmp_path)}) == (
            tmp_path / "rentcal" / "config.toml"
        )
        assert default_path({}) == Path.home() / ".config" / "rentcal" / "config.toml"
        assert default_path({"XDG_CONFIG_HOME": "relative"}).parent.parent == Path.home() / (
            ".config"
        )

    def test_default_file_is_read_and_may_be_missing(self, tmp_path: Path) -> None:
        env = {"XDG_CONFIG_HOME": str(tmp_path)}
        assert load(None, env=env).path is None
        (tmp_path / "rentcal").mkdir()
        path = write_config(tmp_path / "rentcal" / "config.toml", {"server.port": 9000})
        config = load(None, env=env)
        assert config.path == path
        assert (config.get("server.port"), config.source("server.port")) == (9000, "file")

    def test_named_file_must_exist(self, tmp_path: Path) -> None:
        with pytest.raises(InvalidRequest, match=r"config file .*nope.toml does not exist"):
            load(str(tmp_path / "nope.toml"), env={})

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            (
                'user = "ada"\nport = 80 80\n',
                "line 2, key 'port': not valid TOML",
            ),
            ('user = "ada\n', "line 1, key 'user': not valid TOML"),
            ("[server]\nport = '80'\n", "line 2, key 'server.port': must be a whole number"),
            ("[server]\nworkers = 0\n", "line 2, key 'server.workers': must be from 1 to 64"),
            ("busy_timeout = true\n", "line 1, key 'busy_timeout': must be a number"),
            ("user = 5\n", "line 1, key 'user': must be text"),
            ("user = ''\n", "line 1, key 'user': must not be empty"),
            ("\n\ntimezone = 'Mars/Base'\n", "line 3, key 'timezone': timezone 'Mars/Base'"),
            ("[server]\nprot = 80\n", "line 2, key 'server.prot': unknown key"),
            ("colour = 'green'\n", "line 1, key 'colour': unknown key"),
            ("server.port = 'x'\n", "line 1, key 'server.port': must be a whole number"),
            ("[database]\nurl = 'x'\n", "line 1, key 'database': unknown key"),
        ],
    )
    def test_malformed_file_names_file_line_and_key(
        self, tmp_path: Path, text: str, message: str
    ) -> None:
        path = tmp_path / "bad.toml"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(InvalidRequest) as info:
            load(str(path), env={})
        assert str(info.value).startswith(f"config file {path}, ")
        assert message in str(info.value)

    def test_not_utf8(self, tmp_path: Path) -> None:
        path = tmp_path / "bad.toml"
        path.write_bytes(b"user = '\xff'\n")
        with pytest.raises(InvalidRequest, match="is not UTF-8 text"):
            load(str(path), env={})

    def test_key_line_understands_tables_and_dotted_keys(self) -> None:
        lines = ["# c", 'user = "a"', "[server]", "  port=1", '"host" = "h"']
        assert key_line(lines, "user") == 2
        assert key_line(lines, "server.port") == 4
        assert key_line(lines, "server.host") == 5
        assert key_line(lines, "server.workers") is None

    def test_every_setting_is_documented(self) -> None:
        docs = (Path(__file__).resolve().parents[1] / "docs" / "cli.md").read_text("utf-8")
        for setting in SETTINGS:
            assert setting.env in docs, setting.env
            assert f"{setting.key.split('.')[-1]} = " in docs, setting.key


# -- the CLI ----------------------------------------------------------------------------


def run(*args: str, env: dict[str, str | None] | None = None) -> Any:
    return CliRunner().invoke(app, list(args), env={**ENV, **(env or {})})


@pytest.fixture
def made(tmp_path: Path) -> Path:
    """A SQLite database with admin ada; its path."""
    path = tmp_path / "made.db"
    with rentcal.connect(f"sqlite:///{path}", timezone="Europe/Berlin") as cal:
        cal.init("ada")
    return path


class TestCli:
    """The CLI reads the same settings the same way."""

    def test_db_and_user_option_env_file(self, tmp_path: Path, made: Path) -> None:
        other = tmp_path / "other.db"
        with rentcal.connect(f"sqlite:///{other}") as cal:
            cal.init("zed")
        conf = write_config(tmp_path / "c.toml", {"database_url": str(made), "user": "ada"})

        def show(*args: str, env: dict[str, str | None] | None = None) -> dict[str, Any]:
            result = run("--config", str(conf), *args, "config", "show", "--json", env=env)
            assert result.exit_code == 0, result.output
            return json.loads(result.stdout)["settings"]

        found = show()
        assert found["database_url"] == {"value": str(made), "source": "file", "origin": str(conf)}
        assert found["user"]["source"] == "file"
        found = show(env={"RENTCAL_DATABASE_URL": str(other), "RENTCAL_USER": "zed"})
        assert found["database_url"]["source"] == "env"
        assert found["user"] == {"value": "zed", "source": "env", "origin": "RENTCAL_USER"}
        found = show("--db", str(made), "--as", "bob", env={"RENTCAL_DATABASE_URL": str(other)})
        assert found["database_url"] == {"value": str(made), "source": "option", "origin": "--db"}
        assert found["user"]["value"] == "bob"
        # the file's database and member are the ones commands use
        result = run("--config", str(conf), "member", "list")
        assert result.exit_code == 0, result.output
        assert "ada" in result.stdout and "zed" not in result.stdout

    def test_busy_timeout_option_env_file_reach_the_connection(
        self, tmp_path: Path, made: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        conf = write_config(tmp_path / "c.toml", {"database_url": str(made), "busy_timeout": 3.5})
        opened: list[float | None] = []
        connect = rentcal.connect

        def spy(*args: Any, **kwargs: Any) -> rentcal.Rentcal:
            opened.append(kwargs.get("busy_timeout"))
            return connect(*args, **kwargs)

        monkeypatch.setattr(rentcal, "connect", spy)

        def used(*args: str, env: dict[str, str | None] | None = None) -> tuple[Any, Any]:
            shown = run("--config", str(conf), *args, "config", "show", "--json", env=env)
            assert shown.exit_code == 0, shown.output
            opened.clear()
            listed = run("--config", str(conf), *args, "machine", "list", env=env)
            assert listed.exit_code == 0, listed.output
            setting = json.loads(shown.stdout)["settings"]["busy_timeout"]
            # the variable is left to connect() itself (None), which reads it
            timeout = opened[-1] if opened[-1] is not None else float(env["RENTCAL_BUSY_TIMEOUT"])
            return (setting["value"], setting["source"]), timeout

        assert used() == ((3.5, "file"), 3.5)
        env = {"RENTCAL_BUSY_TIMEOUT": "2.5"}
        assert used(env=env) == ((2.5, "env"), 2.5)
        assert used("--busy-timeout", "1.5", env=env) == ((1.5, "option"), 1.5)
        bad = run("--busy-timeout", "0", "machine", "list")
        assert bad.exit_code == 2 and "--busy-timeout" in bad.stderr, bad.output
        assert "'0' is too small: the least is 0.001" in bad.stderr, bad.stderr

    def test_config_env_names_the_file(self, tmp_path: Path) -> None:
        conf = write_config(tmp_path / "c.toml", {"server.port": 9999})
        result = run("config", "show", "--json", env={"RENTCAL_CONFIG": str(conf)})
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        assert data["file"] == str(conf)
        assert data["settings"]["server.port"]["value"] == 9999

    @pytest.mark.parametrize(
        ("args", "env", "message"),
        [
            (["--config", "missing.toml"], {}, "config file missing.toml does not exist"),
            ([], {"RENTCAL_CONFIG": "gone.toml"}, "config file gone.toml does not exist"),
            (["--config", ""], {}, "--config is empty"),
        ],
    )
    def test_missing_named_file_is_exit_2(
        self, args: list[str], env: dict[str, str | None], message: str
    ) -> None:
        result = run(*args, "machine", "list", env=env)
        assert result.exit_code == 2, result.output
        assert f"Error: {message}" in result.stderr
        assert "Traceback" not in result.output

    def test_malformed_file_is_exit_2_for_every_command(self, tmp_path: Path) -> None:
        conf = tmp_path / "c.toml"
        conf.write_text("[server]\nport = 'eighty'\n", encoding="utf-8")
        result = run("--config", str(conf), "machine", "list")
        assert result.exit_code == 2
        assert f"Error: config file {conf}, line 2, key 'server.port'" in result.stderr

    def test_help_and_version_read_no_file(self, tmp_path: Path) -> None:
        conf = tmp_path / "c.toml"
        conf.write_text("this is not toml", encoding="utf-8")
        assert run("--config", str(conf), "--version").exit_code == 0
        assert run("--config", str(conf), "machine", "--help").exit_code == 0

    def test_show_masks_passwords(self, tmp_path: Path) -> None:
        url = "postgresql://rentcal:s3cret@127.0.0.1:1/rentcal"
        conf = write_config(tmp_path / "c.toml", {"database_url": url})
        env = {"RENTCAL_BUSY_TIMEOUT": "0.5"}
        result = run("--config", str(conf), "config", "show", env=env)
        assert result.exit_code == 0, result.output
        assert "s3cret" not in result.output
        assert "postgresql://rentcal:***@127.0.0.1:1/rentcal" in result.stdout
        result = run("--config", str(conf), "config", "show", "--json", env=env)
        assert "s3cret" not in result.output
        settings = json.loads(result.stdout)["settings"]
        assert settings["database_url"]["value"] == "postgresql://rentcal:***@127.0.0.1:1/rentcal"

    def test_show_table_names_sources(
        self, tmp_path: Path, made: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.chdir(tmp_path)  # short paths: table cells are shortened
        write_config(tmp_path / "c.toml", {"server.workers": 2})
        result = run(
            "--config",
            "c.toml",
            "--db",
            made.name,
            "config",
            "show",
            env={"RENTCAL_PORT": "8081"},
        )
        assert result.exit_code == 0, result.output
        lines = {line.split()[0]: line.split()[1:] for line in result.stdout.splitlines()[2:]}
        assert lines["database_url"] == [made.name, "option", "--db"]
        assert lines["timezone"] == ["Europe/Berlin", "database"]
        assert lines["server.port"] == ["8081", "env", "RENTCAL_PORT"]
        assert lines["server.workers"] == ["2", "file", "c.toml"]
        assert lines["server.host"] == ["127.0.0.1", "default"]

    def test_show_without_a_database(self, tmp_path: Path) -> None:
        result = run("--db", str(tmp_path / "none.db"), "config", "show")
        assert result.exit_code == 0, result.output
        assert "No config file:" in result.stderr
        assert not (tmp_path / "none.db").exists()


class TestServe:
    """`rentcal serve`'s host, port, base URL and workers: option > env > file > default."""

    @pytest.fixture
    def launched(self, monkeypatch: pytest.MonkeyPatch) -> list[ServeOptions]:
        found: list[ServeOptions] = []
        monkeypatch.setattr(rentcal.web.server, "launch", found.append)
        return found

    def serve(
        self, made: Path, conf: Path, *args: str, env: dict[str, str | None] | None = None
    ) -> ServeOptions:
        return run("--config", str(conf), "--db", str(made), "serve", *args, env=env)

    def test_file_env_option(
        self, tmp_path: Path, made: Path, launched: list[ServeOptions]
    ) -> None:
        conf = write_config(
            tmp_path / "c.toml",
            {
                "timezone": "America/New_York",
                "server.host": "0.0.0.0",
                "server.port": 8083,
                "server.base_url": "https://f.example.org",
                "server.workers": 3,
            },
        )
        result = self.serve(made, conf)
        assert result.exit_code == 0, result.output
        options = launched.pop()
        assert (options.host, options.port, options.workers) == ("0.0.0.0", 8083, 3)
        assert options.settings.base_url == "https://f.example.org"
        assert options.settings.timezone == "America/New_York"
        assert "Serving" in result.stderr and "on http://0.0.0.0:8083/ (3 workers)" in result.stderr
        env = {
            "RENTCAL_HOST": "10.0.0.2",
            "RENTCAL_PORT": "8082",
            "RENTCAL_WORKERS": "2",
            "RENTCAL_BASE_URL": "https://e.example.org",
        }
        assert self.serve(made, conf, env=env).exit_code == 0
        options = launched.pop()
        assert (options.host, options.port, options.workers) == ("10.0.0.2", 8082, 2)
        assert options.settings.base_url == "https://e.example.org"
        args = (
            "--host",
            "10.0.0.1",
            "--port",
            "8081",
            "--workers",
            "1",
            "--base-url",
            "https://o.example.org",
        )
        assert self.serve(made, conf, *args, env=env).exit_code == 0
        options = launched.pop()
        assert (options.host, options.port, options.workers) == ("10.0.0.1", 8081, 1)
        assert options.settings.base_url == "https://o.example.org"

    def test_workers_get_the_busy_timeout_and_pool_size(
        self, tmp_path: Path, made: Path, launched: list[ServeOptions]
    ) -> None:
        conf = write_config(tmp_path / "c.toml", {"busy_timeout": 2.5, "pool_size": 7})
        assert self.serve(made, conf).exit_code == 0
        settings = launched.pop().settings
        assert (settings.busy_timeout, settings.pool_size) == (2.5, 7)
        env = {"RENTCAL_BUSY_TIMEOUT": "4", "RENTCAL_POOL_SIZE": "3"}
        assert self.serve(made, conf, env=env).exit_code == 0
        settings = launched.pop().settings
        assert (settings.busy_timeout, settings.pool_size) == (4.0, 3)
        args = ("--busy-timeout", "6", "serve", "--pool-size", "9")
        assert run("--config", str(conf), "--db", str(made), *args, env=env).exit_code == 0
        settings = launched.pop().settings
        assert (settings.busy_timeout, settings.pool_size) == (6.0, 9)
        from rentcal.web.server_settings import Settings

        again = Settings.from_env({"RENTCAL_WEB_SETTINGS": settings.to_env()})
        assert (again.busy_timeout, again.pool_size) == (6.0, 9)


class TestFeedBaseUrl:
    """`feed create` prints URLs under the configured server.base_url too."""

    def test_file_then_env_then_option(self, tmp_path: Path, made: Path) -> None:
        conf = write_config(tmp_path / "c.toml", {"server.base_url": "https://f.example.org"})
        common = ("--config", str(conf), "--db", str(made), "--as", "ada", "feed", "create")
        result = run(*common)
        assert result.exit_code == 0, result.output
        assert "https://f.example.org/feeds/" in result.stdout
        result = run(*common, env={"RENTCAL_BASE_URL": "https://e.example.org"})
        assert "https://e.example.org/feeds/" in result.stdout
        result = run(*common, "--base-url", "https://o.example.org")
        assert "https://o.example.org/feeds/" in result.stdout
