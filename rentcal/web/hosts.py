"""The ``Host`` allow-list: a request for a name this server is not known by gets 400.

Without it a browser tricked by DNS rebinding (``evil.example`` re-pointed
at 127.0.0.1) reaches ``/metrics`` as a loopback client and passes the CSRF
check's Origin == Host comparison, since both name ``evil.example``.
``rentcal serve`` answers only the names of ``--base-url`` and loopback,
unless ``--allowed-host`` says otherwise (``*``: any). The matching is
Starlette's ``TrustedHostMiddleware``'s (exact names, ``*.domain`` for
subdomains, ports ignored); this middleware differs only in its answer,
rentcal's JSON error naming the refused host, and in letting the probes
``/healthz`` and ``/readyz`` through (a load balancer probes by address).
"""

from __future__ import annotations

import re

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from rentcal.web.error_responses import error_response
from rentcal.web.scope import route_path

#: A Host header: a name or an IPv4 address, or an IPv6 address in brackets; a port.
_HOST = re.compile(r"(?P<host>[a-z0-9_.-]+|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?", re.IGNORECASE)
#: Answered whatever the Host: they tell nothing, and probes use addresses.
PROBES = frozenset({"/healthz", "/readyz"})


def host_name(header: str | None) -> str | None:
    """The lower-cased name of a ``Host`` header without its port; None when unusable."""
    found = _HOST.fullmatch((header or "").strip())
    return None if found is None else found["host"].lower().rstrip(".")


def host_allowed(name: str, allowed: tuple[str, ...]) -> bool:
    """Whether ``name`` is in ``allowed`` (``*`` any, ``*.example.org`` its subdomains)."""
    for pattern in allowed:
        if pattern == "*" or name == pattern:
            return True
        if pattern.startswith("*.") and name.endswith(pattern[1:]):
            return True
    return False


class HostGuard:
    """ASGI middleware refusing requests whose ``Host`` is not allowed (400 ``bad_host``)."""

    def __init__(self, app: ASGIApp, allowed_hosts: tuple[str, ...] | None) -> None:
        self.app = app
        self.allowed = allowed_hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.allowed is None or "*" in self.allowed or scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = Headers(scope=scope).get("host")
        name = host_name(header)
        if (name is not None and host_allowed(name, self.allowed)) or (route_path(scope) in PROBES):
            await self.app(scope, receive, send)
            return
        shown = (header or "")[:100]
        message = (
            f"Host {shown!r} is not a name this server answers to (its operator adds "
            "names with rentcal serve --allowed-host NAME)"
            if header
            else "the request has no Host header"
        )
        await error_response(scope, 400, "bad_host", message)(scope, receive, send)


__all__ = ["PROBES", "HostGuard", "host_allowed", "host_name"]
