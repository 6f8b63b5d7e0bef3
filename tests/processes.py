"""Workers released together that can never hang the test run (this module holds no tests).

The race tests start forked processes (or threads) that wait at a barrier and then
race on one database. Written by hand, each test used to wait at a barrier with no
timeout, read results with no timeout and leave non-daemon children behind when an
assertion failed. One child dying before the barrier (or raising before it reported)
left the others waiting for ever; the test failed after its joins, and then
multiprocessing's exit handler joined the hung children and pytest never exited.
On a starved CI host (2 cores, load average in the hundreds) that ate the whole run.

:func:`in_processes` and :func:`in_threads` are the one way to do it:

- the start barrier has a timeout, and a worker that fails aborts it, so the others
  stop waiting at once; a broken barrier is an error the worker reports;
- the parent collects exactly one report per worker, with one deadline for all;
- a worker that exits without reporting (``os._exit``, a crash, a signal) is noticed
  as soon as it is gone: each worker has its own pipe, whose only writer is that
  worker, so its end is an end-of-file in the parent;
- whatever happens, leftover processes are terminated, then killed, and joined, and
  threads are daemons, so nothing is left for the interpreter's exit to wait for;
- a failure is one :class:`WorkersFailed` naming each worker that failed, how
  (its traceback, its exit code, or silence) and its job.
"""

from __future__ import annotations

import multiprocessing as mp
import multiprocessing.connection
import reprlib
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from multiprocessing.process import BaseProcess
from typing import Any, TypeVar

T = TypeVar("T")

#: Forked, as the tests always did: a child inherits the set-up (and imports) of the parent.
CTX = mp.get_context("fork")
#: How long a worker waits at the start line for the others (on a starved host).
BARRIER_TIMEOUT = 120.0
#: How long a worker that has reported may take to exit.
EXIT_GRACE = 30.0
#: After the first failure, how long the others get to report (their errors say why).
FAILURE_GRACE = 5.0

#: The start signal a worker calls once it is ready: returns when all are.
Start = Callable[[], None]

#: What a worker's report says (the last two are the parent's, for a worker that sent none).
_OK, _RAISED, _NO_START, _EXITED, _SILENT = "ok", "raised", "no start", "exited", "silent"


class WorkersFailed(AssertionError):
    """A worker raised, exited without reporting, or did not report in time.

    An ``AssertionError``, so pytest shows it as a failed test with its message.
    """


def _starter(barrier: Any, timeout: float) -> Start:
    """The worker's start signal: a broken or timed-out barrier is an error, not a hang."""

    def start() -> None:
        try:
            barrier.wait(timeout)
        except threading.BrokenBarrierError:
            raise _BrokenStart(
                f"the start barrier broke: another worker failed or did not reach it "
                f"within {timeout:g}s"
            ) from None

    return start


class _BrokenStart(RuntimeError):
    """The start never came; reported apart, so the worker that broke it is named first."""


def _outcome(
    target: Callable[..., Any], start: Start, job: tuple[Any, ...], barrier: Any
) -> tuple[str, Any]:
    """``(kind, value)``: the target's result, or its traceback (after aborting the barrier)."""
    try:
        return _OK, target(start, *job)
    except _BrokenStart as err:
        return _NO_START, str(err)
    except BaseException:
        barrier.abort()  # the others stop waiting for this one
        return _RAISED, traceback.format_exc()


def _child(
    target: Callable[..., Any],
    job: tuple[Any, ...],
    barrier: Any,
    barrier_timeout: float,
    report: multiprocessing.connection.Connection,
) -> None:
    """One forked worker: run the target, send one report, exit 0."""
    kind, value = _outcome(target, _starter(barrier, barrier_timeout), job, barrier)
    try:
        report.send((kind, value))
    except Exception:  # an unpicklable result: say so instead of dying silently
        report.send((_RAISED, f"its result could not be sent:\n{traceback.format_exc()}"))
    report.close()


def in_processes(
    target: Callable[..., T],
    jobs: Sequence[tuple[Any, ...]],
    *,
    timeout: float,
    barrier_timeout: float = BARRIER_TIMEOUT,
) -> list[T]:
    """``target(start, *job)`` in one forked process per job; their results, in job order.

    ``start`` is the start signal (:data:`Start`): each worker connects and warms
    up, then calls it, and all go on together. ``timeout`` bounds the wait for
    every result (from the start of the first process); ``barrier_timeout`` the
    wait at the start line. Raises :class:`WorkersFailed` if a worker raises,
    exits without reporting, does not report in time, or exits with a code other
    than 0 — and never returns or raises with a worker still running.
    """
    barrier = CTX.Barrier(len(jobs))
    procs: list[BaseProcess] = []
    readers: list[multiprocessing.connection.Connection] = []
    try:
        for i, job in enumerate(jobs):
            reader, writer = CTX.Pipe(duplex=False)
            readers.append(reader)
            proc = CTX.Process(
                target=_child,
                args=(target, job, barrier, barrier_timeout, writer),
                name=f"worker {i}",
            )
            try:
                proc.start()
            finally:
                writer.close()  # the child holds the only writer: its exit is our EOF
            procs.append(proc)
        results = _collect(procs, readers, jobs, timeout)
        _check_exits(procs, jobs)
        return results
    finally:
        stop(procs)
        for reader in readers:
            reader.close()


