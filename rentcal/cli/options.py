"""Arguments and options shared by several commands, declared once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

#: Largest id an INTEGER primary key holds on every backend (PostgreSQL int4);
#: larger ones are a usage error rather than a database error.
MAX_ID = 2**31 - 1
DATE_HELP = "2030-01-15, today, tomorrow, +3d, +2w, fri, '15 Jan 2030'"

JsonOpt = Annotated[
    bool, typer.Option("--json", help="Print one JSON document instead of a table.")
]
MachineArg = Annotated[str, typer.Argument(metavar="MACHINE", help="Machine name, e.g. tractor.")]
StartArg = Annotated[str, typer.Argument(metavar="START", help=f"First day: {DATE_HELP}.")]
EndArg = Annotated[
    str | None,
    typer.Argument(metavar="END", help="Last day, inclusive (or use --days).", show_default=False),
]
DaysOpt = Annotated[
    int | None,
    typer.Option("--days", min=1, help="N days including START, instead of END."),
]
RentalIdArg = Annotated[int, typer.Argument(metavar="RENTAL_ID", min=1, max=MAX_ID)]
MaintenanceIdArg = Annotated[int, typer.Argument(metavar="ID", min=1, max=MAX_ID)]
FromOpt = Annotated[str | None, typer.Option("--from", metavar="DATE", help="From this day.")]
ToOpt = Annotated[str | None, typer.Option("--to", metavar="DATE", help="Up to this day.")]
MachineOpt = Annotated[
    str | None, typer.Option("--machine", metavar="NAME", help="Only this machine.")
]
MemberOpt = Annotated[
    str | None, typer.Option("--member", metavar="HANDLE", help="Only this member.")
]
OutputOpt = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        metavar="FILE",
        help="Write to FILE instead of stdout ('-' is stdout). A regular file is replaced "
        "atomically (through symlinks); a FIFO or device is written into.",
    ),
]


def group(name: str, help: str, *example_lines: str) -> typer.Typer:
    """A command group (``rentcal machine ...``) with rentcal's help settings."""
    return typer.Typer(
        name=name,
        help=help,
        epilog=examples(*example_lines),
        no_args_is_help=True,
        rich_markup_mode=None,
        add_completion=False,
        pretty_exceptions_enable=False,
    )


def commands() -> typer.Typer:
    """A nameless holder of top-level commands, merged into the root app."""
    return typer.Typer(rich_markup_mode=None, add_completion=False, pretty_exceptions_enable=False)


def examples(*lines: str) -> str:
    """A help epilog listing example command lines, kept unwrapped by Click (``\\b``)."""
    body = "\n".join(f"  {line}" for line in lines)
    return f"Examples:\n\n\b\n{body}"


__all__ = [
    "DATE_HELP",
    "MAX_ID",
    "DaysOpt",
    "EndArg",
    "FromOpt",
    "JsonOpt",
    "MachineArg",
    "MachineOpt",
    "MaintenanceIdArg",
    "MemberOpt",
    "OutputOpt",
    "RentalIdArg",
    "StartArg",
    "ToOpt",
    "commands",
    "examples",
    "group",
]
