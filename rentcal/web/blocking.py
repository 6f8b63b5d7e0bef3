"""Where the library's blocking calls run: on the event loop, or in the thread pool.

A trip through the thread pool costs about as much CPU as a small SQLite
read (~0.1 ms each, measured), so the hottest endpoints run their *short
reads* on SQLite inline: a read transaction in WAL mode never waits for a
writer, so it cannot stall the loop. Everything else goes through the pool:
writes (they may wait for the write lock), every PostgreSQL call (a network
round trip), and building large documents (feeds, many events).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from starlette.concurrency import run_in_threadpool

from rentcal.service import Rentcal

T = TypeVar("T")


async def quick_read(cal: Rentcal, fn: Callable[[], T]) -> T:
    """``fn()``: a few indexed reads; inline on SQLite, in the thread pool otherwise."""
    if cal.dialect == "sqlite":
        return fn()
    return await run_in_threadpool(fn)


async def in_thread(fn: Callable[[], T]) -> T:
    """``fn()`` in the thread pool: writes, PostgreSQL, big documents."""
    return await run_in_threadpool(fn)


async def housekept(cal: Rentcal) -> None:
    """Settle what time made stale (expired requests, ended rentals) before a cached answer.

    The revision read next then covers it: a feed or events ETag never lets a
    client keep a copy that still shows an expired request. Costs a few
    indexed reads; the write happens only when something is stale.
    """
    if await quick_read(cal, cal.housekeeping_due):
        await in_thread(cal.housekeeping)


__all__ = ["housekept", "in_thread", "quick_read"]
