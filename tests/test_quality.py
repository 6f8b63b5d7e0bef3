"""The codebase stays lint-clean and type-checked, and the layers stay honest."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "rentcal"


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed; install the 'test' extra")
    return found


def test_ruff_clean() -> None:
    result = subprocess.run(
        [_tool("ruff"), "check", "rentcal", "tests", "benchmarks"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_clean() -> None:
    result = subprocess.run([_tool("mypy")], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


LAYERS = {
    # module (file or package) -> prefixes it must not import
    "core": (
        "rentcal.models",
        "rentcal.store",
        "rentcal.service",
        "rentcal.cli",
        "rentcal.feeds",
        "sqlalchemy",
        "sqlmodel",
        "icalendar",
        "typer",
        "rentcal.web",
        "fastapi",
    ),
    "feeds": (
        "rentcal.models",
        "rentcal.store",
        "rentcal.service",
        "rentcal.cli",
        "sqlalchemy",
        "sqlmodel",
        "typer",
        "rentcal.web",
    ),
    "models.py": (
        "rentcal.store",
        "rentcal.service",
        "rentcal.cli",
        "rentcal.feeds",
        "rentcal.web",
    ),
    "store.py": ("rentcal.service", "rentcal.cli", "rentcal.feeds", "rentcal.web"),
    "service.py": ("rentcal.cli",),
    "dates.py": ("rentcal.models", "rentcal.store", "rentcal.service", "rentcal.cli"),
    "demo.py": ("rentcal.cli",),
    # The web server is a front end beside the CLI: neither imports the other
    # (``rentcal serve`` loads the web stack inside its command body only).
    "web": ("rentcal.cli",),
    "service": ("rentcal.cli", "rentcal.web", "fastapi", "starlette"),
}


@pytest.mark.parametrize("layer", sorted(LAYERS))
def test_layers_import_only_downwards(layer: str) -> None:
    target = PACKAGE / layer
    files = sorted(target.rglob("*.py")) if target.is_dir() else [target]
    for path in files:
        if not path.exists():
            continue
        bad = {m for m in _imports(path) if m.startswith(LAYERS[layer])}
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_no_date_today_outside_the_edges() -> None:
    """The clock is injected: only the service's today() and the CLI read it."""
    allowed = {"service.py"}
    for path in PACKAGE.rglob("*.py"):
        if path.name in allowed or "cli" in path.parts:
            continue
        assert "date.today()" not in path.read_text(encoding="utf-8"), path
