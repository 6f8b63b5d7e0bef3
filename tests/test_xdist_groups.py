"""The suite's xdist groups (tests/conftest.py): the browser tests beside the heavy ones.

On CI's two cores, the ``slow`` tests of ``test_browser_*`` files form the group
"browser" and take no lock, while the other ``slow`` tests (process races, servers)
form the group "heavy" and hold a lock shared by the workers: one browser test and
one heavy test run at a time, side by side. The groups are read from a real
collection (a subprocess: the suite's own conftest decides them).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import BROWSER, HEAVY

ROOT = Path(__file__).resolve().parent.parent
COLLECT = """
import json, sys
import pytest
from tests.conftest import takes_the_heavy_lock

class Groups:
    def pytest_collection_finish(self, session):
        found = {}
        for item in session.items:
            group = item.get_closest_marker("xdist_group")
            found[item.nodeid] = [group.args[0] if group else None, takes_the_heavy_lock(item)]
        print("GROUPS=" + json.dumps(found))

pytest.main(["--collect-only", "-q", "-p", "no:cacheprovider", *sys.argv[1:]], plugins=[Groups()])
"""
FILES = ("tests/test_browser_pictures.py", "tests/test_locking.py", "tests/test_core.py")


def groups() -> dict[str, list[object]]:
    done = subprocess.run(
        [sys.executable, "-c", COLLECT, *FILES],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    line = next((x for x in done.stdout.splitlines() if x.startswith("GROUPS=")), None)
    assert line is not None, done.stdout[-2000:] + done.stderr[-2000:]
    found: dict[str, list[object]] = json.loads(line.removeprefix("GROUPS="))
    return found


def test_browser_tests_beside_the_heavy_ones() -> None:
    found = groups()
    by_file: dict[str, set[tuple[object, ...]]] = {}
    for nodeid, group in found.items():
        by_file.setdefault(nodeid.split("::")[0], set()).add(tuple(group))
    assert by_file == {
        "tests/test_browser_pictures.py": {(BROWSER, False)},  # slow, no lock
        "tests/test_locking.py": {(HEAVY, True), (None, False)},  # races; quick ones
        "tests/test_core.py": {(None, False)},  # not slow: any worker, any time
    }
