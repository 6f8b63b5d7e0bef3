"""``rentcal cancellation show | set``: what a member's late cancellation costs (issue #22)."""

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer

from rentcal.cli import render
from rentcal.cli.context import get_state
from rentcal.cli.exit_codes import cli_command
from rentcal.cli.options import JsonOpt, examples, group

if TYPE_CHECKING:
    from rentcal.core.charges import CancellationPolicy

cancellation_app = group(
    "cancellation",
    "The cancellation policy: free until some days before the start, then a fee.",
    "rentcal cancellation show",
    "rentcal cancellation set --free-days 7 --fee 25",
)

HistoryOpt = Annotated[
    bool, typer.Option("--history", help="Also list every stored policy, newest first.")
]


def _emit(policy: "CancellationPolicy", currency: str | None, as_json: bool) -> None:
    if as_json:
        render.emit_json(policy.as_dict())
        return
    render.emit_record(
        [
            ("free days", "-" if policy.free_days is None else policy.free_days),
            ("fee", "-" if policy.fee is None else policy.fee),
            ("share", "-" if policy.share is None else f"{policy.share.normalize():f}%"),
            ("policy", policy.words(currency)),
        ]
    )


@cancellation_app.command(
    "show",
    epilog=examples("rentcal cancellation show", "rentcal cancellation show --history --json"),
)
@cli_command
def cancellation_show(
    ctx: typer.Context, history: HistoryOpt = False, as_json: JsonOpt = False
) -> None:
    """Show what a member pays for cancelling an approved booking late.

    Cancellations by an admin, and withdrawn (pending) requests, are free.
    """
    state = get_state(ctx)
    with state.connect() as cal:
        policy = cal.cancellation_policy()
        past: list[tuple[CancellationPolicy, str | None, datetime]] = (
            cal.cancellation_policy_history() if history else []
        )
        currency = cal.currency()
    if as_json and history:
        render.emit_json(
            {
                **policy.as_dict(),
                "history": [
                    {**p.as_dict(), "changed_by": by, "changed_at": at.isoformat()}
                    for p, by, at in past
                ],
            }
        )
        return
    _emit(policy, currency, as_json)
    if history:
        rows = [(at, p.words(currency), by or "-") for p, by, at in past]
        render.emit_table(
            ["set at", "policy", "set by"], rows, empty="No policy stored yet.", max_len=200
        )


@cancellation_app.command(
    "set",
    epilog=examples(
        "rentcal cancellation set --free-days 7 --fee 25",
        "rentcal --as ada cancellation set --free-days 14 --share 50 --json",
        "rentcal cancellation set --off",
    ),
)
@cli_command
def cancellation_set(
    ctx: typer.Context,
    free_days: Annotated[
        int | None,
        typer.Option(
            "--free-days",
            metavar="N",
            min=1,
            max=365,
            help="Cancelling is free until N days before the first day (1-365).",
        ),
    ] = None,
    fee: Annotated[
        str | None,
        typer.Option("--fee", metavar="AMOUNT", help="Then this fee (at most the booked price)."),
    ] = None,
    share: Annotated[
        str | None,
        typer.Option("--share", metavar="PERCENT", help="Or this percentage of the booked price."),
    ] = None,
    off: Annotated[bool, typer.Option("--off", help="Cancelling is always free.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Store the cancellation policy for everyone (admins only; recorded who/when).

    A member who cancels their approved booking less than N days before its
    first day is charged the fee, or the share of its price, on their
    statement. Give --free-days with --fee or --share, or --off.
    """
    from rentcal.errors import InvalidRequest

    if off and (free_days is not None or fee is not None or share is not None):
        raise InvalidRequest("give --off alone, or --free-days with --fee or --share")
    if not off and free_days is None:
        raise InvalidRequest("give --free-days N with --fee or --share, or --off")
    state = get_state(ctx)
    with state.connect() as cal:
        found = cal.set_cancellation_policy(
            None if off else free_days,
            fee=fee,
            share=None if share is None else share.strip().removesuffix("%"),
            acting=state.acting,
        )
        currency = cal.currency()
    _emit(found, currency, as_json)


__all__ = ["cancellation_app"]
