"""Bulk work: ``rentcal import`` and ``rentcal check --batch``.

Both stream: files are read line by line, answers are written as they come,
and a progress bar appears only on a terminal.
"""

import dataclasses
import json
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from rentcal.cli import render
from rentcal.cli.context import State, get_state
from rentcal.cli.exit_codes import EXIT_BAD_INPUT, EXIT_OK, EXIT_UNAVAILABLE, cli_command
from rentcal.cli.options import JsonOpt, MachineOpt, commands, examples
from rentcal.core.wording import plural, quote, shorten
from rentcal.errors import InvalidRequest, RentcalError

bulk_commands = commands()


Request = tuple[str, date, date] | RentcalError

#: Fields of a batch request: ``machine``, ``start``, and ``end`` or ``days``.
REQUEST_FIELDS = ("machine", "start", "end", "days")
#: A request line longer than this is refused (its answer is an error) unread.
MAX_REQUEST_LINE = 64 * 1024
#: Bytes asked of stdin per read: what has arrived is answered before reading on.
READ_SIZE = 64 * 1024


def _fields(item: dict[str, Any]) -> tuple[str, str, str | None, int | None]:
    """machine, start, end, days of a request object, or InvalidRequest saying why not."""
    unknown = [k for k in item if k not in REQUEST_FIELDS]
    if unknown:
        listed = ", ".join(quote(str(k)) for k in unknown[:5])
        raise InvalidRequest(
            f"unknown {'field' if len(unknown) == 1 else 'fields'} {listed} "
            "(a request has machine, start, and end or days)"
        )
    end, days = item.get("end"), item.get("days")
    wanted = ["machine", "start"] + (["end"] if days is None else [])
    missing = [k for k in wanted if not isinstance(item.get(k), str)]
    if missing:
        raise InvalidRequest(
            f"missing or non-text {'field' if len(missing) == 1 else 'fields'}: "
            f"{', '.join(missing)}"
        )
    if end is not None and days is not None:
        raise InvalidRequest("give end or days, not both")
    if days is not None and (isinstance(days, bool) or not isinstance(days, int) or days < 1):
        raise InvalidRequest(f"days {quote(days)} must be a whole number of at least 1")
    return item["machine"], item["start"], end, days


def _parse(state: State, raw: bytes, first: bool) -> Request:
    """One NDJSON check request, or the error that explains what is wrong with it."""
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        return InvalidRequest(f"not UTF-8 text (byte {err.start + 1}: {err.reason})")
    if first:
        line = line.removeprefix("\ufeff")  # a BOM, as editors on Windows write one
    try:
        item: Any = json.loads(line)
    except RecursionError:
        return InvalidRequest("not JSON (nested too deeply)")
    except json.JSONDecodeError as err:
        return InvalidRequest(f"not JSON ({err.msg})")
    except ValueError:  # Python refuses integers of more than 4300 digits
        return InvalidRequest("not JSON (a number with too many digits)")
    if not isinstance(item, dict):
        return InvalidRequest("expected an object {machine, start, end}")
    from rentcal.cli.dates import end_from_days

    try:
        machine, start, end, days = _fields(item)
        first_day = state.day(start)
        if days is not None:
            return machine, first_day, end_from_days(first_day, days)
        return machine, first_day, state.day(end or "")
    except RentcalError as err:
        return err


def _lines(stream: Any) -> Iterator[list[tuple[int, bytes | None]]]:
    """Numbered input lines, in groups: every group is what one read of stdin brought.

    A co-process that writes one request and waits for its answer gets it:
    nothing waits for a full buffer. ``None`` stands for a line longer than
    :data:`MAX_REQUEST_LINE`, which is skipped without being kept in memory.
    """
    read = getattr(stream, "read1", None) or stream.read
    pending = bytearray()
    number = 0
    too_long = False
    while chunk := read(READ_SIZE):
        *complete, rest = bytes(chunk).split(b"\n")
        group: list[tuple[int, bytes | None]] = []
        for piece in complete:
            number += 1
            if too_long or len(pending) + len(piece) > MAX_REQUEST_LINE:
                group.append((number, None))
            else:
                group.append((number, bytes(pending + piece)))
            pending.clear()
            too_long = False
        if len(pending) + len(rest) > MAX_REQUEST_LINE:
            too_long = True
            pending.clear()
        else:
            pending += rest
        if group:
            yield group
    if pending or too_long:
        yield [(number + 1, None if too_long else bytes(pending))]


def _requests(state: State, group: list[tuple[int, bytes | None]]) -> list[tuple[int, Request]]:
    """The requests of a group of lines with their line numbers; blank lines are skipped."""
    found: list[tuple[int, Request]] = []
    for number, raw in group:
        if raw is None:
            found.append((number, InvalidRequest(f"longer than {MAX_REQUEST_LINE} bytes")))
        elif raw.strip(b" \t\r\n\f\v") and raw.strip() != b"\xef\xbb\xbf":
            found.append((number, _parse(state, raw, number == 1)))
    return found


