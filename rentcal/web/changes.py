"""Live revisions for ``GET /api/changes``: one watcher per process, shared by all clients.

A change made by any process — another worker, ``rentcal book`` in a shell,
a cron import, another host — must reach every open stream within two
seconds. The watcher follows :meth:`rentcal.Rentcal.watch_revisions`: on
PostgreSQL the database announces each new revision (LISTEN/NOTIFY, with the
counter re-read after every heartbeat of silence as a safety net); on SQLite
it wakes once per ``poll_seconds`` to read the counter — one cheap read per
process, however many clients listen, and none while nobody does.

Streams end when the server shuts down (see :meth:`RevisionWatcher.stop`),
so uvicorn's graceful shutdown is not held up by clients that never leave.

A stream also ends once the credential that opened it no longer holds
(logout, expiry, deactivation, a password change, a revoked or refused token):
it is checked again -- in the database, so whichever worker or host revoked
it -- before each revision sent (at most once per :data:`RECHECK_SECONDS`) and
at least every :data:`RECHECK_SECONDS` of silence. The stream's last message
is then ``event: end`` / ``data: unauthenticated``; the client's reconnection
gets 401, on which EventSource stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING

import anyio.to_thread

from rentcal.errors import RentcalError
from rentcal.web import metrics

if TYPE_CHECKING:
    from rentcal.db.revision_watch import RevisionWatch
    from rentcal.service import Rentcal

log = logging.getLogger("rentcal.web")

#: The PostgreSQL NOTIFY channel of revision bumps (see rentcal.db.sql.credential_tables).
CHANNEL = "rentcal_revision"
#: Clients reconnect after this many milliseconds (the SSE ``retry:`` field).
RECONNECT_MS = 2000
#: A stream re-checks its credential at least this often, and at most this often
#: before a revision (so N clients add no N reads per change on a busy calendar).
RECHECK_SECONDS = 2.0
#: The last message of a stream whose credential no longer holds.
ENDED = "event: end\ndata: unauthenticated\n\n"

#: Whether the credential a stream was opened with still holds (read afresh).
StillValid = Callable[[], Awaitable[bool]]


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
            # a context of its own: started by the first stream, it must not count its
            # polling in that request's statements (rentcal.db.query_count)
            self._task = loop.create_task(
                self._run(), name="rentcal-revision-watcher", context=contextvars.Context()
            )
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
        """Follow the database's watch (rentcal.db); on trouble, poll until it is back."""
        while not self._stopping:
            try:
                watch = await anyio.to_thread.run_sync(self._open_watch)
            except RentcalError as err:
                await self._trouble(err)
                continue
            try:
                await self._follow(watch)
            except RentcalError as err:
                await self._trouble(err)
            finally:
                await anyio.to_thread.run_sync(watch.close)

    def _open_watch(self) -> RevisionWatch:
        return self.cal.watch_revisions(
            poll_seconds=self.poll_seconds, quiet_seconds=self.heartbeat_seconds
        )

    async def _follow(self, watch: RevisionWatch) -> None:
        await self.read()  # after the watch began: no change can slip between
        while not self._stopping:
            news = await anyio.to_thread.run_sync(watch.wait, abandon_on_cancel=True)
            if news is not None:
                self.publish(news)
            elif self.clients:
                await self.read()
            else:
                self.revision = None  # nobody listens: read afresh for the next client

    async def _trouble(self, err: RentcalError) -> None:
        log.warning("watching for calendar changes failed (%s); polling meanwhile", err)
        await self.read()
        await asyncio.sleep(self.poll_seconds)

    # -- the streams ---------------------------------------------------------------------

    async def stream(self, still_valid: StillValid | None = None) -> AsyncIterator[str]:
        """The SSE text of one client: the current revision, then every new one,
        until the server stops or ``still_valid`` says the credential is gone."""
        changed = self._ensure_started()
        assert self._reading is not None
        async with self._reading:  # clients arriving together share one first read
            if self.revision is None:
                await self.read()
        self.clients += 1
        metrics.SSE_CLIENTS.inc()
        try:
            yield f"retry: {RECONNECT_MS}\n\n"
            loop = asyncio.get_running_loop()
            checked = beat = loop.time()
            sent: int | None = None
            while not self._stopping:
                assert self._changed is not None
                changed = self._changed
                if self.revision is not None and self.revision != sent:
                    if still_valid is not None and loop.time() - checked >= RECHECK_SECONDS:
                        checked = loop.time()
                        if not await still_valid():
                            yield ENDED
                            return
                    sent, beat = self.revision, loop.time()
                    yield sse("revision", str(sent))
                    continue
                wait = self.heartbeat_seconds - (loop.time() - beat)
                if still_valid is not None:
                    wait = min(wait, RECHECK_SECONDS)
                try:
                    await asyncio.wait_for(changed.wait(), max(wait, 0.0))
                    continue
                except TimeoutError:
                    pass
                if still_valid is not None and loop.time() - checked >= RECHECK_SECONDS:
                    checked = loop.time()
                    if not await still_valid():
                        yield ENDED
                        return
                if loop.time() - beat >= self.heartbeat_seconds:
                    beat = loop.time()
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


__all__ = ["CHANNEL", "ENDED", "RECHECK_SECONDS", "RevisionWatcher", "StillValid", "sse"]
