"""THE one place where exceptions become messages and exit codes.

Every command body is wrapped by :func:`cli_command`; the root entry point
(:func:`rentcal.cli.main`) uses :func:`exit_code` as a last resort. No command
has a try/except of its own.

=====  ==========================================================================
code   meaning
=====  ==========================================================================
0      success
1      not available / conflict (:class:`~rentcal.errors.Unavailable`)
2      bad input: usage, bad date, unknown machine / member / rental, illegal
       transition (:class:`~rentcal.errors.InvalidRequest`, ``NotFound``,
       ``InvalidTransition``)
3      not permitted (:class:`~rentcal.errors.PermissionDenied`)
4      database error: unreachable, unreadable, locked past the timeout, schema
       newer than this rentcal (:class:`~rentcal.errors.DatabaseError`, ``Busy``)
70     internal error (a bug: please report it)
74     the output could not be written: disk full, stdout closed
       (:class:`~rentcal.cli.streams.OutputFailed`)
130    interrupted (Ctrl-C)
141    the reader of the output went away (a closed pipe); nothing is printed
=====  ==========================================================================
"""

from __future__ import annotations

import functools
import os
import re
import sys
import traceback
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar, overload

import typer

from rentcal.cli import render
from rentcal.cli.options import refuse_empty_options
from rentcal.cli.streams import EXIT_BROKEN_PIPE, EXIT_OUTPUT, OutputFailed
from rentcal.core.wording import plural, quote
from rentcal.errors import (
    DatabaseError,
    ImportFailed,
    InvalidRequest,
    NoDatabase,
    NotFound,
    PermissionDenied,
    RentcalError,
    Unavailable,
)

P = ParamSpec("P")
R = TypeVar("R")

EXIT_OK = 0
EXIT_UNAVAILABLE = 1
EXIT_BAD_INPUT = 2
EXIT_DENIED = 3
EXIT_DATABASE = 4
EXIT_INTERNAL = 70  # EX_SOFTWARE from sysexits.h
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells report for Ctrl-C

#: Set to 1 to see the traceback of an internal error (for bug reports).
DEBUG_ENV = "RENTCAL_DEBUG"

#: (code, meaning) for the top-level help epilog and docs/cli.md.
EXIT_CODES: tuple[tuple[int, str], ...] = (
    (EXIT_OK, "success"),
    (EXIT_UNAVAILABLE, "not available / conflict"),
    (
        EXIT_BAD_INPUT,
        "bad input: usage, bad date, unknown machine / member / rental, illegal transition",
    ),
    (EXIT_DENIED, "not permitted"),
    (
        EXIT_DATABASE,
        "database error: unreachable, locked past the timeout, schema newer than this version",
    ),
    (EXIT_INTERNAL, "internal error (a bug: please report it)"),
    (EXIT_OUTPUT, "the output could not be written (disk full, stdout closed)"),
    (EXIT_INTERRUPTED, "interrupted"),
    (EXIT_BROKEN_PIPE, "the output's reader went away (closed pipe), quietly"),
)


