"""Running the app under uvicorn: what ``rentcal serve`` does after parsing its options.

uvicorn gets the app as a factory *string* (``rentcal.web.app:from_env``) so
``--workers N`` can start N processes; each builds the same app from the
:class:`~rentcal.web.server_settings.Settings` passed in :data:`SETTINGS_ENV` and
opens its own connection to the database. With metrics and several workers,
``PROMETHEUS_MULTIPROC_DIR`` points at a fresh directory (removed at exit)
before any worker imports prometheus-client.

Each worker parses HTTP with httptools when it is installed (else h11),
bounds its connections and times out slow request headers
(:mod:`rentcal.web.bounded_protocol`), and bounds its SSE streams
(:mod:`rentcal.web.limits`).

SIGTERM and SIGINT stop the server gracefully: no new connections, in-flight
requests finish (at most :data:`GRACEFUL_SECONDS`), SSE streams end.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import shutil
import signal
import socket
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field

from rentcal.errors import InvalidRequest
from rentcal.web.limits import ACCEPT_BACKLOG
from rentcal.web.metrics import MULTIPROC_ENV
from rentcal.web.server_settings import SETTINGS_ENV, Settings

APP_FACTORY = "rentcal.web.app:from_env"
#: uvicorn's protocols with a connection cap and a header timeout (imported in each worker):
#: on the C parser httptools (the ``web`` extra installs it), else on the pure-Python h11.
HTTPTOOLS_PROTOCOL = "rentcal.web.bounded_httptools:BoundedHttpToolsProtocol"
H11_PROTOCOL = "rentcal.web.bounded_protocol:BoundedH11Protocol"
#: Seconds in-flight requests get to finish after SIGTERM before they are cut.
GRACEFUL_SECONDS = 30
MAX_WORKERS = 64


@dataclass(frozen=True, slots=True)
class ServeOptions:
    """Where and how to listen; the app's own behaviour is in ``settings``."""

    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    root_path: str = ""
    proxy_headers: bool = False
    log_level: str = "info"
    settings: Settings = field(default_factory=Settings)

    def __post_init__(self) -> None:
        if not 1 <= self.workers <= MAX_WORKERS:
            raise InvalidRequest(
                f"--workers {self.workers} must be from 1 to {MAX_WORKERS}",
                field="workers",
                value=self.workers,
            )
        if self.root_path and (not self.root_path.startswith("/") or self.root_path.endswith("/")):
            raise InvalidRequest(
                f"--root-path {self.root_path!r} must start with '/' and not end with one "
                "(e.g. /rentcal)",
                field="root_path",
                value=self.root_path,
            )


def check_address(host: str, port: int) -> None:
    """Refuse early, with the reason, an address uvicorn could not listen on."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
    except OSError as err:
        raise InvalidRequest(
            f"cannot listen on {host}:{port}: {err.strerror or err}",
            field="port",
            value=port,
            reason="bind",
        ) from None


@contextlib.contextmanager
def metrics_directory(options: ServeOptions) -> Iterator[None]:
    """prometheus-client's multiprocess directory, when several workers serve metrics."""
    if not options.settings.metrics or options.workers == 1 or os.environ.get(MULTIPROC_ENV):
        yield
        return
    path = tempfile.mkdtemp(prefix="rentcal-metrics-")
    os.environ[MULTIPROC_ENV] = path
    try:
        yield
    finally:
        os.environ.pop(MULTIPROC_ENV, None)
        shutil.rmtree(path, ignore_errors=True)


def http_protocol() -> str:
    """The bounded protocol on httptools when it imports (~100 µs less per request), else h11.

    Chosen here, in the parent, so every worker runs the same one; importing
    httptools (rather than looking for it) also catches a broken install.
    """
    try:
        importlib.import_module("httptools")
    except ImportError:
        return H11_PROTOCOL
    return HTTPTOOLS_PROTOCOL


def _stopped(_sig: int, _frame: object) -> None:
    """After a graceful stop uvicorn re-raises SIGTERM: exit 0, as for Ctrl-C."""
    raise SystemExit(0)


def launch(options: ServeOptions) -> None:
    """Serve until SIGTERM / SIGINT (blocking); both end in a graceful stop and exit 0."""
    import uvicorn

    check_address(options.host, options.port)
    os.environ[SETTINGS_ENV] = options.settings.to_env()
    previous = signal.signal(signal.SIGTERM, _stopped)
    with metrics_directory(options):
        try:
            uvicorn.run(
                APP_FACTORY,
                factory=True,
                host=options.host,
                port=options.port,
                workers=options.workers,
                root_path=options.root_path,
                proxy_headers=options.proxy_headers,
                log_level=options.log_level,
                access_log=False,  # rentcal.web logs each request, secrets redacted
                server_header=False,
                timeout_graceful_shutdown=GRACEFUL_SECONDS,
                lifespan="on",
                http=http_protocol(),
                # asyncio, not uvloop even when installed: measured no faster here,
                # with a worse tail under load (docs/performance.md)
                loop="asyncio",
                backlog=ACCEPT_BACKLOG,
            )
        finally:
            signal.signal(signal.SIGTERM, previous)


__all__ = [
    "APP_FACTORY",
    "GRACEFUL_SECONDS",
    "H11_PROTOCOL",
    "HTTPTOOLS_PROTOCOL",
    "ServeOptions",
    "check_address",
    "http_protocol",
    "launch",
]
