"""What a running server needs to know besides the database: its public URL and limits.

:class:`Settings` is built once by ``rentcal serve`` and handed to every
worker through one environment variable (:data:`SETTINGS_ENV`, JSON), so a
worker process started by uvicorn builds exactly the same app as a test that
calls :func:`rentcal.web.create_app` directly.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from urllib.parse import urlsplit

from rentcal.errors import InvalidRequest
from rentcal.frontend.base_url import BASE_URL_ENV, DEFAULT_BASE_URL, clean_base_url

#: JSON of the :class:`Settings` of the workers of one ``rentcal serve``.
SETTINGS_ENV = "RENTCAL_WEB_SETTINGS"


@dataclass(frozen=True, slots=True)
class Settings:
    """How one server behaves; every field has a sensible default for tests.

    Parameters:
        base_url: the public URL clients use (``https://rentcal.example.org``);
            ``https`` makes cookies ``Secure``; its origin is accepted by the
            CSRF check besides the request's own ``Host``.
        database_url: the database each worker connects to (None: the
            environment or the default file, as for the CLI).
        metrics: serve ``/metrics`` (loopback clients and admins' tokens only).
        slow_request_ms: requests slower than this are logged as WARNING.
        session_idle_days: a browser session ends after this many idle days
            (the cookie's lifetime; the server's own connection,
            :func:`rentcal.web.app.connect`, expires sessions after as long).
        max_body_bytes: larger request bodies are refused with 413.
        heartbeat_seconds: an SSE comment line this often keeps proxies from closing.
        poll_seconds: how often one process reads the revision (SQLite; a
            fallback on PostgreSQL, which is told by LISTEN/NOTIFY).
        assets_dir: a local folder of FullCalendar's files for the pages
            (``--assets``); None: the pages load it from a CDN.
        timezone: the configured organisation time zone, used only while the
            database holds none (``connect(timezone=...)``); the stored one wins.
        busy_timeout: seconds a worker's writer waits for a lock (None: the
            environment, else the library's default), as ``connect()`` takes it.
        pool_size: database connections per worker (None: likewise).
        max_connections: open connections per worker; past it an idle one
            (still sending its request, or kept alive) is closed to make room,
            else the new one gets 503 (None: the descriptor limit less a
            reserve, at most :data:`DEFAULT_MAX_CONNECTIONS`).
        max_streams: open ``/api/changes`` streams per worker, past it 503
            (None: half of the connections, so streams never crowd out requests).
        max_streams_per_member: open streams per member per worker, past it 429.
        header_timeout: seconds a connection gets to send a whole request
            header (from connecting or from the previous response), else it is
            closed: a trickling client cannot hold a descriptor.
        allowed_hosts: the ``Host`` names served (``rentcal serve --allowed-host``):
            exact names, ``*.example.org`` for its subdomains, ``*`` for any;
            any other Host gets 400. None: any host (an app embedded or built
            by a test); ``rentcal serve`` always passes a list, by default the
            base URL's host and loopback (:func:`serve_hosts`).
        login_hashes: logins checked at once per worker, on threads apart from
            the request pool's (each an Argon2 hash: 19 MiB, ~0.2 s of CPU).
        login_queue: logins waiting for one of those per worker; beyond it
            ``POST /login`` answers 503 with ``Retry-After`` at once.
        smtp_url, mail_from: where and as whom the workers deliver the mail
            outbox in the background (None: mail stays queued; docs/mail.md).
        stripe_secret_key, stripe_webhook_secret: the Stripe account's secret key
            and the webhook endpoint's signing secret; both set: card payments
            through Stripe Checkout (docs/billing.md). Never shown in a repr.
        stripe_api_base: where Stripe's API is (None: Stripe's own; the tests'
            local stand-in).
    """

    base_url: str | None = None
    database_url: str | None = None
    metrics: bool = False
    slow_request_ms: float = 500.0
    session_idle_days: float = 14.0
    max_body_bytes: int = 64 * 1024
    heartbeat_seconds: float = 15.0
    poll_seconds: float = 1.0
    assets_dir: str | None = None
    timezone: str | None = None
    busy_timeout: float | None = None
    pool_size: int | None = None
    max_connections: int | None = None
    max_streams: int | None = None
    max_streams_per_member: int = 8
    header_timeout: float = 10.0
    allowed_hosts: tuple[str, ...] | None = None
    login_hashes: int = 2
    login_queue: int = 32
    smtp_url: str | None = None
    mail_from: str | None = None
    stripe_secret_key: str | None = field(default=None, repr=False)
    stripe_webhook_secret: str | None = field(default=None, repr=False)
    stripe_api_base: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "base_url", clean_base_url(self.base_url))
        if self.allowed_hosts is not None:
            names = tuple(clean_host_pattern(name) for name in self.allowed_hosts)
            object.__setattr__(self, "allowed_hosts", tuple(dict.fromkeys(names)))
        for name, low in (("login_hashes", 1), ("login_queue", 0)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= 1000:
                raise InvalidRequest(
                    f"{name} must be a whole number from {low} to 1000, not {value!r}",
                    field=name,
                    value=value,
                )
        for name in (
            "slow_request_ms",
            "session_idle_days",
            "heartbeat_seconds",
            "poll_seconds",
            "header_timeout",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise InvalidRequest(
                    f"{name} must be a positive number, not {value!r}", field=name, value=value
                )
        for name in ("max_connections", "max_streams", "max_streams_per_member"):
            value = getattr(self, name)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < 1
            ):
                raise InvalidRequest(
                    f"{name} must be a whole number of at least 1, not {value!r}",
                    field=name,
                    value=value,
                )

    @property
    def secure(self) -> bool:
        """Whether clients reach the server over https (then cookies are Secure)."""
        return bool(self.base_url and self.base_url.startswith("https://"))

    def secure_for(self, scheme: str) -> bool:
        """Whether a cookie set in answer to a request over ``scheme`` is ``Secure``.

        The request's own scheme counts (behind a TLS proxy with
        ``--proxy-headers`` it is the proxy's ``X-Forwarded-Proto``), so cookies
        sent over https are Secure even without an https ``base_url``.
        """
        return self.secure or scheme.lower() in ("https", "wss")

    @property
    def origin(self) -> str | None:
        """``scheme://host[:port]`` of the base URL (what browsers send as Origin)."""
        if not self.base_url:
            return None
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}".lower()

    def to_env(self) -> str:
        """The JSON that :meth:`from_env` reads back in a worker."""
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """The settings ``rentcal serve`` put into :data:`SETTINGS_ENV`, else defaults.

        ``RENTCAL_BASE_URL`` fills ``base_url`` when the JSON does not.
        """
        env = os.environ if env is None else env
        raw = env.get(SETTINGS_ENV, "").strip()
        data: dict[str, object] = {}
        if raw:
            try:
                loaded = json.loads(raw)
            except ValueError:
                raise InvalidRequest(f"{SETTINGS_ENV} is not valid JSON") from None
            if not isinstance(loaded, dict):
                raise InvalidRequest(f"{SETTINGS_ENV} must be a JSON object")
            known = {f.name for f in fields(cls)}
            data = {k: v for k, v in loaded.items() if k in known}
        if not data.get("base_url") and env.get(BASE_URL_ENV):
            data["base_url"] = env[BASE_URL_ENV]
        return cls(**data)  # type: ignore[arg-type]


