"""The app factory: :func:`create_app` for tests and embedding, :func:`from_env` for uvicorn.

``create_app(cal, settings)`` wires the routers, the error handlers (once,
:mod:`rentcal.web.error_responses`), the middlewares and the revision watcher around
a library connection it does not own. ``from_env()`` is what every uvicorn
worker calls (``rentcal.web.app:from_env``, a factory): it connects to the
database named in the settings and owns that connection. Nothing that
matters between requests lives in a worker's memory — sessions, throttling,
idempotency keys and revisions are all in the database.

Middlewares, outermost first: :class:`~rentcal.web.middleware.RequestContext`
(request id, log line, metrics, last-resort 500),
:class:`~rentcal.web.hosts.HostGuard` (the Host allow-list),
:class:`~rentcal.web.csrf.CrossOriginGuard`,
:class:`~rentcal.web.middleware.BodyGuard` (64 kB, JSON only).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import signal
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from starlette.responses import Response
from starlette.staticfiles import StaticFiles

from rentcal._version import __version__
from rentcal.service import Rentcal
from rentcal.web import error_responses, metrics, pages, usage
from rentcal.web.auth import CurrentMember
from rentcal.web.changes import RevisionWatcher
from rentcal.web.csrf import CrossOriginGuard
from rentcal.web.fast_lane import FastLane
from rentcal.web.hosts import HostGuard
from rentcal.web.mail_delivery import start_delivering
from rentcal.web.middleware import BodyGuard, RequestContext
from rentcal.web.request_log import flush_all, stderr_handler
from rentcal.web.routes import ROUTERS
from rentcal.web.server_settings import Settings
from rentcal.web.stripe_checkout import StripeCheckout
from rentcal.web.views import as_json

log = logging.getLogger("rentcal.web")
STATIC = Path(__file__).resolve().parent / "static"

DESCRIPTION = (
    "Book shared machines on a calendar without ever double-booking one. "
    "JSON in and out; every shape is the CLI's `--json` shape. Authenticate with the "
    "session cookie from `POST /login` or `Authorization: Bearer TOKEN` "
    "(`rentcal token create`). See docs/web.md."
)


def _chain_shutdown_signals(on_signal: Callable[[], None]) -> Callable[[], None]:
    """Also call ``on_signal`` (thread-safely) when SIGTERM/SIGINT arrives; returns undo.

    uvicorn's graceful shutdown waits for open responses to finish; an SSE
    stream never would. Chaining onto uvicorn's own handlers (installed before
    the lifespan starts, in every worker) lets the streams end first.
    """
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    loop = asyncio.get_running_loop()
    previous: dict[int, Any] = {}

    def handler(sig: int, frame: Any) -> None:
        loop.call_soon_threadsafe(on_signal)
        before = previous.get(sig)
        if callable(before):
            before(sig, frame)

    for sig in (signal.SIGTERM, signal.SIGINT):
        previous[sig] = signal.getsignal(sig)
        signal.signal(sig, handler)

    def undo() -> None:
        for sig, before in previous.items():
            if signal.getsignal(sig) is handler:
                signal.signal(sig, before)

    return undo


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start: chain the shutdown signals. Stop: end the streams, forget this worker."""
    watcher: RevisionWatcher = app.state.watcher
    undo = _chain_shutdown_signals(watcher.stop)
    # a server's own connection only: tests' apps keep their figures out of test databases
    stop_usage = usage.start_flushing(app.state.cal) if app.state.owns_cal else None
    settings: Settings = app.state.settings
    stop_mail = (
        start_delivering(app.state.cal, settings.smtp_url, settings.mail_from, settings.base_url)
        if app.state.owns_cal
        else None
    )
    try:
        yield
    finally:
        undo()
        await watcher.aclose()
        if stop_mail is not None:
            await stop_mail()
        if stop_usage is not None:
            await stop_usage()
        metrics.process_exited(os.getpid())
        if app.state.owns_cal:
            app.state.cal.close()
        flush_all(log)


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The schema, with FastAPI's default 422 validation answer replaced by our 400."""
    if app.openapi_schema is not None:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            responses = operation.get("responses", {})
            found = responses.get("422", {})
            ref = str(found.get("content", {}).get("application/json", {}).get("schema", {}))
            if "HTTPValidationError" in ref:
                del responses["422"]
    components = schema.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    app.openapi_schema = schema
    return schema


#: FastAPI's own OpenTelemetry hooks (newer releases) off: rentcal exports its own
#: metrics (no secret-bearing path can reach a tracer), and the per-request check
#: of the global providers costs time on every request.
_NO_TELEMETRY: dict[str, Any] = (
    {"telemetry": {"tracing": False, "metrics": False, "logs": False}}
    if "telemetry" in inspect.signature(FastAPI.__init__).parameters
    else {}
)


def create_app(
    cal: Rentcal, settings: Settings | None = None, *, owns_cal: bool = False
) -> FastAPI:
    """The HTTP API over ``cal`` (which the caller keeps and closes, unless ``owns_cal``).

    ``cal`` is used, never reconfigured: its sessions expire as the caller set
    them up (``Rentcal.session_idle``); :func:`connect` makes a connection that
    follows ``settings.session_idle_days``.
    """
    settings = settings or Settings()
    app = FastAPI(
        **_NO_TELEMETRY,
        title="rentcal",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
    )
    app.state.cal = cal
    cal.quick_reads.on_lookup = metrics.count_cache  # the caches' hit rate
    app.state.settings = settings
    app.state.owns_cal = owns_cal
    app.state.checkout = StripeCheckout.from_settings(settings)  # None: no card payments
    app.state.watcher = RevisionWatcher(
        cal, poll_seconds=settings.poll_seconds, heartbeat_seconds=settings.heartbeat_seconds
    )
    error_responses.install(app)
    for router in ROUTERS:
        app.include_router(router)
    app.include_router(pages.router)  # the HTML pages (issue 12), after the JSON API

    @app.get("/openapi.json", include_in_schema=False)
    def openapi_json(request: Request, member: CurrentMember) -> Response:
        """The schema of every endpoint (logged-in members only, like everything else)."""
        return as_json(_openapi(app))

    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(FastLane, cal=cal)  # innermost: every guard below still applies
    app.add_middleware(BodyGuard, settings=settings)
    app.add_middleware(CrossOriginGuard, settings=settings)
    app.add_middleware(HostGuard, allowed_hosts=settings.allowed_hosts)
    app.add_middleware(RequestContext, settings=settings)
    return app


def configure_logging(level: int = logging.INFO) -> None:
    """One line per request on stderr, once per process."""
    if log.handlers:
        return
    handler = stderr_handler()  # batched: see rentcal.web.request_log
    log.addHandler(handler)
    log.setLevel(level)
    log.propagate = False


def connect(settings: Settings) -> Rentcal:
    """A connection of the server's own, set up as ``settings`` say (idle sessions included).

    The session policy is set on this new connection before anyone uses it:
    the server configures what it owns, never a connection it was handed.
    """
    import rentcal

    cal = rentcal.connect(
        settings.database_url,
        timezone=settings.timezone,
        busy_timeout=settings.busy_timeout,
        pool_size=settings.pool_size,
    )
    cal.session_idle = timedelta(days=settings.session_idle_days)
    return cal


def from_env() -> FastAPI:
    """uvicorn's factory in every worker: settings from the environment, its own connection."""
    configure_logging()
    settings = Settings.from_env()
    return create_app(connect(settings), settings, owns_cal=True)


__all__ = ["configure_logging", "connect", "create_app", "from_env", "lifespan"]
