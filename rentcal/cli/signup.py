"""``rentcal signup show | set``: whether anyone may create an account on the web server."""

from datetime import datetime
from typing import Annotated

import typer

from rentcal.cli import render
from rentcal.cli.context import get_state
from rentcal.cli.exit_codes import cli_command
from rentcal.cli.options import JsonOpt, examples, group

signup_app = group(
    "signup",
    "Sign-up: whether anyone may create an (unverified) account on the web server.",
    "rentcal signup show",
    "rentcal signup set open",
)

HistoryOpt = Annotated[
    bool, typer.Option("--history", help="Also list every stored value, newest first.")
]


def _emit(mode: str, as_json: bool) -> None:
    """The setting in force, as a record or JSON."""
    if as_json:
        render.emit_json({"signup": mode})
        return
    render.emit_record([("signup", mode)])


@signup_app.command(
    "show", epilog=examples("rentcal signup show", "rentcal signup show --history --json")
)
@cli_command
def signup_show(ctx: typer.Context, history: HistoryOpt = False, as_json: JsonOpt = False) -> None:
    """Show whether sign-up is open or off (the default).

    When open, the login page links to /signup; new accounts are unverified
    (they cannot book until an admin verifies them) and every admin is told.
    """
    state = get_state(ctx)
    with state.connect() as cal:
        mode = cal.signup()
        past: list[tuple[str, str | None, datetime]] = cal.signup_history() if history else []
    if as_json and history:
        render.emit_json(
            {
                "signup": mode,
                "history": [
                    {"signup": m, "changed_by": by, "changed_at": at.isoformat()}
                    for m, by, at in past
                ],
            }
        )
        return
    _emit(mode, as_json)
    if history:
        rows = [(at.isoformat(), m, by or "-") for m, by, at in past]
        render.emit_table(["set at", "signup", "set by"], rows, empty="No value stored yet.")


@signup_app.command(
    "set", epilog=examples("rentcal signup set open", "rentcal --as ada signup set off --json")
)
@cli_command
def signup_set(
    ctx: typer.Context,
    mode: Annotated[str, typer.Argument(metavar="MODE", help="'open' or 'off'.")],
    as_json: JsonOpt = False,
) -> None:
    """Open or close sign-up for everyone (admins only; recorded who/when)."""
    state = get_state(ctx)
    with state.connect() as cal:
        found = cal.set_signup(mode, acting=state.acting)
    _emit(found, as_json)


__all__ = ["signup_app"]
