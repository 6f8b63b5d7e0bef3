"""``rentcal machine add | list | show | retire``."""

from __future__ import annotations

from typing import Annotated

import typer

from rentcal.cli import views
from rentcal.cli.context import get_state
from rentcal.cli.errors import cli_command
from rentcal.cli.options import JsonOpt, MachineArg, examples, group
from rentcal.core.types import RequestPolicy

machine_app = group(
    "machine",
    "Add, list, show and retire machines.",
    "rentcal --as ada machine add mower --price 40",
    "rentcal machine list",
)


@machine_app.command(
    "add",
    epilog=examples(
        "rentcal --as ada machine add mower --price 40 --title 'Ride-on mower'",
        "rentcal --as ada machine add drill --price 7.50 --auto-approve --json",
        "rentcal --as ada machine add baler --price 90 --request-policy queue --request-expiry 2d",
    ),
)
@cli_command
def add(
    ctx: typer.Context,
    name: MachineArg,
    price: Annotated[
        str, typer.Option("--price", metavar="AMOUNT", help="Daily price, e.g. 120 or 15.50.")
    ],
    title: Annotated[str | None, typer.Option(help="Display name (default: NAME).")] = None,
    description: Annotated[str | None, typer.Option(help="Free text about the machine.")] = None,
    auto_approve: Annotated[
        bool, typer.Option("--auto-approve", help="Bookings are approved without an admin.")
    ] = False,
    request_policy: Annotated[
        RequestPolicy,
        typer.Option(
            "--request-policy",
            case_sensitive=False,
            help="block: a pending request holds its days; queue: overlapping requests wait "
            "until an admin approves one (the others are rejected).",
        ),
    ] = RequestPolicy.BLOCK,
    request_expiry: Annotated[
        str,
        typer.Option(
            "--request-expiry",
            metavar="DURATION",
            help="Reject a pending request not decided within 48h, 3d, ... (default: never; "
            "it always expires once its first day has passed).",
        ),
    ] = "never",
    as_json: JsonOpt = False,
) -> None:
    """Add a bookable machine (admins only)."""
    from rentcal.dates import parse_hours

    state = get_state(ctx)
    hours = parse_hours(request_expiry)
    with state.connect() as cal:
        machine = cal.add_machine(
            name,
            price,
            title=title,
            description=description,
            auto_approve=auto_approve,
            acting=state.acting,
            request_policy=request_policy,
            request_expiry_hours=hours,
        )
    views.show_machine(machine, as_json, headline=f"Added machine {machine.name}.")


@machine_app.command("list", epilog=examples("rentcal machine list", "rentcal machine list --json"))
@cli_command
def list_machines(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List every machine, retired ones included."""
    with get_state(ctx).connect() as cal:
        machines = cal.machines()
    views.show_machines(machines, as_json)


@machine_app.command(
    "show",
    epilog=examples(
        "rentcal machine show tractor-6120", "rentcal machine show tractor-6120 --json"
    ),
)
@cli_command
def show(ctx: typer.Context, name: MachineArg, as_json: JsonOpt = False) -> None:
    """Show a machine with its upcoming rentals and maintenance (from today on)."""
    state = get_state(ctx)
    with state.connect() as cal:
        machine = cal.machine(name)
        rentals, upkeep = cal.feed_items(machine=machine.name, start=state.today)
    views.show_machine_details(machine, rentals, upkeep, as_json)


@machine_app.command("retire", epilog=examples("rentcal --as ada machine retire tractor-6120"))
@cli_command
def retire(ctx: typer.Context, name: MachineArg, as_json: JsonOpt = False) -> None:
    """Stop new bookings of a machine (admins); its rentals and history stay."""
    state = get_state(ctx)
    with state.connect() as cal:
        machine = cal.retire_machine(name, acting=state.acting)
    views.show_machine(machine, as_json, headline=f"Retired machine {machine.name}.")


__all__ = ["machine_app"]
