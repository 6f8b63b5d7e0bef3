"""The examples in rentcal's docstrings run and print what they show.

Only modules whose source holds a ``>>>`` are imported: importing every module
would load optional stacks (the web server, migration scripts run by Alembic)
that a plain install does not have, or code that runs on import. A module whose
doctests need an optional package that is not installed is skipped, naming it.
"""

from __future__ import annotations

import doctest
import importlib
import io
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "rentcal"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


#: Modules with examples in their docstrings, found without importing anything.
MODULES = sorted(
    _module_name(path)
    for path in PACKAGE.rglob("*.py")
    if ">>> " in path.read_text(encoding="utf-8")
)


def test_the_known_examples_are_found() -> None:
    assert {"rentcal", "rentcal.demo", "rentcal.feeds.ical", "rentcal.feeds.fullcalendar"} <= set(
        MODULES
    )


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as err:
        if err.name is None or err.name.split(".")[0] == "rentcal":
            raise
        pytest.skip(f"{name} needs {err.name}, which is not installed")
    tests = doctest.DocTestFinder().find(module, name)
    examples = sum(len(t.examples) for t in tests)
    assert examples, f"{name} has '>>> ' but no docstring example doctest would run"
    report = io.StringIO()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in tests:
        runner.run(test, out=report.write)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, report.getvalue()
    assert result.attempted == examples
