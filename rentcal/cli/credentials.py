"""``rentcal member passwd``, ``rentcal token ...`` and ``rentcal feed ...``.

The credentials ``rentcal serve`` accepts: passwords (browser logins), API
tokens (``Authorization: Bearer``) and secret feed URLs. A secret is printed
once, on stdout alone (so ``TOKEN=$(rentcal token create)`` works), with its
explanation on stderr; the database keeps only its digest.
"""

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer

from rentcal.cli import render
from rentcal.cli.context import get_state
from rentcal.cli.exit_codes import cli_command
from rentcal.cli.members import member_app
from rentcal.cli.options import MAX_ID, JsonOpt, examples, group
from rentcal.errors import InvalidRequest
from rentcal.frontend.base_url import BASE_URL_ENV, DEFAULT_BASE_URL, base_url_or_default

if TYPE_CHECKING:  # the values load with the library, not with `rentcal --help`
    from rentcal.core.credential_values import ApiToken, FeedToken

#: Where `rentcal serve` is reached, for printing full feed URLs.

token_app = group(
    "token",
    "Create, list and revoke API tokens for scripts (Authorization: Bearer).",
    "rentcal token create --name backup-script",
    "rentcal token list",
)
feed_app = group(
    "feed",
    "Create, list and revoke secret feed URLs for calendar apps.",
    "rentcal --as bob feed create",
    "rentcal feed list",
)

IdArg = Annotated[int, typer.Argument(metavar="ID", min=1, max=MAX_ID)]
NameOpt = Annotated[
    str | None, typer.Option("--name", metavar="LABEL", help="A label to recognise it by.")
]
AllOpt = Annotated[bool, typer.Option("--all", help="Revoked ones too.")]


def _when(value: datetime | None) -> str:
    return "" if value is None else value.isoformat(timespec="minutes")


# -- passwords --------------------------------------------------------------------


def _password_from_stdin() -> str:
    """The first line of standard input, without its line break."""
    line = typer.get_text_stream("stdin").readline()
    if not line:
        raise InvalidRequest("no password on standard input", field="password", reason="missing")
    return line.removesuffix("\n").removesuffix("\r")


@member_app.command(
    "passwd",
    epilog=examples(
        "rentcal --as ada member passwd bob --password-stdin < new-password.txt",
    ),
)
@cli_command
def passwd(
    ctx: typer.Context,
    handle: Annotated[str, typer.Argument(metavar="HANDLE", help="Member handle, e.g. bob.")],
    password_stdin: Annotated[
        bool,
        typer.Option(
            "--password-stdin",
            help="Read the password from the first line of standard input (for scripts).",
        ),
    ] = False,
) -> None:
    """Set a member's password for logging in to `rentcal serve` (your own; admins: anyone's).

    Asks twice without echoing, unless --password-stdin. 8 to 1024 characters.
    The member's open browser sessions end and the API tokens acting for them or
    made by them are revoked; their feed URLs keep working (rentcal feed list).
    """
    state = get_state(ctx)
    with state.connect() as cal:
        member = cal.member(handle)  # an unknown handle fails before the prompt
        password = (
            _password_from_stdin()
            if password_stdin
            else typer.prompt("New password", hide_input=True, confirmation_prompt=True)
        )
        cal.set_password(member.handle, password, acting=state.acting)
    render.echo(f"Password set for {member.handle}.")
    render.error_line(
        f"{member.handle}'s browser sessions ended and the API tokens acting for them or made "
        "by them were revoked; their feed URLs keep working (review: rentcal feed list)."
    )


# -- API tokens -------------------------------------------------------------------


def _token_row(t: "ApiToken") -> tuple[object, ...]:
    status = "active" if t.active else f"revoked {_when(t.revoked_at)}"
    used = _when(t.last_used_at)
    return (t.id, t.member, t.name, _when(t.created_at), t.created_by, used, status)


