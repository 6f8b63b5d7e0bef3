"""The one exception hierarchy of rentcal.

Every error a caller can act on is a :class:`RentcalError`; the CLI maps each
subclass to an exit code in exactly one place (``rentcal.cli.exit_codes``).
Errors carry structured fields besides their message so callers need not
parse text: ``field`` (the parameter or column concerned), ``value`` (what was
given), ``reason`` (a short stable code such as ``"not-admin"``). Messages are
sentences about the library's world: they never name a command-line flag —
front ends add their own hints from the fields.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Protocol


class Blocker(Protocol):
    """What blocks a requested day (:class:`rentcal.core.availability.Conflict`).

    A protocol, so that this bottom module names what it carries without
    importing the core above it.
    """

    @property
    def kind(self) -> str: ...
    @property
    def id(self) -> int: ...
    @property
    def start(self) -> date: ...
    @property
    def end(self) -> date: ...
    @property
    def status(self) -> str: ...
    def describe(self) -> str: ...
    def as_dict(self) -> dict[str, object]: ...


class RefusedRow(Protocol):
    """One refused input row (:class:`rentcal.core.values.Problem`); ``str()`` names its line."""

    @property
    def line(self) -> int: ...
    @property
    def message(self) -> str: ...


class RentcalError(Exception):
    """Base class: something the caller asked for cannot be done.

    Parameters:
        message: one sentence for a human.
        field: the parameter or input field concerned, if any.
        value: the offending value, if any.
        reason: a short stable code for programs (e.g. ``"first-member-admin"``).
    """

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        value: object = None,
        reason: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.value = value
        self.reason = reason

    def __str__(self) -> str:
        return self.message


class NotFound(RentcalError):
    """A machine, member, rental or maintenance named by the caller does not exist.

    ``field`` is what was looked up (``"machine"``, ``"acting member"``, ...),
    ``value`` the key given.
    """


class InvalidRequest(RentcalError):
    """The request is malformed: bad dates, bad amounts, retired machine, ..."""


class ArgumentTypeError(InvalidRequest, TypeError):
    """A public method got an argument of the wrong type (a bug in the caller).

    Both an :class:`InvalidRequest` (front ends report it like any bad input)
    and a :class:`TypeError` (what Python code expects for a wrong type).
    ``field`` is the parameter's name (``"rows"`` for an item of ``rows``),
    ``value`` what was given, ``reason`` ``"wrong-type"``. rentcal never
    converts such a value into something else: ``admin="no"`` is refused,
    not taken as true.
    """


class PermissionDenied(RentcalError):
    """The acting member may not do this (not an admin, not verified, not theirs).

    ``reason`` is one of ``"no-actor"``, ``"not-admin"``, ``"not-verified"``,
    ``"not-owner"``; ``value`` the acting member's handle when known.
    """


class AuthFailed(PermissionDenied):
    """A login with a wrong handle or a wrong password: the same error for both.

    ``reason`` is ``"bad-credentials"``; ``field``/``value`` are never set, so
    the error says nothing about which of the two was wrong.
    """

    def __init__(self, message: str = "wrong handle or password") -> None:
        super().__init__(message, reason="bad-credentials")


class Throttled(PermissionDenied):
    """Too many failed logins for one handle lately; ``retry_after`` seconds (>= 1) to wait.

    Raised even for the right password until enough failures have aged out;
    ``reason`` is ``"throttled"``.
    """

    def __init__(self, message: str, retry_after: int, *, value: object = None) -> None:
        super().__init__(message, field="handle", value=value, reason="throttled")
        self.retry_after = retry_after


class Unavailable(RentcalError):
    """The machine is blocked on some of the requested days.

    ``conflicts`` lists what blocks it, so callers can show or move them;
    ``machine``/``start``/``end`` name the request; ``overridable`` is true
    when the caller may force the write anyway (maintenance over rentals).
    """

    def __init__(
        self,
        message: str,
        conflicts: Sequence[Blocker] = (),
        *,
        machine: str | None = None,
        start: date | None = None,
        end: date | None = None,
        overridable: bool = False,
        reason: str | None = None,
    ) -> None:
        super().__init__(message, field="dates", value=machine, reason=reason)
        self.conflicts: tuple[Blocker, ...] = tuple(conflicts)
        self.machine = machine
        self.start = start
        self.end = end
        self.overridable = overridable


class InvalidTransition(RentcalError):
    """A status change that the rental's current status does not allow."""

    def __init__(self, message: str, current: str = "", action: str = "") -> None:
        super().__init__(message, field="status", value=current, reason=action or None)
        self.current = current
        self.action = action


class ImportFailed(InvalidRequest):
    """An all-or-nothing import found invalid rows; nothing was stored.

    ``problems`` lists every refused row (``line``, ``message``); the message
    shows the first ``limit`` of them.
    """

    def __init__(self, problems: Iterable[RefusedRow], limit: int = 20) -> None:
        self.problems: tuple[RefusedRow, ...] = tuple(problems)
        shown = "; ".join(str(p) for p in self.problems[:limit])
        more = len(self.problems) - limit
        tail = f"; and {more} more" if more > 0 else ""
        count = len(self.problems)
        super().__init__(
            f"{count} invalid row{'' if count == 1 else 's'}, nothing imported: {shown}{tail}",
            field="rows",
            reason="invalid-rows",
        )


class IdempotencyMismatch(InvalidRequest):
    """An idempotency key used again, by the same member, for a different request.

    ``field`` is ``"idempotency_key"``, ``value`` the key, ``reason``
    ``"idempotency-mismatch"``; the first request's result stays as it was.
    """


class DatabaseError(RentcalError):
    """The database cannot be used: unreachable, unreadable, or a schema too new."""


class Busy(DatabaseError):
    """The database stayed locked past the timeout. Retryable; never 'unavailable'."""


class DamagedDatabase(DatabaseError):
    """SQLite reported the file damaged (SQLITE_CORRUPT): nothing was written.

    ``detail`` is SQLite's own words ("database disk image is malformed").
    """

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail


class NoDatabase(DatabaseError):
    """There is no rentcal database where asked, and creating one was not allowed.

    ``where`` is the file or URL (password hidden), ``found`` what is there
    instead ("the file does not exist", "the file has no tables", ...).
    """

    def __init__(self, message: str, where: str = "", found: str = "") -> None:
        super().__init__(message)
        self.where = where
        self.found = found


class ForeignDatabase(DatabaseError):
    """The database belongs to another application: rentcal adds nothing to it.

    ``tables`` lists the tables rentcal does not know.
    """

    def __init__(self, message: str, tables: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.tables: tuple[str, ...] = tuple(tables)


__all__ = [
    "ArgumentTypeError",
    "AuthFailed",
    "Blocker",
    "Busy",
    "DamagedDatabase",
    "DatabaseError",
    "ForeignDatabase",
    "IdempotencyMismatch",
    "ImportFailed",
    "InvalidRequest",
    "InvalidTransition",
    "NoDatabase",
    "NotFound",
    "PermissionDenied",
    "RefusedRow",
    "RentcalError",
    "Throttled",
    "Unavailable",
]
