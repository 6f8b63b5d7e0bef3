"""The browser tests' shared fixtures: one Chromium for every ``tests/test_browser_*.py``.

tests/conftest.py imports these names, so pytest finds them for every test module. Each
module used to launch Playwright and Chromium of its own (module scope); now the first
browser test launches them and the run keeps them across the browser files, each test
still getting fresh contexts (cookies, storage, permissions) from it.

Why not a plain session-scoped fixture: while Playwright's sync API runs, its event loop
stays the thread's running loop, so a later test calling ``asyncio.run`` (any non-browser
test sharing the process, as with ``-n 0``) would fail. :func:`pytest_runtest_teardown`
therefore stops the shared Chromium as soon as the next test is not a browser file's.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser import harness

#: Which tests use the shared Chromium (and keep it running between them).
BROWSER_FILES = "test_browser_"


class SharedChromium:
    """Playwright's driver and one launched Chromium, started on first use."""

    def __init__(self) -> None:
        self._driver: Any = None
        self._browser: Any = None

    def get(self, executable: str) -> Any:
        """The running Chromium (launched now if it is not running)."""
        if self._browser is None or not self._browser.is_connected():
            self.stop()
            from playwright.sync_api import sync_playwright

            self._driver = sync_playwright().start()
            self._browser = self._driver.chromium.launch(
                executable_path=executable, args=harness.CHROMIUM_ARGS
            )
        return self._browser

    def stop(self) -> None:
        """Close Chromium and the driver (their event loop leaves the thread)."""
        if self._browser is not None:
            try:
                self._browser.close()
            finally:
                self._browser = None
        if self._driver is not None:
            try:
                self._driver.stop()
            finally:
                self._driver = None


SHARED = SharedChromium()


@pytest.fixture(scope="session")
def chromium() -> str:
    """Playwright and Debian's Chromium (checked before anything is installed from npm)."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        harness.requirement(False, "playwright is not installed (pip install playwright)")
    return harness.chromium_path()


@pytest.fixture(scope="session")
def node_modules() -> Path:
    """npm's FullCalendar and axe-core (tests/browser/package-lock.json)."""
    return harness.node_packages()


@pytest.fixture
def browser(chromium: str) -> Iterator[Any]:
    """The shared Chromium: a test opens its own contexts on it; any it left open (a
    failed test) are closed after it, but those a module keeps on purpose (marked with
    :func:`keep`, closed by that module's fixture)."""
    launched = SHARED.get(chromium)
    yield launched
    if launched.is_connected():
        for context in list(launched.contexts):
            if not getattr(context, KEPT, False):
                context.close()


#: The attribute :func:`keep` sets on a context.
KEPT = "rentcal_kept_across_tests"


def keep(context: Any) -> Any:
    """Mark ``context`` to outlive the test that opened it (its module closes it)."""
    setattr(context, KEPT, True)
    return context


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None]:
    """After the last of a run of browser tests, stop the shared Chromium (see above)."""
    try:
        return (yield)
    finally:
        if nextitem is None or not nextitem.path.name.startswith(BROWSER_FILES):
            SHARED.stop()


__all__ = ["KEPT", "SHARED", "SharedChromium", "browser", "chromium", "keep", "node_modules"]
