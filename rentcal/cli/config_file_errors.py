"""Where in a TOML config file a problem is, and the error naming the file, line and key.

Helpers of :mod:`rentcal.cli.config`: the line defining a key (``server.port``
is ``port`` under ``[server]``), the position :mod:`tomllib` reports, and the
:class:`~rentcal.errors.InvalidRequest` every config-file problem becomes.
"""

from __future__ import annotations

import re
from pathlib import Path

from rentcal.errors import InvalidRequest

_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_KEY_AT_START = re.compile(r"""^\s*([A-Za-z0-9_\-."' ]+?)\s*=""")
_TABLE_HEADER = re.compile(r"""^\s*\[\s*([A-Za-z0-9_\-."' ]+?)\s*\]\s*(#.*)?$""")


def _bare(key: str) -> str:
    return ".".join(part.strip().strip("\"'") for part in key.split("."))


def key_line(lines: list[str], key: str) -> int | None:
    """The 1-based line defining ``key`` (``server.port``: ``port`` under ``[server]``)."""
    table = ""
    for number, line in enumerate(lines, 1):
        header = _TABLE_HEADER.match(line)
        if header:
            table = _bare(header.group(1))
            if table == key:
                return number
            continue
        found = _KEY_AT_START.match(line)
        if found:
            full = _bare(found.group(1))
            if (f"{table}.{full}" if table else full) == key:
                return number
    return None


def unreadable(path: Path, err: OSError) -> InvalidRequest:
    """The file exists but cannot be read (permissions, a directory, ...)."""
    return InvalidRequest(
        f"config file {path} cannot be read: {err.strerror or err}",
        field="config",
        value=str(path),
        reason="unreadable",
    )


def syntax_error(path: Path, text: str, err: Exception) -> InvalidRequest:
    """Not valid TOML: the line and key :mod:`tomllib` points at, when it does."""
    message = str(err)
    position = _TOML_POSITION.search(message)
    line = int(position.group(1)) if position else None
    what = _TOML_POSITION.sub("", message)
    key = None
    if line is not None:
        lines = text.splitlines()
        if 0 < line <= len(lines):
            found = _KEY_AT_START.match(lines[line - 1])
            key = _bare(found.group(1)) if found else None
    return file_error(path, line, key, f"not valid TOML: {what}", "malformed")


def file_error(
    path: Path, line: int | None, key: str | None, problem: str, reason: str
) -> InvalidRequest:
    """``config file PATH, line N, key K: problem`` (line and key when known)."""
    where = f"config file {path}"
    if line is not None:
        where += f", line {line}"
    if key is not None:
        where += f", key {key!r}"
    return InvalidRequest(
        f"{where}: {problem}", field=key or "config", value=str(path), reason=reason
    )


__all__ = ["file_error", "key_line", "syntax_error", "unreadable"]
