"""``rentcal serve``: the HTTP API on the same library (FastAPI on uvicorn).

Only ``rentcal serve`` imports this package: the web stack (FastAPI,
Starlette, uvicorn, Jinja2, prometheus-client) never loads for any other
command. Build the app without a socket with::

    from rentcal.web import Settings, create_app
    app = create_app(rentcal.connect(url), Settings(base_url="https://rentcal.example.org"))

Modules: ``app`` (the factory), ``server_settings``, ``auth`` (who is asking),
``csrf``, ``error_responses`` (exceptions -> HTTP, in one place), ``middleware``
(request log, metrics, body limits), ``metrics``, ``caching`` (ETag / 304),
``changes`` (live revisions), ``views`` (what a member may see),
``request_bodies`` and ``response_shapes`` (the bodies and the documented
shapes), ``routes/`` (one router per area), ``server`` (running uvicorn).
"""

from __future__ import annotations

from rentcal.web.app import create_app
from rentcal.web.server_settings import Settings

__all__ = ["Settings", "create_app"]
