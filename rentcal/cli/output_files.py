"""Writing what a command outputs: to stdout, or to ``-o FILE`` all at once.

A regular file is replaced atomically (through symlinks), so a web server
publishing it never serves half of it; a FIFO or device is written into; a
directory is refused (docs/cli.md). The terminal's side of output, tables and
JSON, is :mod:`rentcal.cli.render`.
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from pathlib import Path

import typer

from rentcal.cli.streams import OutputFailed
from rentcal.errors import InvalidRequest


def _umask() -> int:
    """The process's umask (reading it means setting it, so it is set back)."""
    current = os.umask(0)
    os.umask(current)
    return current


def _cannot_write(path: Path, err: OSError) -> InvalidRequest:
    """The refusal naming the path and the system's reason."""
    return InvalidRequest(f"cannot write {str(path)!r}: {err.strerror or err}")


def resolve_output(path: Path) -> Path:
    """Where writing ``path`` really lands: ``~`` expanded, every symlink followed.

    A symlinked publish path (``/var/www/html/x.ics -> ../real.ics``) then
    stays a symlink and its target is what gets replaced.
    """
    return Path(os.path.realpath(path.expanduser()))


def write_atomic(path: Path, data: bytes) -> None:
    """Replace the file at ``path`` with ``data`` all at once.

    Symlinks are followed first; the (final) target is replaced by a temp
    file written in the target's directory, fsynced, then ``os.replace``-d.
    A reader (a web server publishing the file) sees the old or the new
    content, never half of it. An existing file keeps its permission bits;
    a new one gets the usual ``0666 & ~umask``.

    Raises:
        InvalidRequest: the file cannot be created (naming the path and why).
        OutputFailed: writing it failed (a full disk); the old content is kept.
    """
    target = resolve_output(path)
    try:
        try:
            mode = stat.S_IMODE(target.stat().st_mode)
        except FileNotFoundError:
            mode = 0o666 & ~_umask()
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as err:
        raise _cannot_write(path, err) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), mode)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).replace(target)  # os.replace: atomic on POSIX and Windows
    except OSError as err:  # a full disk, an I/O error: the old file is kept
        Path(tmp).unlink(missing_ok=True)
        raise OutputFailed(err, repr(str(path))) from None


def _write_in_place(path: Path, target: Path, data: bytes) -> None:
    """Write into an existing FIFO, device or socket-like file without replacing it."""
    try:
        handle = open(target, "wb")  # noqa: SIM115 - open and write fail differently
    except OSError as err:
        raise _cannot_write(path, err) from None
    try:
        with handle:
            handle.write(data)
            handle.flush()
    except OSError as err:  # /dev/full, a FIFO whose reader left
        raise OutputFailed(err, repr(str(path))) from None


def write_file(path: Path, data: bytes) -> None:
    """``data`` into ``path`` the way ``-o FILE`` promises (see docs/cli.md).

    * a regular file, or nothing yet: replaced atomically (:func:`write_atomic`),
      following symlinks so a link keeps pointing at the new content;
    * an existing FIFO or character device (``/dev/null``, ``/dev/stdout``):
      written into directly, never replaced;
    * a directory: refused.

    Raises:
        InvalidRequest: a directory, or the file cannot be opened or created.
        OutputFailed: writing the data failed (exit 74).
    """
    target = resolve_output(path)
    try:
        info: os.stat_result | None = target.stat()
    except FileNotFoundError:
        info = None
    except OSError as err:
        raise _cannot_write(path, err) from None
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise InvalidRequest(f"output path {str(path)!r} is a directory")
    if info is not None and not stat.S_ISREG(info.st_mode):
        _write_in_place(path, target, data)
        return
    write_atomic(target, data)


def is_stdout(path: Path | None) -> bool:
    """Whether ``-o`` means stdout: not given, or ``-``."""
    return path is None or str(path) == "-"


def write_output(data: str | bytes, path: Path | None) -> None:
    """``data`` to stdout (no path, or ``-``) or to ``path`` (:func:`write_file`).

    Text gets a final newline; bytes are written as they are.
    """
    raw = data if isinstance(data, bytes) else (data + "\n").encode("utf-8")
    if path is not None and not is_stdout(path):
        write_file(path, raw)
        return
    if isinstance(data, bytes):
        sys.stdout.flush()
        sys.stdout.buffer.write(raw)
        sys.stdout.buffer.flush()
    else:
        typer.echo(data)


__all__ = ["is_stdout", "resolve_output", "write_atomic", "write_file", "write_output"]