def _collect(
    procs: list[BaseProcess],
    readers: list[multiprocessing.connection.Connection],
    jobs: Sequence[tuple[Any, ...]],
    timeout: float,
) -> list[Any]:
    """One report per worker within ``timeout``, or :class:`WorkersFailed`."""
    deadline = time.monotonic() + timeout
    reports: dict[int, tuple[str, Any]] = {}
    while len(reports) < len(procs):
        left = deadline - time.monotonic()
        if left <= 0:
            break
        waiting = [i for i in range(len(procs)) if i not in reports]
        ready = multiprocessing.connection.wait([readers[i] for i in waiting], timeout=left)
        for i in waiting:
            if readers[i] not in ready:
                continue
            try:
                reports[i] = readers[i].recv()
            except EOFError:  # gone without a word
                procs[i].join(EXIT_GRACE)
                reports[i] = (_EXITED, procs[i].exitcode)
        if any(kind != _OK for kind, _ in reports.values()):
            deadline = min(deadline, time.monotonic() + FAILURE_GRACE)
    failures = _failures(reports, jobs, timeout, "worker", "stopped")
    if failures:
        raise WorkersFailed(failures)
    return [reports[i][1] for i in range(len(procs))]


def _failures(
    reports: dict[int, tuple[str, Any]],
    jobs: Sequence[tuple[Any, ...]],
    timeout: float,
    noun: str,
    fate: str,
) -> str:
    """What went wrong, worker by worker (the cause first, then those it stopped); "" if fine.

    ``fate`` says what became of a worker that never reported ("stopped").
    """
    failed = any(kind != _OK for kind, _ in reports.values())
    first: list[str] = []
    then: list[str] = []
    for i, job in enumerate(jobs):
        name = f"{noun} {i} (job {reprlib.repr(job)})"
        kind, value = reports.get(i, (_SILENT, None))
        if kind == _RAISED:
            first.append(f"{name} raised:\n{value}")
        elif kind == _EXITED:
            first.append(f"{name} exited with code {value} before reporting")
        elif kind == _NO_START:
            then.append(f"{name}: {value}")
        elif kind == _SILENT and failed:
            late = f"had not reported {FAILURE_GRACE:g}s after the first failure"
            then.append(f"{name} {late} ({fate})")
        elif kind == _SILENT:
            first.append(f"{name} did not report within {timeout:g}s ({fate})")
    if not first and not then:
        return ""
    told = sum(kind == _OK for kind, _ in reports.values())
    return "\n".join([f"{told} of {len(jobs)} {noun}s reported a result;", *first, *then])


def _check_exits(procs: list[BaseProcess], jobs: Sequence[tuple[Any, ...]]) -> None:
    """Every worker, having reported, exits with 0 within :data:`EXIT_GRACE`."""
    deadline = time.monotonic() + EXIT_GRACE
    for proc in procs:
        proc.join(max(0.0, deadline - time.monotonic()))
    bad = [
        f"worker {i} (job {reprlib.repr(job)}) reported, then "
        + ("did not exit" if proc.exitcode is None else f"exited with code {proc.exitcode}")
        for i, (proc, job) in enumerate(zip(procs, jobs, strict=True))
        if proc.exitcode != 0
    ]
    if bad:
        raise WorkersFailed("\n".join(bad))


def stop(procs: Sequence[BaseProcess]) -> None:
    """Terminate, then kill, and join every process still running (10 s at most).

    Called in a ``finally``: a child left running would be joined, without a
    timeout, by multiprocessing's exit handler, and pytest would never exit.
    """
    for signal_them in (BaseProcess.terminate, BaseProcess.kill):
        running = [proc for proc in procs if proc.is_alive()]
        for proc in running:
            signal_them(proc)
        deadline = time.monotonic() + 5
        for proc in running:
            proc.join(max(0.0, deadline - time.monotonic()))


def in_threads(
    target: Callable[..., T],
    jobs: Sequence[tuple[Any, ...]],
    *,
    timeout: float,
    barrier_timeout: float = BARRIER_TIMEOUT,
) -> list[T]:
    """``target(start, *job)`` in one daemon thread per job; their results, in job order.

    As :func:`in_processes`, for threads: a thread cannot be killed, so one that
    does not finish within ``timeout`` is left running as a daemon (it cannot keep
    the interpreter from exiting) and the call raises :class:`WorkersFailed`.
    """
    barrier = threading.Barrier(len(jobs))
    start = _starter(barrier, barrier_timeout)
    reports: dict[int, tuple[str, Any]] = {}
    finished = threading.Semaphore(0)

    def run(i: int, job: tuple[Any, ...]) -> None:
        try:
            reports[i] = _outcome(target, start, job, barrier)
        finally:
            finished.release()

    threads = [
        threading.Thread(target=run, args=(i, job), name=f"thread {i}", daemon=True)
        for i, job in enumerate(jobs)
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for _ in threads:
        left = deadline - time.monotonic()
        if left <= 0 or not finished.acquire(timeout=left):
            break
        if any(kind != _OK for kind, _ in list(reports.values())):
            deadline = min(deadline, time.monotonic() + FAILURE_GRACE)
    done = dict(reports)
    failures = _failures(done, jobs, timeout, "thread", "left running, a daemon")
    if failures:
        raise WorkersFailed(failures)
    for thread in threads:
        thread.join(EXIT_GRACE)  # each has reported: it is returning
    return [done[i][1] for i in range(len(jobs))]
