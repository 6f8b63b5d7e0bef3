"""Validation of user-supplied names and text, before any row is built.

Table models do not validate, so every value is checked here first, with a
message that names the value and the reason.
"""

from __future__ import annotations

import re

from rentcal.errors import InvalidRequest

HANDLE_RE = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}\Z")
EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+\Z")
MAX_TITLE = 200
MAX_TEXT = 2000


def clean_handle(value: object, label: str) -> str:
    """A machine name or member handle: ASCII letters, digits, '.', '_', '-'.

    Handles are case-insensitive (stored lower-case) so ``Tractor-6120`` and
    ``tractor-6120`` are one machine on every backend.
    """
    if not isinstance(value, str):
        raise InvalidRequest(f"{label} {value!r} must be text")
    handle = value.strip().lower()
    if not HANDLE_RE.match(handle):
        raise InvalidRequest(
            f"{label} {value!r} is not valid: use 1-64 ASCII letters, digits, '.', '_' or '-', "
            f"starting with a letter or digit"
        )
    return handle


def clean_text(
    value: object, label: str, *, max_len: int = MAX_TEXT, required: bool = False
) -> str | None:
    """Free text (titles, purposes, notes): trimmed, bounded, no NUL characters."""
    if value is None:
        if required:
            raise InvalidRequest(f"{label} is required")
        return None
    if not isinstance(value, str):
        raise InvalidRequest(f"{label} {value!r} must be text")
    text = value.strip()
    if "\x00" in text:
        raise InvalidRequest(f"{label} contains a NUL character")
    if len(text) > max_len:
        raise InvalidRequest(f"{label} is {len(text)} characters long; the limit is {max_len}")
    if not text:
        if required:
            raise InvalidRequest(f"{label} must not be empty")
        return None
    return text


def clean_email(value: object) -> str | None:
    """An optional e-mail address, checked only for an obvious shape."""
    email = clean_text(value, "email", max_len=254)
    if email is not None and not EMAIL_RE.match(email):
        raise InvalidRequest(f"email {email!r} is not an e-mail address")
    return email


__all__ = ["MAX_TEXT", "MAX_TITLE", "clean_email", "clean_handle", "clean_text"]
