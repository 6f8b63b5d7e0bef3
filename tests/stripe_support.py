"""Stripe without Stripe (issue #23): a clock to move, webhook signatures made as Stripe
makes them, and a local stand-in for the Checkout Session endpoints.

Stripe's servers cannot be reached from the test machines, so

* :func:`signed` signs an event with a test secret by Stripe's documented
  scheme (``Stripe-Signature: t=TIMESTAMP,v1=HEX``, the HMAC-SHA256 of
  ``f"{t}.{payload}"`` keyed with the secret), which the SDK's own
  ``stripe.Webhook.construct_event`` then verifies;
* :class:`StandIn` answers ``POST /v1/checkout/sessions`` and
  ``GET /v1/checkout/sessions/{id}`` on 127.0.0.1 with the documented JSON
  shape (``object: "checkout.session"``, ``id``, ``url``, ``amount_total``,
  ``currency``, ``metadata``, ``client_reference_id``, ...), remembering the
  form fields each create was sent; the server's ``stripe_api_base`` points
  the SDK at it.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

from tests.conftest import TODAY

#: The webhook signing secret of the tests (Stripe's are ``whsec_`` and base64).
WEBHOOK_SECRET = "whsec_test_c2VjcmV0LW9mLXRoZS10ZXN0cw"
#: A test-mode secret key as Stripe spells them; the stand-in accepts any.
SECRET_KEY = "sk_test_rentcal_0123456789abcdef"


class Clock:
    """A clock at noon UTC on TODAY that ticks a second per call and can be moved."""

    def __init__(self) -> None:
        self.at = datetime(TODAY.year, TODAY.month, TODAY.day, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.at += timedelta(seconds=1)
        return self.at

    def advance(self, **delta: float) -> None:
        """Move on by ``timedelta(**delta)``."""
        self.at += timedelta(**delta)


def signature(payload: bytes, secret: str = WEBHOOK_SECRET, at: int | None = None) -> str:
    """The ``Stripe-Signature`` header Stripe would send with ``payload`` at ``at``."""
    stamp = int(time.time()) if at is None else at
    mac = hmac.new(secret.encode(), f"{stamp}.".encode() + payload, hashlib.sha256)
    return f"t={stamp},v1={mac.hexdigest()}"


_ids = itertools.count(1)


def event(
    kind: str,
    session: str,
    *,
    event_id: str | None = None,
    paid: bool = True,
    amount: int = 1550,
    currency: str = "eur",
) -> bytes:
    """A Stripe event about one Checkout Session, as JSON bytes (the documented shape)."""
    body = {
        "id": event_id or f"evt_test_{next(_ids)}",
        "object": "event",
        "api_version": "2025-01-27.acacia",
        "created": int(time.time()),
        "livemode": False,
        "type": kind,
        "data": {
            "object": {
                "id": session,
                "object": "checkout.session",
                "amount_total": amount,
                "currency": currency,
                "mode": "payment",
                "payment_intent": f"pi_test_{session}",
                "payment_status": "paid" if paid else "unpaid",
                "status": "complete" if kind.endswith(("completed", "succeeded")) else "expired",
            }
        },
    }
    return json.dumps(body).encode()


class StandIn:
    """A local stand-in for Stripe's Checkout Session endpoints (a thread, port 0)."""

    def __init__(self) -> None:
        self.created: list[dict[str, str]] = []
        self.sessions: dict[str, dict[str, Any]] = {}
        self.auth: list[str] = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: object) -> None:  # quiet
                return

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Request-Id", "req_test")
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                size = int(self.headers.get("Content-Length", "0"))
                form = dict(parse_qsl(self.rfile.read(size).decode()))
                stand_in.auth.append(self.headers.get("Authorization", ""))
                if self.path != "/v1/checkout/sessions":
                    self._answer(404, {"error": {"type": "invalid_request_error"}})
                    return
                stand_in.created.append(form)
                self._answer(200, stand_in.make(form))

            def do_GET(self) -> None:
                found = stand_in.sessions.get(self.path.rsplit("/", 1)[-1])
                if not self.path.startswith("/v1/checkout/sessions/") or found is None:
                    self._answer(404, {"error": {"type": "invalid_request_error"}})
                    return
                self._answer(200, found)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        """``http://127.0.0.1:PORT``: the SDK's ``api`` base address."""
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def make(self, form: dict[str, str]) -> dict[str, Any]:
        """A Checkout Session as Stripe answers a create (fields as documented)."""
        sid = f"cs_test_{len(self.sessions) + 1:04d}"
        metadata = {
            k[len("metadata[") : -1]: v for k, v in form.items() if k.startswith("metadata[")
        }
        session = {
            "id": sid,
            "object": "checkout.session",
            "amount_total": int(form.get("line_items[0][price_data][unit_amount]", "0")),
            "currency": form.get("line_items[0][price_data][currency]"),
            "client_reference_id": form.get("client_reference_id"),
            "customer_email": form.get("customer_email"),
            "expires_at": int(form.get("expires_at", "0")) or None,
            "livemode": False,
            "metadata": metadata,
            "mode": form.get("mode"),
            "payment_status": "unpaid",
            "status": "open",
            "success_url": form.get("success_url"),
            "cancel_url": form.get("cancel_url"),
            "url": f"https://checkout.stripe.com/c/pay/{sid}",
        }
        self.sessions[sid] = session
        return session

    def __enter__(self) -> StandIn:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def stand_in() -> Iterator[StandIn]:
    """A running stand-in, for a fixture."""
    with StandIn() as running:
        yield running
