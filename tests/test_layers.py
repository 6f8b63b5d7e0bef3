"""The layers are contracts checked by import-linter (see pyproject.toml).

The real package must keep every contract: README.md's test command runs
``lint-imports`` beside the tests (so does CI). Here each contract must catch
the violation it exists for: a copy of the package with one forbidden import
added must make ``lint-imports`` fail, naming that contract.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    tool = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if tool is None:
        pytest.fail("lint-imports is not installed; install the 'test' extra")
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    return subprocess.run(
        [tool, "--no-cache"], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        pytest.param("core/ranges.py", "from rentcal import service", "Layers", id="core->service"),
        pytest.param("core/values.py", "import sqlalchemy", "The core is pure", id="core->sql"),
        pytest.param("errors.py", "import rentcal.core.types", "Layers", id="errors->core"),
        pytest.param("feeds/common.py", "import rentcal.db.tables", "Feeds", id="feeds->models"),
        pytest.param("db/store.py", "import rentcal.cli.render", "Layers", id="store->cli"),
        pytest.param("service/bulk.py", "import rentcal.cli", "Layers", id="service->cli"),
        pytest.param("cli/render.py", "import rentcal.db.store", "Front ends", id="cli->store"),
        pytest.param(
            "cli/rental_views.py", "import sqlalchemy", "Front ends", id="cli->sqlalchemy"
        ),
        pytest.param(
            "frontend/booking.py", "import rentcal.web.metrics", "Layers", id="frontend->web"
        ),
        pytest.param(
            "frontend/month.py",
            "import prometheus_client",
            "shared front-end",
            id="frontend->web-stack",
        ),
        pytest.param(
            "frontend/base_url.py",
            "import rentcal.cli.render",
            "shared front-end",
            id="frontend->cli",
        ),
    ],
)
def test_each_contract_catches_its_violation(
    tmp_path: Path, module: str, line: str, contract: str
) -> None:
    shutil.copytree(
        ROOT / "rentcal", tmp_path / "rentcal", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / "rentcal" / module
    text = target.read_text(encoding="utf-8")
    head, sep, rest = text.partition("from __future__ import annotations\n")
    target.write_text(head + sep + line + "  # noqa\n" + rest, encoding="utf-8")
    result = _lint_imports(tmp_path)
    assert result.returncode != 0, result.stdout
    broken = [ln for ln in result.stdout.splitlines() if " BROKEN" in ln]
    assert any(contract in ln for ln in broken), result.stdout
