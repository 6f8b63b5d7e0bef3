"""The browser tests' machinery: a real ``rentcal serve``, Debian's Chromium, npm's FullCalendar.

Nothing here is a test. ``tests/test_browser_*.py`` use it through their fixtures:

- :func:`requirement` skips a browser test when Playwright, Chromium or npm is
  missing — unless ``RENTCAL_BROWSER_TESTS=1`` (``.ci/run`` sets it), when a
  missing piece FAILS the test instead, so CI can never pass by skipping.
- :func:`node_packages` runs ``npm ci`` in ``tests/browser`` (FullCalendar and
  axe-core at the versions of its package-lock.json) once, unless already there.
- :class:`Server` starts ``python -m rentcal --db URL serve --port P --assets DIR``
  as a subprocess on a free loopback port, waits for ``/healthz`` and stops it
  with SIGTERM (its exit is waited for beside the next tests).
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"
#: Set by .ci/run: every missing piece is a failure, not a skip.
REQUIRED_ENV = "RENTCAL_BROWSER_TESTS"
CHROMIUM_ENV = "RENTCAL_CHROMIUM"
DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
NPM_TIMEOUT_S = 300
START_TIMEOUT_S = 30


def required() -> bool:
    """Whether the browser tests must run (CI) rather than skip."""
    return os.environ.get(REQUIRED_ENV, "") == "1"


def requirement(ok: bool, reason: str) -> None:
    """Skip (or, under RENTCAL_BROWSER_TESTS=1, fail) when a requirement is missing."""
    if ok:
        return
    if required():
        pytest.fail(f"{reason} ({REQUIRED_ENV}=1: the browser tests must run)")
    pytest.skip(reason)


def chromium_path() -> str:
    """Debian's Chromium (Playwright cannot download its own browser here)."""
    path = os.environ.get(CHROMIUM_ENV, DEFAULT_CHROMIUM)
    requirement(
        Path(path).is_file() and os.access(path, os.X_OK),
        f"no Chromium at {path} (apt-get install chromium)",
    )
    return path


def node_packages() -> Path:
    """``tests/browser/node_modules``, installed by ``npm ci`` when missing."""
    modules = HERE / "node_modules"
    wanted = json.loads((HERE / "package.json").read_text(encoding="utf-8"))["dependencies"]
    if not _installed(modules, wanted):
        npm = shutil.which("npm")
        requirement(npm is not None, "npm is not installed (needed to fetch FullCalendar)")
        assert npm is not None
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=HERE,
            capture_output=True,
            text=True,
            timeout=NPM_TIMEOUT_S,
            check=False,
        )
        requirement(
            done.returncode == 0 and _installed(modules, wanted),
            f"npm ci in tests/browser failed: {done.stderr.strip()[-500:]}",
        )
    return modules


def _installed(modules: Path, wanted: dict[str, str]) -> bool:
    for name, version in wanted.items():
        manifest = modules / name / "package.json"
        if not manifest.is_file():
            return False
        if json.loads(manifest.read_text(encoding="utf-8")).get("version") != version:
            return False
    return True


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """A real ``rentcal serve`` subprocess on a loopback port."""

    def __init__(
        self, database_url: str, assets: Path | None, log: Path, *, wait: bool = True
    ) -> None:
        """Start the server; unless ``wait`` is false, return once it answers (else call
        :meth:`wait_ready`: the caller fills the database while the server imports)."""
        self.database_url = database_url
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log
        command = [sys.executable, "-m", "rentcal", "--db", database_url, "serve"]
        command += ["--port", str(self.port)]
        if assets is not None:
            command += ["--assets", str(assets)]
        env = {k: v for k, v in os.environ.items() if not k.startswith("RENTCAL_")}
        self._log = open(log, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            command, stdout=self._log, stderr=subprocess.STDOUT, env=env, cwd=ROOT
        )
        if wait:
            self.wait_ready()

    def wait_ready(self) -> None:
        """Until ``/healthz`` answers 200 (or :data:`START_TIMEOUT_S`: the log is raised)."""
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        self._terminate()
        _reap(self.process, self._log)
        log = self.log_path.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise RuntimeError(f"rentcal serve did not start on {self.url}:\n{log}")

    def stop(self) -> None:
        """SIGTERM, and return: the process is reaped beside the next tests (SIGKILL if it
        has not ended in 10 s). Its exit is the interpreter's finalisation, ~0.7 s that
        no test waits for; the run waits for every stopped server before it ends."""
        self._terminate()
        reaper = threading.Thread(
            target=_reap, args=(self.process, self._log), name="reap-server", daemon=True
        )
        reaper.start()
        _REAPERS.append(reaper)

    def _terminate(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def log(self) -> str:
        """What the server printed so far (request lines, warnings)."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")


#: The threads reaping stopped servers; joined before the interpreter exits.
_REAPERS: list[threading.Thread] = []


def _reap(process: subprocess.Popen[bytes], log: IO[bytes]) -> None:
    """Wait for a SIGTERMed server (SIGKILL after 10 s), then close its log."""
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
    finally:
        log.close()


@atexit.register
def _join_reapers() -> None:
    for reaper in _REAPERS:
        reaper.join(timeout=30)


def cli(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the installed ``rentcal`` CLI in a subprocess (like a shell or a cron job)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RENTCAL_")}
    return subprocess.run(
        [sys.executable, "-m", "rentcal", "--db", database_url, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
        check=False,
    )


__all__ = [
    "ARTIFACTS",
    "CHROMIUM_ARGS",
    "Server",
    "chromium_path",
    "cli",
    "free_port",
    "node_packages",
    "required",
    "requirement",
]
