"""Output on the terminal: one JSON document, tabulate tables, listings, messages, colour.

Data goes to stdout, diagnostics to stderr; files (``-o FILE``) are
:mod:`rentcal.cli.output_files`. Nothing here knows about
rentals or machines (see :mod:`rentcal.cli.rental_views` and its siblings);
nothing here touches the database. ``tabulate`` is imported on first use so
``--help`` stays fast.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import IO, Any, Protocol, TypeVar

import typer

from rentcal.cli.streams import stdout_is_utf8
from rentcal.core.dates_words import day_words, moment_words
from rentcal.core.validate import INVISIBLE_RE
from rentcal.core.wording import shorten

#: Longest free text shown in a table cell before it is cut with "...".
MAX_CELL = 60

# C0/C1 control characters (ESC included) and DEL, and the characters that
# hide or reorder text (bidi overrides, zero-width spaces, U+2028/2029, ...):
# shown as "?" so data from the database can never move the cursor, inject
# colour or make one text look like another on a terminal.
_CONTROL = re.compile(rf"[\x00-\x1f\x7f-\x9f]|{INVISIBLE_RE.pattern}")
# The same in JSON text, except what json.dumps escapes itself (C0): escaped
# as \uXXXX, so the document keeps the data exactly and prints safely.
_JSON_UNSAFE = re.compile(rf"[\x7f-\x9f]|{INVISIBLE_RE.pattern}")
_WHITESPACE = re.compile(r"[\t\n\r]+")


# -- colour ------------------------------------------------------------------


def colour_enabled(stream: IO[Any] | None = None, env: Mapping[str, str] | None = None) -> bool:
    """Whether to colour output written to ``stream`` (default stdout).

    Never when ``NO_COLOR`` is set to anything non-empty (https://no-color.org),
    when ``TERM=dumb``, or when the stream is not a terminal (a pipe, a file).
    """
    env = os.environ if env is None else env
    if env.get("NO_COLOR") or env.get("TERM") == "dumb":
        return False
    target = sys.stdout if stream is None else stream
    try:
        return bool(target.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def paint(
    text: str, fg: str | None = None, *, enabled: bool, bold: bool = False, dim: bool = False
) -> str:
    """``text`` in colour when ``enabled``, else unchanged."""
    if not enabled:
        return text
    return typer.style(text, fg=fg, bold=bold or None, dim=dim or None)


# -- text ----------------------------------------------------------------------


def safe(text: str) -> str:
    """``text`` with control characters replaced, safe to print on a terminal."""
    return _CONTROL.sub("?", text)


def safe_ics(data: bytes) -> bytes:
    """An iCalendar document with characters that hide or reorder text shown as "?".

    New text never holds them (the library refuses them); this covers text
    stored before that rule or by other tools. Lines only get shorter, so the
    75-octet folding of RFC 5545 still holds.
    """
    text = data.decode("utf-8", errors="surrogateescape")
    cleaned = _JSON_UNSAFE.sub("?", text)
    return data if cleaned == text else cleaned.encode("utf-8", errors="surrogateescape")


class Whole(str):
    """Text a table never cuts short: a name that tells two things apart
    (machine names and member handles are at most 64 characters)."""

    __slots__ = ()


def cell(value: object, max_len: int = MAX_CELL) -> object:
    """A table cell: one line, no control characters, long text cut short
    (except :class:`Whole` names, which must stay distinguishable)."""
    if isinstance(value, Whole):
        return safe(_WHITESPACE.sub(" ", value))
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, datetime):
        return moment_words(value)
    if isinstance(value, date):
        return day_words(value)
    if isinstance(value, (int, Decimal)):
        return str(value)
    text = safe(_WHITESPACE.sub(" ", str(value)))
    if len(text) > max_len:
        text = text[: max_len - 3] + "..."
    return text


def echo(text: str = "") -> None:
    """A line of human output on stdout."""
    typer.echo(text)


def headline(text: str | None) -> None:
    """A result's first line for people (``Added machine m1.``), if it has one."""
    if text:
        echo(safe(text))


#: Longest diagnostic line: messages quote bounded input, this is the safety net.
MAX_MESSAGE = 1000


def error(message: str) -> None:
    """``Error: <message>`` on stderr (the prefix red on a colour terminal)."""
    prefix = paint("Error:", "red", enabled=colour_enabled(sys.stderr), bold=True)
    typer.echo(f"{prefix} {shorten(safe(scrub(message)), MAX_MESSAGE)}", err=True)


def error_line(message: str) -> None:
    """A further line of diagnostics on stderr."""
    typer.echo(shorten(safe(scrub(message)), MAX_MESSAGE), err=True)


#: Passwords of the database URL in use: never printed (see :func:`scrub`).
_SECRETS: set[str] = set()


def hide(secrets: Iterable[str]) -> None:
    """Remember secrets (a URL's passwords) that no diagnostic may show."""
    _SECRETS.update(s for s in secrets if len(s) >= 3)


def scrub(message: str) -> str:
    """``message`` with every remembered secret replaced by ``***``: a driver's
    error text could quote a connection string."""
    for secret in _SECRETS:
        message = message.replace(secret, "***")
    return message


def note(message: str, *, as_json: bool) -> None:
    """A human remark: stdout normally, stderr when stdout carries JSON."""
    if as_json:
        error_line(message)
    else:
        echo(safe(message))


# -- structured output -----------------------------------------------------------


def _json_default(value: object) -> object:
    """JSON keeps ISO 8601 (people read :func:`cell`'s words; programs read this)."""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _json_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000  # a UTF-16 surrogate pair, as JSON spells astral characters
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def to_json(data: object, *, ascii_only: bool = False) -> str:
    """The JSON text of ``data``: dates ISO 8601, money and enums as strings.

    Characters that could drive or fool a terminal are escaped (``\\u202e``),
    so the text is safe to print and parses back to exactly the data.
    """
    text = json.dumps(data, indent=2, ensure_ascii=ascii_only, default=_json_default)
    return text if ascii_only else _JSON_UNSAFE.sub(_json_escape, text)


def emit_json(data: object) -> None:
    """Print ONE JSON document on stdout (all ASCII when stdout is not UTF-8)."""
    typer.echo(to_json(data, ascii_only=not stdout_is_utf8()))


def table_text(
    headers: Sequence[str], rows: Iterable[Sequence[object]], *, max_len: int = MAX_CELL
) -> str:
    """A plain-text table (tabulate's ``simple`` format), cells made safe."""
    from tabulate import tabulate

    body = [[cell(value, max_len) for value in row] for row in rows]
    return str(tabulate(body, headers=list(headers), tablefmt="simple", disable_numparse=True))


def emit_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    empty: str,
    max_len: int = MAX_CELL,
) -> None:
    """Print a table, or the ``empty`` sentence when there are no rows (cells of text
    cut at ``max_len``: longer for the sentences of notifications and history)."""
    echo(table_text(headers, rows, max_len=max_len) if rows else empty)