#: The names of this machine that ``rentcal serve`` always answers to.
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")
_HOST_NAME = re.compile(r"(\*|(\*\.)?[a-z0-9_.-]+|\[[0-9a-f:.]+\])")


def clean_host_pattern(value: str) -> str:
    """One allowed ``Host`` name, lower-cased (IPv6 in brackets), or InvalidRequest.

    A port, a scheme or a path can never match a Host name (ports are
    ignored), so they are refused rather than silently never matching.
    """
    text = str(value).strip().lower()
    if ":" in text and not text.startswith("["):
        text = f"[{text}]"  # ::1 as the Host header spells it
    if _HOST_NAME.fullmatch(text) is None:
        raise InvalidRequest(
            f"allowed host {str(value)[:80]!r} is not a host name: use NAME, *.DOMAIN or * "
            "(no scheme, port or path)",
            field="allowed_hosts",
            value=value,
            reason="bad-host",
        )
    return text


def serve_hosts(given: Sequence[str], base_url: str | None) -> tuple[str, ...]:
    """The allow-list of ``rentcal serve``: ``given`` names (comma-separated too),
    else the base URL's host and loopback — never "any" unless told ``*``."""
    names = [part for item in given for part in item.split(",") if part.strip()]
    if names:
        return tuple(dict.fromkeys(clean_host_pattern(name) for name in names))
    hosts = list(LOOPBACK_HOSTS)
    base = clean_base_url(base_url)
    if base:
        hostname = urlsplit(base).hostname or ""
        if hostname:
            hosts.insert(0, clean_host_pattern(hostname))
    return tuple(dict.fromkeys(hosts))


__all__ = [
    "BASE_URL_ENV",
    "DEFAULT_BASE_URL",
    "LOOPBACK_HOSTS",
    "SETTINGS_ENV",
    "Settings",
    "clean_base_url",
    "clean_host_pattern",
    "serve_hosts",
]