def check_batch(state: State) -> int:
    """Answer NDJSON requests from stdin as they arrive; the exit code summarises them.

    Every ``{"error": ...}`` starts with ``line N: `` (N counts every input
    line, blank ones included), whether the line could not be read or the
    library refused the request. Answers are flushed after every read of
    stdin, so ``check --batch`` works as a co-process.
    """
    worst = EXIT_OK
    stdin = getattr(sys.stdin, "buffer", sys.stdin)
    with state.connect() as cal:
        for group in _lines(stdin):
            numbered = _requests(state, group)
            if not numbered:
                continue
            answers = cal.check_many([r for _, r in numbered], today=state.today)
            for (number, _), answer in zip(numbered, answers, strict=True):
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
        str | None,
        typer.Option(help="Maintenance kind for --as-maintenance [default: preventive]."),
    ] = None,
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="Import the valid rows, report the rest.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Import rentals from CSV, or maintenance from an .ics calendar — all or nothing.

    Rows are checked with the same rules as `book`, except that history is
    welcome: past dates and any status. Blocking rows must not overlap each
    other or what is stored. Invalid rows are reported with their line numbers.
    A row already stored (same machine, member and days; for a calendar: same
    machine and days) is left out, so importing a file twice stores nothing twice.
    """
    from rentcal import imports

    state = get_state(ctx)
    with file.open("rb") as handle:
        calendar = is_calendar(file, handle.read(64))
    _check_options(file, calendar, machine=machine, as_maintenance=as_maintenance, kind=kind)
    if calendar:
        assert machine is not None  # checked above
        items = list(imports.read_blocks_ics(file.read_bytes()))
        with state.connect() as cal:
            blocks, ignored = _new_blocks(cal, machine, items)
            result = cal.import_maintenance(
                machine,
                blocks,
                kind=kind or "preventive",
                acting=state.who(),
                skip_invalid=skip_invalid,
            )
    else:
        with file.open("rb") as handle:  # decoded line by line: errors name the line
            parsed = list(imports.read_rentals_csv(imports.decode_lines(handle)))
        with state.connect() as cal:
            rows, ignored = _new_rentals(cal, parsed)
            with _progress(len(rows)) as tick:
                result = cal.import_rentals(
                    rows,
                    acting=state.who(),
                    skip_invalid=skip_invalid,
                    progress=tick,
                    today=state.today,
                )
    _report(dataclasses.replace(result, ignored=result.ignored + tuple(ignored)), as_json)


def is_calendar(file: Path, head: bytes) -> bool:
    """Whether FILE is an iCalendar file: named .ics, or starting BEGIN:VCALENDAR."""
    head = head.lstrip(b"\xef\xbb\xbf \t\r\n").upper()
    return file.suffix.lower() == ".ics" or head.startswith(b"BEGIN:VCALENDAR")


def _check_options(
    file: Path, calendar: bool, *, machine: str | None, as_maintenance: bool, kind: str | None
) -> None:
    """Refuse an option that does not apply to the file's kind, rather than ignore it."""
    name = shorten(str(file))
    if calendar:
        if not as_maintenance or machine is None:
            raise InvalidRequest(f"{name!r} is a calendar: add --as-maintenance --machine M")
        return
    given = [
        option
        for option, value in (
            ("--machine", machine),
            ("--as-maintenance", as_maintenance or None),
            ("--kind", kind),
        )
        if value is not None
    ]
    if given:
        raise InvalidRequest(
            f"{', '.join(given)} only apply to a calendar (.ics) import; {name!r} is a "
            "rentals CSV file, whose rows name their machine"
        )


def _new_rentals(cal: Any, parsed: list[Any]) -> tuple[list[Any], list[Any]]:
    """The CSV rows not stored yet, and an ``Ignored`` for each one that is.

    A rental is identified by machine, member, first and last day (two
    rentals of a machine never share all four): a row matching a stored
    rental is left out and named. Rows of one file are not compared with each
    other here: two blocking ones overlap and are refused as such.
    """
    from rentcal.imports import Ignored, ImportRow

    rows = [r for r in parsed if isinstance(r, ImportRow)]
    stored: dict[tuple[str, str, date, date], int] = {}
    for name in {r.machine for r in rows}:
        mine = [r for r in rows if r.machine == name]
        try:
            found = cal.rentals(
                machine=name, start=min(r.start for r in mine), end=max(r.end for r in mine)
            )
        except RentcalError:  # an unknown machine: the import reports it per row
            continue
        stored.update({(f.machine, f.member, f.start, f.end): f.id for f in found})
    keep: list[Any] = []
    ignored: list[Any] = []
    for row in parsed:
        key = (row.machine, row.member, row.start, row.end) if isinstance(row, ImportRow) else None
        if key in stored:
            ignored.append(Ignored(row.line, f"already stored as rental {stored[key]}"))
        else:
            keep.append(row)
    return keep, ignored


def _new_blocks(cal: Any, machine: str, items: list[Any]) -> tuple[list[Any], list[Any]]:
    """The calendar's events not stored yet (and cancelled ones), as ``Ignored``.

    A block is identified by its machine and its days: an event matching a
    stored block that is not cancelled is left out.
    """
    from rentcal.imports import BlockRow, Ignored

    ignored = [i for i in items if isinstance(i, Ignored)]
    blocks = [b for b in items if isinstance(b, BlockRow)]
    stored: dict[tuple[date, date], int] = {}
    if blocks:
        found = cal.maintenance(
            machine=machine,
            start=min(b.start for b in blocks),
            end=max(b.end for b in blocks),
        )
        stored = {(m.start, m.end): m.id for m in found if m.status.value != "cancelled"}
    keep: list[Any] = []
    for item in items:
        key = (item.start, item.end) if isinstance(item, BlockRow) else None
        if isinstance(item, Ignored):
            continue
        if key in stored:
            ignored.append(Ignored(item.line, f"already stored as maintenance {stored[key]}"))
        else:
            keep.append(item)
    return keep, sorted(ignored, key=lambda i: i.line)


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
        return
    line = f"imported {plural(result.imported, 'row')}, skipped {result.skipped}"
    if result.ignored:
        line += f", left out {len(result.ignored)} (already stored or cancelled)"
    render.echo(line)
    for problem in result.problems:
        render.error_line(str(problem))
    for item in result.ignored:
        render.error_line(f"{item} (left out)")
