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

A key is remembered at least :data:`~rentcal.core.credential_values.IDEMPOTENCY_TTL`.
Expired keys are forgotten by :meth:`KeyPruning.prune`, in a short write
transaction of its own after a booking (never while a booking holds a
machine's lock); only a client reusing its own expired key makes the booking
delete it first (the key is unique per member).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, NamedTuple

from sqlalchemy import exc
from sqlalchemy.engine import Connection

from rentcal.core.credential_values import IDEMPOTENCY_TTL, check_idempotency_key, fingerprint
from rentcal.core.values import Rental
from rentcal.db import sql as q
from rentcal.db.sql import credential_tables as qa
from rentcal.errors import IdempotencyMismatch, RentcalError

if TYPE_CHECKING:
    from rentcal.service.base import Context

#: Expired keys are pruned at most this often per connection (they are never
#: replayed once expired, so how long they linger changes nothing but space).
PRUNE_EVERY = timedelta(hours=1)


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


class Replay(NamedTuple):
    """What a key lookup found: the rental the key made, and whether an expired
    use of the key is still stored (then :func:`remember` deletes it first)."""

    rental: Rental | None = None
    expired: bool = False


def replay(conn: Connection, request: RequestKey | None, now: datetime) -> Rental | None:
    """The rental this key already made, or None when it is new (or expired).

    Raises IdempotencyMismatch when the key was used for a different request.
    """
    if request is None:
        return None
    actor = q.member_row(conn, request.actor)
    return None if actor is None else lookup(conn, request, actor.id, now).rental


def lookup(
    conn: Connection, request: RequestKey | None, actor_id: int | None, now: datetime
) -> Replay:
    """:func:`replay` for a caller that has read the acting member (``actor_id``;
    None: no such member, so no key of theirs)."""
    if request is None or actor_id is None:
        return Replay()
    found = qa.idempotent(conn, actor_id, request.key)
    if found is None:
        return Replay()
    stored, rental_id, created_at = found
    if created_at < now - IDEMPOTENCY_TTL:
        return Replay(expired=True)
    if stored != request.fingerprint:
        raise IdempotencyMismatch(
            f"idempotency key {request.key[:40]!r} was already used for a different booking "
            f"(rental {rental_id}); use a new key for a new request",
            field="idempotency_key",
            value=request.key,
            reason="idempotency-mismatch",
        )
    return Replay(q.rental_by_id(conn, rental_id))


def remember(
    conn: Connection,
    request: RequestKey | None,
    actor_id: int,
    rental_id: int,
    now: datetime,
    *,
    expired: bool = False,
) -> None:
    """Store the key with the rental it made, in the booking's transaction.

    ``expired``: the lookup found this key's expired use; it is deleted first
    (with any other expired key: one index range delete), as (member, key) is unique.
    """
    if request is None:
        return
    if expired:
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

    ``read`` runs a function in a read transaction (``Context.read``).
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


class KeyPruning:
    """Forgetting expired keys, outside any booking's transaction."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._pruned_at: datetime | None = None

    def prune(self) -> None:
        """Delete expired keys in a short write transaction of its own, at most once
        per :data:`PRUNE_EVERY` per connection: no booking holds a lock meanwhile."""
        now = self.ctx.now()
        if self._pruned_at is not None and now - self._pruned_at < PRUNE_EVERY:
            return
        if self.ctx.store.read_only:
            return
        try:
            self.ctx.write(
                lambda conn: qa.prune_idempotent(conn, now - IDEMPOTENCY_TTL), calendar=False
            )
        except RentcalError:  # busy: the booking stands; the next one prunes
            return
        self._pruned_at = now


__all__ = [
    "PRUNE_EVERY",
    "KeyPruning",
    "Replay",
    "RequestKey",
    "after_conflict",
    "lookup",
    "remember",
    "replay",
    "request_key",
]
