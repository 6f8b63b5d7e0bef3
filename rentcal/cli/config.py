"""Settings from the command line, the environment and a TOML config file.

Every setting is looked up the same way — **command-line option > environment
variable > config file > default** — and the effective value remembers where
it came from, for ``rentcal config show``. The file is
``$XDG_CONFIG_HOME/rentcal/config.toml`` (``~/.config/rentcal/config.toml``
when ``XDG_CONFIG_HOME`` is unset), or the one named by ``--config FILE`` /
``$RENTCAL_CONFIG``. A missing default file is no error; a missing named one
is. The file is read with the standard library's :mod:`tomllib`, only when a
command runs (never for ``--help``)::

    database_url = "postgresql://rentcal@db.example.org/rentcal"
    user = "ada"
    timezone = "Europe/Berlin"
    busy_timeout = 10
    pool_size = 5
    smtp_url = "smtp://rentcal:secret@mail.example.org:587"
    mail_from = "Tool Library <rentcal@example.org>"

    [server]
    host = "0.0.0.0"
    port = 8000
    base_url = "https://rentcal.example.org"
    workers = 2
    max_connections = 900
    allowed_hosts = "rentcal.example.org, rentcal.lan"

A malformed file, an unknown key or a value of the wrong type is an
:class:`~rentcal.errors.InvalidRequest` naming the file, the line and the key.
This module reads no database: the time zone a database holds wins over the
configured one (see :mod:`rentcal.service.org_settings`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rentcal.cli.config_file_errors import file_error, key_line, syntax_error, unreadable
from rentcal.errors import InvalidRequest

CONFIG_ENV = "RENTCAL_CONFIG"
FILE_NAME = Path("rentcal") / "config.toml"


@dataclass(frozen=True, slots=True)
class Setting:
    """One setting: its key in the file, its variable, its option, its type and default."""

    key: str
    env: str
    #: The command-line option setting it (None: none, only env / file / default).
    option: str | None
    #: ``"text"``, ``"whole number"`` or ``"number"``.
    kind: str
    #: The default value (None: decided elsewhere, described by ``default_text``).
    default: Any
    default_text: str
    low: float | None = None
    high: float | None = None
    #: Shown masked (passwords in a database URL).
    secret: bool = False


#: Every setting, in the order ``rentcal config show`` lists them.
SETTINGS: tuple[Setting, ...] = (
    Setting(
        "database_url",
        "RENTCAL_DATABASE_URL",
        "--db",
        "text",
        None,
        "the embedded SQLite file",
        secret=True,
    ),
    Setting("user", "RENTCAL_USER", "--as", "text", None, "your login name"),
    Setting(
        "timezone",
        "RENTCAL_TIMEZONE",
        "init --timezone",
        "text",
        None,
        "the host's zone (the database's, once stored)",
    ),
    Setting(
        "busy_timeout",
        "RENTCAL_BUSY_TIMEOUT",
        "--busy-timeout",
        "number",
        10.0,
        "10",
        0.001,
        86400.0,
    ),
    Setting("pool_size", "RENTCAL_POOL_SIZE", "serve --pool-size", "whole number", 5, "5", 1, 1000),
    Setting("smtp_url", "RENTCAL_SMTP_URL", "mail --smtp-url", "text", None, "none", secret=True),
    Setting("mail_from", "RENTCAL_MAIL_FROM", "mail --mail-from", "text", None, "none"),
    # Card payments (issue #23): `rentcal serve` takes them when both secrets are set.
    *(
        Setting(key, env, None, "text", None, "none", secret=True)
        for key, env in (
            ("stripe_secret_key", "RENTCAL_STRIPE_SECRET_KEY"),
            ("stripe_webhook_secret", "RENTCAL_STRIPE_WEBHOOK_SECRET"),
        )
    ),
    Setting("stripe_api_base", "RENTCAL_STRIPE_API_BASE", None, "text", None, "Stripe's"),
    Setting("server.host", "RENTCAL_HOST", "serve --host", "text", "127.0.0.1", "127.0.0.1"),
    Setting("server.port", "RENTCAL_PORT", "serve --port", "whole number", 8000, "8000", 1, 65535),
    Setting(
        "server.base_url",
        "RENTCAL_BASE_URL",
        "serve --base-url",
        "text",
        None,
        "http://HOST:PORT",
    ),
    Setting("server.workers", "RENTCAL_WORKERS", "serve --workers", "whole number", 1, "1", 1, 64),
    Setting(
        "server.max_connections",
        "RENTCAL_MAX_CONNECTIONS",
        "serve --max-connections",
        "whole number",
        None,
        "ulimit -n less 384, at most 1000",
        1,
        1_000_000,
    ),
    Setting(
        "server.max_streams",
        "RENTCAL_MAX_STREAMS",
        "serve --max-streams",
        "whole number",
        None,
        "half of max_connections",
        1,
        1_000_000,
    ),
    Setting(
        "server.max_streams_per_member",
        "RENTCAL_MAX_STREAMS_PER_MEMBER",
        "serve --max-streams-per-member",
        "whole number",
        8,
        "8",
        1,
        10_000,
    ),
    Setting(
        "server.header_timeout",
        "RENTCAL_HEADER_TIMEOUT",
        "serve --header-timeout",
        "number",
        10.0,
        "10",
        0.1,
        3600.0,
    ),
    Setting(
        "server.allowed_hosts",
        "RENTCAL_ALLOWED_HOSTS",
        "serve --allowed-host",
        "text",
        None,
        "the base URL's host and loopback",
    ),
)
BY_KEY: dict[str, Setting] = {s.key: s for s in SETTINGS}


@dataclass(frozen=True, slots=True)
class Value:
    """A setting's effective value and where it came from."""

    setting: Setting
    value: Any
    #: ``"option"``, ``"env"``, ``"file"``, ``"database"`` or ``"default"``.
    source: str
    #: The option, the variable or the file path it came from (None: a default).
    origin: str | None = None

    @property
    def shown(self) -> str:
        """The value for people: secrets masked, None as the default's description."""
        if self.value is None:
            return f"({self.setting.default_text})"
        return masked(self.setting, str(self.value)) if self.setting.secret else str(self.value)

    @property
    def source_text(self) -> str:
        """``env RENTCAL_PORT``, ``file /etc/rentcal.toml``, ``default``, ..."""
        return self.source if self.origin is None else f"{self.source} {self.origin}"

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of one row of ``rentcal config show --json``."""
        value = self.value
        if value is not None and self.setting.secret:
            value = masked(self.setting, str(value))
        return {"value": value, "source": self.source, "origin": self.origin}


def masked(setting: Setting, secret: str) -> str:
    """A secret as ``config show`` prints it: a URL with its password hidden, a Stripe
    key as its kind only (``sk_test_****``, ``whsec_****``)."""
    if setting.key.startswith("stripe_"):
        return secret[: secret.rfind("_") + 1] + "****"
    from rentcal.db.urls import safe_url

    return safe_url(secret, None)


@dataclass(frozen=True, slots=True)
class Config:
    """The effective settings of one invocation."""

    #: The file read (None: no file, the default one does not exist).
    path: Path | None
    values: dict[str, Value]

    def get(self, key: str) -> Any:
        """The effective value of ``key`` (None: decided elsewhere, see the default text)."""
        return self.values[key].value

    def source(self, key: str) -> str:
        """Where ``key``'s value came from."""
        return self.values[key].source

    def given(self, key: str) -> Any:
        """The value when given by option, env or file; None for a default."""
        found = self.values[key]
        return None if found.source == "default" else found.value

    def with_value(self, key: str, value: Any, source: str, origin: str | None = None) -> Config:
        """A copy where ``key`` has ``value`` from ``source`` (a command's own option, the DB)."""
        values = dict(self.values)
        values[key] = Value(BY_KEY[key], value, source, origin)
        return Config(self.path, values)


