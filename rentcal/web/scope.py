"""Small facts about one request's ASGI scope, shared by the middlewares and routes."""

from __future__ import annotations

import ipaddress

from starlette.types import Scope

#: Where a request's id is kept in its scope (set by the request middleware).
REQUEST_ID = "rentcal.request_id"
#: Where the authenticated member's handle is kept (for the request log).
MEMBER_KEY = "rentcal.member"


def route_path(scope: Scope) -> str:
    """The path inside the app: uvicorn puts ``--root-path`` in front of ``path``."""
    path: str = scope.get("path", "/")
    root: str = scope.get("root_path", "")
    if root and (path == root or path.startswith(root + "/")):
        return path[len(root) :] or "/"
    return path or "/"


def is_loopback(scope: Scope) -> bool:
    """Whether the client is this host (after uvicorn applied trusted proxy headers)."""
    client = scope.get("client")
    if not client:
        return False
    try:
        return ipaddress.ip_address(client[0]).is_loopback
    except ValueError:
        return False


__all__ = ["MEMBER_KEY", "REQUEST_ID", "is_loopback", "route_path"]
