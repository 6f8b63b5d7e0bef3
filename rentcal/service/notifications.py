"""Notifications: what members are told, and marking it read.

Every use case that changes something a member should hear about writes the
notification in its own transaction (see ``ServiceBase._notify``); this module
only reads and marks them.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from rentcal.core import checks
from rentcal.core.values import Notification
from rentcal.db import sql as q
from rentcal.service.base import ServiceBase


class Inbox(ServiceBase):
    """Use cases about a member's notifications."""

    def notifications(
        self, member: str, unread_only: bool = False, mark_read: bool = False
    ) -> list[Notification]:
        """A member's notifications, oldest first.

        ``mark_read=True`` marks exactly the returned ones read in the same
        transaction, so one that arrives meanwhile is never marked unseen.
        """
        checks.handle(member, "member")
        unread = checks.flag(unread_only, "unread_only")
        marking = checks.flag(mark_read, "mark_read")

        def work(conn: Connection) -> list[Notification]:
            row = self._member_row(conn, member)
            found = q.notifications(conn, row.id, row.handle, unread)
            if marking:
                q.mark_read(conn, [n.id for n in found if n.read_at is None], self.now())
            return found

        return self._write(work, calendar=False) if marking else self._read(work)

    def mark_read(self, member: str) -> int:
        """Mark all of a member's unread notifications read; returns how many."""
        checks.handle(member, "member")

        def work(conn: Connection) -> int:
            return q.mark_all_read(conn, self._member_row(conn, member).id, self.now())

        return self._write(work, calendar=False)


__all__ = ["Inbox"]
