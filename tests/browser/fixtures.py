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
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser import harness

if TYPE_CHECKING:
    import rentcal

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


@dataclass
class Fresh:
    """An empty rentcal database (its schema made) and a ``rentcal serve`` started on it."""

    folder: Path
    db_url: str
    cal: rentcal.Rentcal
    server: harness.Server


class FreshServers:
    """Servers for tests/test_browser_pages.py's ``site`` fixture, one started ahead.

    Each browser file that uses that fixture needs a server of its own, over a database
    of its own; most of a server's start is Python importing rentcal's web stack (~2 s).
    Taking one starts the next file's right away, so it imports while this file's tests
    run. The server reads the database per request, so the taker fills it afterwards.
    """

    def __init__(self, factory: pytest.TempPathFactory, assets: Path, wanted: int) -> None:
        self._factory, self._assets, self._wanted = factory, assets, wanted
        self._ahead: Fresh | None = None

    def take(self) -> Fresh:
        """A fresh server (maybe still starting: call its ``wait_ready``)."""
        fresh = self._ahead if self._ahead is not None else self._start()
        self._ahead = None
        self._wanted -= 1
        if self._wanted > 0:
            self._ahead = self._start()
        return fresh

    def _start(self) -> Fresh:
        import rentcal

        folder = self._factory.mktemp("browser")
        db_url = f"sqlite:///{folder / 'rentcal.db'}"
        cal = rentcal.connect(db_url)  # the schema, before the server opens the file
        server = harness.Server(db_url, self._assets, folder / "server.log", wait=False)
        return Fresh(folder, db_url, cal, server)

    def close(self) -> None:
        """Stop the one started ahead, if no file took it."""
        if self._ahead is not None:
            self._ahead.server.stop()
            self._ahead.cal.close()
            self._ahead = None


def _files_using(session: pytest.Session, fixture: object) -> int:
    """How many of the session's test files take their ``site`` from ``fixture``."""
    return len(
        {
            item.path
            for item in session.items
            if getattr(item, "module", None) is not None
            and getattr(item.module, "site", None) is fixture
        }
    )


@pytest.fixture(scope="session")
def fresh_servers(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    chromium: str,
    node_modules: Path,
) -> Iterator[FreshServers]:
    """The servers of the files sharing tests/test_browser_pages.py's ``site``."""
    from tests import test_browser_pages

    wanted = _files_using(request.session, test_browser_pages.site)
    pool = FreshServers(tmp_path_factory, node_modules / "fullcalendar", max(wanted, 1))
    try:
        yield pool
    finally:
        pool.close()


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


__all__ = [
    "KEPT",
    "SHARED",
    "Fresh",
    "FreshServers",
    "SharedChromium",
    "browser",
    "chromium",
    "fresh_servers",
    "keep",
    "node_modules",
]