def default_path(env: Mapping[str, str] | None = None) -> Path:
    """``$XDG_CONFIG_HOME/rentcal/config.toml``, else ``~/.config/rentcal/config.toml``."""
    env = os.environ if env is None else env
    base = env.get("XDG_CONFIG_HOME", "").strip()
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".config"
    return root / FILE_NAME


def load(
    path: str | None = None,
    *,
    options: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
) -> Config:
    """The effective settings: ``options`` > ``env`` > the file > the defaults.

    ``path`` is the file named by ``--config`` / ``$RENTCAL_CONFIG`` (it must
    exist); None reads the default file when there is one. ``options`` maps
    keys to the values given on the command line (None values are ignored).
    """
    env = os.environ if env is None else env
    explicit = path is not None
    where = Path(path).expanduser() if path is not None else default_path(env)
    found = read_file(where, explicit=explicit)
    values: dict[str, Value] = {}
    for setting in SETTINGS:
        given = (options or {}).get(setting.key)
        if given is not None:
            values[setting.key] = Value(setting, given, "option", setting.option)
        elif setting.env in env:
            raw = env[setting.env]
            value = _from_env(setting, raw)
            values[setting.key] = Value(setting, value, "env", setting.env)
        elif found is not None and setting.key in found:
            values[setting.key] = Value(setting, found[setting.key], "file", str(where))
        else:
            values[setting.key] = Value(setting, setting.default, "default")
    return Config(where if found is not None else None, values)


