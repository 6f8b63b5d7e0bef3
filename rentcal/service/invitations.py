"""Invitations (issue #20): an admin invites by e-mail; the invitee picks a password.

What an invited member is: an ordinary member row, added at once (as by
``member add``: the handle is taken, the address is the admin's word, verified
if the admin said so) but WITHOUT a password, plus an open ``member_link`` of
purpose ``invite``. No rule had to change for it: login already refuses a
member without a password, the verified gate already keeps an unverified one
from booking, handles stay unique because the row exists. Accepting the
invitation is setting the first password, in ONE transaction with using the
link, confirming the address it was sent to, and opening a session.

The link is 256 random bits of which only the SHA-256 digest is stored; it
works once, for :attr:`Invitations.lifetime` (7 days), until it is revoked or
replaced (resending makes a new link; the old one stops working). Each admin
makes at most :data:`MAX_INVITES_PER_HOUR` links an hour (invitations and
re-sends alike), so a stolen admin session cannot turn rentcal into a mailer.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.engine import Connection

from rentcal.core import checks
from rentcal.core.credential_values import Session, check_password, new_secret, secret_digest
from rentcal.core.link_mail import INVITE, Invitation, invitation_mail
from rentcal.core.mail import INVITE_KIND
from rentcal.core.types import Role
from rentcal.core.values import Member
from rentcal.db import sql as q
from rentcal.db.sql import credential_tables as qa
from rentcal.db.sql import member_links as ml
from rentcal.errors import InvalidRequest
from rentcal.service.base import Context
from rentcal.service.sessions import Accounts, hash_password, store_password, usable_secret

#: Invitation links (new or re-sent) one admin may make within an hour.
MAX_INVITES_PER_HOUR = 20
HOUR = timedelta(hours=1)


def _unusable() -> InvalidRequest:
    """The one error for an invitation link that is unknown, used, revoked or expired."""
    return InvalidRequest(
        "this invitation link is unknown, already used, revoked or expired: "
        "ask the admin who invited you to send a new one",
        field="secret",
        value=None,
        reason="unusable",
    )


class Invitations:
    """Invite, re-send, revoke, list and accept invitations."""

    #: How long an invitation link works; set per instance to change it.
    lifetime: timedelta = timedelta(days=7)

    def __init__(self, ctx: Context, accounts: Accounts) -> None:
        self.ctx = ctx
        self.accounts = accounts

    def invite_member(
        self,
        handle: str,
        email: str,
        *,
        name: str | None = None,
        verified: bool = False,
        acting: str | None = None,
    ) -> Invitation:
        """Add member ``handle`` without a password and mail them a link to choose one
        (admins only). ``email`` is required; ``name`` defaults to the handle.

        Raises:
            InvalidRequest: the handle is taken (reason ``exists``), the address
                is missing or malformed (``email``), or the admin made
                :data:`MAX_INVITES_PER_HOUR` links this hour (``too-many``).
        """
        clean = checks.handle(handle, "handle", "member handle")
        display = checks.title(name, "name") or clean
        address = checks.email(email, "email")
        checks.flag(verified, "verified")
        checks.optional_handle(acting, "acting", "acting member")
        if address is None:
            raise InvalidRequest(
                f"email is missing: an invitation to {clean!r} needs an address to send it to",
                field="email",
                reason="missing",
            )
        secret = new_secret()

        def work(conn: Connection) -> Invitation:
            self.ctx.store.lock_members(conn)
            actor = self.ctx.admin(conn, acting, "invite members")
            self._within_limit(conn, actor)
            if q.member_row(conn, clean) is not None:
                raise InvalidRequest(
                    f"member {clean!r} already exists", field="handle", value=clean, reason="exists"
                )
            now = self.ctx.now()
            member_id = q.insert_member(
                conn,
                handle=clean,
                name=display,
                email=address,
                verified=verified,
                role=Role.MEMBER,
                created_at=now,
            )
            return self._send(conn, member_id, clean, display, address, actor, secret)

        return self.ctx.write(work, calendar=False)

    def resend_invitation(self, handle: str, *, acting: str | None = None) -> Invitation:
        """Mail a new invitation link to the member's current address (admins only);
        the old link stops working. Also for an expired invitation.

        Raises:
            InvalidRequest: the member has no open invitation (reason
                ``not-invited``: accepted, revoked or never invited) or no
                address, or the admin's hourly limit is reached (``too-many``).
        """
        clean = checks.handle(handle, "handle", "member")
        checks.optional_handle(acting, "acting", "acting member")
        secret = new_secret()

        def work(conn: Connection) -> Invitation:
            actor = self.ctx.admin(conn, acting, "re-send invitations")
            row = self.ctx.member_row(conn, clean)
            if ml.newest_open(conn, row.id, INVITE) is None or row.email is None:
                raise _not_invited(row.handle)
            self._within_limit(conn, actor)
            ml.close(conn, row.id, INVITE, self.ctx.now())
            return self._send(conn, row.id, row.handle, row.name, row.email, actor, secret)

        return self.ctx.write(work, calendar=False)

    def revoke_invitation(self, handle: str, *, acting: str | None = None) -> None:
        """Make the member's open invitation link stop working (admins only).

        The member stays, without a password (deactivate them to remove them
        from the lists). Raises InvalidRequest (``not-invited``) when there is
        no open invitation.
        """
        clean = checks.handle(handle, "handle", "member")
        checks.optional_handle(acting, "acting", "acting member")

        def work(conn: Connection) -> None:
            self.ctx.admin(conn, acting, "revoke invitations")
            row = self.ctx.member_row(conn, clean)
            if ml.close(conn, row.id, INVITE, self.ctx.now()) == 0:
                raise _not_invited(row.handle)

        self.ctx.write(work, calendar=False)

    def invitations(self, *, acting: str | None = None) -> list[Invitation]:
        """Every invitation neither accepted nor revoked, oldest first (admins only);
        an expired one shows ``expired`` (re-send it)."""
        checks.optional_handle(acting, "acting", "acting member")

        def work(conn: Connection) -> list[Invitation]:
            self.ctx.admin(conn, acting, "list invitations")
            now = self.ctx.now()
            return [
                Invitation(*row, expired=row.expires_at <= now)
                for row in ml.pending_invitations(conn)
            ]

        return self.ctx.read(work)

    def accept_invitation(self, secret: str, password: str) -> tuple[Session, str]:
        """Use an invitation link: set the first password; a new session and its secret.

        In one transaction: the password is stored, the link used, the address
        it was sent to becomes the member's (confirmed: the link came by it),
        and a session is opened -- the member is logged in. A link whose member
        has a password by now, or another address than the one it went to, no
        longer works. The Argon2 hash is
        computed before, outside any transaction.

        Raises:
            InvalidRequest: the password's length is wrong (``password``), or the
                link is unknown, used, revoked or expired (``secret``, reason
                ``unusable``).
        """
        checks.text(secret, "secret")
        checks.text(password, "password")
        check_password(password)
        digest = usable_secret(secret)
        if (
            digest is None
            or self.ctx.read(lambda c: ml.live(c, INVITE, digest, self.ctx.now())) is None
        ):
            raise _unusable()
        encoded = hash_password(password)
        session_secret = new_secret()

        def work(conn: Connection) -> Session:
            now = self.ctx.now()
            link = ml.live(conn, INVITE, digest, now)
            if link is None or not self._still_for(conn, link):
                raise _unusable()
            store_password(conn, link.member_id, encoded, now)
            ml.use(conn, link.id, now)
            q.update_member(conn, link.member_id, email=link.address)
            session_id = qa.insert_session(
                conn,
                secret_hash=secret_digest(session_secret),
                member_id=link.member_id,
                created_at=now,
                last_seen_at=now,
                expires_at=now + self.accounts.session_idle,
                revoked_at=None,
            )
            return qa.session_by_id(conn, session_id)

        return self.ctx.write(work, calendar=False), session_secret

    # -- helpers --------------------------------------------------------------------

    def _still_for(self, conn: Connection, link: ml.LinkRow) -> bool:
        """Whether the invitation still stands: the member has no password yet (one set
        another way, say by a password reset, makes it moot) and their address is still
        the one the link went to (an admin who changed it since re-sends)."""
        row = self.ctx.member_row(conn, link.handle)
        same = row.email is not None and row.email.lower() == link.address.lower()
        return same and not ml.has_password(conn, link.member_id)

    def _within_limit(self, conn: Connection, actor: Member) -> None:
        """Refuse a link beyond the admin's hourly allowance."""
        made = ml.made_by(conn, actor.id, INVITE, self.ctx.now() - HOUR)
        if made >= MAX_INVITES_PER_HOUR:
            raise InvalidRequest(
                f"admin {actor.handle!r} sent {made} invitations within the last hour, the "
                f"most allowed: try again later",
                field="acting",
                value=actor.handle,
                reason="too-many",
            )

    def _send(
        self,
        conn: Connection,
        member_id: int,
        handle: str,
        name: str,
        address: str,
        actor: Member,
        secret: str,
    ) -> Invitation:
        """Record a link for ``secret`` and queue its message to ``address``."""
        now = self.ctx.now()
        expires = now + self.lifetime
        ml.add(
            conn,
            purpose=INVITE,
            member_id=member_id,
            digest=secret_digest(secret),
            address=address,
            expires_at=expires,
            created_by=actor.id,
            now=now,
        )
        said = invitation_mail(f"/invite/{secret}", self.lifetime.days, handle, actor.name)
        ml.queue_to(
            conn,
            member_id=member_id,
            address=address,
            name=name,
            subject=said.subject,
            text_body=said.text,
            html_body=said.html,
            kind=INVITE_KIND,
            now=now,
        )
        row = self.ctx.member_row(conn, handle)
        return Invitation(
            handle, name, address, bool(row.verified), actor.handle, now, expires, expired=False
        )


def _not_invited(handle: str) -> InvalidRequest:
    """The error for a member without an open invitation."""
    return InvalidRequest(
        f"member {handle!r} has no open invitation (accepted, revoked or never invited)",
        field="handle",
        value=handle,
        reason="not-invited",
    )


__all__ = ["MAX_INVITES_PER_HOUR", "Invitations"]
