"""Arguments and options shared by several commands, declared once."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

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
#: The new days of an edit (move, maintenance edit): each left out keeps its value.
NewStartOpt = Annotated[str | None, typer.Option("--start", metavar="DATE", help="New first day.")]
NewEndOpt = Annotated[str | None, typer.Option("--end", metavar="DATE", help="New last day.")]
FromOpt = Annotated[str | None, typer.Option("--from", metavar="DATE", help="From this day.")]
ToOpt = Annotated[str | None, typer.Option("--to", metavar="DATE", help="Up to this day.")]
MachineOpt = Annotated[
    str | None, typer.Option("--machine", metavar="NAME", help="Only this machine.")
]
MemberOpt = Annotated[
    str | None, typer.Option("--member", metavar="HANDLE", help="Only this member.")
]
OutputOpt = Annotated[
    str | None,  # text, not Path: Click would turn '' into '.' (then refused as empty)
    typer.Option(
        "--output",
        "-o",
        metavar="FILE",
        help="Write to FILE instead of stdout ('-' is stdout). A regular file is replaced "
        "atomically (through symlinks); a FIFO or device is written into.",
    ),
]


#: What an option's METAVAR asks for, in words, for the "is empty" message.
METAVAR_WORDS = {
    "AMOUNT": "an amount",
    "DATE": "a date",
    "FILE": "a file path",
    "HANDLE": "a member handle",
    "NAME": "a name",
    "READING": "a meter reading",
    "UNIT": "a meter unit",
    "PERCENT": "a percentage",
    "URL": "a database URL or file path",
    "YYYY-MM": "a month (YYYY-MM, this or next)",
    "YYYY": "a year (YYYY, this or last)",
}


def empty_option(option: str, what: str, *, optional: bool = True) -> str:
    """THE sentence refusing an empty option value, the same for every option."""
    tail = f", or leave {option} out to use the default" if optional else ""
    return f"{option} is empty: give {what}{tail}"


def refuse_empty_options(ctx: typer.Context) -> None:
    """Refuse every option given as '' or blank (``--for ''``, ``--purpose ' '``).

    Click passes an empty value through as if it meant something: ``--for ''``
    would book for the acting admin and ``--purpose ''`` store no purpose.
    Run before every command body (:func:`rentcal.cli.exit_codes.cli_command`), so
    no option of any command can forget it. Arguments are left to the
    library, which refuses an empty machine name or date with its reason.
    """
    from rentcal.errors import InvalidRequest

    for param in getattr(getattr(ctx, "command", None), "params", ()):
        if getattr(param, "param_type_name", "") != "option" or param.name is None:
            continue
        source = getattr(ctx.get_parameter_source(param.name), "name", None)
        if source in ("ENVIRONMENT", "DEFAULT"):  # env: the root callback names it
            continue
        value = ctx.params.get(param.name)
        values = value if isinstance(value, (list, tuple)) else [value]
        if any(isinstance(v, str) and not v.strip() for v in values):
            option = max(param.opts, key=len)
            special = EMPTY_MESSAGES.get((ctx.command.name or "", option))
            if special:
                raise InvalidRequest(special)
            what = METAVAR_WORDS.get(param.metavar or "", "a value")
            if param.metavar is None and option in TEXT_OPTIONS:
                what = "some text"
            raise InvalidRequest(empty_option(option, what, optional=not param.required))


#: (command, option) whose empty value deserves its own sentence.
EMPTY_MESSAGES = {("demo", "--db"): "--db is empty: give a database URL or file path for the demo"}


#: Free-text options: "give some text" reads better than "give a value".
TEXT_OPTIONS = frozenset(
    {"--purpose", "--reason", "--notes", "--title", "--description", "--name", "--email"}
)


def edit_values(
    given: Mapping[str, tuple[str, Any]],
    clears: Mapping[str, tuple[str, bool]] | None = None,
) -> dict[str, Any]:
    """The library's keyword arguments of an ``edit`` command, from its options.

    ``given`` maps each keyword to its option and value (None: not given, so
    UNSET: unchanged); ``clears`` maps a keyword to its ``--clear-...`` flag
    (set: None, i.e. removed). The library refuses an edit that changes
    nothing too, but in its own words (``request_expiry_hours``); this says
    it with the options the user can type, before anything is opened.
    """
    from rentcal.core.values import UNSET
    from rentcal.errors import InvalidRequest

    clears = clears or {}
    values: dict[str, Any] = {}
    for key, (option, value) in given.items():
        clear_flag, clear = clears.get(key, ("", False))
        if clear and value is not None:
            raise InvalidRequest(f"give {option} or {clear_flag}, not both")
        values[key] = None if clear else UNSET if value is None else value
    if all(v is UNSET for v in values.values()):
        flags = [opt for key, (opt, _) in given.items() for opt in (opt, *clears.get(key, ())[:1])]
        raise InvalidRequest(
            "nothing to change: give at least one of " + ", ".join(flags),
            field="fields",
            reason="nothing-to-change",
        )
    return values


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
    "NewEndOpt",
    "NewStartOpt",
    "OutputOpt",
    "RentalIdArg",
    "StartArg",
    "ToOpt",
    "commands",
    "edit_values",
    "empty_option",
    "examples",
    "group",
    "refuse_empty_options",
]
