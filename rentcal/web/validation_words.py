"""What is wrong with a request body, in words for people (issue #21).

FastAPI refuses a body that does not fit its model with pydantic's own
sentences ("Value error, must be ...", "Input should be a valid integer,
unable to parse string as an integer"). :func:`validation_words` says the
same with the field, the value sent and the reason, in the words of the rest
of rentcal; :mod:`rentcal.web.error_responses` puts it in the one error shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rentcal.core.wording import quote

#: How a date is written in a request, with an example.
DATE_HINT = "write it as YYYY-MM-DD, e.g. 2026-12-15"
_MISSING = object()


def _sent(error: Mapping[str, Any]) -> str:
    """The value sent, quoted and bounded (``null`` for JSON null)."""
    value = error.get("input", _MISSING)
    return "null" if value is None else quote(value)


def _reason(error: Mapping[str, Any]) -> str:
    """Why the value was refused, for the pydantic error types a body meets."""
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    sent = _sent(error)
    if kind == "missing":
        return "is missing: this request needs it"
    if kind == "extra_forbidden":
        return "is not a field of this request"
    if kind == "value_error":  # our own validators (dates): their sentence, as raised
        return str(ctx.get("error", error.get("msg", "is not valid")))
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"{sent} is not a whole number"
    if kind in ("bool_parsing", "bool_type"):
        return f"{sent} is not true or false"
    if kind == "string_type":
        return f"{sent} is not text: send it in quotes"
    if kind in ("greater_than_equal", "greater_than"):
        return f"{sent} is too small: the least is {ctx.get('ge', ctx.get('gt'))}"
    if kind in ("less_than_equal", "less_than"):
        return f"{sent} is too large: the most is {ctx.get('le', ctx.get('lt'))}"
    if kind == "string_too_long":
        return f"is too long: at most {ctx.get('max_length')} characters"
    if kind == "literal_error":
        return f"{sent} is not one of {ctx.get('expected', 'the allowed values')}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return "must be a JSON object of fields"
    message = str(error.get("msg", "is not valid")).removeprefix("Value error, ")
    return f"{sent} is not valid: {message[:1].lower()}{message[1:]}"


def validation_words(error: Mapping[str, Any]) -> tuple[str, str | None]:
    """One sentence for one pydantic error, and the field it names (None: the body).

    >>> validation_words({"type": "missing", "loc": ("body", "start"), "msg": "Field required"})
    ('start is missing: this request needs it', 'start')
    """
    parts = [str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path")]
    where = ".".join(parts) or None
    reason = _reason(error)
    if where is None:
        return f"the request body {reason}", None
    if reason.startswith(("is ", "must ")):
        return f"{where} {reason}", where
    return f"{where}: {reason}", where


__all__ = ["DATE_HINT", "validation_words"]
