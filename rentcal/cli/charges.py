"""``rentcal statement``, ``rentcal charges list | export`` and ``rentcal charge add``.

A member's statement of a month or a year; every charge of a period for an
admin, as a table, JSON or the accounting CSV (``rentcal.frontend.charges_csv``);
an admin's correction (a credit or a debit with its reason). See
docs/billing.md for how a cooperative uses them month to month.
"""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from rentcal.cli import output_files, render
from rentcal.cli.context import get_state
from rentcal.cli.exit_codes import cli_command
from rentcal.cli.options import JsonOpt, MemberOpt, OutputOpt, commands, examples, group

if TYPE_CHECKING:
    from datetime import date

    from rentcal.core.statements import Charge

statement_commands = commands()
charges_app = group(
    "charges",
    "Every charge of a month or a year (admins): a table, JSON, or the accounting CSV.",
    "rentcal charges list --month 2030-01",
    "rentcal charges export --month 2030-01 -o charges-2030-01.csv",
)
charge_app = group(
    "charge",
    "Correct a member's account (admins): a credit or a debit with its reason.",
    "rentcal charge add --member bob --amount -10.00 --reason 'fuel he paid for'",
)

MonthOpt = Annotated[
    str | None,
    typer.Option(
        "--month",
        metavar="YYYY-MM",
        help="A month: YYYY-MM, this or last [default: this month].",
    ),
]
YearOpt = Annotated[
    str | None,
    typer.Option("--year", metavar="YYYY", help="A whole year instead: YYYY, this or last."),
]
CsvOpt = Annotated[
    bool, typer.Option("--csv", help="Print the accounting CSV (docs/billing.md) instead.")
]


def period_of(month: str | None, year: str | None, today: "date") -> str:
    """The library's period (``2030-01`` or ``2030``) from ``--month`` / ``--year``."""
    import re

    from rentcal.core.wording import quote
    from rentcal.errors import InvalidRequest
    from rentcal.frontend.month import month_key, month_start, shift_month

    if month is not None and year is not None:
        raise InvalidRequest("give --month or --year, not both")
    if year is not None:
        word = year.strip().lower()
        if word in ("this", "last"):
            return f"{today.year - (word == 'last'):04d}"
        if not re.fullmatch(r"\d{4}", word) or word == "0000":
            raise InvalidRequest(f"--year {quote(year)} is not a year: give YYYY, this or last")
        return word
    word = (month or "this").strip().lower()
    if word in ("this", "last"):
        return month_key(shift_month(month_start(today), -1 if word == "last" else 0))
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", word) or word.startswith("0000"):
        raise InvalidRequest(f"--month {quote(month)} is not a month: give YYYY-MM, this or last")
    return word


def _rows(charges: "list[Charge]", currency: str | None, *, member: bool) -> list[list[object]]:
    from rentcal.core.money import format_money
    from rentcal.core.statements import KIND_WORDS, charge_words

    return [
        [
            *([c.id, render.Whole(c.member)] if member else []),
            c.charged_on,
            KIND_WORDS[c.kind],
            c.rental_id,
            charge_words(c, currency),
            format_money(c.amount, currency),
        ]
        for c in charges
    ]


@statement_commands.command(
    "statement",
    epilog=examples(
        "rentcal --as bob statement --month 2030-01",
        "rentcal statement --member bob --year 2030 --json",
        "rentcal statement --member bob --month last --csv",
    ),
)
@cli_command
def statement(
    ctx: typer.Context,
    member: Annotated[
        str | None,
        typer.Option(
            "--member", metavar="HANDLE", help="Whose (admins) [default: the acting member]."
        ),
    ] = None,
    month: MonthOpt = None,
    year: YearOpt = None,
    as_json: JsonOpt = False,
    as_csv: CsvOpt = False,
) -> None:
    """A member's charges of a month or a year, oldest first, and their total.

    Every charge is in the period of the day it was charged on, in the
    organisation's time zone: twelve monthly statements add up to the year's.
    """
    from rentcal.core.money import format_money
    from rentcal.errors import InvalidRequest

    if as_json and as_csv:
        raise InvalidRequest("give --json or --csv, not both")
    state = get_state(ctx)
    with state.connect() as cal:
        period = period_of(month, year, state.today)
        found = cal.statement(period, member, acting=state.acting)
    if as_json:
        render.emit_json(found.as_dict())
        return
    if as_csv:
        from rentcal.frontend.charges_csv import charges_csv

        output_files.write_output(charges_csv(found.charges, found.currency).rstrip("\n"), None)
        return
    render.echo(
        render.safe(f"Statement of {found.member_name} ({found.member}), {found.period.words()}")
    )
    render.emit_table(
        ["charged on", "kind", "rental", "what", "amount"],
        _rows(list(found.charges), found.currency, member=False),
        empty="No charges in this period.",
        max_len=200,
    )
    render.echo(f"Total: {format_money(found.total, found.currency)}")


