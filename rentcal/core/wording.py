"""How rentcal words its messages: bounded quotes of what the user typed, plurals.

Pure text helpers shared by every layer, so a 100 kB name never becomes a
100 kB error line and "1 day" is never "1 days".

>>> quote("x" * 50)
"'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...'"
>>> plural(1, "day"), plural(2, "day"), plural(0, "entry", "entries")
('1 day', '2 days', '0 entries')
"""

from __future__ import annotations

#: Characters of user input repeated in a message before it is cut with "...".
MAX_QUOTE = 40


def shorten(text: str, limit: int = MAX_QUOTE) -> str:
    """``text`` cut to ``limit`` characters plus "..." when longer (ASCII, so any
    terminal encoding can print it)."""
    return text if len(text) <= limit else text[:limit] + "..."


def quote(value: object, limit: int = MAX_QUOTE) -> str:
    """``repr(value)`` of at most ``limit`` characters of the value.

    ``repr`` escapes control and formatting characters (``'\\x1b'``,
    ``'\\u202e'``), so the quote is also safe to print.
    """
    if isinstance(value, str):
        return repr(shorten(value, limit))
    return shorten(repr(value), limit)


def plural(count: int, word: str, many: str | None = None) -> str:
    """``"1 day"``, ``"3 days"``; ``many`` for irregular plurals."""
    return f"{count} {word if count == 1 else (many or word + 's')}"


__all__ = ["MAX_QUOTE", "plural", "quote", "shorten"]
