"""``rentcal currency show | set``: the currency prices are shown in (issue #21)."""

from datetime import datetime
from typing import Annotated

import typer

from rentcal.cli import render
from rentcal.cli.context import get_state
from rentcal.cli.exit_codes import cli_command
from rentcal.cli.options import JsonOpt, examples, group
from rentcal.core.dates_words import moment_words
from rentcal.core.money import format_money
from rentcal.core.pricing import CENT

currency_app = group(
    "currency",
    "The currency of every price shown to people (e-mails, pages, the CLI's tables).",
    "rentcal currency show",
    "rentcal currency set EUR",
    "rentcal currency set none",
)

HistoryOpt = Annotated[
    bool, typer.Option("--history", help="Also list every stored value, newest first.")
]
#: The amount :func:`_emit` shows as an example of how prices read.
EXAMPLE = CENT * 12000


def _shown(code: str | None) -> str:
    """``EUR`` or ``none``."""
    return code or "none"


def _emit(code: str | None, as_json: bool) -> None:
    """The currency in force, as a record or JSON (``null``: none)."""
    if as_json:
        render.emit_json({"currency": code})
        return
    render.emit_record([("currency", _shown(code)), ("prices read", format_money(EXAMPLE, code))])


@currency_app.command(
    "show",
    epilog=examples("rentcal currency show", "rentcal currency show --history --json"),
)
@cli_command
def currency_show(
    ctx: typer.Context, history: HistoryOpt = False, as_json: JsonOpt = False
) -> None:
    """Show the currency prices are shown in (``none``: a bare amount, ``120.00``).

    The stored prices and every JSON answer keep the bare amount (``"120.00"``);
    only what people read gets the currency (``€120.00``, ``CHF 120.00``).
    """
    state = get_state(ctx)
    with state.connect() as cal:
        code = cal.currency()
        past: list[tuple[str | None, str | None, datetime]] = (
            cal.currency_history() if history else []
        )
    if as_json and history:
        render.emit_json(
            {
                "currency": code,
                "history": [
                    {"currency": c, "changed_by": by, "changed_at": at.isoformat()}
                    for c, by, at in past
                ],
            }
        )
        return
    _emit(code, as_json)
    if history:
        rows = [(moment_words(at), _shown(c), by or "-") for c, by, at in past]
        render.emit_table(["set at", "currency", "set by"], rows, empty="No currency stored yet.")


@currency_app.command(
    "set",
    epilog=examples("rentcal currency set EUR", "rentcal --as ada currency set none --json"),
)
@cli_command
def currency_set(
    ctx: typer.Context,
    code: Annotated[
        str,
        typer.Argument(
            metavar="CODE",
            help="An ISO 4217 code (EUR, USD, CHF, ...), or 'none' for bare amounts.",
        ),
    ],
    as_json: JsonOpt = False,
) -> None:
    """Store the currency of every price shown to people (admins only; recorded who/when)."""
    state = get_state(ctx)
    with state.connect() as cal:
        found = cal.set_currency(code, acting=state.acting)
    _emit(found, as_json)


__all__ = ["currency_app"]
