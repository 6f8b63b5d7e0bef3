"""Database URLs: which rentcal accepts, the default one, and how to show one.

Pure text handling (SQLAlchemy's URL parser, no engine, no connection), so the
front ends may use it to hide passwords without importing the store. The
store opens what :func:`resolve_url` returns.
"""

from __future__ import annotations

import os
import re
import urllib.parse
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import exc

from rentcal.core.wording import shorten
from rentcal.errors import InvalidRequest


def default_sqlite_path() -> Path:
    """$XDG_DATA_HOME/rentcal/rentcal.db, defaulting to ~/.local/share."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "rentcal" / "rentcal.db"


#: Query options a database URL may carry, by backend, each with a check of its
#: value (None: any non-empty text). Anything else is refused, naming the option
#: (docs/cli.md, "Database URLs"). SQLite: ``mode=ro`` opens the file read-only
#: (and never creates it). PostgreSQL: libpq connection parameters.
URL_OPTIONS: dict[str, dict[str, Callable[[str], str | None] | None]] = {}


def _one_of(*choices: str) -> Callable[[str], str | None]:
    def check(value: str) -> str | None:
        return None if value in choices else f"must be one of: {', '.join(choices)}"

    return check


def _whole_number(value: str) -> str | None:
    return None if value.isascii() and value.isdigit() else "must be a whole number of seconds"


def _ports(value: str) -> str | None:
    parts = value.split(",")
    if all(p.isascii() and p.isdigit() and 1 <= int(p) <= 65535 for p in parts):
        return None
    return "must be a port number from 1 to 65535 (or a comma-separated list)"


URL_OPTIONS["sqlite"] = {"mode": _one_of("ro")}
URL_OPTIONS["postgresql"] = {
    "host": None,
    "port": _ports,
    "user": None,
    "password": None,
    "passfile": None,
    "sslmode": _one_of("disable", "allow", "prefer", "require", "verify-ca", "verify-full"),
    "sslrootcert": None,
    "sslcert": None,
    "sslkey": None,
    "sslcrl": None,
    "channel_binding": _one_of("disable", "prefer", "require"),
    "gssencmode": _one_of("disable", "prefer", "require"),
    "connect_timeout": _whole_number,
    "keepalives": _one_of("0", "1"),
    "keepalives_idle": _whole_number,
    "keepalives_interval": _whole_number,
    "keepalives_count": _whole_number,
    "tcp_user_timeout": _whole_number,
    "application_name": None,
    "options": None,
    "target_session_attrs": _one_of(
        "any", "read-write", "read-only", "primary", "standby", "prefer-standby"
    ),
}
#: Query options whose values are secrets: never shown in a message.
SECRET_OPTIONS = frozenset({"password", "sslpassword"})
#: Longest URL quoted in a message (the rest is cut with "...").
MAX_URL_SHOWN = 100
_DRIVERS = {
    "sqlite": "sqlite",
    "sqlite+pysqlite": "sqlite",
    "postgresql": "postgresql",
    "postgres": "postgresql",
    "postgresql+psycopg": "postgresql",
}
_USERINFO_SECRET = re.compile(r"(://[^/?#@]*?:)[^/?#@]*@")
_QUERY_SECRET = re.compile(rf"([?&](?:{'|'.join(sorted(SECRET_OPTIONS))})=)[^&#]*", re.I)


def safe_url(url: str, limit: int | None = MAX_URL_SHOWN) -> str:
    """``url`` fit for a message: every password replaced by ``***``, at most
    ``limit`` characters (None: all). Works on text that is not a valid URL too."""
    masked = _QUERY_SECRET.sub(r"\1***", _USERINFO_SECRET.sub(r"\1***@", url))
    return masked if limit is None else shorten(masked, limit)


def url_secrets(url: str) -> list[str]:
    """The passwords a URL carries (user:PASSWORD@ and ``?password=``), for scrubbing."""
    try:
        parsed = sa.make_url(url)
    except (exc.ArgumentError, ValueError):
        return []
    found = [parsed.password] if parsed.password else []
    for key, value in parsed.query.items():
        if key.lower() in SECRET_OPTIONS:
            found += [value] if isinstance(value, str) else list(value)
    return [str(s) for s in found if s]


def _bad_url(url: str, reason: str) -> InvalidRequest:
    return InvalidRequest(f"database URL {safe_url(url)!r}: {reason}")


def default_url() -> str:
    """$RENTCAL_DATABASE_URL, else the embedded SQLite file."""
    return os.environ.get("RENTCAL_DATABASE_URL") or _sqlite_url(str(default_sqlite_path()))


def _sqlite_url(path: str) -> str:
    """The ``sqlite:///`` URL of a file path, taken literally (``?`` and ``#`` escaped)."""
    return sa.URL.create("sqlite", database=path).render_as_string(hide_password=False)


