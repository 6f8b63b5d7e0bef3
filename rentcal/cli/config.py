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
configured one (see :mod:`rentcal.service.org_settings`). Which settings there
are, and what each accepts, is :mod:`rentcal.cli.config_settings`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rentcal.cli.config_file_errors import file_error, key_line, syntax_error, unreadable
from rentcal.cli.config_settings import BY_KEY, SETTINGS, Setting, masked
from rentcal.errors import InvalidRequest

CONFIG_ENV = "RENTCAL_CONFIG"
FILE_NAME = Path("rentcal") / "config.toml"


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
    "CONFIG_ENV",
    "Config",
    "Value",
    "default_path",
    "load",
    "read_file",
]
