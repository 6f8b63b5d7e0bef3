"""Validation of user-supplied names and text, before any row is built.

Table models do not validate, so every value is checked here first, with a
message that names the value and the reason.
"""

from __future__ import annotations

import re
import unicodedata

from rentcal.core.wording import quote
from rentcal.errors import InvalidRequest

HANDLE_RE = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}\Z")
EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\Z")
#: C0/C1 control characters other than tab and newline: RFC 5545 forbids them
#: in text values and they would drive a terminal (escape sequences).
CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
#: Characters that reorder or hide text on a terminal: bidirectional embeddings,
#: overrides, isolates and marks; zero-width spaces, joiners of words, invisible
#: operators, the BOM and the soft hyphen; line and paragraph separators; tag
#: characters. Refused in input, shown as "?" (or escaped in JSON) in output.
#: ZERO WIDTH (NON-)JOINER U+200C/U+200D stay allowed: scripts such as Persian
#: and the emoji of several people need them, and they never reorder text.
INVISIBLE_RE = re.compile(
    "[\u00ad\u061c\u180e\u200b\u200e\u200f\u2028-\u202e\u2060-\u2069\ufeff\U000e0000-\U000e007f]"
)
MAX_TITLE = 200
MAX_TEXT = 2000


def clean_handle(value: object, label: str) -> str:
    """A machine name or member handle: ASCII letters, digits, '.', '_', '-'.

    Handles are case-insensitive (stored lower-case) so ``Tractor-6120`` and
    ``tractor-6120`` are one machine on every backend.
    """
    if not isinstance(value, str):
        raise InvalidRequest(f"{label} {quote(value)} must be text")
    handle = value.strip().lower()
    if not HANDLE_RE.match(handle):
        raise InvalidRequest(
            f"{label} {quote(value)} is not valid: use 1-64 ASCII letters, digits, '.', '_' "
            f"or '-', starting with a letter or digit"
        )
    return handle


def clean_text(
    value: object,
    label: str,
    *,
    max_len: int = MAX_TEXT,
    required: bool = False,
    multiline: bool = True,
) -> str | None:
    """Free text (titles, purposes, notes): trimmed, bounded, printable.

    Line breaks are normalised to ``\n`` (and refused in one-line text such as
    titles and names); other control characters, NUL, characters that hide or
    reorder text (:data:`INVISIBLE_RE`) and text that is not valid Unicode
    (undecodable bytes from a terminal) are refused.
    """
    if value is None:
        if required:
            raise InvalidRequest(f"{label} is required")
        return None
    if not isinstance(value, str):
        raise InvalidRequest(f"{label} {quote(value)} must be text")
    text = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidRequest(f"{label} is not valid UTF-8 text") from None
    if "\x00" in text:
        raise InvalidRequest(f"{label} contains a NUL character")
    bad = CONTROL_RE.search(text) or (None if multiline else re.search("\n", text))
    if bad:
        raise InvalidRequest(
            f"{label} contains the control character {bad.group()!r} at position {bad.start() + 1}"
        )
    hidden = INVISIBLE_RE.search(text)
    if hidden:
        char = hidden.group()
        name = unicodedata.name(char, "a formatting character")
        raise InvalidRequest(
            f"{label} contains the invisible character U+{ord(char):04X} ({name}) at position "
            f"{hidden.start() + 1}: it can hide or reorder text on a terminal"
        )
    if len(text) > max_len:
        raise InvalidRequest(f"{label} is {len(text)} characters long; the limit is {max_len}")
    if not text:
        if required:
            raise InvalidRequest(f"{label} must not be empty")
        return None
    return text


def clean_email(value: object) -> str | None:
    """An optional e-mail address, checked only for an obvious shape."""
    email = clean_text(value, "email", max_len=254, multiline=False)
    if email is not None and not EMAIL_RE.match(email):
        raise InvalidRequest(f"email {quote(email)} is not an e-mail address")
    return email


__all__ = [
    "CONTROL_RE",
    "INVISIBLE_RE",
    "MAX_TEXT",
    "MAX_TITLE",
    "clean_email",
    "clean_handle",
    "clean_text",
]
