"""A small bounded cache of answers, for the per-worker caches of :mod:`.quick_reads`.

Every entry carries the revision it was read at, and the caller compares it
with the revision it has just read: an entry is used only while nothing has
changed, never for a time (the design's "5-minute TTL" made exact). The size
is bounded, so no client can grow a worker's memory by asking many questions.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class AnswerCache(Generic[K, V]):
    """At most ``size`` entries; the least recently used goes first. Thread-safe:
    SQLite requests use it on the event loop, PostgreSQL ones in the thread pool."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        """The entry for ``key``, or None."""
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: K, value: V) -> None:
        """Remember ``value`` for ``key``, forgetting the oldest entry when full."""
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def drop(self, key: K) -> None:
        """Forget ``key`` (no error if it is not there)."""
        with self._lock:
            self._entries.pop(key, None)

    def __len__(self) -> int:
        return len(self._entries)


__all__ = ["AnswerCache"]
