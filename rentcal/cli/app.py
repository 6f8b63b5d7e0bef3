"""The root ``rentcal`` Typer app: global options and the command registry.

Importing this module must stay cheap: command modules import the database
layer (sqlmodel / SQLAlchemy) and icalendar only inside command bodies, so
``rentcal --help`` and ``rentcal --version`` never load them.

Modules that declare commands (this one too) do not use ``from __future__
import annotations``: Typer reads every parameter's annotation on every run,
and a string annotation costs a ``compile`` + ``eval`` each — about 35 ms of
``rentcal --help`` (146 → 111 ms). Names imported only for type checking are
quoted instead. ``tests/test_cli_app.py`` keeps it so.
"""

from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from rentcal._version import __version__
from rentcal.cli.bulk import bulk_commands
from rentcal.cli.calendar_view import calendar_commands
from rentcal.cli.cancellation import cancellation_app
from rentcal.cli.charges import charge_app, charges_app, statement_commands
from rentcal.cli.config_and_timezone import config_app, timezone_app
from rentcal.cli.context import CONFIG_ENV, DATABASE_ENV, USER_ENV, State
from rentcal.cli.credentials import feed_app, token_app  # also adds `member passwd`
from rentcal.cli.currency import currency_app
from rentcal.cli.database import backup_commands, db_app
from rentcal.cli.events_command import feed_commands
from rentcal.cli.exit_codes import EXIT_CODES, cli_command, plain_bad_value
from rentcal.cli.handover import handover_commands, noshow_app  # also adds `machine keeper`
from rentcal.cli.invitations import invite  # noqa: F401  (adds `member invite` ...)
from rentcal.cli.invoice_docs import CSV_COLUMNS as _CSV  # noqa: F401  (adds `invoice issue` ...)
from rentcal.cli.invoices import invoice_app
from rentcal.cli.limits import limits_app
from rentcal.cli.machines import machine_app
from rentcal.cli.mail import mail_app
from rentcal.cli.mail_choices import notifications as _choices  # noqa: F401  (adds `member notifications`)
from rentcal.cli.maintenance import maintenance_app
from rentcal.cli.members import member_app, notification_commands
from rentcal.cli.moves import move_commands
from rentcal.cli.online_payments import online_payments_app
from rentcal.cli.payments import balance_commands, payment_app
from rentcal.cli.reminders import reminders_app
from rentcal.cli.rentals import rental_commands
from rentcal.cli.reports import report_app
from rentcal.cli.serve import serve_commands
from rentcal.cli.setup import setup_commands
from rentcal.cli.signup import signup_app


def _epilog() -> str:
    codes = "\n".join(f"  {code:<4} {meaning}" for code, meaning in EXIT_CODES)
    return (
        "Dates: 2030-01-15, today, tomorrow, +3d, +2w, fri (the next Friday), '15 Jan 2030'."
        f"\n\nExit codes:\n\n\b\n{codes}\n\n"
        "Docs: docs/cli.md. Example: rentcal demo --db demo.db"
    )


class RentcalGroup(TyperGroup):
    """The root command: usage errors about a value are worded by rentcal.

    Every subcommand's arguments are parsed inside this group's ``invoke``, and
    the root's own options (``--busy-timeout 0``) in its ``parse_args``, so these
    two ``except`` clauses reword them all (see :func:`plain_bad_value`).
    """

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except typer.BadParameter as err:
            err.message = plain_bad_value(err)
            raise

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except typer.BadParameter as err:
            err.message = plain_bad_value(err)
            raise


app = typer.Typer(
    name="rentcal",
    cls=RentcalGroup,
    help="Book shared machines on a calendar without ever double-booking one.",
    epilog=_epilog(),
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"rentcal {__version__}")
        raise typer.Exit()


@app.callback()
@cli_command
def root(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            metavar="URL",
            envvar=DATABASE_ENV,
            help="Database: sqlite:///PATH, a file path, or postgresql://USER@HOST/DB "
            "[default: the embedded SQLite file].",
        ),
    ] = None,
    acting: Annotated[
        str | None,
        typer.Option(
            "--as",
            metavar="HANDLE",
            envvar=USER_ENV,
            help="Act as this member [default: your login name].",
        ),
    ] = None,
    config: Annotated[
        str | None,
        typer.Option(
            "--config",
            metavar="FILE",
            envvar=CONFIG_ENV,
            help="Read settings from this TOML file "
            "[default: $XDG_CONFIG_HOME/rentcal/config.toml, if it exists].",
        ),
    ] = None,
    busy_timeout: Annotated[
        float | None,
        typer.Option(
            "--busy-timeout",
            metavar="SECONDS",
            min=0.001,
            max=86_400.0,
            help="Wait up to this long for a busy database, then exit 4 "
            "[default: $RENTCAL_BUSY_TIMEOUT, the config file's busy_timeout, else 10].",
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_show_version,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    """Book shared machines on a calendar without ever double-booking one."""
    given = [
        name
        for name in ("db", "acting", "config")
        if getattr(ctx.get_parameter_source(name), "name", None) == "COMMANDLINE"
    ]
    ctx.obj = State.build(
        db, acting, command_line=given, config_file=config, busy_timeout=busy_timeout
    )


# Order here is the order of `rentcal --help`.
app.add_typer(setup_commands)
app.add_typer(machine_app)
app.add_typer(member_app)
app.add_typer(rental_commands)
app.add_typer(move_commands)
app.add_typer(handover_commands)
app.add_typer(maintenance_app)
app.add_typer(calendar_commands)
app.add_typer(report_app)
app.add_typer(notification_commands)
app.add_typer(mail_app)
app.add_typer(feed_commands)
app.add_typer(feed_app)
app.add_typer(token_app)
app.add_typer(bulk_commands)
app.add_typer(db_app)
app.add_typer(backup_commands)
app.add_typer(serve_commands)
app.add_typer(config_app)
app.add_typer(timezone_app)
app.add_typer(limits_app)
app.add_typer(reminders_app)
app.add_typer(noshow_app)
app.add_typer(signup_app)
app.add_typer(currency_app)
app.add_typer(statement_commands)
app.add_typer(charges_app)
app.add_typer(charge_app)
app.add_typer(cancellation_app)
app.add_typer(online_payments_app)
app.add_typer(invoice_app)
app.add_typer(payment_app)
app.add_typer(balance_commands)

__all__ = ["app"]
