"""Helpers shared by the web tests (this module holds no tests).

:class:`Web` wraps one app over one library connection and hands out
TestClients authenticated as a member: by API token (cheap; most tests) or by
a real login (the session tests). Unsafe cookie requests carry the Origin a
browser would send, unless a test says otherwise.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

import rentcal
from rentcal.web import Settings, create_app

BASE = "http://testserver"
SAME_ORIGIN = {"Origin": BASE}
PASSWORD = "correct horse battery"


class Web:
    """An app over ``cal`` and clients acting as its members."""

    def __init__(self, cal: rentcal.Rentcal, settings: Settings | None = None) -> None:
        self.cal = cal
        self.settings = settings or Settings()
        self.app = create_app(cal, self.settings)

    def anonymous(self, **kwargs: Any) -> TestClient:
        """A client without credentials."""
        kwargs.setdefault("base_url", BASE)
        return TestClient(self.app, **kwargs)

    def token(self, handle: str) -> str:
        """A fresh API token of ``handle``."""
        _, secret = self.cal.create_token(handle)
        return secret

    def as_(self, handle: str, **kwargs: Any) -> TestClient:
        """A client sending ``handle``'s API token (no cookie, so no CSRF check)."""
        client = self.anonymous(**kwargs)
        client.headers["Authorization"] = f"Bearer {self.token(handle)}"
        return client

    def login(self, handle: str, password: str = PASSWORD, **kwargs: Any) -> TestClient:
        """A client holding ``handle``'s session cookie from a real ``POST /login``."""
        client = self.anonymous(**kwargs)
        answer = client.post(
            "/login",
            data={"handle": handle, "password": password},
            headers={**SAME_ORIGIN, "Accept": "application/json"},
        )
        assert answer.status_code == 200, answer.text
        return client


def error_of(answer: Any) -> dict[str, Any]:
    """The JSON error body of an answer, checked for the one error shape."""
    body: dict[str, Any] = answer.json()
    assert set(body) >= {"error", "code", "request_id"}, body
    assert isinstance(body["error"], str) and body["error"], body
    assert body["request_id"] == answer.headers["x-request-id"]
    return body


__all__ = ["BASE", "PASSWORD", "SAME_ORIGIN", "Web", "error_of"]
