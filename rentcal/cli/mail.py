"""``rentcal mail send | list | retry | discard | test``: the e-mail outbox (issue #20).

Every notification is also queued as an e-mail; ``rentcal serve`` delivers in
the background, and an installation without the server runs ``rentcal mail
send`` from cron. The SMTP settings (``smtp_url``, ``mail_from``) come from
the option, the environment or the config file, like every other setting.
"""

from typing import TYPE_CHECKING, Annotated, Any

import typer

from rentcal.cli import render
from rentcal.cli.context import State, get_state
from rentcal.cli.exit_codes import cli_command
from rentcal.cli.options import JsonOpt, examples, group
from rentcal.errors import InvalidRequest, Unavailable

if TYPE_CHECKING:
    from rentcal.core.mail import MailItem
    from rentcal.service.smtp_sender import SmtpSender

mail_app = group(
    "mail",
    "The e-mail outbox: send due mail, list queued and failed mail, retry, discard, test.",
    "rentcal mail list",
    "rentcal mail send  # e.g. */5 * * * * from cron",
)

SmtpUrlOpt = Annotated[
    str | None,
    typer.Option(
        "--smtp-url",
        metavar="URL",
        help="smtp://USER:PASS@HOST:587 (STARTTLS) or smtps://HOST:465 [default: "
        "$RENTCAL_SMTP_URL, the config file's smtp_url].",
        show_default=False,
    ),
]
MailFromOpt = Annotated[
    str | None,
    typer.Option(
        "--mail-from",
        metavar="ADDRESS",
        help="The From address, e.g. 'Tool Library <rentcal@example.org>' [default: "
        "$RENTCAL_MAIL_FROM, the config file's mail_from].",
        show_default=False,
    ),
]
MailIdArg = Annotated[int, typer.Argument(metavar="ID", help="The message's id (mail list).")]


def configured_sender(state: State, smtp_url: str | None, mail_from: str | None) -> "SmtpSender":
    """The configured SMTP sender, or InvalidRequest (exit 2) saying what is missing."""
    from rentcal.frontend.base_url import clean_base_url
    from rentcal.service.smtp_sender import SmtpSender, SmtpServer

    url = smtp_url or state.setting("smtp_url")
    sender = mail_from or state.setting("mail_from")
    if not url:
        raise InvalidRequest(
            "no SMTP server is configured: set smtp_url in the config file, "
            "$RENTCAL_SMTP_URL or --smtp-url (see docs/mail.md); mail stays queued",
            field="smtp_url",
            reason="no-smtp",
        )
    SmtpServer.from_url(url)  # a bad URL is named first
    if not sender:
        raise InvalidRequest(
            "no From address is configured: set mail_from in the config file, "
            "$RENTCAL_MAIL_FROM or --mail-from",
            field="mail_from",
            reason="no-sender",
        )
    return SmtpSender(url, sender, clean_base_url(state.setting("server.base_url")))


def _as_dict(item: "MailItem") -> dict[str, Any]:
    return {
        "id": item.id,
        "to": item.address,
        "name": item.name,
        "subject": item.subject,
        "kind": item.kind,
        "rental_id": item.rental_id,
        "status": item.status,
        "attempts": item.attempts,
        "created_at": item.created_at,
        "next_attempt_at": item.next_attempt_at,
        "last_error": item.last_error,
        "sent_at": item.sent_at,
    }


@mail_app.command(
    "send",
    epilog=examples(
        "rentcal mail send  # e.g. */5 * * * * from cron",
        "rentcal mail send --smtp-url smtps://rentcal:secret@mail.example.org --json",
    ),
)
@cli_command
def send(
    ctx: typer.Context,
    smtp_url: SmtpUrlOpt = None,
    mail_from: MailFromOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Send the mail that is due, once (for cron where `rentcal serve` does not run).

    Messages that failed for a while (no connection, a 4xx reply) are tried
    again after 1, 2, 4 ... minutes, up to an hour apart, until two days old;
    a 5xx reply fails at once. Exit 1 when some message is not sent yet.
    """
    state = get_state(ctx)
    sender = configured_sender(state, smtp_url, mail_from)
    with state.connect() as cal:
        report = cal.deliver_mail(sender)
    if as_json:
        render.emit_json(
            {"sent": report.sent, "retrying": report.retrying, "failed": report.failed}
        )
    else:
        render.echo(
            f"Mail: {report.sent} sent, {report.retrying} to retry, {report.failed} failed."
        )
    if report.retrying or report.failed:
        raise typer.Exit(1)


@mail_app.command("list", epilog=examples("rentcal mail list", "rentcal mail list --failed --json"))
@cli_command
def list_mail(
    ctx: typer.Context,
    failed: Annotated[bool, typer.Option("--failed", help="Only mail that failed.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """List queued and failed mail, oldest first (admins)."""
    state = get_state(ctx)
    with state.connect() as cal:
        items = cal.outbox(failed_only=failed, acting=state.acting)
    if as_json:
        render.emit_json([_as_dict(i) for i in items])
        return
    rows = [
        (i.id, i.status, i.address, i.kind, i.attempts, i.subject, i.last_error or "")
        for i in items
    ]
    render.emit_table(
        ("id", "status", "to", "kind", "tries", "subject", "last error"),
        rows,
        empty="No failed mail." if failed else "No mail waiting.",
    )


@mail_app.command("retry", epilog=examples("rentcal --as ada mail retry 1"))
@cli_command
def retry(ctx: typer.Context, mail_id: MailIdArg, as_json: JsonOpt = False) -> None:
    """Send a failed (or waiting) message again at the next delivery (admins)."""
    state = get_state(ctx)
    with state.connect() as cal:
        item = cal.retry_mail(mail_id, acting=state.acting)
    if as_json:
        render.emit_json(_as_dict(item))
    else:
        render.echo(f"Mail {item.id} to {item.address} will be sent at the next delivery.")


@mail_app.command("discard", epilog=examples("rentcal --as ada mail discard 2"))
@cli_command
def discard(ctx: typer.Context, mail_id: MailIdArg, as_json: JsonOpt = False) -> None:
    """Never send a queued or failed message (admins)."""
    state = get_state(ctx)
    with state.connect() as cal:
        item = cal.discard_mail(mail_id, acting=state.acting)
    if as_json:
        render.emit_json(_as_dict(item))
    else:
        render.echo(f"Mail {item.id} to {item.address} discarded.")


@mail_app.command(
    "test",
    epilog=examples("rentcal mail test ada@example.org"),
)
@cli_command
def test(
    ctx: typer.Context,
    address: Annotated[str, typer.Argument(metavar="ADDRESS", help="Where to send it.")],
    smtp_url: SmtpUrlOpt = None,
    mail_from: MailFromOpt = None,
) -> None:
    """Send a test message now and print exactly what the SMTP server replied."""
    from datetime import UTC, datetime

    from rentcal.core.mail import MailFailure
    from rentcal.service.smtp_sender import trial_message

    sender = configured_sender(get_state(ctx), smtp_url, mail_from)
    msg = trial_message(address, sender.sender, datetime.now(UTC))
    where = f"{sender.server.host}:{sender.server.port}"
    try:
        reply = sender.send_message(msg)
    except MailFailure as err:
        kind = "temporary" if err.temporary else "permanent"
        raise Unavailable(f"{where} did not take the message ({kind}): {err.reply}", []) from None
    render.echo(f"Sent to {address} through {where}; the server said: {reply}")
