"""Accounts: passwords, login sessions and their throttling, API tokens, feed tokens.

What a web server needs to know who is asking, kept in the database so that
any number of processes or hosts share it. Three rules shape this module:

* Passwords are hashed with Argon2id (argon2-cffi) *outside* any database
  transaction: a hash takes a fifth of a second of CPU and must never hold
  the write lock meanwhile.
* A wrong handle and a wrong password are the same :class:`AuthFailed`, after
  the same work: an unknown handle is verified against a dummy hash.
* A login attempt is recorded as a failure *before* its password is checked
  (and forgotten when it succeeds), so five failures in fifteen minutes stop
  even concurrent guessers on several processes; see :meth:`Accounts.login`.

Secrets (session ids, API tokens, feed URLs) are 256 random bits, handed out
once; only their SHA-256 digests are stored (:mod:`rentcal.core.accounts`).
"""

from __future__ import annotations

import functools
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.engine import Connection

from rentcal.core import checks
from rentcal.core.accounts import (
    FEED_FORMATS,
    LOGIN_WINDOW,
    MAX_FAILURES,
    MAX_LABEL,
    MAX_PASSWORD,
    ApiToken,
    FeedScope,
    FeedToken,
    Session,
    check_password,
    new_secret,
    retry_after,
    secret_digest,
)
from rentcal.core.validate import HANDLE_RE, clean_text
from rentcal.core.values import Member
from rentcal.db import sql as q
from rentcal.db.sql import accounts as qa
from rentcal.errors import (
    AuthFailed,
    InvalidRequest,
    NotFound,
    PermissionDenied,
    Throttled,
)
from rentcal.service.base import ServiceBase, int_id

if TYPE_CHECKING:
    from argon2 import PasswordHasher

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


def _usable_secret(secret: object) -> str | None:
    """The digest to look a presented secret up by, or None for an impossible one."""
    if not isinstance(secret, str) or not 0 < len(secret) <= MAX_SECRET:
        return None
    return secret_digest(secret)


