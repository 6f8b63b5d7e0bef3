"""Idempotent booking: a request sent twice (or ten times at once) books once.

A client names a request with a key; the key, the acting member, a
fingerprint of the request and the rental it made are stored in the booking's
own transaction, so the key exists exactly when the rental does. Sent again,
the key returns that rental; concurrent duplicates collapse three ways:

* SQLite: writers are serialised (BEGIN IMMEDIATE), the second sees the key;
* PostgreSQL, same machine: the second waits for the machine's lock, then
  sees the key (READ COMMITTED reads what committed meanwhile);
* anything else: the unique (member, key) constraint refuses the second
  insert and the caller re-reads the key (:func:`after_conflict`).

A key is remembered at least :data:`~rentcal.core.accounts.IDEMPOTENCY_TTL`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import NamedTuple

from sqlalchemy import exc
from sqlalchemy.engine import Connection

from rentcal.core.accounts import IDEMPOTENCY_TTL, check_idempotency_key, fingerprint
from rentcal.core.values import Rental
from rentcal.db import sql as q
from rentcal.db.sql import accounts as qa
from rentcal.errors import IdempotencyMismatch


class RequestKey(NamedTuple):
    """A client's idempotency key, who sends it, and what the request asks."""

    key: str
    actor: str
    fingerprint: str


def request_key(
    key: str | None,
    *,
    actor: str,
    machine: str,
    start: date,
    end: date,
    member: str,
    purpose: str | None,
) -> RequestKey | None:
    """The checked key of a booking request (None: no key, not idempotent)."""
    if key is None:
        return None
    return RequestKey(
        check_idempotency_key(key),
        _norm(actor),
        fingerprint(_norm(machine), start.isoformat(), end.isoformat(), _norm(member), purpose),
    )


def _norm(handle: object) -> str:
    return str(handle).strip().lower()


def replay(conn: Connection, request: RequestKey | None, now: datetime) -> Rental | None:
    """The rental this key already made, or None when it is new (or expired).

    Raises IdempotencyMismatch when the key was used for a different request.
    """
    if request is None:
        return None
    actor = q.member_row(conn, request.actor)
    if actor is None:
        return None
    found = qa.idempotent(conn, actor.id, request.key)
    if found is None:
        return None
    stored, rental_id, created_at = found
    if created_at < now - IDEMPOTENCY_TTL:
        return None
    if stored != request.fingerprint:
        raise IdempotencyMismatch(
            f"idempotency key {request.key[:40]!r} was already used for a different booking "
            f"(rental {rental_id}); use a new key for a new request",
            field="idempotency_key",
            value=request.key,
            reason="idempotency-mismatch",
        )
    return q.rental_by_id(conn, rental_id)


def remember(
    conn: Connection, request: RequestKey | None, actor_id: int, rental_id: int, now: datetime
) -> None:
    """Store the key with the rental it made, in the booking's transaction."""
    if request is None:
        return
    qa.prune_idempotent(conn, now - IDEMPOTENCY_TTL)
    qa.remember_idempotent(
        conn,
        member_id=actor_id,
        key=request.key,
        fingerprint=request.fingerprint,
        rental_id=rental_id,
        created_at=now,
    )


def after_conflict(
    request: RequestKey | None,
    write: Callable[[], Rental],
    read: Callable[[Callable[[Connection], Rental | None]], Rental | None],
    now: Callable[[], datetime],
) -> Rental:
    """``write()``; when a concurrent twin stored the same key first, its rental.

    ``read`` runs a function in a read transaction (``ServiceBase._read``).
    """
    try:
        return write()
    except exc.IntegrityError:
        if request is None:
            raise
        found = read(lambda conn: replay(conn, request, now()))
        if found is None:
            raise
        return found


__all__ = ["RequestKey", "after_conflict", "remember", "replay", "request_key"]
