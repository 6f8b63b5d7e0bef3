"""Accounts: passwords, login sessions and their throttling.

What a web server needs to know who is asking, kept in the database so that
any number of processes or hosts share it. Three rules shape this module:

* Passwords are hashed with Argon2id (argon2-cffi) *outside* any database
  transaction: a hash takes a fifth of a second of CPU and must never hold
  the write lock meanwhile.
* A wrong handle and a wrong password are the same :class:`AuthFailed`, after
  the same work: an unknown handle is verified against a dummy hash.
* A login attempt is recorded as a failure *before* its password is checked
  (and forgotten when it succeeds), so the limits hold even for concurrent
  guessers on several processes; see :meth:`Accounts.login`. Failures are
  counted per handle *and client address* (5 in 15 minutes) and per address
  (20 in 15 minutes), never per handle alone: a stranger's guesses must not
  lock the owner out, which a per-handle limit did (five requests did it).
* At most ``login_limits.MAX_HASHES`` Argon2 computations run at once per process
  (19 MiB each), whoever asks: a flood of logins cannot take the memory.

Secrets (session ids here; API tokens and feed URLs in :mod:`rentcal.service.tokens`)
are 256 random bits, handed out
once; only their SHA-256 digests are stored (:mod:`rentcal.core.credential_values`).
"""

from __future__ import annotations

import functools
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.engine import Connection

from rentcal.core import checks
from rentcal.core.credential_values import (
    LOGIN_WINDOW,
    MAX_FAILURES,
    MAX_PASSWORD,
    RevokedReason,
    Session,
    check_password,
    new_secret,
    retry_after,
    secret_digest,
)
from rentcal.core.validate import HANDLE_RE
from rentcal.core.values import Member
from rentcal.db import sql as q
from rentcal.db.sql import credential_tables as qa
from rentcal.errors import (
    AuthFailed,
    PermissionDenied,
    Throttled,
)
from rentcal.service.base import Context, refuse_deactivated
from rentcal.service.login_limits import (
    MAX_ADDRESS_FAILURES,
    address_key,
    hashing,
    login_client,
    pair_key,
)

if TYPE_CHECKING:
    from argon2 import PasswordHasher

    from rentcal.service.quick_reads import QuickReads

#: Argon2id cost: OWASP's minimum configuration (19 MiB, two passes, one lane).
ARGON2_TIME_COST = 2
ARGON2_MEMORY_KIB = 19456
ARGON2_PARALLELISM = 1
#: A hash of a random password nobody knows, with exactly the parameters above:
#: unknown handles are verified against it, so they cost what known ones cost.
#: (tests/test_accounts.py checks that its parameters are the hasher's.)
DUMMY_HASH = (
    "$argon2id$v=19$m=19456,t=2,p=1$eDzagMNYMqznZGMkAKfhjw$"
    "EEjaxPk72kExozmeUoq1c/p9V0KXJJhzQSjt3HT67aw"
)
#: Longer "secrets" than any rentcal hands out are refused without a lookup.
MAX_SECRET = 200


@functools.cache
def hasher() -> PasswordHasher:
    """The one Argon2id hasher (argon2-cffi loads on first use, not on ``connect``)."""
    from argon2 import PasswordHasher, Type

    return PasswordHasher(
        time_cost=ARGON2_TIME_COST,
        memory_cost=ARGON2_MEMORY_KIB,
        parallelism=ARGON2_PARALLELISM,
        hash_len=32,
        salt_len=16,
        type=Type.ID,
    )


def verify_password(stored: str | None, password: object) -> bool:
    """Whether ``password`` matches ``stored``; the full cost is paid even when
    there is no stored hash or the password could never be valid."""
    from argon2.exceptions import InvalidHashError, VerificationError

    usable = isinstance(password, str) and len(password) <= MAX_PASSWORD
    candidate = password if usable and isinstance(password, str) else ""
    try:
        with hashing():
            matched = hasher().verify(stored or DUMMY_HASH, candidate)
    except (VerificationError, InvalidHashError):
        return False
    return bool(matched and usable and stored is not None)


def _login_handle(handle: object) -> str | None:
    """The handle a login attempt is counted under, or None when none could exist."""
    if not isinstance(handle, str):
        return None
    clean = handle.strip().lower()
    return clean if HANDLE_RE.match(clean) else None


def hash_password(password: str) -> str:
    """A new Argon2id hash of ``password``, within the process's hashing bound."""
    with hashing():
        return hasher().hash(password)


