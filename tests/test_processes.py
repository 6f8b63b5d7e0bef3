"""The race tests' workers (tests/processes.py) fail fast and leave nothing running.

A worker that dies before the start barrier, raises, or never reports must fail
the test with a message naming it, well within the bounds given, and no child
process may outlive the call (multiprocessing's exit handler would wait for it,
and pytest would never exit). The bounds here are short, so that a helper that
waited them out would still fail, on its message, instead of hanging the run.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import threading
import time
from collections.abc import Iterator

import pytest

from tests import processes
from tests.processes import Start, WorkersFailed, in_processes, in_threads


@pytest.fixture
def no_child_left() -> Iterator[None]:
    """After the test, no process it started is still running (nor left to reap)."""
    before = {p.pid for p in mp.active_children()}
    yield
    assert {p.pid for p in mp.active_children()} <= before


def _double(start: Start, value: int) -> int:
    start()
    return value * 2


def _exit_before_start(start: Start, i: int) -> int:
    if i == 0:
        os._exit(3)
    start()
    return i


def _raise_before_start(start: Start, i: int) -> int:
    if i == 0:
        raise ValueError("boom before the start")
    start()
    return i


def _hang_after_start(start: Start, i: int) -> int:
    start()
    if i == 1:
        time.sleep(600)
    return i


def _linger(start: Start, code: int | None) -> int:
    """Report, then exit with ``code`` (or never): a non-daemon thread the exit waits for."""
    start()

    def then() -> None:
        time.sleep(0.2)
        if code is None:
            time.sleep(600)
        os._exit(code or 0)

    threading.Thread(target=then).start()
    return 0


@pytest.mark.usefixtures("no_child_left")
class TestProcesses:
    """One forked process per job; every failure is named, no process outlives the call."""

    def test_results_come_in_job_order(self) -> None:
        assert in_processes(_double, [(i,) for i in range(4)], timeout=60) == [0, 2, 4, 6]

    def test_a_worker_gone_before_the_barrier_fails_fast(self) -> None:
        with pytest.raises(WorkersFailed) as info:
            jobs = [(i,) for i in range(3)]
            in_processes(_exit_before_start, jobs, timeout=60, barrier_timeout=2)
        message = str(info.value)
        assert message.startswith("0 of 3 workers reported a result;\n"), message
        assert "worker 0 (job (0,)) exited with code 3 before reporting" in message
        assert "did not report within 60s" not in message  # noticed, not waited out

    def test_a_worker_raising_before_the_barrier_releases_the_others(self) -> None:
        """The failing worker aborts the barrier: the others need not wait out its timeout."""
        with pytest.raises(WorkersFailed) as info:
            in_processes(
                _raise_before_start, [(i,) for i in range(3)], timeout=60, barrier_timeout=60
            )
        lines = str(info.value).splitlines()
        assert lines[1] == "worker 0 (job (0,)) raised:", lines
        assert "ValueError: boom before the start" in lines
        broke = [line for line in lines if "the start barrier broke" in line]
        assert [line.split(" (")[0] for line in broke] == ["worker 1", "worker 2"], lines

    def test_a_worker_that_never_reports_is_stopped(self) -> None:
        with pytest.raises(WorkersFailed) as info:
            in_processes(_hang_after_start, [(i,) for i in range(3)], timeout=2)
        message = str(info.value)
        assert message.startswith("2 of 3 workers reported a result;\n"), message
        assert "worker 1 (job (1,)) did not report within 2s (stopped)" in message

    def test_a_worker_exiting_badly_after_its_report_fails(self) -> None:
        with pytest.raises(
            WorkersFailed, match=r"^worker 1 \(job \(4,\)\) reported, then exited with code 4$"
        ):
            in_processes(_linger, [(0,), (4,)], timeout=60)

    def test_a_worker_that_does_not_exit_after_its_report_is_stopped(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(processes, "EXIT_GRACE", 1.0)
        with pytest.raises(
            WorkersFailed, match=r"^worker 0 \(job \(None,\)\) reported, then did not exit$"
        ):
            in_processes(_linger, [(None,)], timeout=60)


class TestThreads:
    """One daemon thread per job, the same reports; one that hangs cannot block the exit."""

    def test_results_come_in_job_order(self) -> None:
        assert in_threads(_double, [(i,) for i in range(4)], timeout=60) == [0, 2, 4, 6]

    def test_a_thread_raising_before_the_barrier_releases_the_others(self) -> None:
        with pytest.raises(WorkersFailed) as info:
            in_threads(_raise_before_start, [(i,) for i in range(3)], timeout=60)
        lines = str(info.value).splitlines()
        assert lines[1] == "thread 0 (job (0,)) raised:", lines
        assert "ValueError: boom before the start" in lines
        assert sum("the start barrier broke" in line for line in lines) == 2, lines

    def test_a_thread_that_never_returns_is_named_and_left_as_a_daemon(self) -> None:
        release = threading.Event()

        def stuck(start: Start, i: int) -> int:
            start()
            if i == 1:
                release.wait(600)
            return i

        try:
            with pytest.raises(WorkersFailed) as info:
                in_threads(stuck, [(i,) for i in range(3)], timeout=2)
            message = str(info.value)
            assert "thread 1 (job (1,)) did not report within 2s (left running" in message
            left = [t for t in threading.enumerate() if t.name == "thread 1"]
            assert len(left) == 1 and left[0].daemon
        finally:
            release.set()
