"""Every setting rentcal reads from an option, the environment or the config file.

One :class:`Setting` a row: its key in the TOML file (``server.*`` in its
``[server]`` table), its variable, the option that sets it, its type, its range
and default, and whether ``rentcal config show`` masks it (:func:`masked`).
:mod:`rentcal.cli.config` looks each up (option > environment > file >
default) and checks the values against these rows; ``config show`` lists them
in :data:`SETTINGS`' order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Setting:
    """One setting: its key in the file, its variable, its option, its type and default."""

    key: str
    env: str
    #: The command-line option setting it (None: none, only env / file / default).
    option: str | None
    #: ``"text"``, ``"whole number"`` or ``"number"``.
    kind: str
    #: The default value (None: decided elsewhere, described by ``default_text``).
    default: Any
    default_text: str
    low: float | None = None
    high: float | None = None
    #: Shown masked (passwords in a database URL).
    secret: bool = False


#: Every setting, in the order ``rentcal config show`` lists them.
SETTINGS: tuple[Setting, ...] = (
    Setting(
        "database_url",
        "RENTCAL_DATABASE_URL",
        "--db",
        "text",
        None,
        "the embedded SQLite file",
        secret=True,
    ),
    Setting("user", "RENTCAL_USER", "--as", "text", None, "your login name"),
    Setting(
        "timezone",
        "RENTCAL_TIMEZONE",
        "init --timezone",
        "text",
        None,
        "the host's zone (the database's, once stored)",
    ),
    Setting(
        "busy_timeout",
        "RENTCAL_BUSY_TIMEOUT",
        "--busy-timeout",
        "number",
        10.0,
        "10",
        0.001,
        86400.0,
    ),
    Setting("pool_size", "RENTCAL_POOL_SIZE", "serve --pool-size", "whole number", 5, "5", 1, 1000),
    Setting("smtp_url", "RENTCAL_SMTP_URL", "mail --smtp-url", "text", None, "none", secret=True),
    Setting("mail_from", "RENTCAL_MAIL_FROM", "mail --mail-from", "text", None, "none"),
    # Card payments (issue #23): `rentcal serve` takes them when both secrets are set.
    *(
        Setting(key, env, None, "text", None, "none", secret=True)
        for key, env in (
            ("stripe_secret_key", "RENTCAL_STRIPE_SECRET_KEY"),
            ("stripe_webhook_secret", "RENTCAL_STRIPE_WEBHOOK_SECRET"),
        )
    ),
    Setting("stripe_api_base", "RENTCAL_STRIPE_API_BASE", None, "text", None, "Stripe's"),
    Setting("server.host", "RENTCAL_HOST", "serve --host", "text", "127.0.0.1", "127.0.0.1"),
    Setting("server.port", "RENTCAL_PORT", "serve --port", "whole number", 8000, "8000", 1, 65535),
    Setting(
        "server.base_url",
        "RENTCAL_BASE_URL",
        "serve --base-url",
        "text",
        None,
        "http://HOST:PORT",
    ),
    Setting("server.workers", "RENTCAL_WORKERS", "serve --workers", "whole number", 1, "1", 1, 64),
    Setting(
        "server.max_connections",
        "RENTCAL_MAX_CONNECTIONS",
        "serve --max-connections",
        "whole number",
        None,
        "ulimit -n less 384, at most 1000",
        1,
        1_000_000,
    ),
    Setting(
        "server.max_streams",
        "RENTCAL_MAX_STREAMS",
        "serve --max-streams",
        "whole number",
        None,
        "half of max_connections",
        1,
        1_000_000,
    ),
    Setting(
        "server.max_streams_per_member",
        "RENTCAL_MAX_STREAMS_PER_MEMBER",
        "serve --max-streams-per-member",
        "whole number",
        8,
        "8",
        1,
        10_000,
    ),
    Setting(
        "server.header_timeout",
        "RENTCAL_HEADER_TIMEOUT",
        "serve --header-timeout",
        "number",
        10.0,
        "10",
        0.1,
        3600.0,
    ),
    Setting(
        "server.allowed_hosts",
        "RENTCAL_ALLOWED_HOSTS",
        "serve --allowed-host",
        "text",
        None,
        "the base URL's host and loopback",
    ),
)
BY_KEY: dict[str, Setting] = {s.key: s for s in SETTINGS}


def masked(setting: Setting, secret: str) -> str:
    """A secret as ``config show`` prints it: a URL with its password hidden, a Stripe
    key as its kind only (``sk_test_****``, ``whsec_****``)."""
    if setting.key.startswith("stripe_"):
        return secret[: secret.rfind("_") + 1] + "****"
    from rentcal.db.urls import safe_url

    return safe_url(secret, None)


__all__ = ["BY_KEY", "SETTINGS", "Setting", "masked"]
