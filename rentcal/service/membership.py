"""Members: editing, roles, deactivation and reactivation, and their change log.

The last active admin can never be demoted or deactivated: the count and the
change happen under the members' lock (the one ``init`` and ``add_member``
take for the first-member rule), so two admins demoting each other at once
leave one admin, never none.

A deactivated member cannot log in, book or act (:meth:`Context.actor`
refuses them everywhere, with reason ``deactivated``); their sessions, API
tokens and feed URLs are revoked for good -- those acting for them and those
they made for others alike, so nothing they set up while trusted outlives
their trust (rows kept, marked revoked; a reactivation restores none) --
their pending requests rejected with the reason ``"member
deactivated"`` (they are told), their approved rentals still to come stand
(they and the admins are told), their history stays.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy.engine import Connection

from rentcal.core import checks, news
from rentcal.core.credential_values import RevokedReason
from rentcal.core.types import Role
from rentcal.core.values import UNSET, Change, Edited, Member, Unset
from rentcal.db import sql as q
from rentcal.db.sql import credential_tables as qa
from rentcal.db.sql import feed_tables as qf
from rentcal.errors import InvalidRequest, PermissionDenied
from rentcal.service.base import Context
from rentcal.service.editing import cleaned, record_changes, required_title
from rentcal.service.housekeeping import Housekeeping
from rentcal.service.lifecycle import Lifecycle

#: The reason stored on (and told about) requests settled by a deactivation.
DEACTIVATED_REASON = "member deactivated"

#: Editable member fields (a member may edit their own; admins anyone's).
MEMBER_FIELDS: dict[str, tuple[str, Callable[[object], Any]]] = {
    "name": ("name", lambda v: required_title(v, "name")),
    "email": ("email", lambda v: checks.email(v, "email")),
}


def _unconfirmed(actor: Member, row: Any, wanted: dict[str, Any]) -> None:
    """Refuse a member setting their own new address directly: it must be confirmed by
    a link first (:mod:`rentcal.service.email_links`). Clearing it, and any address an
    admin sets, stay as they were (the admin's word)."""
    new = wanted.get("email")
    if actor.is_admin or actor.id != row.id or new is None:
        return
    if row.email is not None and row.email.lower() == new.lower():
        return
    raise InvalidRequest(
        f"member {row.handle!r} cannot set their own e-mail address to {new!r} directly: "
        "give it on their page (E-mail address) or with change_email, then open the link "
        "sent to it",
        field="email",
        value=new,
        reason="needs-confirmation",
    )


class Membership:
    """Editing members, their role and whether they are active."""

    def __init__(self, ctx: Context, housekeeping: Housekeeping, lifecycle: Lifecycle) -> None:
        self.ctx = ctx
        self.housekeeping = housekeeping
        self.lifecycle = lifecycle

    # -- members ------------------------------------------------------------------

    def edit_member(
        self,
        handle: str,
        *,
        acting: str | None,
        name: str | Unset = UNSET,
        email: str | Unset | None = UNSET,
    ) -> Edited[Member]:
        """Change a member's name or e-mail (``email=None`` clears it).

        Members may edit their own; admins anyone's. Recorded like machine edits.
        A member's own NEW address is refused (reason ``needs-confirmation``):
        :meth:`rentcal.service.email_links.EmailChanges.change_email` sends it a
        link first; an admin's word needs none.
        """
        clean = checks.handle(handle, "handle", "member")
        checks.optional_handle(acting, "acting", "acting member")
        wanted = cleaned({"name": name, "email": email}, MEMBER_FIELDS)

        def work(conn: Connection) -> Edited[Member]:
            actor = self.ctx.actor(conn, acting)
            row = self.ctx.member_row(conn, clean)
            if actor.id != row.id and not actor.is_admin:
                raise PermissionDenied(
                    f"member {actor.handle!r} cannot edit {row.handle!r}: members edit "
                    "their own name and e-mail, admins anyone's",
                    field="acting",
                    value=actor.handle,
                    reason="not-owner",
                )
            _unconfirmed(actor, row, wanted)
            changes = record_changes(
                conn, "member", row.id, row._asdict(), wanted, actor, self.ctx.now()
            )
            if changes:
                q.update_member(conn, row.id, **{c.field: wanted[c.field] for c in changes})
            return Edited(q.member(self.ctx.member_row(conn, row.handle)), changes)

        return self.ctx.write(work)  # member names show in calendar event titles

    def set_role(self, handle: str, role: str | Role, *, acting: str | None) -> Edited[Member]:
        """Make a member an admin or a plain member (admins).

        The last active admin cannot be demoted (reason ``last-admin``);
        decided under the members' lock. A new admin is verified. Setting
        the current role changes nothing.
        """
        clean = checks.handle(handle, "handle", "member")
        new = checks.choice(role, Role, "role", "role")
        checks.optional_handle(acting, "acting", "acting member")

        def work(conn: Connection) -> Edited[Member]:
            self.ctx.store.lock_members(conn)
            actor = self.ctx.admin(conn, acting, "change roles")
            row = self.ctx.member_row(conn, clean)
            if new is Role.MEMBER and row.role == Role.ADMIN:
                self._keep_an_admin(conn, row, "demoted")
            wanted: dict[str, Any] = {"role": new}
            if new is Role.ADMIN:
                wanted["verified"] = True
            changes = record_changes(
                conn, "member", row.id, row._asdict(), wanted, actor, self.ctx.now()
            )
            if changes:
                q.update_member(conn, row.id, **{c.field: wanted[c.field] for c in changes})
                self.ctx.notify(conn, [row.id], f"Your role is now {new.value}.", kind="role")
            return Edited(q.member(self.ctx.member_row(conn, row.handle)), changes)

        return self.ctx.write(work, calendar=False)

    def _keep_an_admin(self, conn: Connection, row: Any, what: str) -> None:
        """Refuse to demote / deactivate the last active admin (caller holds the lock)."""
        if row.deactivated_at is None and q.admin_ids(conn) == [row.id]:
            raise InvalidRequest(
                f"member {row.handle!r} is the last admin and cannot be {what}: "
                "make another member an admin first",
                field="member",
                value=row.handle,
                reason="last-admin",
            )

    def deactivate_member(
        self, handle: str, acting: str | None = None, today: date | None = None
    ) -> Member:
        """Deactivate a member (admins): they can no longer log in, book or act.

        In one transaction: their sessions, the API tokens acting for them or
        made by them and the feed URLs they made are revoked (for good: a
        reactivation restores none); their pending requests
        are rejected with the reason ``"member deactivated"`` (and they are
        told); their approved rentals that have not ended stand, and they and
        the admins are told. The last active admin cannot be deactivated.

        Under the member's lock (:meth:`Store.lock_member`), which bookings
        for them hold shared: one under way commits first and its request is
        rejected here; one starting later finds the member deactivated.
        """
        clean = checks.handle(handle, "handle", "member")
        checks.optional_handle(acting, "acting", "acting member")
        day = self.ctx.today(today)

        def work(conn: Connection) -> Member:
            self.ctx.store.lock_members(conn)
            actor = self.ctx.admin(conn, acting, "deactivate members")
            row = self.ctx.member_row(conn, clean, lock="exclusive")  # bookings for them finish
            if row.deactivated_at is not None:
                raise InvalidRequest(
                    f"member {row.handle!r} is already deactivated",
                    field="member",
                    value=row.handle,
                    reason="deactivated",
                )
            if row.role == Role.ADMIN:
                self._keep_an_admin(conn, row, "deactivated")
            now = self.ctx.now()
            record_changes(
                conn, "member", row.id, {"active": True}, {"active": False}, actor, self.ctx.now()
            )
            q.update_member(conn, row.id, deactivated_at=now)
            gone = RevokedReason.MEMBER_DEACTIVATED
            qa.revoke_member_sessions(conn, row.id, now, gone)
            qa.revoke_member_tokens(conn, row.id, now, gone, RevokedReason.CREATOR_DEACTIVATED)
            qf.revoke_owner_feeds(conn, row.id, now, gone)
            self._settle_deactivated(conn, row.id, actor.id, day)
            return q.member(self.ctx.member_row(conn, row.handle))

        return self.ctx.write(work)

    def _lock_members_rentals(self, conn: Connection, member_id: int, today: date) -> None:
        """Lock (and settle) every machine holding an open rental of the member.

        Read again once locked: a move committed meanwhile may have put one on
        another machine, which is then locked too.
        """
        locked: set[int] = set()
        while True:
            wanted = set(q.open_rental_machine_ids(conn, member_id)) - locked
            if not wanted:
                return
            self.housekeeping.lock(conn, wanted, today)
            locked |= wanted

    def _settle_deactivated(
        self, conn: Connection, member_id: int, actor_id: int, today: date
    ) -> None:
        """Reject a deactivated member's pending requests; tell of approved ones to come.

        Settled as a retired machine's are (:meth:`Lifecycle.settle_open`); here one
        message goes to the member and the admins alike. Under the locks of the
        machines concerned (after the members' lock; no path takes them the
        other way round), so an approval or a move of the same rental at the
        same moment waits and then sees the decision.
        """
        self._lock_members_rentals(conn, member_id, today)
        standing = self.lifecycle.settle_open(
            conn, actor_id, today, DEACTIVATED_REASON, member_id=member_id
        )
        admins = q.admin_ids(conn)
        for rental in standing:
            self.ctx.notify(
                conn,
                [member_id, *admins],
                news.deactivated(rental),
                rental.id,
                kind="deactivated",
                rental=rental,
            )

    def reactivate_member(self, handle: str, acting: str | None = None) -> Member:
        """Let a deactivated member log in, book and act again (admins).

        Their revoked sessions, API tokens and feed URLs stay revoked (they
        log in again and make new ones); requests rejected at the deactivation
        stay rejected.
        """
        clean = checks.handle(handle, "handle", "member")
        checks.optional_handle(acting, "acting", "acting member")

        def work(conn: Connection) -> Member:
            self.ctx.store.lock_members(conn)
            actor = self.ctx.admin(conn, acting, "reactivate members")
            row = self.ctx.member_row(conn, clean)
            if row.deactivated_at is None:
                raise InvalidRequest(
                    f"member {row.handle!r} is not deactivated",
                    field="member",
                    value=row.handle,
                    reason="active",
                )
            record_changes(
                conn, "member", row.id, {"active": False}, {"active": True}, actor, self.ctx.now()
            )
            q.update_member(conn, row.id, deactivated_at=None)
            self.ctx.notify(conn, [row.id], "Your membership was reactivated.", kind="reactivated")
            return q.member(self.ctx.member_row(conn, row.handle))

        return self.ctx.write(work, calendar=False)

    def member_history(self, handle: str) -> list[Change]:
        """Every recorded change of a member, oldest first."""
        checks.handle(handle, "handle", "member")
        return self.ctx.read(
            lambda conn: q.changes(conn, "member", self.ctx.member_row(conn, handle).id)
        )


__all__ = ["DEACTIVATED_REASON", "MEMBER_FIELDS", "Membership"]
