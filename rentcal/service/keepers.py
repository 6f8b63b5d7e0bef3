"""A machine's keepers: the members who hand it over (check it out and in) besides admins.

Keepers are a per-machine role: an admin adds or removes them; each change is
recorded in the machine's change log (field ``keeper``: who was added or
removed, by whom, when), so the keeper rows themselves may go. Changes take
the machine's lock, as a hand-over does, so a hand-over never decides on a
keeper who is being removed at that moment.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from rentcal.core import checks
from rentcal.core.values import Member, Rental
from rentcal.db import sql as q
from rentcal.errors import InvalidRequest, PermissionDenied
from rentcal.service.base import Context, refuse_deactivated
from rentcal.service.editing import record_changes
from rentcal.service.housekeeping import Housekeeping

#: The change-log field recording keepers added (new value) and removed (old value).
KEEPER_FIELD = "keeper"


def may_hand_over(
    conn: Connection, actor: Member, rental: Rental, machine_id: int, what: str
) -> None:
    """Admins and the machine's keepers hand a machine over; anybody else is refused."""
    if actor.is_admin or q.is_keeper(conn, machine_id, actor.id):
        return
    raise PermissionDenied(
        f"member {actor.handle!r} cannot {what} rental {rental.id}: only admins and the "
        f"keepers of {rental.machine!r} hand it over",
        field="acting",
        value=actor.handle,
        reason="not-keeper",
    )


class Keepers:
    """Adding, removing and listing a machine's keepers."""

    def __init__(self, ctx: Context, housekeeping: Housekeeping) -> None:
        self.ctx = ctx
        self.housekeeping = housekeeping

    def keepers(self, machine: str) -> list[str]:
        """The handles of the machine's keepers, in order (empty: only admins hand it over)."""
        name = checks.handle(machine, "machine")
        return self.ctx.read(lambda conn: q.keepers(conn, self.ctx.machine_row(conn, name).id))

    def add_keeper(self, machine: str, member: str, acting: str | None = None) -> list[str]:
        """Make ``member`` a keeper of ``machine`` (admins); the keepers now.

        Raises:
            InvalidRequest: the member is a keeper already (reason ``exists``).
            PermissionDenied: the member is deactivated, or the actor not an admin.
        """
        return self._change(machine, member, acting, add=True)

    def remove_keeper(self, machine: str, member: str, acting: str | None = None) -> list[str]:
        """``member`` no longer keeps ``machine`` (admins); the keepers now.

        Raises:
            InvalidRequest: the member is not a keeper of it (reason ``not-keeper``).
        """
        return self._change(machine, member, acting, add=False)

    def _change(self, machine: str, member: str, acting: str | None, *, add: bool) -> list[str]:
        name = checks.handle(machine, "machine")
        handle = checks.handle(member, "member")
        checks.optional_handle(acting, "acting", "acting member")
        day = self.ctx.today()

        def work(conn: Connection) -> list[str]:
            actor = self.ctx.admin(conn, acting, "change a machine's keepers")
            mach = self.ctx.machine_row(conn, name)
            self.housekeeping.lock(conn, [mach.id], day)
            who = q.member(self.ctx.member_row(conn, handle))
            keeps = q.is_keeper(conn, mach.id, who.id)
            now = self.ctx.now()
            if add:
                refuse_deactivated(who, "member")
                if keeps:
                    raise InvalidRequest(
                        f"member {who.handle!r} is a keeper of {mach.name!r} already",
                        field="member",
                        value=who.handle,
                        reason="exists",
                    )
                q.add_keeper(conn, mach.id, who.id, actor.id, now)
                old, new = None, who.handle
            else:
                if not keeps:
                    raise InvalidRequest(
                        f"member {who.handle!r} is not a keeper of {mach.name!r}",
                        field="member",
                        value=who.handle,
                        reason="not-keeper",
                    )
                q.remove_keeper(conn, mach.id, who.id)
                old, new = who.handle, None
            record_changes(
                conn, "machine", mach.id, {KEEPER_FIELD: old}, {KEEPER_FIELD: new}, actor, now
            )
            return q.keepers(conn, mach.id)

        return self.ctx.write(work)


__all__ = ["KEEPER_FIELD", "Keepers", "may_hand_over"]
