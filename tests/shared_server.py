"""A server shared by several tests, started by the first one that uses it (no tests here).

Starting ``rentcal serve`` costs seconds (importing rentcal in each process,
uvicorn's workers, waiting for ``/readyz``), so the server tests that leave no
state behind share one server per module (and protocol or backend), each test
with members, addresses or handles of its own. A module- or class-scoped
fixture would start it *before* the first test takes the heavy lock of
tests/conftest.py (fixtures of a wider scope are set up first), so on two cores
it would compete with another worker's heavy test. :class:`Shared` defers the
start to the first :meth:`Shared.get`, made from a test (or a function-scoped
fixture), under that test's lock; the owning fixture calls :meth:`Shared.close`.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack
from typing import Generic, TypeVar

T = TypeVar("T")


class Shared(Generic[T]):
    """What ``start()`` yields, entered at the first :meth:`get`, exited at :meth:`close`."""

    def __init__(self, start: Callable[[], AbstractContextManager[T]]) -> None:
        self._start = start
        self._stack = ExitStack()
        self._value: T | None = None

    def get(self) -> T:
        if self._value is None:
            self._value = self._stack.enter_context(self._start())
        return self._value

    def started(self) -> T | None:
        """The value, when a test has started it."""
        return self._value

    def close(self) -> None:
        """Stop it (its own checks run here), when a test started it."""
        self._value = None
        self._stack.close()
