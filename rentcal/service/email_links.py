"""A member's own new e-mail address, used only once confirmed by a link (issue #20).

A member who gives a new address (:meth:`EmailChanges.change_email`) gets a
one-time link AT that address (a ``member_link`` of purpose ``email``); the
address is kept there, apart from ``member.email``, which stays the confirmed
address every message goes to meanwhile. Using the link
(:meth:`EmailChanges.confirm_email`) makes it the member's address, recorded
in the change log like an edit. A member has at most one pending address (a
new one replaces the last) and asks for at most :data:`MAX_CHANGES_PER_HOUR`
links an hour. Addresses an admin sets (``edit_member``, ``add_member``,
``invite_member``) count as confirmed: the admin's word.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.engine import Connection

from rentcal.core import checks
from rentcal.core.credential_values import new_secret, secret_digest
from rentcal.core.link_mail import EMAIL, PendingAddress, confirm_mail
from rentcal.core.mail import CONFIRM_KIND
from rentcal.core.values import Member
from rentcal.db import sql as q
from rentcal.db.sql import member_links as ml
from rentcal.errors import InvalidRequest, PermissionDenied
from rentcal.service.base import Context
from rentcal.service.editing import record_changes
from rentcal.service.sessions import usable_secret

#: Confirmation links one member may ask for within an hour.
MAX_CHANGES_PER_HOUR = 5
HOUR = timedelta(hours=1)


def _unusable() -> InvalidRequest:
    """The one error for a confirmation link that is unknown, used, replaced or expired."""
    return InvalidRequest(
        "this confirmation link is unknown, already used, replaced or expired: "
        "give the address again on your page for a new one",
        field="secret",
        value=None,
        reason="unusable",
    )


class EmailChanges:
    """Give a new address, see it pending, confirm it by its link."""

    #: How long a confirmation link works; set per instance to change it.
    lifetime: timedelta = timedelta(hours=24)

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def change_email(self, handle: str, email: str, *, acting: str | None = None) -> PendingAddress:
        """Mail a confirmation link to ``email`` for member ``handle`` (the member
        themself); the address is used once the link is. Replaces a pending one.

        Raises:
            InvalidRequest: the address is missing, malformed (``email``) or
                already the member's (reason ``unchanged``), or the member asked
                for :data:`MAX_CHANGES_PER_HOUR` links this hour (``too-many``).
            PermissionDenied: ``acting`` is someone else (admins set addresses
                with ``edit_member``).
        """
        clean = checks.handle(handle, "handle", "member")
        address = checks.email(email, "email")
        checks.optional_handle(acting, "acting", "acting member")
        if address is None:
            raise InvalidRequest("email is missing: give the new address", field="email")
        secret = new_secret()

        def work(conn: Connection) -> PendingAddress:
            actor = self.ctx.actor(conn, acting)
            row = self.ctx.member_row(conn, clean)
            if actor.id != row.id:
                raise PermissionDenied(
                    f"member {actor.handle!r} cannot change the address of {row.handle!r}: "
                    "members confirm their own; admins set anyone's with edit_member",
                    field="acting",
                    value=actor.handle,
                    reason="not-owner",
                )
            if row.email is not None and row.email.lower() == address.lower():
                raise InvalidRequest(
                    f"email {address!r} is already the address of {row.handle!r}",
                    field="email",
                    value=address,
                    reason="unchanged",
                )
            now = self.ctx.now()
            made = ml.made_for(conn, row.id, EMAIL, now - HOUR)
            if made >= MAX_CHANGES_PER_HOUR:
                raise InvalidRequest(
                    f"member {row.handle!r} asked for {made} confirmation links within the "
                    "last hour, the most allowed: try again later",
                    field="email",
                    value=address,
                    reason="too-many",
                )
            return self.send_link(conn, row.id, row.handle, row.name, address, secret, actor)

        return self.ctx.write(work, calendar=False)

    def send_link(
        self,
        conn: Connection,
        member_id: int,
        handle: str,
        name: str,
        address: str,
        secret: str,
        actor: Member | None,
    ) -> PendingAddress:
        """In the caller's transaction: replace the member's pending address with
        ``address`` and queue its confirmation link (also used by sign-up)."""
        now = self.ctx.now()
        ml.close(conn, member_id, EMAIL, now)
        expires = now + self.lifetime
        ml.add(
            conn,
            purpose=EMAIL,
            member_id=member_id,
            digest=secret_digest(secret),
            address=address,
            expires_at=expires,
            created_by=None if actor is None else actor.id,
            now=now,
        )
        hours = int(self.lifetime.total_seconds()) // 3600
        said = confirm_mail(f"/confirm-email/{secret}", hours, handle)
        ml.queue_to(
            conn,
            member_id=member_id,
            address=address,
            name=name,
            subject=said.subject,
            text_body=said.text,
            html_body=said.html,
            kind=CONFIRM_KIND,
            now=now,
        )
        return PendingAddress(address, expires)

    def pending_email(self, handle: str, *, acting: str | None = None) -> PendingAddress | None:
        """The member's address waiting for confirmation, if any (the member or admins)."""
        clean = checks.handle(handle, "handle", "member")
        checks.optional_handle(acting, "acting", "acting member")

        def work(conn: Connection) -> PendingAddress | None:
            actor = self.ctx.actor(conn, acting)
            row = self.ctx.member_row(conn, clean)
            if actor.id != row.id and not actor.is_admin:
                raise PermissionDenied(
                    f"member {actor.handle!r} cannot see the pending address of {row.handle!r}",
                    field="acting",
                    value=actor.handle,
                    reason="not-owner",
                )
            link = ml.newest_open(conn, row.id, EMAIL)
            if link is None or link.expires_at <= self.ctx.now():
                return None
            return PendingAddress(link.address, link.expires_at)

        return self.ctx.read(work)

    def confirm_email(self, secret: str) -> Member:
        """Use a confirmation link: its address becomes the member's (recorded as a
        change by the member); the member as they are now.

        Raises:
            InvalidRequest: the link is unknown, used, replaced or expired
                (``secret``, reason ``unusable``).
        """
        checks.text(secret, "secret")
        digest = usable_secret(secret)
        if digest is None:
            raise _unusable()

        def work(conn: Connection) -> Member:
            now = self.ctx.now()
            link = ml.live(conn, EMAIL, digest, now)
            if link is None:
                raise _unusable()
            row = self.ctx.member_row(conn, link.handle)
            ml.use(conn, link.id, now)
            wanted = {"email": link.address}
            if record_changes(conn, "member", row.id, row._asdict(), wanted, q.member(row), now):
                q.update_member(conn, row.id, email=link.address)
            return q.member(self.ctx.member_row(conn, link.handle))

        return self.ctx.write(work, calendar=False)


__all__ = ["MAX_CHANGES_PER_HOUR", "EmailChanges"]