class Accounts(ServiceBase):
    """Use cases about who is asking: passwords, sessions, tokens, feed URLs."""

    #: A session unused this long expires (sliding); set per instance to change it.
    session_idle: timedelta = timedelta(days=14)
    #: ``last_seen_at`` / ``last_used_at`` are written at most this often, so an
    #: authenticated request is normally one read, not a write.
    touch_interval: timedelta = timedelta(minutes=1)

    # -- passwords ----------------------------------------------------------------

    def set_password(self, handle: str, password: str, acting: str | None = None) -> None:
        """Set a member's password: their own, or anyone's for an admin.

        The password needs 8 to 1024 characters. It is hashed (Argon2id)
        between two short transactions, never inside one; every open session
        of the member is revoked with the change.
        """
        checks.handle(handle, "handle", "member")
        checks.text(password, "password")
        checks.optional_handle(acting, "acting", "acting member")
        check_password(password)
        self._read(lambda conn: self._password_target(conn, handle, acting))
        encoded = hasher().hash(password)

        def work(conn: Connection) -> None:
            target = self._password_target(conn, handle, acting)
            now = self.now()
            qa.set_credential(conn, target.id, encoded, now)
            qa.revoke_member_sessions(conn, target.id, now)

        self._write(work, calendar=False)

    def has_password(self, handle: str) -> bool:
        """Whether a member has a password set (and so can log in)."""
        checks.handle(handle, "handle", "member")

        def work(conn: Connection) -> bool:
            row = self._member_row(conn, handle)
            return qa.credential(conn, row.handle)[1] is not None

        return self._read(work)

    def _password_target(self, conn: Connection, handle: str, acting: str | None) -> Member:
        actor = self._actor(conn, acting)
        target = q.member(self._member_row(conn, handle))
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

    def login(self, handle: str, password: str) -> tuple[Session, str]:
        """Check a handle and password; a new session and its secret (shown once).

        Raises:
            AuthFailed: wrong handle or wrong password (the same error, after
                the same work).
            PermissionDenied: the right password of a deactivated member
                (reason ``deactivated``); the attempt counts as a failure.
            Throttled: five failed attempts for this handle within fifteen
                minutes; ``retry_after`` says when to try again. Even the right
                password is refused meanwhile; other handles are unaffected.
        """
        checks.text(handle, "handle")
        checks.text(password, "password")
        key = _login_handle(handle)
        if key is None:
            verify_password(None, password)
            raise AuthFailed()
        attempt_id, member_id, stored = self._write(
            lambda conn: self._attempt(conn, key), calendar=False
        )
        matched = verify_password(stored, password)  # the full cost, known handle or not
        if member_id is None or not matched:
            raise AuthFailed()
        fresh = hasher().hash(password) if hasher().check_needs_rehash(stored or "") else None
        secret = new_secret()

        def work(conn: Connection) -> Session:
            now = self.now()
            self._refuse_deactivated(q.member(self._member_row(conn, key)), "handle")
            qa.drop_failure(conn, attempt_id)  # it was not a failure after all
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

        return self._write(work, calendar=False), secret

    def _attempt(self, conn: Connection, handle: str) -> tuple[int, int | None, str | None]:
        """Admit one attempt for ``handle`` (counted as a failure until it succeeds).

        Under the handle's lock (PostgreSQL advisory lock; SQLite's write
        lock), so concurrent attempts are counted one after another.
        Returns (attempt id, member id, stored hash).
        """
        if self.store.dialect == "postgresql":
            qa.lock_handle(conn, handle)
        now = self.now()
        recent = qa.recent_failures(conn, handle, now - LOGIN_WINDOW, MAX_FAILURES)
        if len(recent) >= MAX_FAILURES:
            wait = retry_after(recent[-1], now)
            raise Throttled(
                f"too many failed logins for {handle!r}: try again in {wait} seconds",
                wait,
                value=handle,
            )
        attempt_id = qa.add_failure(conn, handle, now)
        member_id, stored = qa.credential(conn, handle)
        return attempt_id, member_id, stored

    def session_member(self, secret: str) -> Member | None:
        """The member a session secret belongs to, or None (unknown, expired, revoked).

        A deactivated member's sessions are revoked when they are deactivated.

        Each use slides the idle expiry (:attr:`session_idle`), written at most
        once per :attr:`touch_interval`.
        """
        checks.text(secret, "secret")
        digest = _usable_secret(secret)
        if digest is None:
            return None
        now = self.now()

        def work(conn: Connection) -> tuple[Session, Member] | None:
            found = qa.live_session(conn, digest, now)
            if found is None:
                return None
            session, _ = found
            return session, q.member(self._member_row(conn, session.member))

        found = self._read(work)
        if found is None:
            return None
        session, member = found
        if session.last_seen_at + self.session_idle <= now:
            return None  # idle longer than the (possibly shortened) limit
        if now - session.last_seen_at >= self.touch_interval:
            until = now + self.session_idle
            self._write(lambda conn: qa.touch_session(conn, session.id, now, until), calendar=False)
        return member

    def logout(self, secret: str) -> bool:
        """Revoke a session; whether there was a live one with that secret."""
        checks.text(secret, "secret")
        digest = _usable_secret(secret)
        if digest is None:
            return False
        now = self.now()
        return self._write(lambda conn: qa.revoke_session(conn, digest, now), calendar=False)

    # -- API tokens ---------------------------------------------------------------

    def create_token(
        self, acting: str | None, member: str | None = None, name: str | None = None
    ) -> tuple[ApiToken, str]:
        """A new API token acting as ``member`` (default: ``acting``) and its secret.

        The secret is returned once and stored only as a digest. Only admins
        create tokens for other members.
        """
        checks.optional_handle(acting, "acting", "acting member")
        checks.optional_handle(member, "member")
        checks.text_or_none(name, "name")
        label = clean_text(name, "name", max_len=MAX_LABEL, multiline=False)
        secret = new_secret()

        def work(conn: Connection) -> ApiToken:
            actor = self._actor(conn, acting)
            target = actor if member is None else q.member(self._member_row(conn, member))
            if target.id != actor.id and not actor.is_admin:
                raise PermissionDenied(
                    f"member {actor.handle!r} is not an admin; only admins can create tokens "
                    f"for {target.handle!r}",
                    field="acting",
                    value=actor.handle,
                    reason="not-admin",
                )
            token_id = qa.insert_token(
                conn,
                secret_hash=secret_digest(secret),
                member_id=target.id,
                name=label,
                created_at=self.now(),
                created_by_id=actor.id,
                last_used_at=None,
                revoked_at=None,
            )
            return self._token(conn, token_id)[0]

        return self._write(work, calendar=False), secret

    def tokens(self, acting: str | None, include_revoked: bool = False) -> list[ApiToken]:
        """The acting member's tokens, oldest first (an admin's: everybody's)."""
        checks.optional_handle(acting, "acting", "acting member")
        checks.flag(include_revoked, "include_revoked")

        def work(conn: Connection) -> list[ApiToken]:
            actor = self._actor(conn, acting)
            return qa.find_tokens(conn, None if actor.is_admin else actor.id, include_revoked)

        return self._read(work)

    def revoke_token(self, token_id: int, acting: str | None) -> ApiToken:
        """Revoke an API token: its member or an admin. It is kept, marked revoked."""
        checks.record_id(token_id, "token_id", "token")
        checks.optional_handle(acting, "acting", "acting member")
        tid = int_id(token_id, "token")

        def work(conn: Connection) -> ApiToken:
            actor = self._actor(conn, acting)
            token, member_id = self._token(conn, tid)
            self._may_revoke(actor, member_id, f"token {tid}", token.member)
            if not qa.revoke_token(conn, tid, self.now()):
                raise InvalidRequest(
                    f"token {tid} is already revoked", field="token", value=tid, reason="revoked"
                )
            return self._token(conn, tid)[0]

        return self._write(work, calendar=False)

    def token_member(self, secret: str) -> Member | None:
        """The member an API token acts as, or None (unknown or revoked).

        The member may be deactivated (``member.active`` False): then every
        use case refuses them, and the web answers 403 (reason ``deactivated``).
        """
        checks.text(secret, "secret")
        digest = _usable_secret(secret)
        if digest is None:
            return None
        now = self.now()

        def work(conn: Connection) -> tuple[ApiToken, Member] | None:
            found = qa.live_token(conn, digest)
            if found is None:
                return None
            token, _ = found
            return token, q.member(self._member_row(conn, token.member))

        found = self._read(work)
        if found is None:
            return None
        token, member = found
        if token.last_used_at is None or now - token.last_used_at >= self.touch_interval:
            self._write(lambda conn: qa.token_used(conn, token.id, now), calendar=False)
        return member

    @staticmethod
    def _token(conn: Connection, token_id: int) -> tuple[ApiToken, int]:
        found = qa.token_by_id(conn, token_id)
        if found is None:
            raise NotFound(f"token {token_id} not found", field="token", value=token_id)
        return found

    @staticmethod
    def _may_revoke(actor: Member, owner_id: int, what: str, owner: str) -> None:
        """Its owner or an admin may revoke a token or a feed."""
        if actor.id != owner_id and not actor.is_admin:
            raise PermissionDenied(
                f"member {actor.handle!r} cannot revoke {what}: it belongs to {owner!r} "
                "(only its owner or an admin can)",
                field="acting",
                value=actor.handle,
                reason="not-owner",
            )

    # -- feed tokens --------------------------------------------------------------

    def create_feed(
        self,
        acting: str | None,
        machine: str | None = None,
        member: str | None = None,
        *,
        all_rentals: bool = False,
        fmt: str = "ics",
        name: str | None = None,
    ) -> tuple[FeedToken, str]:
        """A secret feed URL's token and its secret (shown once); the scope is fixed.

        At most one of ``machine``, ``member`` or ``all_rentals``; none means
        the acting member's own rentals. Members may only make feeds of their
        own rentals; admins any. ``fmt`` is ``"ics"`` or ``"json"``.
        """
        checks.optional_handle(acting, "acting", "acting member")
        checks.optional_handle(machine, "machine")
        checks.optional_handle(member, "member")
        checks.flag(all_rentals, "all_rentals")
        checks.text(fmt, "fmt")
        checks.text_or_none(name, "name")
        form = fmt.strip().lower() if isinstance(fmt, str) else fmt
        if form not in FEED_FORMATS:
            raise InvalidRequest(
                f"feed format {fmt!r} is not one of: {', '.join(FEED_FORMATS)}",
                field="format",
                value=fmt,
                reason="bad-format",
            )
        if sum((machine is not None, member is not None, bool(all_rentals))) > 1:
            raise InvalidRequest(
                "a feed shows one machine, one member or all rentals: give at most one",
                field="scope",
                reason="several-scopes",
            )
        label = clean_text(name, "name", max_len=MAX_LABEL, multiline=False)
        secret = new_secret()

        def work(conn: Connection) -> FeedToken:
            actor = self._actor(conn, acting)
            scope, machine_id, member_id = self._feed_scope(
                conn, actor, machine, member, all_rentals
            )
            feed_id = qa.insert_feed(
                conn,
                secret_hash=secret_digest(secret),
                scope=scope.value,
                machine_id=machine_id,
                member_id=member_id,
                format=form,
                name=label,
                owner_id=actor.id,
                created_at=self.now(),
                revoked_at=None,
            )
            return self._feed_token(conn, feed_id)[0]

        return self._write(work, calendar=False), secret

    def _feed_scope(
        self,
        conn: Connection,
        actor: Member,
        machine: str | None,
        member: str | None,
        all_rentals: bool,
    ) -> tuple[FeedScope, int | None, int | None]:
        """(scope, machine id, member id) of a new feed, if ``actor`` may make it."""
        if machine is not None or all_rentals:
            what = f"of machine {machine!r}" if machine is not None else "of all rentals"
            if not actor.is_admin:
                raise PermissionDenied(
                    f"member {actor.handle!r} is not an admin; only admins can create feeds "
                    f"{what} (members: of their own rentals)",
                    field="acting",
                    value=actor.handle,
                    reason="not-admin",
                )
            if machine is None:
                return FeedScope.ALL, None, None
            return FeedScope.MACHINE, self._machine_row(conn, machine).id, None
        target = actor if member is None else q.member(self._member_row(conn, member))
        if target.id != actor.id and not actor.is_admin:
            raise PermissionDenied(
                f"member {actor.handle!r} cannot create a feed of {target.handle!r}'s rentals "
                "(members: of their own; admins: any)",
                field="acting",
                value=actor.handle,
                reason="not-owner",
            )
        return FeedScope.MEMBER, None, target.id

    def feed_tokens(self, acting: str | None, include_revoked: bool = False) -> list[FeedToken]:
        """The acting member's feed tokens, oldest first (an admin's: everybody's)."""
        checks.optional_handle(acting, "acting", "acting member")
        checks.flag(include_revoked, "include_revoked")

        def work(conn: Connection) -> list[FeedToken]:
            actor = self._actor(conn, acting)
            return qa.find_feeds(conn, None if actor.is_admin else actor.id, include_revoked)

        return self._read(work)

    def revoke_feed(self, feed_id: int, acting: str | None) -> FeedToken:
        """Revoke a feed URL: its owner or an admin. It is kept, marked revoked."""
        checks.record_id(feed_id, "feed_id", "feed")
        checks.optional_handle(acting, "acting", "acting member")
        fid = int_id(feed_id, "feed")

        def work(conn: Connection) -> FeedToken:
            actor = self._actor(conn, acting)
            feed, owner_id = self._feed_token(conn, fid)
            self._may_revoke(actor, owner_id, f"feed {fid}", feed.owner)
            if not qa.revoke_feed(conn, fid, self.now()):
                raise InvalidRequest(
                    f"feed {fid} is already revoked", field="feed", value=fid, reason="revoked"
                )
            return self._feed_token(conn, fid)[0]

        return self._write(work, calendar=False)

    def feed_by_secret(self, secret: str) -> FeedToken | None:
        """The live feed token with this secret, or None (unknown, revoked, or its
        owner deactivated: a deactivated member's feed URLs stop working)."""
        checks.text(secret, "secret")
        digest = _usable_secret(secret)
        if digest is None:
            return None

        def work(conn: Connection) -> FeedToken | None:
            found = qa.live_feed(conn, digest)
            if found is None or not q.member(self._member_row(conn, found.owner)).active:
                return None
            return found

        return self._read(work)

    @staticmethod
    def _feed_token(conn: Connection, feed_id: int) -> tuple[FeedToken, int]:
        found = qa.feed_by_id(conn, feed_id)
        if found is None:
            raise NotFound(f"feed {feed_id} not found", field="feed", value=feed_id)
        return found

    # -- revisions ----------------------------------------------------------------

    def revision(self) -> tuple[int, datetime]:
        """The calendar's revision (bumped by every calendar change) and when it changed.

        ``changed_at`` never moves backwards, so it can serve as Last-Modified.
        """
        return self._read(qa.revision)


__all__ = [
    "ARGON2_MEMORY_KIB",
    "ARGON2_PARALLELISM",
    "ARGON2_TIME_COST",
    "DUMMY_HASH",
    "Accounts",
    "hasher",
    "verify_password",
]
