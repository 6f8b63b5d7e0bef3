"""The one exception hierarchy of rentcal.

Every error a caller can act on is a :class:`RentcalError`; the CLI maps each
subclass to an exit code in exactly one place (``rentcal.cli.errors``).
Errors carry structured fields besides their message so callers need not
parse text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rentcal.core.availability import Conflict


class RentcalError(Exception):
    """Base class: something the caller asked for cannot be done."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class NotFound(RentcalError):
    """A machine, member, rental or maintenance named by the caller does not exist."""


class InvalidRequest(RentcalError):
    """The request is malformed: bad dates, bad amounts, retired machine, ..."""


class PermissionDenied(RentcalError):
    """The acting member may not do this (not an admin, not verified, not theirs)."""


class Unavailable(RentcalError):
    """The machine is blocked on some of the requested days.

    ``conflicts`` lists what blocks it, so callers can show or move them.
    """

    def __init__(self, message: str, conflicts: Sequence[Conflict] = ()) -> None:
        super().__init__(message)
        self.conflicts: tuple[Conflict, ...] = tuple(conflicts)


class InvalidTransition(RentcalError):
    """A status change that the rental's current status does not allow."""

    def __init__(self, message: str, current: str = "", action: str = "") -> None:
        super().__init__(message)
        self.current = current
        self.action = action


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
    "Busy",
    "DamagedDatabase",
    "DatabaseError",
    "ForeignDatabase",
    "InvalidRequest",
    "InvalidTransition",
    "NoDatabase",
    "NotFound",
    "PermissionDenied",
    "RentcalError",
    "Unavailable",
]
