"""Bulk work: ``rentcal import`` and ``rentcal check --batch``.

Both stream: files are read line by line, answers are written as they come,
and a progress bar appears only on a terminal.
"""

from __future__ import annotations

import json
import sys
from collections import deque
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from rentcal.cli import render
from rentcal.cli.context import State, get_state
from rentcal.cli.errors import EXIT_BAD_INPUT, EXIT_OK, EXIT_UNAVAILABLE, cli_command
from rentcal.cli.options import JsonOpt, MachineOpt, commands, examples
from rentcal.errors import InvalidRequest, RentcalError

bulk_commands = commands()


Request = tuple[str, date, date] | RentcalError


def _parse(state: State, line: str) -> Request:
    """One NDJSON check request, or the error that explains what is wrong with it."""
    try:
        item: Any = json.loads(line)
        if not isinstance(item, dict):
            raise InvalidRequest("expected an object {machine, start, end}")
        missing = [k for k in ("machine", "start", "end") if not isinstance(item.get(k), str)]
        if missing:
            raise InvalidRequest(f"missing or non-text field(s): {', '.join(missing)}")
        return item["machine"], state.day(item["start"]), state.day(item["end"])
    except json.JSONDecodeError as err:
        return InvalidRequest(f"not JSON ({err.msg})")
    except RentcalError as err:
        return err


def _requests(state: State, lines: Iterable[str], numbers: deque[int]) -> Iterator[Request]:
    """Parse NDJSON check requests, skipping blank lines; a bad line becomes its error.

    The input line number of every request yielded is appended to ``numbers``
    (blank lines count too), so answers, which come back one per request and
    in order, can be matched to their line.
    """
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        numbers.append(number)
        yield _parse(state, line)


def check_batch(state: State) -> int:
    """Answer NDJSON requests from stdin; the exit code summarises them.

    Every ``{"error": ...}`` starts with ``line N: `` (N counts every input
    line, blank ones included), whether the line could not be read or the
    library refused the request.
    """
    numbers: deque[int] = deque()
    worst = EXIT_OK
    with state.connect() as cal:
        for answer in cal.check_many(_requests(state, sys.stdin, numbers), today=state.today):
            number = numbers.popleft()
            if isinstance(answer, RentcalError):
                out: dict[str, object] = {"error": f"line {number}: {answer}"}
                worst = EXIT_BAD_INPUT
            else:
                out = answer.as_dict()
                if not answer.available and worst == EXIT_OK:
                    worst = EXIT_UNAVAILABLE
            sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()
    return worst


FileArg = Annotated[
    Path,
    typer.Argument(
        metavar="FILE",
        help="rentals.csv (columns machine, member, start, end, status, purpose) or calendar.ics.",
        exists=True,
        dir_okay=False,
        readable=True,
    ),
]


@bulk_commands.command(
    "import",
    epilog=examples(
        "rentcal --as ada import rentals.csv",
        "rentcal --as ada import rentals.csv --skip-invalid --json",
        "rentcal --as ada import holidays.ics --machine tractor-6120 --as-maintenance",
    ),
)
@cli_command
def import_(
    ctx: typer.Context,
    file: FileArg,
    machine: MachineOpt = None,
    as_maintenance: Annotated[
        bool, typer.Option("--as-maintenance", help="Import the .ics events as maintenance.")
    ] = False,
    kind: Annotated[
        str, typer.Option(help="Maintenance kind for --as-maintenance.")
    ] = "preventive",
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="Import the valid rows, report the rest.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Import rentals from CSV, or maintenance from an .ics calendar — all or nothing.

    Rows are checked with the same rules as `book`, except that history is
    welcome: past dates and any status. Blocking rows must not overlap each
    other or what is stored. Invalid rows are reported with their line numbers.
    """
    from rentcal import imports

    state = get_state(ctx)
    if as_maintenance:
        if machine is None:
            raise InvalidRequest("--as-maintenance needs --machine MACHINE")
        blocks = list(imports.read_blocks_ics(file.read_bytes()))
        with state.connect() as cal:
            result = cal.import_maintenance(
                machine, blocks, kind=kind, acting=state.who(), skip_invalid=skip_invalid
            )
    else:
        if file.suffix.lower() == ".ics":
            raise InvalidRequest(f"{str(file)!r} is a calendar: add --as-maintenance --machine M")
        with file.open("rb") as handle:  # decoded line by line: errors name the line
            rows = list(imports.read_rentals_csv(imports.decode_lines(handle)))
        with state.connect() as cal, _progress(len(rows)) as tick:
            result = cal.import_rentals(
                rows,
                acting=state.who(),
                skip_invalid=skip_invalid,
                progress=tick,
                today=state.today,
            )
    _report(result, as_json)


class _progress:  # noqa: N801 - used as a context manager like typer.progressbar
    """A progress bar on a terminal (stderr), nothing otherwise."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.bar: Any = None
        self.done = 0

    def __enter__(self) -> Any:
        if sys.stderr.isatty() and self.total > 5000:
            self.bar = typer.progressbar(length=self.total, label="importing", file=sys.stderr)
            self.bar.__enter__()
        return self.tick

    def tick(self, done: int, _total: int) -> None:
        if self.bar is not None:
            self.bar.update(done - self.done)
        self.done = done

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)


def _report(result: Any, as_json: bool) -> None:
    if as_json:
        render.emit_json(result.as_dict())
    else:
        render.echo(f"imported {result.imported} row(s), skipped {result.skipped}")
        for problem in result.problems:
            render.error_line(str(problem))
