"""Argument checks for the public API: refuse a wrong argument, never convert it.

Every public method of :class:`rentcal.Rentcal` passes its arguments through
these before it touches the database, so a wrong argument fails the same way
on every backend, with a message and a ``field`` naming the parameter:

- a value of the wrong *type* (``admin="no"``, a date given as ``20300110``
  or ``"2030-01-10"``, a dict where an import row belongs) is an
  :class:`~rentcal.errors.ArgumentTypeError` — both an ``InvalidRequest``
  and a ``TypeError``;
- a value of the right type that makes no sense (``min_days=0``, id ``0``) is
  an :class:`~rentcal.errors.InvalidRequest`.

Nothing is coerced: ``"no"`` is not ``False``, ``1`` is not ``True``, ``"7"``
is not ``7``. The checks are pure (no database, no clock), so they are the
same for SQLite and PostgreSQL by construction.
"""

from __future__ import annotations

import math
import reprlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar

from rentcal.core.pricing import parse_amount
from rentcal.core.types import parse_enum
from rentcal.core.validate import MAX_TEXT, MAX_TITLE, clean_email, clean_handle, clean_text
from rentcal.errors import ArgumentTypeError, InvalidRequest

E = TypeVar("E", bound=Enum)

#: Ids are 32-bit on every backend; larger numbers cannot name a row.
MAX_ID = 2**31 - 1

_shorten = reprlib.Repr()
_shorten.maxstring = 60
_shorten.maxother = 60


def shown(value: object) -> str:
    """``str 'no'``: a value's type and a bounded repr, for messages."""
    return f"{type(value).__name__} {_shorten.repr(value)}"


def wrong_type(
    name: str, expected: str, value: object, *, field: str | None = None
) -> ArgumentTypeError:
    """The error for ``name`` given ``value`` where ``expected`` belongs."""
    return ArgumentTypeError(
        f"{name} must be {expected}, not {shown(value)}",
        field=field or name,
        value=value,
        reason="wrong-type",
    )


@contextmanager
def about(name: str, value: object = None) -> Iterator[None]:
    """Fill in ``field`` (and ``value``) of an InvalidRequest raised inside, if unset.

    The value validators (:mod:`rentcal.core.validate`, ...) phrase their
    messages with human labels; this names the parameter for programs.
    """
    try:
        yield
    except InvalidRequest as err:
        if err.field is None:
            err.field = name
            err.value = value
        raise


def flag(value: object, name: str) -> bool:
    """A boolean flag: exactly True or False (``"no"``, ``0`` and ``None`` are refused)."""
    if not isinstance(value, bool):
        raise wrong_type(name, "True or False", value)
    return value


def day(value: object, name: str) -> date:
    """A whole day: a ``datetime.date`` that is not a ``datetime``."""
    if isinstance(value, datetime):  # a date subclass, but not a whole day
        raise ArgumentTypeError(
            f"{name} {value!r} is a datetime; pass a date",
            field=name,
            value=value,
            reason="wrong-type",
        )
    if not isinstance(value, date):
        raise wrong_type(name, "a datetime.date", value)
    return value


def optional_day(value: object, name: str) -> date | None:
    """A whole day or None."""
    return None if value is None else day(value, name)


def text(value: object, name: str) -> str:
    """A str (its content is checked by the caller's validator)."""
    if not isinstance(value, str):
        raise wrong_type(name, "a str", value)
    return value


def text_or_none(value: object, name: str) -> str | None:
    """A str or None (its content is checked by the caller's validator)."""
    return None if value is None else text(value, name)


def handle(value: object, name: str, label: str | None = None) -> str:
    """A machine name or member handle, cleaned (lower-case, checked).

    ``label`` is how messages name it ("member handle"); ``field`` is ``name``.
    """
    if not isinstance(value, str):
        raise wrong_type(name, "a str (a handle such as 'tractor')", value)
    with about(name, value):
        return clean_handle(value, label or name)


def optional_handle(value: object, name: str, label: str | None = None) -> str | None:
    """A handle, or None for "not given"."""
    return None if value is None else handle(value, name, label)


def free_text(value: object, name: str, *, max_len: int = MAX_TEXT) -> str | None:
    """Optional free text (a purpose, a reason, notes): a str or None, then cleaned.

    Blank text is None; control characters and over-long text are refused.
    """
    with about(name, value):
        return clean_text(text_or_none(value, name), name, max_len=max_len)


def title(value: object, name: str) -> str | None:
    """An optional one-line title or display name (no line breaks), cleaned."""
    with about(name, value):
        return clean_text(text_or_none(value, name), name, max_len=MAX_TITLE, multiline=False)


def email(value: object, name: str) -> str | None:
    """An optional e-mail address, checked for an obvious shape."""
    with about(name, value):
        return clean_email(text_or_none(value, name))


