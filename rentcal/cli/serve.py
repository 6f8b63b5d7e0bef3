"""``rentcal serve``: the HTTP API (FastAPI on uvicorn), for browsers, scripts and calendar apps.

The web stack is imported inside the command only: ``rentcal --help`` and
every other command never load FastAPI, Starlette or uvicorn.
"""

from typing import TYPE_CHECKING, Annotated, Any

import typer

from rentcal.cli import render
from rentcal.cli.context import get_state
from rentcal.cli.exit_codes import cli_command
from rentcal.cli.options import commands, examples

if TYPE_CHECKING:
    from rentcal.cli.config import Config
    from rentcal.cli.context import State

serve_commands = commands()


@serve_commands.command(
    "serve",
    epilog=examples(
        "rentcal serve",
        "rentcal serve --port 8080 --workers 2 --pool-size 10 --metrics",
        "rentcal serve --base-url https://rentcal.example.org --root-path /rentcal --proxy-headers",
        "rentcal serve --max-connections 900 --max-streams-per-member 4 --header-timeout 5",
        "rentcal serve --host 0.0.0.0 --allowed-host rentcal.lan --allowed-host 192.168.1.5",
    ),
)
@cli_command
def serve(
    ctx: typer.Context,
    host: Annotated[
        str | None,
        typer.Option(
            metavar="ADDRESS",
            help="Listen on this address (0.0.0.0: all) [default: $RENTCAL_HOST, "
            "the config file's server.host, else 127.0.0.1].",
            show_default=False,
        ),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(
            metavar="PORT",
            min=1,
            max=65535,
            help="Listen on this port [default: $RENTCAL_PORT, server.port, else 8000].",
            show_default=False,
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            metavar="N",
            min=1,
            max=64,
            help="Processes serving requests (state is in the DB) [default: "
            "$RENTCAL_WORKERS, server.workers, else 1].",
            show_default=False,
        ),
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            metavar="URL",
            help="The public URL clients use; https makes cookies Secure [default: "
            "$RENTCAL_BASE_URL, server.base_url].",
            show_default=False,
        ),
    ] = None,
    allowed_host: Annotated[
        list[str] | None,
        typer.Option(
            "--allowed-host",
            metavar="NAME",
            help="Answer requests for this Host only (repeatable; *.DOMAIN: its "
            "subdomains; *: any); others get 400 [default: $RENTCAL_ALLOWED_HOSTS, "
            "server.allowed_hosts (comma-separated), else the base URL's host and "
            "localhost, 127.0.0.1, [::1]].",
            show_default=False,
        ),
    ] = None,
    pool_size: Annotated[
        int | None,
        typer.Option(
            "--pool-size",
            metavar="N",
            min=1,
            max=1000,
            help="Database connections per worker, at most [default: $RENTCAL_POOL_SIZE, "
            "the config file's pool_size, else 5].",
            show_default=False,
        ),
    ] = None,
    max_connections: Annotated[
        int | None,
        typer.Option(
            "--max-connections",
            metavar="N",
            min=1,
            max=1_000_000,
            help="Open connections per worker; past it an idle one is closed, else 503 "
            "[default: $RENTCAL_MAX_CONNECTIONS, server.max_connections, else ulimit -n "
            "less 384, at most 1000].",
            show_default=False,
        ),
    ] = None,
    max_streams: Annotated[
        int | None,
        typer.Option(
            "--max-streams",
            metavar="N",
            min=1,
            max=1_000_000,
            help="Open /api/changes streams per worker, past it 503 [default: "
            "$RENTCAL_MAX_STREAMS, server.max_streams, else half of --max-connections].",
            show_default=False,
        ),
    ] = None,
    max_streams_per_member: Annotated[
        int | None,
        typer.Option(
            "--max-streams-per-member",
            metavar="N",
            min=1,
            max=10_000,
            help="Open /api/changes streams per member per worker, past it 429 [default: "
            "$RENTCAL_MAX_STREAMS_PER_MEMBER, server.max_streams_per_member, else 8].",
            show_default=False,
        ),
    ] = None,
    header_timeout: Annotated[
        float | None,
        typer.Option(
            "--header-timeout",
            metavar="SECONDS",
            min=0.1,
            max=3600,
            help="Close a connection whose request header is not complete this long after "
            "it connected or got its last answer [default: $RENTCAL_HEADER_TIMEOUT, "
            "server.header_timeout, else 10].",
            show_default=False,
        ),
    ] = None,
    root_path: Annotated[
        str,
        typer.Option(
            "--root-path", metavar="PATH", help="Served under this path prefix by a proxy."
        ),
    ] = "",
    proxy_headers: Annotated[
        bool,
        typer.Option(
            "--proxy-headers",
            help="Trust X-Forwarded-For/-Proto from the proxies in FORWARDED_ALLOW_IPS "
            "[default: 127.0.0.1].",
        ),
    ] = False,
    metrics: Annotated[
        bool,
        typer.Option("--metrics", help="Serve /metrics (to loopback and admins' tokens)."),
    ] = False,
    slow_ms: Annotated[
        float,
        typer.Option(
            "--slow-ms", metavar="MS", min=1, help="Log requests slower than this as WARNING."
        ),
    ] = 500.0,
    session_days: Annotated[
        float,
        typer.Option(
            "--session-days", metavar="DAYS", min=0.01, help="Idle days before a login ends."
        ),
    ] = 14.0,
    login_hashes: Annotated[
        int,
        typer.Option(
            "--login-hashes",
            metavar="N",
            min=1,
            max=1000,
            help="Logins (Argon2 hashes, 19 MiB each) checked at once per worker.",
        ),
    ] = 2,
    login_queue: Annotated[
        int,
        typer.Option(
            "--login-queue",
            metavar="N",
            min=0,
            max=1000,
            help="Logins waiting per worker; more get 503 with Retry-After.",
        ),
    ] = 32,
    assets: Annotated[
        str | None,
        typer.Option(
            "--assets", metavar="DIR", help="Serve the pages' FullCalendar files from DIR."
        ),
    ] = None,
) -> None:
    """Serve the HTTP API and the pages until SIGTERM or Ctrl-C (docs/web.md)."""
    from rentcal.web.server import ServeOptions, launch
    from rentcal.web.server_settings import Settings, serve_hosts

    state = get_state(ctx)
    config = state.config  # the same precedence as every setting: option > env > file > default
    host = config.get("server.host") if host is None else host
    port = config.get("server.port") if port is None else port
    workers = config.get("server.workers") if workers is None else workers
    base_url = config.get("server.base_url") if base_url is None else base_url
    hosts = allowed_host or [config.get("server.allowed_hosts") or ""]
    settings = Settings(
        base_url=base_url,
        database_url=state.db,
        timezone=state.setting("timezone"),
        busy_timeout=state.setting("busy_timeout"),
        pool_size=state.setting("pool_size") if pool_size is None else pool_size,
        metrics=metrics,
        slow_request_ms=slow_ms,
        session_idle_days=session_days,
        assets_dir=assets,
        **_limits(config, max_connections, max_streams, max_streams_per_member, header_timeout),
        allowed_hosts=serve_hosts(hosts, base_url),
        login_hashes=login_hashes,
        login_queue=login_queue,
        **_mail(state),
        stripe_secret_key=state.setting("stripe_secret_key"),
        stripe_webhook_secret=state.setting("stripe_webhook_secret"),
        stripe_api_base=state.setting("stripe_api_base"),
    )
    options = ServeOptions(
        host=host,
        port=port,
        workers=workers,
        root_path=root_path,
        proxy_headers=proxy_headers,
        settings=settings,
    )
    with state.connect() as cal:  # create or upgrade the schema once, before any worker
        cal.revision()
        where = cal.url
    count = f"{workers} worker{'' if workers == 1 else 's'}"
    render.error_line(
        render.safe(
            f"Serving {where} on http://{host}:{port}{root_path or ''}/ ({count}); Ctrl-C stops"
        )
    )
    launch(options)


def _mail(state: "State") -> dict[str, Any]:
    """The SMTP settings for the workers' mail delivery, checked before any worker
    starts (a bad ``smtp_url`` or a missing ``mail_from`` is exit 2); none: mail waits."""
    url = state.setting("smtp_url")
    if url is None:
        return {}
    from rentcal.cli.mail import configured_sender

    configured_sender(state, None, None)
    return {"smtp_url": url, "mail_from": state.setting("mail_from")}


def _limits(
    config: "Config",
    max_connections: int | None,
    max_streams: int | None,
    per_member: int | None,
    header_timeout: float | None,
) -> dict[str, Any]:
    """The connection and stream limits: each option, else its variable / file / default."""
    given = {
        "max_connections": max_connections,
        "max_streams": max_streams,
        "max_streams_per_member": per_member,
        "header_timeout": header_timeout,
    }
    return {
        name: config.get(f"server.{name}") if value is None else value
        for name, value in given.items()
    }


__all__ = ["serve_commands"]
