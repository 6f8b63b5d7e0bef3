"""``rentcal member invite | reinvite | uninvite | invitations``: invitations by e-mail.

The invitee is added at once without a password and gets a one-time link
(through the mail outbox: ``rentcal mail send`` or ``rentcal serve`` sends
it) to choose one on the web server.
"""

from typing import Annotated

import typer

from rentcal.cli import render
from rentcal.cli.context import get_state
from rentcal.cli.exit_codes import cli_command
from rentcal.cli.members import HandleArg, member_app
from rentcal.cli.options import JsonOpt, examples
from rentcal.core.link_mail import Invitation


def _show(invitation: Invitation, as_json: bool, headline: str) -> None:
    """One invitation."""
    if as_json:
        render.emit_json(invitation.as_dict())
        return
    render.echo(render.safe(headline))
    render.emit_record(
        [
            ("member", invitation.handle),
            ("name", invitation.name),
            ("email", invitation.address),
            ("verified", invitation.verified),
            ("expires", invitation.expires_at.isoformat(timespec="minutes")),
        ]
    )


@member_app.command(
    "invite",
    epilog=examples(
        "rentcal --as ada member invite eve --email eve@example.org --name 'Eve Example'",
        "rentcal --as ada member invite zed --email zed@example.org --verified --json",
    ),
)
@cli_command
def invite(
    ctx: typer.Context,
    handle: HandleArg,
    email: Annotated[str, typer.Option(help="Where to send the invitation (required).")],
    name: Annotated[str | None, typer.Option(help="Display name (default: HANDLE).")] = None,
    verified: Annotated[
        bool, typer.Option("--verified", help="May book as soon as they accept.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Invite a new member by e-mail (admins): a link to choose a password, for 7 days."""
    state = get_state(ctx)
    with state.connect() as cal:
        sent = cal.invite_member(handle, email, name=name, verified=verified, acting=state.acting)
    _show(sent, as_json, f"Invited member {sent.handle}; the link is in the mail outbox.")


@member_app.command(
    "reinvite",
    epilog=examples(
        "rentcal --as ada member invite eve --email eve@example.org"
        " && rentcal --as ada member reinvite eve"
    ),
)
@cli_command
def reinvite(ctx: typer.Context, handle: HandleArg, as_json: JsonOpt = False) -> None:
    """Send a member's invitation again with a new link (admins); the old link stops working."""
    state = get_state(ctx)
    with state.connect() as cal:
        sent = cal.resend_invitation(handle, acting=state.acting)
    _show(sent, as_json, f"Sent member {sent.handle} a new invitation link.")


@member_app.command(
    "uninvite",
    epilog=examples(
        "rentcal --as ada member invite eve --email eve@example.org"
        " && rentcal --as ada member uninvite eve"
    ),
)
@cli_command
def uninvite(ctx: typer.Context, handle: HandleArg) -> None:
    """Revoke a member's invitation link (admins); the member stays, without a password."""
    state = get_state(ctx)
    with state.connect() as cal:
        cal.revoke_invitation(handle, acting=state.acting)
    render.echo(render.safe(f"Revoked the invitation of member {handle.strip().lower()}."))


@member_app.command(
    "invitations",
    epilog=examples(
        "rentcal --as ada member invitations", "rentcal --as ada member invitations --json"
    ),
)
@cli_command
def invitations(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List invitations not yet accepted nor revoked (admins), oldest first."""
    state = get_state(ctx)
    with state.connect() as cal:
        found = cal.invitations(acting=state.acting)
    if as_json:
        render.emit_json([i.as_dict() for i in found])
        return
    render.emit_table(
        ["member", "email", "invited by", "expires", "state"],
        [
            (
                i.handle,
                i.address,
                i.invited_by,
                i.expires_at.isoformat(timespec="minutes"),
                "expired" if i.expired else "open",
            )
            for i in found
        ],
        empty="No open invitations.",
    )


__all__ = ["invitations", "invite", "reinvite", "uninvite"]
