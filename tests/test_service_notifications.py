"""Notifications (rentcal.service.notifications): read, and marked read atomically."""

from __future__ import annotations

import rentcal
from tests.conftest import BOTH, TODAY, d

pytestmark = BOTH

T = {"today": TODAY}


class TestNotifications:
    """notifications() and mark_read()."""

    def test_notifications_read_and_marked_together(self, seeded: rentcal.Rentcal) -> None:
        seeded.book("tractor", d(10), d(12), member="bob", **T)
        shown = seeded.notifications("ada", unread_only=True, mark_read=True)
        assert shown and all(n.read_at is None for n in shown)  # as they were when shown
        seeded.book("tractor", d(20), d(21), member="bob", **T)  # arrives afterwards
        later = seeded.notifications("ada", unread_only=True)
        assert len(later) == 1 and later[0].id not in {n.id for n in shown}

    def test_notifications_mark_read(self, seeded: rentcal.Rentcal) -> None:
        seeded.book("tractor", d(10), d(12), member="bob", **T)
        unread = seeded.notifications("ada", unread_only=True)
        assert unread and all(n.read_at is None for n in unread)
        assert seeded.mark_read("ada") == len(unread)
        assert seeded.notifications("ada", unread_only=True) == []
        assert seeded.mark_read("ada") == 0
        assert all(n.read_at is not None for n in seeded.notifications("ada"))