def store_password(conn: Connection, member_id: int, encoded: str, now: datetime) -> None:
    """What a password change is, in the caller's transaction: the new hash, every
    session of the member ended, every API token acting for them or made by them
    revoked (the credentials revision raised, so every server forgets them at once)."""
    qa.set_credential(conn, member_id, encoded, now)
    changed = RevokedReason.PASSWORD_CHANGED
    qa.revoke_member_sessions(conn, member_id, now, changed)
    qa.revoke_member_tokens(conn, member_id, now, changed, changed)


def usable_secret(secret: object) -> str | None:
    """The digest to look a presented secret up by, or None for an impossible one."""
    if not isinstance(secret, str) or not 0 < len(secret) <= MAX_SECRET:
        return None
    return secret_digest(secret)


class Accounts:
    """Use cases about who is asking: passwords and login sessions."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._quick: QuickReads | None = None

    @property
    def quick(self) -> QuickReads:
        """This connection's quick reads, where a resolved secret is kept for a
        server's next requests; built on first use (the CLI never needs them)."""
        if self._quick is None:
            from rentcal.service.quick_reads import QuickReads

            self._quick = QuickReads(self.ctx)
        return self._quick

    #: A session unused this long expires (sliding); set per instance to change it.
    session_idle: timedelta = timedelta(days=14)
    #: ``last_seen_at`` / ``last_used_at`` are written at most this often, so an
    #: authenticated request is normally one read, not a write.
    touch_interval: timedelta = timedelta(minutes=1)

    # -- passwords ----------------------------------------------------------------

    def set_password(self, handle: str, password: str, acting: str | None = None) -> None:
        """Set a member's password: their own, or anyone's for an admin.

        The password needs 8 to 1024 characters. It is hashed (Argon2id)
        between two short transactions, never inside one. With the change,
        every open session of the member ends (the one it was made from too)
        and every API token acting for them or made by them is revoked: a
        stolen session cannot leave behind a token that outlives the new
        password. Feed URLs stay: they are read-only, pasted into calendar
        apps, and listed for review (``feed_tokens``); deactivation revokes them.
        """
        checks.handle(handle, "handle", "member")
        checks.text(password, "password")
        checks.optional_handle(acting, "acting", "acting member")
        check_password(password)
        self.ctx.read(lambda conn: self._password_target(conn, handle, acting))
        encoded = hash_password(password)

        def work(conn: Connection) -> None:
            target = self._password_target(conn, handle, acting)
            store_password(conn, target.id, encoded, self.ctx.now())

        self.ctx.write(work, calendar=False)

    def has_password(self, handle: str) -> bool:
        """Whether a member has a password set (and so can log in)."""
        checks.handle(handle, "handle", "member")

        def work(conn: Connection) -> bool:
            row = self.ctx.member_row(conn, handle)
            return qa.credential(conn, row.handle)[1] is not None

        return self.ctx.read(work)

    def _password_target(self, conn: Connection, handle: str, acting: str | None) -> Member:
        actor = self.ctx.actor(conn, acting)
        target = q.member(self.ctx.member_row(conn, handle))
        if target.id != actor.id and not actor.is_admin:
            raise PermissionDenied(
                f"member {actor.handle!r} cannot set the password of {target.handle!r}: "
                "members set their own, admins anyone's",
                field="acting",
                value=actor.handle,
                reason="not-owner",
            )
        return target

    # -- sessions -----------------------------------------------------------------

    def login(
        self, handle: str, password: str, *, client: str | None = None
    ) -> tuple[Session, str]:
        """Check a handle and password; a new session and its secret (shown once).

        ``client`` is the address the attempt comes from (a web server passes
        the peer's IP address); None counts it as one local caller.

        Raises:
            AuthFailed: wrong handle or wrong password (the same error, after
                the same work).
            PermissionDenied: the right password of a deactivated member
                (reason ``deactivated``); the attempt counts as a failure.
            Throttled: five failed attempts for this handle from this client
                within fifteen minutes, or twenty from this client for any
                handles; ``retry_after`` says when to try again. Even the
                right password is refused meanwhile — from that client only:
                the same handle from another address is unaffected.
        """
        checks.text(handle, "handle")
        checks.text(password, "password")
        address = login_client(client)
        key = _login_handle(handle)
        if key is None:
            verify_password(None, password)
            raise AuthFailed()
        attempt_ids, member_id, stored = self.ctx.write(
            lambda conn: self._attempt(conn, key, address), calendar=False
        )
        matched = verify_password(stored, password)  # the full cost, known handle or not
        if member_id is None or not matched:
            raise AuthFailed()
        needs_rehash = hasher().check_needs_rehash(stored or "")
        fresh = hash_password(password) if needs_rehash else None
        secret = new_secret()

        def work(conn: Connection) -> Session:
            now = self.ctx.now()
            refuse_deactivated(q.member(self.ctx.member_row(conn, key)), "handle")
            for attempt_id in attempt_ids:  # it was not a failure after all
                qa.drop_failure(conn, attempt_id)
            qa.prune_failures(conn, now - LOGIN_WINDOW)
            if fresh is not None and qa.credential(conn, key)[1] == stored:
                qa.set_credential(conn, member_id, fresh, now)
            session_id = qa.insert_session(
                conn,
                secret_hash=secret_digest(secret),
                member_id=member_id,
                created_at=now,
                last_seen_at=now,
                expires_at=now + self.session_idle,
                revoked_at=None,
            )
            return qa.session_by_id(conn, session_id)

        return self.ctx.write(work, calendar=False), secret

    def _attempt(
        self, conn: Connection, handle: str, client: str
    ) -> tuple[tuple[int, int], int | None, str | None]:
        """Admit one attempt for ``handle`` from ``client`` (a failure until it succeeds).

        Under the client's lock (PostgreSQL advisory lock; SQLite's write
        lock), so concurrent attempts from one address are counted one after
        another. Returns (the two counter rows, member id, stored hash).
        """
        pair, address = pair_key(handle, client), address_key(client)
        self.ctx.store.lock_login_handle(conn, address)
        now = self.ctx.now()
        since = now - LOGIN_WINDOW
        recent = qa.recent_failures(conn, pair, since, MAX_FAILURES)
        if len(recent) >= MAX_FAILURES:
            wait = retry_after(recent[-1], now)
            raise Throttled(
                f"too many failed logins for {handle!r} from this address: "
                f"try again in {wait} seconds",
                wait,
                value=handle,
            )
        recent = qa.recent_failures(conn, address, since, MAX_ADDRESS_FAILURES)
        if len(recent) >= MAX_ADDRESS_FAILURES:
            wait = retry_after(recent[-1], now)
            raise Throttled(
                f"too many failed logins from this address: try again in {wait} seconds",
                wait,
                value=handle,
            )
        ids = (qa.add_failure(conn, pair, now), qa.add_failure(conn, address, now))
        member_id, stored = qa.credential(conn, handle)
        return ids, member_id, stored

    def session_member(self, secret: str) -> Member | None:
        """The member a session secret belongs to, or None (unknown, expired, revoked).

        A deactivated member's sessions are revoked when they are deactivated.

        Each use slides the idle expiry (:attr:`session_idle`), written at most
        once per :attr:`touch_interval`.
        """
        checks.text(secret, "secret")
        digest = usable_secret(secret)
        if digest is None:
            return None
        now = self.ctx.now()
        revisions = self.quick.revisions()  # before the lookup: see QuickReads.remember_member

        def work(conn: Connection) -> tuple[Session, Member] | None:
            found = qa.live_session(conn, digest, now)
            if found is None:
                return None
            session, _ = found
            return session, q.member(self.ctx.member_row(conn, session.member))

        found = self.ctx.read(work)
        if found is None:
            return None
        session, member = found
        if session.last_seen_at + self.session_idle <= now:
            return None  # idle longer than the (possibly shortened) limit
        seen, expires = session.last_seen_at, session.expires_at
        if now - seen >= self.touch_interval:
            seen, expires = now, now + self.session_idle
            self.ctx.write(
                lambda conn: qa.touch_session(conn, session.id, now, expires), calendar=False
            )
        until = min(seen + self.touch_interval, expires, seen + self.session_idle)
        self.quick.remember_member(revisions, digest, member, until)
        return member

    def logout(self, secret: str) -> bool:
        """Revoke a session; whether there was a live one with that secret."""
        checks.text(secret, "secret")
        digest = usable_secret(secret)
        if digest is None:
            return False
        now = self.ctx.now()
        return self.ctx.write(lambda conn: qa.revoke_session(conn, digest, now), calendar=False)


__all__ = [
    "ARGON2_MEMORY_KIB",
    "ARGON2_PARALLELISM",
    "ARGON2_TIME_COST",
    "DUMMY_HASH",
    "MAX_SECRET",
    "Accounts",
    "hash_password",
    "hasher",
    "store_password",
    "usable_secret",
    "verify_password",
]