def read_file(path: Path, *, explicit: bool = True) -> dict[str, Any] | None:
    """The settings in the TOML file at ``path``, checked; None when a default file is absent."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        if not explicit:
            return None
        raise InvalidRequest(
            f"config file {path} does not exist",
            field="config",
            value=str(path),
            reason="no-file",
        ) from None
    except PermissionError as err:
        if not explicit and not os.access(path.parent, os.X_OK):
            return None  # a default file this user cannot even look for: as absent
        raise unreadable(path, err) from None
    except OSError as err:
        raise unreadable(path, err) from None
    import tomllib

    try:
        text = data.decode("utf-8")
        parsed = tomllib.loads(text)
    except UnicodeDecodeError:
        raise InvalidRequest(
            f"config file {path} is not UTF-8 text",
            field="config",
            value=str(path),
            reason="malformed",
        ) from None
    except tomllib.TOMLDecodeError as err:
        raise syntax_error(path, text, err) from None
    lines = text.splitlines()
    flat: dict[str, Any] = {}
    for key, value in parsed.items():
        if key == "server" and isinstance(value, dict):
            flat.update({f"server.{k}": v for k, v in value.items()})
        else:
            flat[key] = value
    for key, value in flat.items():
        setting = BY_KEY.get(key)
        line = key_line(lines, key)
        if setting is None:
            known = ", ".join(s.key for s in SETTINGS)
            raise file_error(path, line, key, f"unknown key (known: {known})", "unknown-key")
        problem = _problem(setting, value)
        if problem is not None:
            raise file_error(path, line, key, problem, "wrong-type")
    return flat


def _problem(setting: Setting, value: Any) -> str | None:
    """Why ``value`` cannot be the setting's value, or None when it can."""
    if setting.kind == "text":
        if not isinstance(value, str):
            return f"must be text (a quoted string), not {_toml_type(value)}"
        if not value.strip():
            return "must not be empty (leave the key out for the default)"
        if setting.key == "timezone":
            from rentcal.core import checks

            try:
                checks.zone(value, "timezone")
            except InvalidRequest as err:
                return err.message
        return None
    if setting.kind == "whole number":
        if isinstance(value, bool) or not isinstance(value, int):
            return f"must be a whole number, not {_toml_type(value)}"
    elif isinstance(value, bool) or not isinstance(value, int | float):
        return f"must be a number, not {_toml_type(value)}"
    low, high = setting.low, setting.high
    if (low is not None and not value >= low) or (high is not None and not value <= high):
        return f"must be from {low:g} to {high:g}, not {value!r}"
    return None


def _toml_type(value: Any) -> str:
    names = {
        bool: "a boolean",
        int: "a whole number",
        float: "a number",
        str: "text",
        list: "an array",
        dict: "a table",
    }
    return f"{names.get(type(value), type(value).__name__)} ({value!r})"[:80]


def _from_env(setting: Setting, raw: str) -> Any:
    """A variable's text as the setting's value, or InvalidRequest naming the variable."""
    text = raw.strip()
    if not text:
        raise InvalidRequest(
            f"{setting.env} is set but empty; unset it for the default ({setting.default_text})",
            field=setting.key,
            value=raw,
            reason="empty",
        )
    value: Any = text
    if setting.kind != "text":
        try:
            value = int(text) if setting.kind == "whole number" else float(text)
        except ValueError:
            raise InvalidRequest(
                f"{setting.env}={text[:40]!r} must be a {setting.kind}",
                field=setting.key,
                value=raw,
                reason="wrong-type",
            ) from None
    problem = _problem(setting, value)
    if problem is not None:
        raise InvalidRequest(
            f"{setting.env}: {problem}", field=setting.key, value=raw, reason="wrong-type"
        )
    return value


__all__ = [
    "BY_KEY",
    "CONFIG_ENV",
    "SETTINGS",
    "Config",
    "Setting",
    "Value",
    "default_path",
    "load",
    "read_file",
]
