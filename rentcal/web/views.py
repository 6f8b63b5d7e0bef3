"""What a member may see of each value: the CLI's ``--json`` shapes, trimmed by permission.

Members see every booking's dates, status, machine and member (as the feeds
show them); the purpose and the price only of their own rentals. Admins see
everything. One serialiser — the values' ``as_dict()`` — serves the CLI and
the API.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from starlette.responses import JSONResponse

from rentcal.core.handover import Handover
from rentcal.core.privacy import Viewer
from rentcal.core.values import Member, Rental


def may_see_private(viewer: Member, rental: Rental) -> bool:
    """Whether ``viewer`` may read a rental's purpose, price and reasons: the one rule
    of :mod:`rentcal.core.privacy`, which the feeds follow too."""
    return Viewer.of(viewer).sees_private_of(rental.member)


def rental_view(rental: Rental, viewer: Member) -> dict[str, object]:
    """``rental.as_dict()``; ``purpose``, ``price`` and ``pay_by`` null unless the viewer
    may see them."""
    data = rental.as_dict()
    if not may_see_private(viewer, rental):
        data["purpose"] = None
        data["price"] = None
        data["pay_by"] = None
    return data


def rentals_view(rentals: Iterable[Rental], viewer: Member) -> list[dict[str, object]]:
    """:func:`rental_view` of each rental."""
    return [rental_view(r, viewer) for r in rentals]


def history_view(history: Sequence[Mapping[str, Any]], private: bool) -> list[dict[str, object]]:
    """A rental's status changes; reasons only for those who may see the rental's details."""
    rows = []
    for entry in history:
        at = entry["at"]
        rows.append(
            {
                "at": at.isoformat() if isinstance(at, datetime) else str(at),
                "from": entry["from"],
                "to": entry["to"],
                "by": entry["by"],
                "reason": entry["reason"] if private else None,
            }
        )
    return rows


def rental_details(
    rental: Rental,
    history: Sequence[Mapping[str, Any]],
    viewer: Member,
    handovers: Sequence[Handover] = (),
) -> dict[str, object]:
    """``rentcal show --json`` with the rental's history and the hand-overs the viewer
    may see (:mod:`rentcal.frontend.handover` decides which)."""
    data = rental_view(rental, viewer)
    data["history"] = history_view(history, may_see_private(viewer, rental))
    data["handovers"] = [h.as_dict() for h in handovers]
    return data


def as_json(
    data: object, status: int = 200, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """A JSON answer of an already JSON-shaped value (no second serialiser)."""
    return JSONResponse(data, status_code=status, headers=dict(headers or {}))


__all__ = [
    "as_json",
    "history_view",
    "may_see_private",
    "rental_details",
    "rental_view",
    "rentals_view",
]
