"""Rules of the codebase that no linter knows (layers: tests/test_layers.py).

ruff, mypy (strict) and import-linter themselves run beside the tests, not
inside them: README.md's test command runs them before pytest (and so does CI).
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "rentcal"


def test_no_date_today_outside_the_edges() -> None:
    """The clock is injected: only the default clock and the CLI read the real time."""
    for path in PACKAGE.rglob("*.py"):
        if "cli" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        assert "date.today()" not in text, path
        if path != PACKAGE / "service" / "base.py":  # utc_now(), the default clock
            assert "datetime.now(" not in text, path


def _non_docstring_strings(path: Path) -> list[tuple[int, str]]:
    """String constants of a module that are not docstrings, with their lines."""
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    ]


def test_only_the_cli_speaks_cli() -> None:
    """Library messages never name a command-line flag: the CLI adds its own hints."""
    import re

    # a command-line flag ("--force"), or a Python spelling of one ("force=True")
    flag = re.compile(r"(?<![\w-])--[a-z][a-z-]+|\b[a-z_]+=(?:True|False|[A-Z_]{2,})\b")
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: {text!r}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if not {"cli", "web"} & set(path.relative_to(PACKAGE).parts)  # the front ends
        for line, text in _non_docstring_strings(path)
        if flag.search(text)
    ]
    assert offenders == []
