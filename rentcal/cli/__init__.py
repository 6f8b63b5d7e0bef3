"""The ``rentcal`` command line: a thin Typer layer over :mod:`rentcal`.

Modules: :mod:`~rentcal.cli.app` (root app, global options),
:mod:`~rentcal.cli.errors` (the one exception -> exit code mapping),
:mod:`~rentcal.cli.render` / :mod:`~rentcal.cli.views` (output),
:mod:`~rentcal.cli.streams` (stdout that fails cleanly),
:mod:`~rentcal.cli.grid` (the pure month grid), and one module per group of
commands. Every command: parse -> call the library -> render.
"""

from __future__ import annotations


def main() -> None:
    """Entry point of the ``rentcal`` script and ``python -m rentcal``.

    The exit code is settled here, after a last flush of stdout: output that
    could not be written ends as exit 74 (or a quiet 141 for a closed pipe),
    never as a traceback or "Exception ignored" at interpreter exit.
    """
    import sys

    from rentcal.cli import errors, streams

    streams.guard_stdio()
    code: int | str | None
    try:
        from rentcal.cli.app import app

        app(prog_name="rentcal")
        code = 0
    except SystemExit as done:
        code = done.code
    except (Exception, KeyboardInterrupt) as err:  # last resort: commands catch their own
        code = errors.report(err)
    failed = streams.finish()
    if failed is not None:
        code = errors.report(failed)
    sys.exit(code)


__all__ = ["main"]
