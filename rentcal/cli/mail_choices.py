"""``rentcal member notifications``: which notifications a member also gets by e-mail."""

from typing import Annotated

import typer

from rentcal.cli import render
from rentcal.cli.context import get_state
from rentcal.cli.exit_codes import cli_command
from rentcal.cli.members import HandleArg, member_app
from rentcal.cli.options import JsonOpt, examples
from rentcal.core.mail_choices import DIGEST, EMAIL, IN_APP, REQUEST_KIND, MailChoice
from rentcal.errors import InvalidRequest


def wanted_choices(email: list[str], in_app: list[str], digest: bool) -> dict[str, str]:
    """The options as {kind: choice}; InvalidRequest (exit 2) for a kind given twice."""
    given = [(k, EMAIL) for k in email] + [(k, IN_APP) for k in in_app]
    if digest:
        given.append((REQUEST_KIND, DIGEST))
    chosen: dict[str, str] = {}
    for kind, choice in given:
        if kind in chosen and chosen[kind] != choice:
            raise InvalidRequest(
                f"kind {kind[:40]!r} is given both as {chosen[kind]} and as {choice}",
                field="kind",
                value=kind[:40],
                reason="twice",
            )
        chosen[kind] = choice
    return chosen


def show_choices(handle: str, found: list[MailChoice], as_json: bool) -> None:
    """Every kind and how the member gets it."""
    if as_json:
        render.emit_json({"member": handle, "choices": [c.as_dict() for c in found]})
        return
    rows = [(c.kind, c.choice, c.label) for c in found]
    render.emit_table(("kind", "choice", "what"), rows, empty="No kinds of notification.")


@member_app.command(
    "notifications",
    epilog=examples(
        "rentcal --as bob member notifications bob",
        "rentcal --as bob member notifications bob --in-app approved --in-app moved",
        "rentcal --as ada member notifications ada --digest --json",
    ),
)
@cli_command
def notifications(
    ctx: typer.Context,
    handle: HandleArg,
    email: Annotated[
        list[str] | None,
        typer.Option(
            "--email",
            metavar="KIND",
            help="Also send KIND by e-mail (repeatable).",
            show_default=False,
        ),
    ] = None,
    in_app: Annotated[
        list[str] | None,
        typer.Option(
            "--in-app",
            metavar="KIND",
            help="Show KIND on the member's page only (repeatable).",
            show_default=False,
        ),
    ] = None,
    digest: Annotated[
        bool,
        typer.Option("--digest", help="New requests as one e-mail a day (admins)."),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Show or choose which notifications a member also gets by e-mail.

    Every kind is e-mailed unless the member chose "in-app only"; in-app
    notifications stay as they are. Password-reset links and other security
    mail are always sent. Members choose their own, admins anyone's.
    Without options: show the choices.
    """
    chosen = wanted_choices(email or [], in_app or [], digest)
    state = get_state(ctx)
    with state.connect() as cal:
        if chosen:
            found = cal.set_mail_choices(handle, chosen, acting=state.acting)
        else:
            found = cal.mail_choices(handle, acting=state.acting)
    show_choices(handle, found, as_json)
    if chosen:
        render.note(
            f"Saved {len(chosen)} choice{'s' if len(chosen) != 1 else ''}.", as_json=as_json
        )


__all__ = ["notifications", "show_choices", "wanted_choices"]
