"""Getting started: ``rentcal init`` and ``rentcal demo``."""

from typing import Annotated

import typer

from rentcal.cli import catalogue_views, render
from rentcal.cli.context import get_state
from rentcal.cli.exit_codes import cli_command
from rentcal.cli.options import JsonOpt, commands, examples
from rentcal.errors import InvalidRequest

setup_commands = commands()


@setup_commands.command(
    "init",
    epilog=examples(
        "rentcal init --admin ada --name 'Ada Admin' --email ada@example.org",
        "rentcal --db postgresql://rentcal@db.example.org/rentcal init --admin ada",
    ),
)
@cli_command
def init(
    ctx: typer.Context,
    admin: Annotated[
        str, typer.Option("--admin", metavar="HANDLE", help="Handle of the first admin.")
    ],
    name: Annotated[str | None, typer.Option(help="The admin's display name.")] = None,
    email: Annotated[str | None, typer.Option(help="The admin's e-mail address.")] = None,
    timezone: Annotated[
        str | None,
        typer.Option(
            "--timezone",
            metavar="ZONE",
            help="The organisation's time zone to store, e.g. Europe/Berlin "
            "[default: the configured one ($RENTCAL_TIMEZONE, config file), else this host's].",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Create the database, its first (verified) admin and its time zone. Safe to run again.

    On a database that holds the demo (rentcal demo) it changes nothing and says
    how to keep your own data apart from it.
    """
    from rentcal.demo import holds_the_demo

    state = get_state(ctx)
    with state.connect(create=True, timezone=timezone) as cal:
        member = cal.init(admin, name=name, email=email)
        url = cal.url
        zone = cal.timezone()
        today = state.today if state.pinned else cal.today()
        handles = set() if member is not None else {m.handle for m in cal.members()}
        if member is None and admin.strip().lower() not in handles and holds_the_demo(cal):
            raise InvalidRequest(
                f"database {url} holds the demo (rentcal demo), not your own data; "
                "nothing changed. Keep the two apart: give your data its own database "
                "(--db FILE or $RENTCAL_DATABASE_URL; unset it if it points at the demo), "
                "or delete the demo's database, then run init again",
                field="database",
                value=url,
                reason="demo",
            )
    if as_json:
        render.emit_json(
            {
                "created": member is not None,
                "database": url,
                "admin": member.as_dict() if member else None,
                "timezone": zone.name if zone.stored else None,
            }
        )
    elif member is None:
        render.echo(render.safe(f"Database {url} is already initialised; nothing changed."))
        if admin.strip().lower() not in handles:
            render.echo(
                render.safe(
                    f"{admin.strip()!r} is not a member of it: an admin adds you "
                    "(rentcal member add --help), or give your own data its own database "
                    "(--db FILE)."
                )
            )
    else:
        catalogue_views.show_member(
            member, False, headline=f"Initialised {url} with admin {member.handle}."
        )
        render.echo(f"Time zone: {zone.name} (today there: {today}).")
        render.echo()
        render.echo(f"Next: rentcal --as {member.handle} machine add NAME --price AMOUNT")


@setup_commands.command(
    "demo",
    epilog=examples(
        "rentcal demo --db demo.db",
        "RENTCAL_DATABASE_URL=demo.db RENTCAL_USER=ada rentcal calendar",
    ),
)
@cli_command
def demo(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            metavar="URL",
            help="Where to build it (must be empty) [default: demo.db beside the default "
            "database, never the default database itself].",
        ),
    ] = None,
) -> None:
    """Build a small sample database (3 machines, members, rentals, maintenance) to try.

    It goes in its own file, so your own data (rentcal init) never mixes with it.
    """
    from rentcal.db.urls import default_sqlite_path
    from rentcal.demo import DEMO_FILE, build_demo

    state = get_state(ctx)
    if db is not None and not db.strip():
        raise InvalidRequest("--db is empty: give a database URL or file path for the demo")
    where = db if db is not None else state.db
    if where is None:  # nothing configured: its own file, not the default database
        where = str(default_sqlite_path().with_name(DEMO_FILE))
    with state.connect(where, create=True) as cal:
        summary = build_demo(cal, state.today if state.pinned else cal.today())
    statuses = ", ".join(f"{n} {s}" for s, n in sorted(summary.statuses().items()))
    pending = summary.first("pending")
    lines = [
        f"Demo database ready: {summary.database}",
        f"  {len(summary.machines)} machines, {len(summary.members)} members, "
        f"{len(summary.rentals)} rentals ({statuses}), "
        f"{len(summary.maintenance)} maintenance blocks.",
        "",
        "Try next:",
    ]
    steps: list[tuple[str, str]] = [
        (f"export RENTCAL_DATABASE_URL='{where}'", "use the demo"),
    ]
    steps += [
        (f"export RENTCAL_USER={summary.admin}", "act as the demo's admin"),
        ("rentcal calendar", "this month, one row per machine"),
        ("rentcal calendar tractor-6120", "one machine, like cal(1)"),
        ("rentcal rentals --status pending", ""),
        (f"rentcal approve {pending.id}", ""),
        ("rentcal free excavator --days 3", "free windows of 3+ days"),
        ("rentcal --as bob book saw +5d --days 2", "book as bob"),
        ("rentcal --as bob notifications", ""),
        ("rentcal events --ics -o demo.ics", "import into any calendar app"),
    ]
    steps.append(("rentcal serve", "then open http://127.0.0.1:8000/ and log in"))
    width = max(len(command) for command, _ in steps)
    lines += [
        f"  {command:<{width}}  # {comment}" if comment else f"  {command}"
        for command, comment in steps
    ]
    lines += [
        "",
        "Your own data goes in its own database, not the demo's: unset RENTCAL_DATABASE_URL,",
        "then rentcal init --admin YOUR-HANDLE (README.md, For your own data).",
        "",
        "Passwords for the web pages (shown once; change them with rentcal member passwd):",
    ]
    lines += [f"  {handle:<6} {password}" for handle, password in summary.passwords]
    for line in lines:
        render.echo(render.safe(line))


__all__ = ["setup_commands"]
