"""The ``rentcal`` command line: a thin Typer layer over :mod:`rentcal`.

Modules: :mod:`~rentcal.cli.app` (root app, global options),
:mod:`~rentcal.cli.exit_codes` (the one exception -> exit code mapping),
:mod:`~rentcal.cli.render` and the ``*_views`` modules (output),
:mod:`~rentcal.cli.streams` (stdout that fails cleanly),
:mod:`~rentcal.cli.grid` (the pure month grid), :mod:`~rentcal.cli.dates`
(the date expressions users type), and one module per group of commands; what
the CLI shares with the web is in :mod:`rentcal.frontend`. Every command:
parse -> call the library -> render.
"""

from __future__ import annotations


def main() -> None:
    """Entry point of the ``rentcal`` script and ``python -m rentcal``.

    The exit code is settled here, after a last flush of stdout: output that
    could not be written ends as exit 74 (or a quiet 141 for a closed pipe),
    never as a traceback or "Exception ignored" at interpreter exit.
    """
    import sys

    if sys.argv[1:] == ["--version"]:
        _print_version()
        return

    from rentcal.cli import exit_codes, streams

    streams.guard_stdio()
    code: int | str | None
    try:
        from rentcal.cli.app import app

        app(prog_name="rentcal")
        code = 0
    except SystemExit as done:
        code = done.code
    except (Exception, KeyboardInterrupt) as err:  # last resort: commands catch their own
        code = exit_codes.report(err)
    failed = streams.finish()
    if failed is not None:
        code = exit_codes.report(failed)
    sys.exit(code)


def _print_version() -> None:
    """``rentcal --version`` alone, answered before Typer loads (a fifth of the start-up).

    Scripts and package managers run it to probe the tool; it prints the same
    text as the root command's ``--version`` option, which handles every other
    spelling (``rentcal --db X --version``). Output failures end as in every
    command (:mod:`rentcal.cli.streams`): exit 74 with a message, or a quiet
    141 for a closed pipe, but without loading the error mapping.
    """
    import sys

    from rentcal._version import __version__
    from rentcal.cli import streams

    streams.guard_stdio()
    print(f"rentcal {__version__}")
    failed = streams.finish()
    if failed is None:
        return
    if failed.broken_pipe:
        sys.exit(streams.EXIT_BROKEN_PIPE)
    print(f"Error: {failed}", file=sys.stderr)
    sys.exit(streams.EXIT_OUTPUT)


__all__ = ["main"]
