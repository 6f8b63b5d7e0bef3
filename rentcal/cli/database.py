"""``rentcal db status | upgrade | check`` and ``rentcal backup``: the database itself."""

from pathlib import Path
from typing import Annotated

import typer

from rentcal.cli import output_files, render
from rentcal.cli.context import get_state
from rentcal.cli.exit_codes import cli_command
from rentcal.cli.options import JsonOpt, commands, examples, group
from rentcal.errors import DatabaseError

db_app = group(
    "db",
    "The database's schema revision, upgrades and health checks.",
    "rentcal db status",
    "rentcal db upgrade --sql > upgrade.sql",
    "rentcal db check",
)
backup_commands = commands()


@db_app.command("status", epilog=examples("rentcal db status", "rentcal db status --json"))
@cli_command
def status(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Show the schema revision: the database's, this rentcal's (head), and what is pending.

    Opening the database here never upgrades it.
    """
    from rentcal.db import upkeep as database

    result = database.status(get_state(ctx).db)
    if as_json:
        render.emit_json(result.as_dict())
        return
    current = result.current or "none"
    if not result.stamped:
        current += " (made by rentcal 0.1; its revision is recorded on upgrade)"
    render.emit_record(
        [
            ("database", result.database),
            ("current", current),
            ("head", result.head),
            ("pending", ", ".join(result.pending) or "none: up to date"),
        ]
    )


@db_app.command(
    "upgrade",
    epilog=examples(
        "rentcal db upgrade",
        "rentcal --db postgresql://rentcal@db.example.org/rentcal db upgrade --sql > upgrade.sql",
    ),
)
@cli_command
def upgrade(
    ctx: typer.Context,
    sql: Annotated[
        bool,
        typer.Option(
            "--sql",
            help="Print the SQL instead of running it (for a DBA); writes nothing. "
            "On an empty database: the whole schema.",
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Upgrade the database's schema to this rentcal's, in one transaction.

    Every command does this on its own when needed; this does it now, or
    prints the SQL for someone else to run.
    """
    from rentcal.db import upkeep as database

    state = get_state(ctx)
    if sql:
        output_files.write_output(database.upgrade_sql(state.db), None)
        return
    result = database.upgrade(state.db)
    if as_json:
        render.emit_json(result.as_dict())
    elif result.applied:
        render.echo(
            render.safe(
                f"Upgraded {result.database} from {result.before} to {result.after} "
                f"({', '.join(result.applied)})."
            )
        )
    else:
        render.echo(render.safe(f"{result.database} is at {result.after}: nothing to upgrade."))


@db_app.command("check", epilog=examples("rentcal db check", "rentcal db check --json"))
@cli_command
def check(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Check the database: file integrity, the overlap guards, overlapping rows.

    Reads only. Exit 0 when all is well, 4 when something is wrong (with what
    to do about it).
    """
    from rentcal.db import upkeep as database

    report = database.check(get_state(ctx).db)
    if as_json:
        render.emit_json(report.as_dict())
    else:
        rows = [(f.check, "ok" if f.ok else "PROBLEM", f.detail) for f in report.findings]
        render.echo(render.table_text(("check", "result", "detail"), rows, max_len=200))
        advice = list(dict.fromkeys(f.advice for f in report.findings if f.advice))
        if advice:
            render.echo()
        for text in advice:
            render.echo(render.safe(f"- {text}"))
    if not report.ok:
        count = len(report.problems)
        raise DatabaseError(
            f"{count} problem{'s' if count != 1 else ''} found in {report.database}"
        )


@backup_commands.command(
    "backup",
    epilog=examples(
        "rentcal backup rentcal-backup.db",
        "RENTCAL_DATABASE_URL=/srv/rentcal/rentcal.db rentcal backup /srv/backup/rentcal.db",
    ),
)
@cli_command
def backup(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(metavar="FILE", help="The new file to write (never replaced).")
    ],
    as_json: JsonOpt = False,
) -> None:
    """Copy the SQLite database consistently into FILE, even while others write.

    The copy is one private (0600) file that passed SQLite's integrity check.
    For PostgreSQL use pg_dump.
    """
    from rentcal.db import upkeep as database

    result = database.backup(get_state(ctx).db, file)
    if as_json:
        render.emit_json(result.as_dict())
        return
    render.echo(
        render.safe(
            f"Backed up {result.database} to {result.path} ({result.size} bytes, "
            f"{result.rentals} rentals, {result.members} members; integrity ok)."
        )
    )


__all__ = ["backup_commands", "db_app"]
