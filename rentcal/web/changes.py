"""Live revisions for ``GET /api/changes``: one watcher per process, shared by all clients.

A change made by any process — another worker, ``rentcal book`` in a shell,
a cron import, another host — must reach every open stream within two
seconds. The watcher learns of it

* on PostgreSQL from ``LISTEN rentcal_revision`` (the library NOTIFYs in the
  writing transaction), re-reading the counter after every heartbeat of
  silence as a safety net; and
* on SQLite by reading the counter once per ``poll_seconds`` — one cheap read
  per process, however many clients listen, and none while nobody does.

Streams end when the server shuts down (see :meth:`RevisionWatcher.stop`),
so uvicorn's graceful shutdown is not held up by clients that never leave.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import anyio.to_thread

from rentcal.db.urls import libpq_url
from rentcal.errors import RentcalError
from rentcal.web import metrics

if TYPE_CHECKING:
    from rentcal.service import Rentcal

log = logging.getLogger("rentcal.web")

#: The PostgreSQL NOTIFY channel of revision bumps (see rentcal.db.sql.accounts).
CHANNEL = "rentcal_revision"
#: Clients reconnect after this many milliseconds (the SSE ``retry:`` field).
RECONNECT_MS = 2000


def sse(event: str | None, data: str) -> str:
    """One Server-Sent Events message."""
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {data}\n\n"


class RevisionWatcher:
    """The latest revision of the calendar, and a way to wait for the next one."""

    def __init__(self, cal: Rentcal, *, poll_seconds: float, heartbeat_seconds: float) -> None:
        self.cal = cal
        self.poll_seconds = poll_seconds
        self.heartbeat_seconds = heartbeat_seconds
        self.revision: int | None = None
        self.clients = 0
        self._changed: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping = False
        self._reading: asyncio.Lock | None = None

    # -- the one reader per process -------------------------------------------------

    def _ensure_started(self) -> asyncio.Event:
        loop = asyncio.get_running_loop()
        if self._loop is not loop or self._task is None or self._task.done():
            self._loop = loop
            self._changed = asyncio.Event()
            self._reading = asyncio.Lock()
            self._stopping = False
            self._task = loop.create_task(self._run(), name="rentcal-revision-watcher")
        assert self._changed is not None
        return self._changed

    def publish(self, revision: int) -> None:
        """Record a revision seen and wake every waiting stream (loop thread only)."""
        if self.revision is not None and revision <= self.revision:
            return
        self.revision = revision
        if self._changed is not None:
            old, self._changed = self._changed, asyncio.Event()
            old.set()

    async def read(self) -> int | None:
        """Read the counter once (in a worker thread); None when the database failed."""
        try:
            revision, _ = await anyio.to_thread.run_sync(self.cal.revision)
        except RentcalError as err:
            log.warning("cannot read the revision: %s", err)
            return None
        self.publish(revision)
        return revision

    async def _run(self) -> None:
        if self.cal.store.dialect == "postgresql":
            await self._listen()
        else:
            await self._poll()

    async def _poll(self) -> None:
        while not self._stopping:
            await asyncio.sleep(self.poll_seconds)
            if self.clients:
                await self.read()
            else:
                self.revision = None  # nobody listens: read afresh for the next client

    async def _listen(self) -> None:
        """LISTEN on PostgreSQL; on any connection trouble, poll until it is back."""
        import psycopg

        conninfo = libpq_url(self.cal.store.url)
        while not self._stopping:
            try:
                conn = await psycopg.AsyncConnection.connect(conninfo, autocommit=True)
                async with conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    await self.read()  # after LISTEN: no change can slip between
                    while not self._stopping:
                        async for note in conn.notifies(timeout=self.heartbeat_seconds):
                            with contextlib.suppress(ValueError):
                                self.publish(int(note.payload))
                        await self.read()
            except (psycopg.Error, OSError) as err:
                log.warning("LISTEN %s failed (%s); polling meanwhile", CHANNEL, err)
                await self.read()
                await asyncio.sleep(self.poll_seconds)

    # -- the streams ---------------------------------------------------------------------

    async def stream(self) -> AsyncIterator[str]:
        """The SSE text of one client: the current revision, then every new one."""
        changed = self._ensure_started()
        assert self._reading is not None
        async with self._reading:  # clients arriving together share one first read
            if self.revision is None:
                await self.read()
        self.clients += 1
        metrics.SSE_CLIENTS.inc()
        try:
            yield f"retry: {RECONNECT_MS}\n\n"
            sent: int | None = None
            while not self._stopping:
                assert self._changed is not None
                changed = self._changed
                if self.revision is not None and self.revision != sent:
                    sent = self.revision
                    yield sse("revision", str(sent))
                    continue
                try:
                    await asyncio.wait_for(changed.wait(), self.heartbeat_seconds)
                except TimeoutError:
                    yield ": heartbeat\n\n"
        finally:
            self.clients -= 1
            metrics.SSE_CLIENTS.dec()

    def stop(self) -> None:
        """End every stream and the reader (loop thread only): the server is stopping."""
        self._stopping = True
        if self._changed is not None:
            self._changed.set()
        if self._task is not None:
            self._task.cancel()

    async def aclose(self) -> None:
        """Stop and wait for the reader to finish."""
        self.stop()
        task, self._task = self._task, None
        if task is not None and task.get_loop() is asyncio.get_running_loop():
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


__all__ = ["CHANNEL", "RevisionWatcher", "libpq_url", "sse"]