def whole_number(value: object, name: str) -> int:
    """An int that is not a bool (``True`` is not 1 here)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise wrong_type(name, "an int", value)
    return value


def positive_int(value: object, name: str, what: str = "a whole number") -> int:
    """An int >= 1."""
    number = whole_number(value, name)
    if number < 1:
        raise InvalidRequest(
            f"{name} {number} must be {what} of at least 1",
            field=name,
            value=number,
            reason="range",
        )
    return number


#: The longest request expiry: ten years of hours (longer means "never" anyway).
MAX_EXPIRY_HOURS = 24 * 3660


def optional_hours(value: object, name: str) -> int | None:
    """None, or a whole number of hours from 1 to :data:`MAX_EXPIRY_HOURS`."""
    if value is None:
        return None
    hours = positive_int(value, name, "a number of hours")
    if hours > MAX_EXPIRY_HOURS:
        raise InvalidRequest(
            f"{name} {hours} is more than {MAX_EXPIRY_HOURS} hours (ten years); "
            "leave it unset for no expiry",
            field=name,
            value=hours,
            reason="range",
        )
    return hours


def record_id(value: object, name: str, label: str) -> int:
    """A row id: an int from 1 to :data:`MAX_ID`; ``label`` is "rental", "maintenance"."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise wrong_type(name, f"an int (a {label} id from 1 to {MAX_ID})", value)
    if not 1 <= value <= MAX_ID:
        raise InvalidRequest(
            f"{label} id {value!r} must be a whole number from 1 to {MAX_ID}",
            field=name,
            value=value,
            reason="bad-id",
        )
    return value


def seconds(value: object, name: str, low: float, high: float) -> float:
    """A number of seconds (int or float, not bool) from ``low`` to ``high``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise wrong_type(name, "a number of seconds", value)
    if not (math.isfinite(value) and low <= value <= high):
        raise InvalidRequest(
            f"{name} {value!r} must be a number of seconds from {low:g} to {high:g}",
            field=name,
            value=value,
            reason="range",
        )
    return float(value)


def zone(value: object, name: str = "timezone") -> str:
    """An IANA time zone name known to this host (``Europe/Berlin``, ``UTC``), as given.

    A str that names no zone is an InvalidRequest naming the value; anything
    else an ArgumentTypeError. Only the name is returned: callers build the
    ``ZoneInfo`` when they need it (zoneinfo caches them).
    """
    if not isinstance(value, str):
        raise wrong_type(name, "a time zone name (str)", value)
    clean = value.strip()
    from zoneinfo import ZoneInfo

    try:
        ZoneInfo(clean)
    except (ValueError, LookupError, OSError):  # ZoneInfoNotFoundError is a KeyError
        raise InvalidRequest(
            f"{name} {_shorten.repr(value)} is not a known time zone: give an IANA name such as "
            "'Europe/Berlin', 'America/New_York' or 'UTC'",
            field=name,
            value=value,
            reason="unknown-timezone",
        ) from None
    return clean


def amount(value: object, name: str, label: str) -> Decimal:
    """Money: a Decimal, an int or a string like ``"120.50"`` (never a float or a bool)."""
    if isinstance(value, bool) or not isinstance(value, (Decimal, int, str)):
        raise wrong_type(
            name,
            "a Decimal or a string like '120.50' (or an int; floats cannot hold cents exactly)",
            value,
        )
    with about(name, value):
        return parse_amount(value, label=label)


def optional_amount(value: object, name: str, label: str) -> Decimal | None:
    """Money or None (none: a unit price or a minimum charge the machine does not have)."""
    return None if value is None else amount(value, name, label)


def choice(value: object, enum: type[E], name: str, label: str | None = None) -> E:
    """A member of ``enum``, or its value as a str (any case); other enums are refused."""
    if isinstance(value, enum):
        return value
    if isinstance(value, Enum) or not isinstance(value, str):
        names = ", ".join(repr(str(m.value)) for m in enum)
        raise wrong_type(name, f"a {enum.__name__} or one of {names}", value)
    with about(name, value):
        return parse_enum(enum, value, label or name)


def choices(value: object, enum: type[E], name: str, label: str | None = None) -> list[E]:
    """A filter: None (no filter), one choice, or an iterable of choices."""
    if value is None:
        return []
    if isinstance(value, (str, Enum)):
        return [choice(value, enum, name, label)]
    return [choice(item, enum, name, label) for item in iterable(value, name)]


def iterable(value: object, name: str) -> Iterable[Any]:
    """An iterable of items: not a str, bytes or mapping (they iterate characters or keys)."""
    if isinstance(value, (str, bytes, bytearray, Mapping)) or not isinstance(value, Iterable):
        raise wrong_type(name, "an iterable (a list, a tuple, a generator)", value)
    return value


def items(value: object, kinds: tuple[type, ...], name: str, expected: str) -> list[Any]:
    """Every item of an iterable, each an instance of ``kinds``; the item is named ``name[i]``."""
    found = list(iterable(value, name))
    for index, item in enumerate(found):
        if not isinstance(item, kinds):
            raise wrong_type(f"{name}[{index}]", expected, item, field=name)
    return found


def callback(value: object, name: str) -> Callable[..., Any] | None:
    """A callable or None."""
    if value is not None and not callable(value):
        raise wrong_type(name, "a callable or None", value)
    return value


__all__ = [
    "MAX_EXPIRY_HOURS",
    "MAX_ID",
    "about",
    "amount",
    "callback",
    "choice",
    "choices",
    "day",
    "email",
    "flag",
    "free_text",
    "handle",
    "items",
    "iterable",
    "optional_day",
    "optional_handle",
    "optional_hours",
    "positive_int",
    "record_id",
    "seconds",
    "shown",
    "text",
    "text_or_none",
    "title",
    "whole_number",
    "wrong_type",
]
