"""Where a member goes back to after logging in: the ``next`` of ``/login?next=...``.

A link such as ``/?machine=tractor`` sends a stranger to the login page and,
once logged in, back to that very link — path AND query. ``next`` comes from
the address bar, so anyone can write one: only a path of THIS site is ever
followed. Refused (the booking page instead): anything not starting with
one ``/`` (``https://evil.example``, ``evil.example``), ``//evil.example``
and ``/\\evil.example`` (browsers read both as another host), any backslash
(some browsers read it as ``/``), and any control character or space —
browsers drop tabs and newlines from URLs, so ``/<TAB>/evil.example`` would
become ``//evil.example``.
"""

from __future__ import annotations

#: Longest ``next`` kept (a longer one is refused, never cut into another path).
MAX_NEXT = 2000
HOME = "/"


def local_path(target: object) -> str | None:
    """``target`` when it is a path of this site (``/...``), else None."""
    if not isinstance(target, str) or not target or len(target) > MAX_NEXT:
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    if any(ch == "\\" or ch <= " " or ch == "\x7f" for ch in target):
        return None
    return target


def next_or_home(target: object) -> str:
    """The path to come back to: ``target`` if it is safe, else the booking page."""
    return local_path(target) or HOME


__all__ = ["HOME", "MAX_NEXT", "local_path", "next_or_home"]
