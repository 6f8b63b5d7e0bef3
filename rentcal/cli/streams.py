"""Standard streams that fail cleanly: a full disk, a closed pipe, a closed stdout.

Python reports a failed write to stdout late and badly: a ``BrokenPipeError``
traceback, "Exception ignored ... BrokenPipeError" at exit, Click's exit 1
(which means "not available" to rentcal), or, with stdout closed, nothing at
all. :func:`guard_stdio` (run once by the entry point, never by tests that
drive the app in-process) puts stdout behind a writer that turns the first
failed write into :class:`OutputFailed` and drops whatever follows, so the
one error mapping in :mod:`rentcal.cli.exit_codes` reports it:

* a closed pipe (``rentcal events | head -c1``): quietly exit 141, what a
  shell reports for a tool killed by SIGPIPE;
* any other write error (``> /dev/full``, stdout closed with ``>&-``):
  ``Error: cannot write the output (stdout): ...`` and exit 74 (EX_IOERR).

Closed standard file descriptors are also re-opened on /dev/null first, so a
database file opened later can never become fd 1 and receive output.
"""

from __future__ import annotations

import errno
import io
import os
import sys
from typing import Any

#: sysexits.h EX_IOERR: the output could not be written.
EXIT_OUTPUT = 74
#: 128 + SIGPIPE: the reader of the output went away (quiet, like other tools).
EXIT_BROKEN_PIPE = 141


class OutputFailed(Exception):
    """Writing the command's output failed; ``where`` names stdout or the file.

    Deliberately not an ``OSError``: Click turns an EPIPE ``OSError`` into exit 1.
    """

    def __init__(self, err: OSError, where: str = "stdout") -> None:
        self.errno = err.errno
        self.where = where
        self.reason = err.strerror or str(err) or type(err).__name__
        super().__init__(f"cannot write the output ({where}): {self.reason}")

    @property
    def broken_pipe(self) -> bool:
        """Whether the reader went away (EPIPE): nothing more to say."""
        return self.errno == errno.EPIPE


class _GuardedFd(io.RawIOBase):
    """A raw writer on a file descriptor whose first failure is :class:`OutputFailed`.

    After that failure every write "succeeds" without writing, so buffered
    output flushed at exit cannot raise again.
    """

    def __init__(self, fd: int, *, closed_at_start: bool = False, quiet: bool = False) -> None:
        super().__init__()
        self.fd = fd
        self.closed_at_start = closed_at_start
        #: Drop a failure silently (stderr: there is nowhere left to report it).
        self.quiet = quiet
        self.failed = False

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self.fd

    def isatty(self) -> bool:
        return not self.closed_at_start and os.isatty(self.fd)

    def write(self, data: Any) -> int:
        size = len(memoryview(data))
        if self.failed:
            return size
        try:
            if self.closed_at_start:
                raise OSError(errno.EBADF, "stdout is closed")
            return os.write(self.fd, data)
        except OSError as err:
            self.failed = True
            if self.quiet:
                return size
            raise OutputFailed(err) from None

    def close(self) -> None:  # the descriptor belongs to the process, not to us
        self.flush()
        super().close()


def _reserve_standard_fds() -> set[int]:
    """Open /dev/null on every closed fd 0-2; return the ones that were closed."""
    closed: set[int] = set()
    while True:
        fd = os.open(os.devnull, os.O_RDWR)
        if fd > 2:
            os.close(fd)
            return closed
        closed.add(fd)


def guard_stdio() -> None:
    """Put stdout and stderr behind :class:`_GuardedFd`; make a closed stdin empty.

    Only the interpreter's own streams (or missing ones) are replaced: when
    something else already owns ``sys.stdout`` (a test capturing output, an
    application embedding rentcal), it is left alone.
    """
    try:
        closed = _reserve_standard_fds()
    except OSError:  # pragma: no cover - no /dev/null: leave the streams alone
        return
    old = sys.stdout
    if old is None or old is sys.__stdout__:
        raw = _GuardedFd(1, closed_at_start=1 in closed or old is None)
        strict = getattr(old, "errors", "strict") == "strict"
        sys.stdout = io.TextIOWrapper(
            io.BufferedWriter(raw),
            encoding=getattr(old, "encoding", None) or "utf-8",
            # A character the terminal's encoding lacks is escaped, never a crash.
            errors="backslashreplace" if strict else getattr(old, "errors", "strict"),
            line_buffering=raw.isatty(),
        )
    old_err = sys.stderr
    if old_err is None or old_err is sys.__stderr__:
        quiet = _GuardedFd(2, closed_at_start=2 in closed or old_err is None, quiet=True)
        sys.stderr = io.TextIOWrapper(
            io.BufferedWriter(quiet),
            encoding=getattr(old_err, "encoding", None) or "utf-8",
            errors="backslashreplace",
            write_through=True,
        )
    if sys.stdin is None:
        sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8")


def finish() -> OutputFailed | None:
    """Flush stdout at the end of a command; the failure, if the flush failed."""
    try:
        sys.stdout.flush()
    except OutputFailed as err:
        return err
    except (OSError, ValueError, AttributeError):  # not a guarded stream (tests, embedding)
        return None
    return None


def stdout_is_utf8() -> bool:
    """Whether stdout takes any character (else JSON is written as ASCII)."""
    encoding = (getattr(sys.stdout, "encoding", None) or "utf-8").lower().replace("-", "")
    return encoding in ("utf8", "utf_8")


__all__ = [
    "EXIT_BROKEN_PIPE",
    "EXIT_OUTPUT",
    "OutputFailed",
    "finish",
    "guard_stdio",
    "stdout_is_utf8",
]