def parse_url(url: str) -> sa.URL:
    """A checked database URL; every problem is an InvalidRequest naming it.

    Accepts ``sqlite:///PATH`` (``sqlite://`` for memory) and
    ``postgresql://`` / ``postgres://`` / ``postgresql+psycopg://``, with only
    the query options of :data:`URL_OPTIONS`, each given once.
    """
    if not url.strip():
        raise InvalidRequest("the database URL is empty")
    if "\x00" in url:
        raise _bad_url(url, "contains a NUL character")
    scheme = url.partition("://")[0]
    try:
        parsed = sa.make_url(scheme.lower() + url[len(scheme) :])
    except exc.ArgumentError:
        raise _bad_url(
            url, "not a valid URL (expected sqlite:///PATH or postgresql://USER@HOST/DB)"
        ) from None
    except ValueError:  # SQLAlchemy's int() of the port
        raise _bad_url(url, "malformed host or port (a port is a number from 1 to 65535)") from None
    backend = _DRIVERS.get(parsed.drivername)
    if backend is None:
        raise _bad_url(
            url,
            f"unsupported backend {shorten(parsed.drivername)!r} "
            "(use sqlite:///PATH or postgresql://USER@HOST/DB)",
        )
    parts = (parsed.database, parsed.host, parsed.username, parsed.password)
    if any("\x00" in part for part in parts if part):
        raise _bad_url(url, "contains a NUL character")
    if parsed.port is not None and not 1 <= parsed.port <= 65535:
        raise _bad_url(url, "the port must be a number from 1 to 65535")
    if backend == "sqlite":
        _check_sqlite(url, parsed)
    _check_options(url, parsed, backend)
    if backend == "postgresql":
        return parsed.set(drivername="postgresql+psycopg")
    return parsed.set(drivername="sqlite")


def _check_sqlite(url: str, parsed: sa.URL) -> None:
    if parsed.host or parsed.username or parsed.password or parsed.port:
        raise _bad_url(
            url,
            "a SQLite URL names no host or user: use sqlite:///relative/path.db "
            "or sqlite:////absolute/path.db",
        )
    database = parsed.database or ""
    if database.startswith("file:"):
        raise _bad_url(url, "give the file as sqlite:///PATH (options: ?mode=ro), not file:")
    if "#" in url.partition("?")[0]:
        raise _bad_url(url, "'#' starts a URL fragment; write it as %23 in a file name")


def _check_options(url: str, parsed: sa.URL, backend: str) -> None:
    allowed = URL_OPTIONS[backend]
    # SQLAlchemy drops "?mode=" and "?mode" silently: look at the text itself.
    for key, text in urllib.parse.parse_qsl(url.partition("?")[2], keep_blank_values=True):
        if not text.strip():
            raise _bad_url(url, f"option {shorten(key)!r} is empty")
    for key, value in parsed.query.items():
        if key not in allowed:
            choices = ", ".join(allowed)
            raise _bad_url(
                url,
                f"unknown option {shorten(key)!r} (a {_NAMES[backend]} URL accepts: {choices})",
            )
        if not isinstance(value, str):
            raise _bad_url(url, f"option {key!r} is given {len(value)} times; give it once")
        shown = "***" if key in SECRET_OPTIONS else shorten(value)
        if not value.strip():
            raise _bad_url(url, f"option {key!r} is empty")
        check = allowed[key]
        reason = check(value) if check is not None else None
        if reason:
            raise _bad_url(url, f"option {key}={shown!r} {reason}")
    if backend == "sqlite" and parsed.query.get("mode") == "ro" and not parsed.database:
        raise _bad_url(url, "mode=ro needs a database file")


_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def resolve_url(url: str | None) -> str:
    """The database URL to use: explicit, else $RENTCAL_DATABASE_URL, else the file.

    A bare filesystem path is taken as a SQLite file, literally: ``?`` in it is
    refused rather than read as options (write ``sqlite:///PATH?mode=ro``).
    ``postgresql://`` is routed to psycopg 3, the only PostgreSQL driver
    rentcal supports. The URL is checked (:func:`parse_url`).

    Raises:
        InvalidRequest: a malformed URL, an unsupported backend or driver, an
            unknown or bad query option (named, password hidden).
    """
    if url is None:
        url = default_url()
    if "://" not in url and url.strip():
        if "?" in url:
            raise InvalidRequest(
                f"database path {safe_url(url)!r} contains '?': for options write "
                f"sqlite:///PATH?mode=ro; for a '?' in the file name write %3F in a sqlite:/// URL"
            )
        if "\x00" in url:
            raise InvalidRequest("the database path contains a NUL character")
        url = _sqlite_url(str(Path(url).expanduser()))
    return parse_url(url).render_as_string(hide_password=False)


__all__ = [
    "MAX_URL_SHOWN",
    "SECRET_OPTIONS",
    "URL_OPTIONS",
    "default_sqlite_path",
    "default_url",
    "parse_url",
    "resolve_url",
    "safe_url",
    "url_secrets",
]
