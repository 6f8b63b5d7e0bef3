"""How many database statements one request ran: a counter per request, cheap enough
for every statement.

The web server's request middleware calls :func:`start` when a request begins
and reads the counter's ``value`` when it ends. The counter is a small mutable
object in a context variable: Starlette's ``run_in_threadpool`` copies the
context into the worker thread, so the thread increments *the same object*
the middleware holds, and the count includes work done in the thread pool.

Every statement an engine executes is counted by a ``before_cursor_execute``
listener (:func:`attach`, called once per engine by ``make_engine``); code that
runs statements on a raw DB-API cursor, past SQLAlchemy, calls :func:`add`.
Outside a request (the CLI, tests, background tasks) nothing is counted: the
cost per statement is then one context-variable read.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine


class Counter:
    """The statements of one request so far (``value``), shared with its threads."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0


_CURRENT: ContextVar[Counter | None] = ContextVar("rentcal_query_count", default=None)


def start() -> Counter:
    """A fresh counter for the request beginning in this context (and its threads)."""
    counter = Counter()
    _CURRENT.set(counter)
    return counter


def stop() -> None:
    """Count nothing more in this context (the request ended)."""
    _CURRENT.set(None)


def add(n: int = 1) -> None:
    """Count ``n`` statements run outside SQLAlchemy (a raw cursor) for this request."""
    counter = _CURRENT.get()
    if counter is not None:
        counter.value += n


def _before_cursor_execute(*_args: Any) -> None:
    # One context-variable read and an increment: this runs for every statement.
    counter = _CURRENT.get()
    if counter is not None:
        counter.value += 1


def attach(engine: Engine) -> Engine:
    """Count every statement ``engine`` executes (once per engine); returns ``engine``."""
    if not event.contains(engine, "before_cursor_execute", _before_cursor_execute):
        event.listen(engine, "before_cursor_execute", _before_cursor_execute)
    return engine


__all__ = ["Counter", "add", "attach", "start", "stop"]
