"""The ``rentcal`` command line: a thin Typer layer over :mod:`rentcal`.

Modules: :mod:`~rentcal.cli.app` (root app, global options),
:mod:`~rentcal.cli.errors` (the one exception -> exit code mapping),
:mod:`~rentcal.cli.render` / :mod:`~rentcal.cli.views` (output),
:mod:`~rentcal.cli.grid` (the pure month grid), and one module per group of
commands. Every command: parse -> call the library -> render.
"""

from __future__ import annotations


def main() -> None:
    """Entry point of the ``rentcal`` script and ``python -m rentcal``."""
    import sys

    from rentcal.cli import errors

    try:
        from rentcal.cli.app import app

        app(prog_name="rentcal")
    except SystemExit:
        raise
    except (Exception, KeyboardInterrupt) as err:  # last resort: commands catch their own
        sys.exit(errors.report(err))


__all__ = ["main"]
