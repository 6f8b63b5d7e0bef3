"""``rentcal member add | verify | list`` and ``rentcal notifications``."""

from __future__ import annotations

from typing import Annotated

import typer

from rentcal.cli import render, views
from rentcal.cli.context import get_state
from rentcal.cli.errors import cli_command
from rentcal.cli.options import JsonOpt, commands, examples, group
from rentcal.core.wording import plural

member_app = group(
    "member",
    "Add, verify and list members.",
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
    views.show_member(member, as_json, headline=f"Added member {member.handle}.")


@member_app.command("verify", epilog=examples("rentcal --as ada member verify carol"))
@cli_command
def verify(ctx: typer.Context, handle: HandleArg, as_json: JsonOpt = False) -> None:
    """Mark a member verified so they may book (admins only)."""
    state = get_state(ctx)
    with state.connect() as cal:
        member = cal.verify_member(handle, acting=state.acting)
    views.show_member(member, as_json, headline=f"Member {member.handle} is verified.")


@member_app.command("list", epilog=examples("rentcal member list", "rentcal member list --json"))
@cli_command
def list_members(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List every member."""
    with get_state(ctx).connect() as cal:
        members = cal.members()
    views.show_members(members, as_json)


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
    views.show_notifications(items, as_json)
    if marked is not None:
        render.note(f"Marked {plural(marked, 'notification')} read.", as_json=as_json)


__all__ = ["member_app", "notification_commands"]