def exit_code(err: BaseException) -> int:
    """The exit code for an exception; see the module docstring."""
    if isinstance(err, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    if isinstance(err, OutputFailed):
        return EXIT_BROKEN_PIPE if err.broken_pipe else EXIT_OUTPUT
    if isinstance(err, Unavailable):
        return EXIT_UNAVAILABLE
    if isinstance(err, PermissionDenied):
        return EXIT_DENIED
    if isinstance(err, DatabaseError):  # Busy included
        return EXIT_DATABASE
    if isinstance(err, RentcalError):  # NotFound, InvalidRequest, InvalidTransition
        return EXIT_BAD_INPUT
    return EXIT_INTERNAL


#: At most this many problems of a failed import are listed on stderr.
MAX_PROBLEM_LINES = 50

#: A command's own hint: extra text for the ``Error:`` line of an error, or "".
Hint = Callable[[RentcalError], str]


#: CLI spellings of the library's choices, added to messages by ``reason``/``field``.
_HINTS: dict[tuple[type[RentcalError], str | None, str | None], str] = {
    (NotFound, "acting member", None): " (choose who you are with --as HANDLE or RENTCAL_USER)",
    (PermissionDenied, "acting", "no-actor"): ": pass --as HANDLE or set RENTCAL_USER",
    (InvalidRequest, "admin", "first-member-admin"): " (add --admin)",
    (InvalidRequest, "database", "not-empty"): " (choose another with --db, e.g. --db demo.db)",
    (InvalidRequest, "max_days", "unchanged"): " (pass --max-days N and/or --horizon-days N)",
    (InvalidRequest, "end", "too-long"): " (see rentcal limits show)",
    (InvalidRequest, "end", "too-far-ahead"): " (see rentcal limits show)",
    (InvalidRequest, "currency", "no-currency"): " (rentcal currency set EUR)",
    (NoDatabase, None, None): " (or choose another database with --db URL or RENTCAL_DATABASE_URL)",
}


#: Prefixes of the validation library Typer uses, never shown to the user.
_LIBRARY_PREFIX = re.compile(r"^(?:Value error|Assertion failed), ")


def plain_bad_value(err: Exception) -> str:
    """rentcal's sentence for a value Typer could not convert (``--days abc``).

    Typer converts values with pydantic and passes on its phrasing ("Input
    should be a valid integer, unable to parse string as an integer", "Value
    error, ..."); the details it keeps (``err.__cause__``) give the value and
    the bound, so the sentence is rentcal's own.
    """
    message = str(getattr(err, "message", err))
    errors = getattr(err.__cause__, "errors", None)
    details = errors()[0] if callable(errors) and errors() else {}
    kind, value = details.get("type", ""), details.get("input")
    bounds = details.get("ctx") or {}
    if kind in ("int_parsing", "int_from_float", "int_type"):
        return f"{quote(value)} is not a whole number"
    if kind == "greater_than_equal":
        return f"{quote(value)} is too small: the least is {bounds.get('ge')}"
    if kind == "less_than_equal":
        return f"{quote(value)} is too large: the most is {bounds.get('le')}"
    message = _LIBRARY_PREFIX.sub("", str(details.get("msg", message)))
    if message.startswith("Input should be "):
        return f"{quote(value)}: expected {message.removeprefix('Input should be ')}"
    return message


def _hint(err: RentcalError) -> str:
    """The command-line hint for a library error, chosen from its fields, never its text."""
    for (kind, field, reason), hint in _HINTS.items():
        if isinstance(err, kind) and field in (None, err.field) and reason in (None, err.reason):
            return hint
    return ""


def _import_problems(err: RentcalError) -> tuple[Any, ...] | None:
    """The ``Problem`` rows of a failed all-or-nothing import, else None."""
    return err.problems if isinstance(err, ImportFailed) else None


def _report_import_failed(problems: tuple[Any, ...], *, as_json: bool) -> None:
    """A failed import: a short ``Error:`` line, then one problem per line.

    With ``--json`` the summary (``imported`` 0, every problem) goes to stdout
    instead of the problem lines, so scripts read the same shape either way.
    """
    if as_json:
        from rentcal.imports import ImportResult

        render.emit_json(ImportResult(0, len(problems), problems).as_dict())
    render.error(
        f"{plural(len(problems), 'invalid row')}, nothing imported "
        "(use --skip-invalid to import the rest)" + ("" if as_json else ":")
    )
    if as_json:
        return
    for problem in problems[:MAX_PROBLEM_LINES]:
        render.error_line(f"  line {problem.line}: {problem.message}")
    if len(problems) > MAX_PROBLEM_LINES:
        render.error_line(f"  ... and {len(problems) - MAX_PROBLEM_LINES} more")


def report(err: BaseException, *, as_json: bool = False, hint: Hint | None = None) -> int:
    """Tell the user what went wrong (stderr; JSON conflicts on stdout); return the code."""
    code = exit_code(err)
    if isinstance(err, RentcalError):
        problems = _import_problems(err)
        if problems is not None:
            _report_import_failed(problems, as_json=as_json)
            return code
        if isinstance(err, Unavailable) and as_json:
            render.emit_json({"error": str(err), "conflicts": [c.as_dict() for c in err.conflicts]})
        extra = hint(err) if hint is not None else ""
        render.error(str(err) + _hint(err) + extra)
    elif isinstance(err, OutputFailed):
        if not err.broken_pipe:  # a closed pipe is the reader's choice: say nothing
            render.error(str(err))
    elif isinstance(err, KeyboardInterrupt):
        render.error("interrupted")
    else:
        render.error(f"internal error: {type(err).__name__}: {err}")
        if os.environ.get(DEBUG_ENV):
            traceback.print_exception(err, file=sys.stderr)
        else:
            render.error_line(f"(set {DEBUG_ENV}=1 to see the traceback, and please report it)")
    return code


def _wrap(fn: Callable[P, R], hint: Hint | None) -> Callable[P, R]:
    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            ctx = kwargs.get("ctx")
            if ctx is not None:  # Typer passes Click's Context, not a typer.Context
                refuse_empty_options(ctx)  # type: ignore[arg-type]
            return fn(*args, **kwargs)
        except (typer.Exit, typer.Abort):
            raise  # Typer handles these
        except (Exception, KeyboardInterrupt) as err:
            code = report(err, as_json=bool(kwargs.get("as_json")), hint=hint)
            raise typer.Exit(code) from None

    return wrapper


@overload
def cli_command(fn: Callable[P, R], /) -> Callable[P, R]: ...


@overload
def cli_command(*, hint: Hint) -> Callable[[Callable[P, R]], Callable[P, R]]: ...


def cli_command(
    fn: Callable[P, R] | None = None, /, *, hint: Hint | None = None
) -> Callable[P, R] | Callable[[Callable[P, R]], Callable[P, R]]:
    """Run a command body, turning any exception into a message and an exit code.

    A keyword argument ``as_json`` (the ``--json`` flag) makes an
    :class:`~rentcal.errors.Unavailable` also print ``{"error", "conflicts"}``
    on stdout, and a failed import print its summary there.
    ``typer.Exit``/``typer.Abort`` pass through untouched.

    Used bare (``@cli_command``) or with ``hint=`` (``@cli_command(hint=f)``):
    ``f(err)`` returns text appended to the ``Error:`` line (or "").
    """
    if fn is not None:
        return _wrap(fn, hint)

    def decorate(body: Callable[P, R]) -> Callable[P, R]:
        return _wrap(body, hint)

    return decorate


__all__ = [
    "DEBUG_ENV",
    "EXIT_BAD_INPUT",
    "EXIT_BROKEN_PIPE",
    "EXIT_CODES",
    "EXIT_DATABASE",
    "EXIT_DENIED",
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_OUTPUT",
    "EXIT_UNAVAILABLE",
    "MAX_PROBLEM_LINES",
    "Hint",
    "cli_command",
    "exit_code",
    "plain_bad_value",
    "report",
]