def _charges(
    ctx: typer.Context, month: str | None, year: str | None, member: str | None
) -> tuple["list[Charge]", str | None, str]:
    state = get_state(ctx)
    with state.connect() as cal:
        period = period_of(month, year, state.today)
        found = cal.charges(period, member, acting=state.acting)
        currency = cal.currency()
    return found, currency, period


@charges_app.command(
    "list",
    epilog=examples(
        "rentcal charges list --month 2030-01",
        "rentcal charges list --year 2030 --member bob --json",
    ),
)
@cli_command
def list_charges(
    ctx: typer.Context,
    month: MonthOpt = None,
    year: YearOpt = None,
    member: MemberOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Every charge of a month or a year, oldest first, and the total (admins)."""
    from decimal import Decimal

    from rentcal.core.money import format_money

    found, currency, _period = _charges(ctx, month, year, member)
    if as_json:
        render.emit_json([c.as_dict() for c in found])
        return
    render.emit_table(
        ["id", "member", "charged on", "kind", "rental", "what", "amount"],
        _rows(found, currency, member=True),
        empty="No charges in this period.",
        max_len=200,
    )
    total = sum((c.amount for c in found), Decimal("0.00"))
    if found:
        render.echo(f"Total: {format_money(total, currency)}")


@charges_app.command(
    "export",
    epilog=examples(
        "rentcal charges export --month 2030-01 -o charges-2030-01.csv",
        "rentcal charges export --year 2030 > charges-2030.csv",
    ),
)
@cli_command
def export_charges(
    ctx: typer.Context,
    month: MonthOpt = None,
    year: YearOpt = None,
    output: OutputOpt = None,
) -> None:
    """The accounting CSV of every charge of a month or a year (admins).

    Stable columns, documented in docs/billing.md: id, charged_on, charged_at,
    member, member_name, kind, rental_id, machine, first_day, last_day, days,
    units, day_rate, unit_rate, minimum_charge, amount, currency, reason,
    created_by.
    """
    from rentcal.frontend.charges_csv import charges_csv

    found, currency, _period = _charges(ctx, month, year, None)
    data = charges_csv(found, currency).rstrip("\n")
    output_files.write_output(data, None if output is None else Path(output))


@charge_app.command(
    "add",
    epilog=examples(
        "rentcal charge add --member bob --amount -10.00 --reason 'fuel he paid for'",
        "rentcal --as ada charge add --member bob --amount 25 --reason 'cleaning' --rental 1 "
        "--json",
    ),
)
@cli_command
def add_charge(
    ctx: typer.Context,
    member: Annotated[str, typer.Option("--member", metavar="HANDLE", help="Whose account.")],
    amount: Annotated[
        str,
        typer.Option(
            "--amount",
            metavar="AMOUNT",
            help="A debit (25.00) or, with a minus, a credit (-10.00).",
        ),
    ],
    reason: Annotated[str, typer.Option("--reason", help="Why; the member reads it.")],
    rental: Annotated[
        int | None,
        typer.Option(
            "--rental", metavar="ID", min=1, max=2**31 - 1, help="The rental it is about."
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a correction to a member's account (admins; the ledger is append-only).

    A wrong charge is never edited: a correction credits or debits the
    difference, with its reason, on today's statement. The member is told.
    """
    from rentcal.core.money import format_money
    from rentcal.core.statements import charge_words

    state = get_state(ctx)
    with state.connect() as cal:
        found = cal.add_charge(member, amount, reason, rental=rental, acting=state.acting)
        currency = None if as_json else cal.currency()
    if as_json:
        render.emit_json(found.as_dict())
        return
    verb = "Credited" if found.amount < 0 else "Charged"
    render.echo(
        render.safe(
            f"{verb} {found.member} {format_money(abs(found.amount), currency)} "
            f"(charge {found.id}): {charge_words(found, currency)}"
        )
    )


__all__ = ["charge_app", "charges_app", "period_of", "statement_commands"]