class AsDict(Protocol):
    """A library value with its JSON shape (``Rental``, ``Payment``, ...)."""

    def as_dict(self) -> object: ...


Item = TypeVar("Item", bound=AsDict)


def emit_items(
    items: Sequence[Item],
    as_json: bool,
    headers: Sequence[str],
    row: Callable[[Item], Sequence[object]],
    *,
    empty: str,
) -> None:
    """A listing: a JSON array of the items' ``as_dict()``, or a table of one ``row``
    each (``empty`` when there are none), the same for every list command."""
    if as_json:
        emit_json([item.as_dict() for item in items])
    else:
        emit_table(headers, [row(item) for item in items], empty=empty)


def record_text(pairs: Sequence[tuple[str, object]], *, max_len: int = 2000) -> str:
    """Label / value lines for one thing."""
    from tabulate import tabulate

    body = [[label, cell(value, max_len)] for label, value in pairs]
    return str(tabulate(body, tablefmt="plain", disable_numparse=True))


def emit_record(pairs: Sequence[tuple[str, object]]) -> None:
    """Print label / value lines for one thing."""
    echo(record_text(pairs))


__all__ = [
    "MAX_CELL",
    "AsDict",
    "Whole",
    "cell",
    "colour_enabled",
    "echo",
    "emit_items",
    "emit_json",
    "emit_record",
    "emit_table",
    "error",
    "error_line",
    "headline",
    "hide",
    "note",
    "paint",
    "record_text",
    "safe",
    "safe_ics",
    "scrub",
    "table_text",
    "to_json",
]
