"""``rentcal machine add | list | show | edit | retire | reactivate`` (``machine keeper``
and ``machine readings`` are in :mod:`rentcal.cli.handover`)."""

from functools import partial
from typing import Annotated

import typer

from rentcal.cli import catalogue_views
from rentcal.cli.context import get_state
from rentcal.cli.exit_codes import cli_command
from rentcal.cli.options import JsonOpt, MachineArg, edit_values, examples, group
from rentcal.core.types import RequestPolicy

UnitPriceOpt = Annotated[
    str | None,
    typer.Option(
        "--unit-price",
        metavar="AMOUNT",
        help="Price of one meter unit (an hour, a litre) used, charged beside the days.",
    ),
]
MinimumOpt = Annotated[
    str | None,
    typer.Option(
        "--minimum-charge", metavar="AMOUNT", help="The least a rental is charged when it ends."
    ),
]

machine_app = group(
    "machine",
    "Add, list, show, edit, retire and reactivate machines.",
    "rentcal --as ada machine add mower --price 40",
    "rentcal machine list",
)


@machine_app.command(
    "add",
    epilog=examples(
        "rentcal --as ada machine add mower --price 40 --title 'Ride-on mower'",
        "rentcal --as ada machine add drill --price 7.50 --auto-approve --json",
        "rentcal --as ada machine add baler --price 90 --request-policy queue --request-expiry 2d",
        "rentcal --as ada machine add harvester --price 200 --unit-price 35 --minimum-charge 150",
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
    unit_price: UnitPriceOpt = None,
    minimum_charge: MinimumOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a bookable machine (admins only).

    A rental is charged when it ends: days x the daily price, + meter units x
    the unit price, at least the minimum charge (docs/billing.md).
    """
    from rentcal.cli.dates import parse_hours

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
            unit_price=unit_price,
            minimum_charge=minimum_charge,
        )
        money = None if as_json else cal.currency()
    catalogue_views.show_machine(
        machine, as_json, headline=f"Added machine {machine.name}.", currency=money
    )


@machine_app.command("list", epilog=examples("rentcal machine list", "rentcal machine list --json"))
@cli_command
def list_machines(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List every machine, retired ones included."""
    with get_state(ctx).connect() as cal:
        machines = cal.machines()
        money = None if as_json else cal.currency()
    catalogue_views.show_machines(machines, as_json, money)


@machine_app.command(
    "show",
    epilog=examples(
        "rentcal machine show tractor-6120", "rentcal machine show tractor-6120 --json"
    ),
)
@cli_command
def show(ctx: typer.Context, name: MachineArg, as_json: JsonOpt = False) -> None:
    """Show a machine, its upcoming rentals and maintenance (from today on), its changes."""
    state = get_state(ctx)
    with state.connect() as cal:
        machine = cal.machine(name)
        rentals, upkeep = cal.feed_items(machine=machine.name, start=state.today)
        history = cal.machine_history(machine.name)
        money = None if as_json else cal.currency()
    catalogue_views.show_machine_details(machine, rentals, upkeep, as_json, history, money)


@machine_app.command(
    "edit",
    epilog=examples(
        "rentcal --as ada machine edit tractor-6120 --price 130 --title 'Tractor 6120 S'",
        "rentcal --as ada machine edit saw --no-auto-approve --clear-description --json",
        "rentcal --as ada machine edit excavator --request-policy queue --request-expiry 48h",
        "rentcal --as ada machine edit tractor-6120 --meter hours",
        "rentcal --as ada machine edit tractor-6120 --unit-price 2.50 --clear-minimum-charge",
    ),
)
@cli_command
def edit(
    ctx: typer.Context,
    name: MachineArg,
    title: Annotated[str | None, typer.Option(help="New display name.")] = None,
    description: Annotated[str | None, typer.Option(help="New free text.")] = None,
    clear_description: Annotated[
        bool, typer.Option("--clear-description", help="Remove the description.")
    ] = False,
    price: Annotated[
        str | None,
        typer.Option("--price", metavar="AMOUNT", help="New daily price (new bookings only)."),
    ] = None,
    auto_approve: Annotated[
        bool | None,
        typer.Option(
            "--auto-approve/--no-auto-approve", help="Approve bookings without an admin, or not."
        ),
    ] = None,
    request_policy: Annotated[
        RequestPolicy | None,
        typer.Option(
            "--request-policy",
            case_sensitive=False,
            help="block or queue (switching to queue queues the pending requests too).",
        ),
    ] = None,
    request_expiry: Annotated[
        str | None,
        typer.Option(
            "--request-expiry",
            metavar="DURATION",
            help="Reject pending requests not decided within 48h, 3d, ...; never: no limit.",
        ),
    ] = None,
    meter: Annotated[
        str | None,
        typer.Option(
            "--meter",
            metavar="UNIT",
            help="The unit of the machine's meter (hours, km, ha, ...): hand-overs then "
            "record its reading.",
        ),
    ] = None,
    clear_meter: Annotated[
        bool, typer.Option("--clear-meter", help="The machine has no meter (any more).")
    ] = False,
    unit_price: UnitPriceOpt = None,
    clear_unit_price: Annotated[
        bool, typer.Option("--clear-unit-price", help="Charge by the day only (new bookings).")
    ] = False,
    minimum_charge: MinimumOpt = None,
    clear_minimum_charge: Annotated[
        bool, typer.Option("--clear-minimum-charge", help="No minimum charge (new bookings).")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Change a machine's title, description, prices, approval or request rules, meter (admins).

    Existing rentals keep the prices fixed when they were booked. Every change
    is recorded (see machine show); values equal to the current ones change
    nothing. Exit 2 when no option is given.
    """
    from rentcal.cli.dates import parse_hours

    values = edit_values(
        {
            "title": ("--title", title),
            "description": ("--description", description),
            "price": ("--price", price),
            "auto_approve": ("--auto-approve/--no-auto-approve", auto_approve),
            "request_policy": ("--request-policy", request_policy),
            "request_expiry_hours": (
                "--request-expiry",
                None if request_expiry is None else parse_hours(request_expiry),
            ),
            "meter": ("--meter", meter),
            "unit_price": ("--unit-price", unit_price),
            "minimum_charge": ("--minimum-charge", minimum_charge),
        },
        {
            "description": ("--clear-description", clear_description),
            "meter": ("--clear-meter", clear_meter),
            "unit_price": ("--clear-unit-price", clear_unit_price),
            "minimum_charge": ("--clear-minimum-charge", clear_minimum_charge),
        },
    )
    state = get_state(ctx)
    with state.connect() as cal:
        edited = cal.edit_machine(name, acting=state.acting, **values)
        money = None if as_json else cal.currency()
    shown = partial(catalogue_views.show_machine, currency=money)
    catalogue_views.show_edited(edited, f"machine {edited.value.name}", as_json, shown)


@machine_app.command("retire", epilog=examples("rentcal --as ada machine retire tractor-6120"))
@cli_command
def retire(ctx: typer.Context, name: MachineArg, as_json: JsonOpt = False) -> None:
    """Stop new bookings of a machine (admins); its rentals and history stay."""
    state = get_state(ctx)
    with state.connect() as cal:
        machine = cal.retire_machine(name, acting=state.acting)
        money = None if as_json else cal.currency()
    headline = f"Retired machine {machine.name}."
    catalogue_views.show_machine(machine, as_json, headline=headline, currency=money)


@machine_app.command(
    "reactivate",
    epilog=examples(
        "rentcal --as ada machine retire saw && rentcal --as ada machine reactivate saw"
    ),
)
@cli_command
def reactivate(ctx: typer.Context, name: MachineArg, as_json: JsonOpt = False) -> None:
    """Make a retired machine bookable again (admins)."""
    state = get_state(ctx)
    with state.connect() as cal:
        machine = cal.reactivate_machine(name, acting=state.acting)
        money = None if as_json else cal.currency()
    headline = f"Reactivated machine {machine.name}."
    catalogue_views.show_machine(machine, as_json, headline=headline, currency=money)


__all__ = ["machine_app"]
