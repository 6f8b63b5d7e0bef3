"""API tokens and feed tokens: secrets that act as a member or show a calendar.

Each secret is 256 random bits, handed out once; only its SHA-256 digest is
stored (:mod:`rentcal.core.credential_values`). A token's member, or an admin, may
revoke it; revoked tokens are kept, marked revoked.

THE rule, checked at every use (each request reads it afresh, so every worker
and host agrees at once): a credential is only ever as strong as the current
rights of the member it acts for AND of the member who made it.

* An API token acts only while its member is active, its creator is active,
  and -- when making it needed admin rights (a token for someone else) --
  its creator is still an admin. Otherwise :meth:`Tokens.token_member`
  refuses it (PermissionDenied, reason ``deactivated``,
  ``creator-deactivated`` or ``creator-not-admin``).
* A feed URL serves only while its owner (who made it) is active and -- when
  its scope needed admin rights (another member's rentals) -- still an
  admin. Otherwise :meth:`Tokens.feed_by_secret` finds nothing (the web
  answers 404, as for an unknown URL). What it shows is what its owner may
  see NOW (:mod:`rentcal.core.privacy`, applied by
  :meth:`rentcal.service.calendars.Feeds.ical` with ``viewer=feed.owner``):
  any member may subscribe to a machine's or every machine's calendar, and
  sees other members' bookings without their purposes and prices, as the
  pages show them; an admin who made one and is demoted sees the same.

A suspended token or feed (its creator demoted) acts again if the creator is
made an admin again: the rule reads current rights, nothing is stored.
Deactivation (:mod:`rentcal.service.membership`) and a password change
(:mod:`rentcal.service.sessions`) revoke for good instead.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from rentcal.core import checks
from rentcal.core.credential_values import (
    FEED_FORMATS,
    MAX_LABEL,
    ApiToken,
    FeedScope,
    FeedToken,
    new_secret,
    secret_digest,
)
from rentcal.core.validate import clean_text
from rentcal.core.values import Member
from rentcal.db import sql as q
from rentcal.db.sql import credential_tables as qa
from rentcal.db.sql import feed_tables as qf
from rentcal.errors import InvalidRequest, NotFound, PermissionDenied
from rentcal.service.base import Context, int_id
from rentcal.service.sessions import Accounts, usable_secret


class Tokens:
    """Use cases about API tokens and secret feed URLs."""

    def __init__(self, ctx: Context, accounts: Accounts) -> None:
        self.ctx = ctx
        #: Owns the touch interval (``token_member`` writes last use as sessions do).
        self.accounts = accounts

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
            actor = self.ctx.actor(conn, acting)
            target = actor if member is None else q.member(self.ctx.member_row(conn, member))
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
                created_at=self.ctx.now(),
                created_by_id=actor.id,
                last_used_at=None,
                revoked_at=None,
            )
            return self._token(conn, token_id)[0]

        return self.ctx.write(work, calendar=False), secret

    def tokens(self, acting: str | None, include_revoked: bool = False) -> list[ApiToken]:
        """The acting member's tokens, oldest first (an admin's: everybody's)."""
        checks.optional_handle(acting, "acting", "acting member")
        checks.flag(include_revoked, "include_revoked")

        def work(conn: Connection) -> list[ApiToken]:
            actor = self.ctx.actor(conn, acting)
            return qa.find_tokens(conn, None if actor.is_admin else actor.id, include_revoked)

        return self.ctx.read(work)

    def revoke_token(self, token_id: int, acting: str | None) -> ApiToken:
        """Revoke an API token: its member or an admin. It is kept, marked revoked."""
        checks.record_id(token_id, "token_id", "token")
        checks.optional_handle(acting, "acting", "acting member")
        tid = int_id(token_id, "token")

        def work(conn: Connection) -> ApiToken:
            actor = self.ctx.actor(conn, acting)
            token, member_id = self._token(conn, tid)
            self._may_revoke(actor, member_id, f"token {tid}", token.member)
            if not qa.revoke_token(conn, tid, self.ctx.now()):
                raise InvalidRequest(
                    f"token {tid} is already revoked", field="token", value=tid, reason="revoked"
                )
            return self._token(conn, tid)[0]

        return self.ctx.write(work, calendar=False)

    def token_member(self, secret: str) -> Member | None:
        """The member an API token acts as, or None (unknown or revoked).

        Raises:
            PermissionDenied: a live token the rule (see the module) refuses
                now: its member is deactivated (reason ``deactivated``), its
                creator is (``creator-deactivated``), or it was made for
                someone else by a member who is no longer an admin
                (``creator-not-admin``). The web answers 403.
        """
        checks.text(secret, "secret")
        digest = usable_secret(secret)
        if digest is None:
            return None
        now = self.ctx.now()
        revisions = self.accounts.quick.revisions()  # before the lookup (remember_member)

        def work(conn: Connection) -> tuple[ApiToken, Member, Member] | None:
            found = qa.live_token(conn, digest)
            if found is None:
                return None
            token, _ = found
            member = q.member(self.ctx.member_row(conn, token.member))
            creator = member
            if token.created_by is not None and token.created_by != token.member:
                creator = q.member(self.ctx.member_row(conn, token.created_by))
            return token, member, creator

        found = self.ctx.read(work)
        if found is None:
            return None
        token, member, creator = found
        refusal = token_refusal(token, member, creator)
        if refusal is not None:
            raise refusal
        used = token.last_used_at
        if used is None or now - used >= self.accounts.touch_interval:
            self.ctx.write(lambda conn: qa.token_used(conn, token.id, now), calendar=False)
            used = now
        self.accounts.quick.remember_member(
            revisions, digest, member, used + self.accounts.touch_interval
        )
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
        the acting member's own rentals. Any member may make a feed of a
        machine or of all machines (shown as their pages show it: others'
        purposes and prices left out); only admins one of another member's
        rentals. ``fmt`` is ``"ics"`` or ``"json"``.
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
            actor = self.ctx.actor(conn, acting)
            scope, machine_id, member_id = self._feed_scope(
                conn, actor, machine, member, all_rentals
            )
            feed_id = qf.insert_feed(
                conn,
                secret_hash=secret_digest(secret),
                scope=scope.value,
                machine_id=machine_id,
                member_id=member_id,
                format=form,
                name=label,
                owner_id=actor.id,
                created_at=self.ctx.now(),
                revoked_at=None,
            )
            return self._feed_token(conn, feed_id)[0]

        return self.ctx.write(work, calendar=False), secret

    def _feed_scope(
        self,
        conn: Connection,
        actor: Member,
        machine: str | None,
        member: str | None,
        all_rentals: bool,
    ) -> tuple[FeedScope, int | None, int | None]:
        """(scope, machine id, member id) of a new feed, if ``actor`` may make it."""
        # Machines' calendars are every member's (the booking page shows them);
        # the feed shows them through its owner's eyes (rentcal.core.privacy).
        if all_rentals:
            return FeedScope.ALL, None, None
        if machine is not None:
            return FeedScope.MACHINE, self.ctx.machine_row(conn, machine).id, None
        target = actor if member is None else q.member(self.ctx.member_row(conn, member))
        if target.id != actor.id and not actor.is_admin:
            raise PermissionDenied(
                f"member {actor.handle!r} cannot create a feed of {target.handle!r}'s rentals "
                "(members: of their own, of a machine or of all machines; admins: any)",
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
            actor = self.ctx.actor(conn, acting)
            return qf.find_feeds(conn, None if actor.is_admin else actor.id, include_revoked)

        return self.ctx.read(work)

    def revoke_feed(self, feed_id: int, acting: str | None) -> FeedToken:
        """Revoke a feed URL: its owner or an admin. It is kept, marked revoked."""
        checks.record_id(feed_id, "feed_id", "feed")
        checks.optional_handle(acting, "acting", "acting member")
        fid = int_id(feed_id, "feed")

        def work(conn: Connection) -> FeedToken:
            actor = self.ctx.actor(conn, acting)
            feed, owner_id = self._feed_token(conn, fid)
            self._may_revoke(actor, owner_id, f"feed {fid}", feed.owner)
            if not qf.revoke_feed(conn, fid, self.ctx.now()):
                raise InvalidRequest(
                    f"feed {fid} is already revoked", field="feed", value=fid, reason="revoked"
                )
            return self._feed_token(conn, fid)[0]

        return self.ctx.write(work, calendar=False)

    def feed_by_secret(self, secret: str) -> FeedToken | None:
        """The live feed token with this secret, or None: unknown, revoked, or
        refused now by the rule (see the module: its owner deactivated, or no
        longer an admin while the feed's scope needs one)."""
        checks.text(secret, "secret")
        digest = usable_secret(secret)
        if digest is None:
            return None

        revisions = self.accounts.quick.revisions()  # before the lookup (remember_feed)

        def work(conn: Connection) -> FeedToken | None:
            found = qf.live_feed(conn, digest)
            if found is None:
                return None
            owner = q.member(self.ctx.member_row(conn, found.owner))
            return found if feed_serves(found, owner) else None

        feed = self.ctx.read(work)
        if feed is not None:
            self.accounts.quick.remember_feed(revisions, digest, feed)
        return feed

    @staticmethod
    def _feed_token(conn: Connection, feed_id: int) -> tuple[FeedToken, int]:
        found = qf.feed_by_id(conn, feed_id)
        if found is None:
            raise NotFound(f"feed {feed_id} not found", field="feed", value=feed_id)
        return found


def token_refusal(token: ApiToken, member: Member, creator: Member) -> PermissionDenied | None:
    """Why a live API token may not act now (None: it may): THE rule of the module.

    ``creator`` is ``member`` for a token its own member made (or one from
    before creators were recorded).
    """
    what = f"API token {token.id} (acting as {member.handle!r})"
    if not member.active:
        return PermissionDenied(
            f"{what} no longer acts: member {member.handle!r} is deactivated",
            field="token",
            value=token.id,
            reason="deactivated",
        )
    if creator.id == member.id:
        return None
    if not creator.active:
        return PermissionDenied(
            f"{what} no longer acts: it was made by {creator.handle!r}, who is deactivated",
            field="token",
            value=token.id,
            reason="creator-deactivated",
        )
    if not creator.is_admin:
        return PermissionDenied(
            f"{what} no longer acts: it was made by {creator.handle!r}, who is no longer "
            "an admin (only admins make tokens for others)",
            field="token",
            value=token.id,
            reason="creator-not-admin",
        )
    return None


def feed_needs_admin(feed: FeedToken) -> bool:
    """Whether making this feed needed admin rights: another member's rentals
    (members make feeds of their own rentals, of a machine or of all machines,
    which show them only what their pages show)."""
    return feed.scope is FeedScope.MEMBER and feed.member != feed.owner


def feed_serves(feed: FeedToken, owner: Member) -> bool:
    """THE rule for feed URLs: its owner is active and, if its scope needs it, an admin."""
    return owner.active and (owner.is_admin or not feed_needs_admin(feed))


__all__ = ["Tokens", "feed_needs_admin", "feed_serves", "token_refusal"]
