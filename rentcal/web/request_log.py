"""Where a worker's log lines go: stderr, written in batches.

One line per request is the server's access log; at thousands of requests a
second, writing each line with its own system call (stderr is line-buffered)
and formatting its time stamp from scratch cost as much as answering a cached
check. Here lines collect in a buffer that a background thread writes out
every :data:`FLUSH_SECONDS` (and at exit); a WARNING or worse is written at
once, so a slow request or an error is never held back. The time stamp is
formatted once per second.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import logging
import os
import sys
import threading
import time
from typing import TextIO

#: Longest a request's line waits in the buffer.
FLUSH_SECONDS = 0.5
#: The buffer written at once when it holds this much.
BUFFER_BYTES = 64 * 1024


class SecondFormatter(logging.Formatter):
    """``%(asctime)s`` formatted once per second, then reused."""

    def __init__(self, fmt: str) -> None:
        super().__init__(fmt)
        self._second = -1
        self._text = ""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        """The record's time, ``2030-01-09 12:00:00,123`` as logging's default."""
        second = int(record.created)
        if second != self._second:
            self._second = second
            self._text = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(second))
        return f"{self._text},{int(record.msecs):03d}"


class BatchedStreamHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A StreamHandler over a block-buffered stream, flushed in the background."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__(stream)
        self._stop = threading.Event()
        self._flusher = threading.Thread(target=self._flush_often, daemon=True)
        self._flusher.start()
        atexit.register(self.close)

    def flush(self) -> None:
        """Nothing per record: the background thread and WARNINGs flush."""

    def emit(self, record: logging.LogRecord) -> None:
        """Buffer the line; write it out at once when it reports a problem."""
        super().emit(record)
        if record.levelno >= logging.WARNING:
            self.flush_now()

    def flush_now(self) -> None:
        """Write out what the buffer holds."""
        with self.lock, contextlib.suppress(OSError, ValueError):  # type: ignore[union-attr]
            self.stream.flush()  # (stderr gone: nothing to report that to)

    def _flush_often(self) -> None:
        while not self._stop.wait(FLUSH_SECONDS):
            self.flush_now()

    def close(self) -> None:
        """Write out the rest and stop the background thread."""
        self._stop.set()
        self.flush_now()
        super().close()


def stderr_handler() -> logging.Handler:
    """The worker's log handler: stderr, batched; plain stderr when it has no descriptor."""
    formatter = SecondFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        stream: TextIO = io.TextIOWrapper(
            open(os.dup(sys.stderr.fileno()), "wb", buffering=BUFFER_BYTES),  # noqa: SIM115
            encoding="utf-8",
            errors="backslashreplace",
            write_through=False,
        )
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        plain = logging.StreamHandler(sys.stderr)  # a test's captured stderr: no descriptor
        plain.setFormatter(formatter)
        return plain
    handler = BatchedStreamHandler(stream)
    handler.setFormatter(formatter)
    return handler


def flush_all(logger: logging.Logger) -> None:
    """Write out every batched line of ``logger`` (a worker stopping)."""
    for handler in logger.handlers:
        if isinstance(handler, BatchedStreamHandler):
            handler.flush_now()


__all__ = [
    "BUFFER_BYTES",
    "FLUSH_SECONDS",
    "BatchedStreamHandler",
    "SecondFormatter",
    "flush_all",
    "stderr_handler",
]
