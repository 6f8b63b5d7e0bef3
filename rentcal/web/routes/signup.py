"""Sign-up (issue #20): ``/signup`` and ``POST /api/signup``, when the organisation is open.

While the ``signup`` setting is ``off`` both answer 404 with the reason. A new
account is unverified, logged in at once (the session cookie), its address
confirmed later by the link mailed to it; every admin is told. The service
limits sign-ups per client address (429 beyond). The Argon2 hash runs behind
the login gate.
"""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from rentcal.core.credential_values import Session
from rentcal.errors import InvalidRequest, RentcalError
from rentcal.service import Rentcal
from rentcal.web.auth import Cal, Config
from rentcal.web.error_responses import WebError, classify
from rentcal.web.hashing import login_gate
from rentcal.web.middleware import is_json
from rentcal.web.response_shapes import MemberOut
from rentcal.web.routes.auth import MAX_FIELD, client_address
from rentcal.web.routes.common import errors
from rentcal.web.routes.password_reset import link_page, log_in, read_form
from rentcal.web.views import as_json

router = APIRouter(tags=["auth"])
FIELDS = ("handle", "name", "email")


def _status(err: RentcalError) -> int:
    """404 while sign-up is closed, else the error's usual status."""
    return 404 if getattr(err, "reason", None) == "signup-closed" else classify(err).status


@router.get("/signup", include_in_schema=False)
def signup_page(request: Request, cal: Cal) -> Response:
    """The sign-up form, or 404 with the reason while sign-up is off."""
    if cal.signup() != "open":
        message = "Sign-up is closed: ask an admin of this rentcal for an invitation."
        return link_page(request, "signup.html", 404, closed=True, error=message, form={})
    return link_page(request, "signup.html", closed=False, form={})


@router.post("/signup", include_in_schema=False)
async def signup(request: Request, cal: Cal, settings: Config) -> Response:
    """Create the account, log in, go to /me; or the form again with the reason."""
    fields = await read_form(request)
    form = {k: fields.get(k, "") for k in FIELDS}
    password = fields.get("password", "")
    if password != fields.get("password2", ""):
        return link_page(
            request, "signup.html", 400, closed=False, form=form, error="the passwords differ"
        )
    try:
        _session, secret = await login_gate(request).run(
            _sign_up, cal, form, password, client_address(request)
        )
    except RentcalError as err:
        status = _status(err)
        return link_page(
            request, "signup.html", status, closed=status == 404, form=form, error=err.message
        )
    response = RedirectResponse(f"{request.scope.get('root_path', '')}/me", status_code=303)
    log_in(request, response, secret, settings)
    return response


def _sign_up(cal: Rentcal, form: dict[str, str], password: str, client: str) -> tuple[Session, str]:
    """The library call, from the form's fields."""
    return cal.sign_up(
        form["handle"],
        form["email"].strip(),
        password,
        name=form["name"].strip() or None,
        client=client,
    )


@router.post(
    "/api/signup",
    response_model=MemberOut,
    status_code=201,
    responses=errors(400, 403, 404, 415, 429),
)
async def api_signup(request: Request, cal: Cal, settings: Config) -> Response:
    """Create an unverified account (``{"handle", "email", "password", "name"}``) and log
    it in (the session cookie); 404 while sign-up is off."""
    if not is_json(request.headers.get("content-type", "")):
        raise WebError(415, "unsupported_media_type", "send JSON (application/json)")
    try:
        data = json.loads(await request.body() or b"null")
    except (ValueError, RecursionError):
        raise InvalidRequest("the request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise InvalidRequest("send a JSON object with handle, email and password")
    form: dict[str, str] = {}
    for name in (*FIELDS, "password"):
        value = data.get(name, "")
        if not isinstance(value, str) or len(value) > MAX_FIELD:
            raise InvalidRequest(f"{name} must be a string", field=name, reason="type")
        form[name] = value
    try:
        _session, secret = await login_gate(request).run(
            _sign_up, cal, form, form["password"], client_address(request)
        )
    except InvalidRequest as err:
        if _status(err) == 404:
            raise WebError(404, "not_found", err.message) from None
        raise
    response = as_json(cal.member(form["handle"]).as_dict(), status=201)
    log_in(request, response, secret, settings)
    return response


__all__ = ["router"]