@token_app.command(
    "create",
    epilog=examples(
        "rentcal token create --name backup-script",
        "rentcal --as ada token create --for bob --name bobs-laptop --json",
    ),
)
@cli_command
def create_token(
    ctx: typer.Context,
    for_: Annotated[
        str | None,
        typer.Option("--for", metavar="HANDLE", help="Act as this member (admins only)."),
    ] = None,
    name: NameOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create an API token and print it once: store it now, it is not shown again."""
    state = get_state(ctx)
    with state.connect() as cal:
        token, secret = cal.create_token(state.acting, for_, name=name)
    if as_json:
        render.emit_json({**token.as_dict(), "token": secret})
    else:
        render.echo(secret)
    render.error_line(
        f"Token {token.id} acts as {token.member}; send it as 'Authorization: Bearer TOKEN'. "
        f"It is shown only now. Revoke it with: rentcal token revoke {token.id}"
    )


@token_app.command("list", epilog=examples("rentcal token list", "rentcal token list --all --json"))
@cli_command
def list_tokens(ctx: typer.Context, all_: AllOpt = False, as_json: JsonOpt = False) -> None:
    """List your API tokens (admins: everybody's); never their secrets."""
    state = get_state(ctx)
    with state.connect() as cal:
        tokens = cal.tokens(state.acting, include_revoked=all_)
    render.emit_items(
        tokens,
        as_json,
        ("id", "member", "name", "created", "by", "last used", "status"),
        _token_row,
        empty="No API tokens. Create one: rentcal token create --name LABEL",
    )


@token_app.command(
    "revoke",
    epilog=examples("rentcal token create --name old && rentcal token revoke 1"),
)
@cli_command
def revoke_token(ctx: typer.Context, token_id: IdArg, as_json: JsonOpt = False) -> None:
    """Revoke an API token (its member or an admin); it stops working at once."""
    state = get_state(ctx)
    with state.connect() as cal:
        token = cal.revoke_token(token_id, state.acting)
    if as_json:
        render.emit_json(token.as_dict())
    else:
        render.echo(f"Revoked token {token.id} of {token.member}.")


# -- feed URLs --------------------------------------------------------------------


def base_url(value: str | None) -> str:
    """The server's base URL (``--base-url``, else the default): the rule ``serve`` applies."""
    return base_url_or_default(value)


def _shows(f: "FeedToken") -> str:
    if f.machine is not None:
        return f"machine {f.machine}"
    if f.member is not None:
        return f"{f.member}'s rentals"
    return "all machines"


def _feed_row(f: "FeedToken") -> tuple[object, ...]:
    status = "active" if f.active else f"revoked {_when(f.revoked_at)}"
    return (f.id, _shows(f), f.format, f.name, f.owner, _when(f.created_at), status)


@feed_app.command(
    "create",
    epilog=examples(
        "rentcal --as bob feed create --name phone",
        "rentcal feed create --machine tractor-6120 --base-url https://rentcal.example.org",
        "rentcal feed create --all --format json --json",
    ),
)
@cli_command
def create_feed(
    ctx: typer.Context,
    machine: Annotated[
        str | None,
        typer.Option("--machine", metavar="NAME", help="This machine's calendar (admins)."),
    ] = None,
    member: Annotated[
        str | None,
        typer.Option(
            "--member", metavar="HANDLE", help="This member's rentals (yours; admins: anyone's)."
        ),
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Every machine's calendar (admins).")] = False,
    fmt: Annotated[
        str, typer.Option("--format", metavar="ics|json", help="iCalendar or FullCalendar JSON.")
    ] = "ics",
    name: NameOpt = None,
    base: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            metavar="URL",
            envvar=BASE_URL_ENV,
            help="Where rentcal serve is reached [default: the config file's "
            f"server.base_url, else {DEFAULT_BASE_URL}].",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a secret feed URL and print it once (default: your own rentals).

    Anyone with the URL can read that calendar, so share it like a password;
    revoke it when it leaks. Calendar apps (Outlook, Google, Apple) subscribe to it.
    """
    state = get_state(ctx)
    prefix = base_url(base if base is not None else state.setting("server.base_url"))
    with state.connect() as cal:
        feed, secret = cal.create_feed(
            state.acting, machine, member, all_rentals=all_, fmt=fmt, name=name
        )
    path = feed.path(secret)
    if as_json:
        render.emit_json({**feed.as_dict(), "token": secret, "path": path, "url": prefix + path})
    else:
        render.echo(prefix + path)
    render.error_line(
        f"Feed {feed.id} shows {_shows(feed)}. The URL is shown only now; anyone who has it "
        f"can read the calendar. Revoke it with: rentcal feed revoke {feed.id}"
    )


@feed_app.command("list", epilog=examples("rentcal feed list", "rentcal feed list --all --json"))
@cli_command
def list_feeds(ctx: typer.Context, all_: AllOpt = False, as_json: JsonOpt = False) -> None:
    """List your feed URLs (admins: everybody's); their secrets cannot be shown again."""
    state = get_state(ctx)
    with state.connect() as cal:
        feeds = cal.feed_tokens(state.acting, include_revoked=all_)
    render.emit_items(
        feeds,
        as_json,
        ("id", "shows", "format", "name", "owner", "created", "status"),
        _feed_row,
        empty="No feed URLs. Create one: rentcal feed create",
    )


@feed_app.command(
    "revoke", epilog=examples("rentcal feed create --name old && rentcal feed revoke 1")
)
@cli_command
def revoke_feed(ctx: typer.Context, feed_id: IdArg, as_json: JsonOpt = False) -> None:
    """Revoke a feed URL (its owner or an admin); it answers 404 from now on."""
    state = get_state(ctx)
    with state.connect() as cal:
        feed = cal.revoke_feed(feed_id, state.acting)
    if as_json:
        render.emit_json(feed.as_dict())
    else:
        render.echo(f"Revoked feed {feed.id} ({_shows(feed)}).")


__all__ = ["BASE_URL_ENV", "DEFAULT_BASE_URL", "base_url", "feed_app", "passwd", "token_app"]
