"""``rentcal member add | verify | list | show | edit | role | deactivate | reactivate``
and ``rentcal notifications``."""

from typing import Annotated

import typer

from rentcal.cli import catalogue_views, render, rental_views
from rentcal.cli.context import get_state
from rentcal.cli.exit_codes import cli_command
from rentcal.cli.options import JsonOpt, commands, edit_values, examples, group
from rentcal.core.types import Role
from rentcal.core.wording import plural

member_app = group(
    "member",
    "Add, verify, list, show and edit members; roles; deactivate and reactivate.",
    "rentcal --as ada member add eve --verified",
    "rentcal member list --json",
)
notification_commands = commands()

HandleArg = Annotated[str, typer.Argument(metavar="HANDLE", help="Member handle, e.g. bob.")]


@member_app.command(
    "add",
    epilog=examples(
        "rentcal --as ada member add eve --name 'Eve Example' --email eve@example.org --verified",
        "rentcal --as ada member add zed --admin --json",
    ),
)
@cli_command
def add(
    ctx: typer.Context,
    handle: HandleArg,
    name: Annotated[str | None, typer.Option(help="Display name (default: HANDLE).")] = None,
    email: Annotated[str | None, typer.Option(help="E-mail address.")] = None,
    verified: Annotated[
        bool, typer.Option("--verified", help="May book right away (admins always may).")
    ] = False,
    admin: Annotated[bool, typer.Option("--admin", help="Make the member an admin.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Add a member (admins only)."""
    state = get_state(ctx)
    with state.connect() as cal:
        member = cal.add_member(
            handle, name=name, email=email, verified=verified, admin=admin, acting=state.acting
        )
    catalogue_views.show_member(member, as_json, headline=f"Added member {member.handle}.")


@member_app.command("verify", epilog=examples("rentcal --as ada member verify carol"))
@cli_command
def verify(ctx: typer.Context, handle: HandleArg, as_json: JsonOpt = False) -> None:
    """Mark a member verified so they may book (admins only)."""
    state = get_state(ctx)
    with state.connect() as cal:
        member = cal.verify_member(handle, acting=state.acting)
    catalogue_views.show_member(member, as_json, headline=f"Member {member.handle} is verified.")


@member_app.command("list", epilog=examples("rentcal member list", "rentcal member list --json"))
@cli_command
def list_members(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List every member."""
    with get_state(ctx).connect() as cal:
        members = cal.members()
    catalogue_views.show_members(members, as_json)


@member_app.command(
    "show", epilog=examples("rentcal member show bob", "rentcal member show bob --json")
)
@cli_command
def show(ctx: typer.Context, handle: HandleArg, as_json: JsonOpt = False) -> None:
    """Show a member and the recorded changes of their record."""
    with get_state(ctx).connect() as cal:
        member = cal.member(handle)
        history = cal.member_history(member.handle)
    catalogue_views.show_member_details(member, history, as_json)


@member_app.command(
    "edit",
    epilog=examples(
        "rentcal --as ada member edit bob --name 'Bob Builder' --email bob@example.org",
        "rentcal --as bob member edit bob --clear-email",
    ),
)
@cli_command
def edit(
    ctx: typer.Context,
    handle: HandleArg,
    name: Annotated[str | None, typer.Option(help="New display name.")] = None,
    email: Annotated[str | None, typer.Option(help="New e-mail address.")] = None,
    clear_email: Annotated[
        bool, typer.Option("--clear-email", help="Remove the e-mail address.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Change a member's name or e-mail (the member themself, or admins).

    Every change is recorded (see member show). Exit 2 when no option is given.
    """
    values = edit_values(
        {"name": ("--name", name), "email": ("--email", email)},
        {"email": ("--clear-email", clear_email)},
    )
    state = get_state(ctx)
    with state.connect() as cal:
        edited = cal.edit_member(handle, acting=state.acting, **values)
    catalogue_views.show_edited(
        edited, f"member {edited.value.handle}", as_json, catalogue_views.show_member
    )


@member_app.command(
    "role",
    epilog=examples(
        "rentcal --as ada member role bob admin", "rentcal --as ada member role ada member"
    ),
)
@cli_command
def role(
    ctx: typer.Context,
    handle: HandleArg,
    new_role: Annotated[
        Role, typer.Argument(metavar="ROLE", case_sensitive=False, help="admin or member.")
    ],
    as_json: JsonOpt = False,
) -> None:
    """Make a member an admin or a plain member (admins). The last admin stays one."""
    state = get_state(ctx)
    with state.connect() as cal:
        edited = cal.set_role(handle, new_role, acting=state.acting)
    catalogue_views.show_edited(
        edited, f"member {edited.value.handle}", as_json, catalogue_views.show_member
    )


@member_app.command("deactivate", epilog=examples("rentcal --as ada member deactivate carol"))
@cli_command
def deactivate(ctx: typer.Context, handle: HandleArg, as_json: JsonOpt = False) -> None:
    """Stop a member logging in, booking or acting (admins); their history stays.

    Their pending requests are rejected ("member deactivated") and they are
    told; approved rentals still to come stand, and the admins are told.
    """
    state = get_state(ctx)
    with state.connect() as cal:
        member = cal.deactivate_member(handle, acting=state.acting, today=state.today)
    catalogue_views.show_member(member, as_json, headline=f"Deactivated member {member.handle}.")


@member_app.command(
    "reactivate",
    epilog=examples(
        "rentcal --as ada member deactivate carol && rentcal --as ada member reactivate carol"
    ),
)
@cli_command
def reactivate(ctx: typer.Context, handle: HandleArg, as_json: JsonOpt = False) -> None:
    """Let a deactivated member log in, book and act again (admins)."""
    state = get_state(ctx)
    with state.connect() as cal:
        member = cal.reactivate_member(handle, acting=state.acting)
    catalogue_views.show_member(member, as_json, headline=f"Reactivated member {member.handle}.")


@notification_commands.command(
    "notifications",
    epilog=examples(
        "rentcal notifications --unread",
        "rentcal --as bob notifications --mark-read --json",
    ),
)
@cli_command
def notifications(
    ctx: typer.Context,
    unread: Annotated[bool, typer.Option("--unread", help="Only unread notifications.")] = False,
    mark_read: Annotated[
        bool, typer.Option("--mark-read", help="Then mark them all read.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Show the acting member's notifications (approvals, rejections, requests)."""
    state = get_state(ctx)
    who = state.who()
    with state.connect() as cal:
        items = cal.notifications(who, unread_only=unread, mark_read=mark_read)
    marked = sum(1 for item in items if item.read_at is None) if mark_read else None
    rental_views.show_notifications(items, as_json)
    if marked is not None:
        render.note(f"Marked {plural(marked, 'notification')} read.", as_json=as_json)


__all__ = ["member_app", "notification_commands"]
