"""Statements for what is told and what was recorded: notifications, the change log,
and the organisation's settings (append-only: the newest row of a key is its value)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from rentcal.core.values import Change, Notification
from rentcal.db.rows import NewChange, NewNotification, SettingRecord
from rentcal.db.sql.common import insert_one
from rentcal.db.tables import change_log_t, member_t, notification_t, org_setting_t

_c = change_log_t.c
_CHANGES = (
    sa.select(
        _c.entity,
        _c.entity_id,
        _c.field,
        _c.old_value,
        _c.new_value,
        member_t.c.handle.label("by"),
        _c.changed_at,
    )
    .select_from(change_log_t.outerjoin(member_t, member_t.c.id == _c.changed_by_id))
    .where(_c.entity == sa.bindparam("e"), _c.entity_id == sa.bindparam("i"))
    .order_by(_c.id)
)
_INSERT_CHANGES = sa.insert(change_log_t)
_n = notification_t.c
_NOTIFICATIONS = sa.select(notification_t).where(_n.member_id == sa.bindparam("m")).order_by(_n.id)
_UNREAD_NOTIFICATIONS = _NOTIFICATIONS.where(_n.read_at.is_(None))
_MARK_ALL_READ = (
    sa.update(notification_t)
    .where(_n.member_id == sa.bindparam("m"), _n.read_at.is_(None))
    .values(read_at=sa.bindparam("now", type_=notification_t.c.read_at.type))
)
_INSERT_NOTIFICATIONS = sa.insert(notification_t)
_os = org_setting_t.c
# Columns in the order of SettingRecord's fields.
_SETTING_HISTORY = (
    sa.select(_os.key, _os.value, _os.changed_at, member_t.c.handle.label("changed_by"))
    .select_from(org_setting_t.outerjoin(member_t, member_t.c.id == _os.changed_by_id))
    .where(_os.key == sa.bindparam("k", type_=sa.String))
    .order_by(_os.id.desc())
)
_SETTING_LATEST = _SETTING_HISTORY.limit(1)
# The rows of several keys, newest first: one statement where a use case needs
# several settings on its hot path (the rental limits, read by every booking).
_SETTINGS_OF = (
    sa.select(_os.key, _os.value, _os.changed_at, member_t.c.handle.label("changed_by"))
    .select_from(org_setting_t.outerjoin(member_t, member_t.c.id == _os.changed_by_id))
    .where(_os.key.in_(sa.bindparam("ks", expanding=True, type_=sa.String)))
    .order_by(_os.id.desc())
)


# -- notifications -------------------------------------------------------------------


def notifications(
    conn: Connection, member_id: int, handle: str, unread_only: bool
) -> list[Notification]:
    """A member's notifications, oldest first."""
    query = _UNREAD_NOTIFICATIONS if unread_only else _NOTIFICATIONS
    return [
        Notification(r.id, handle, r.rental_id, r.message, r.created_at, r.read_at)
        for r in conn.execute(query, {"m": member_id})
    ]


def add_notifications(conn: Connection, rows: Iterable[NewNotification]) -> None:
    """Many notification rows at once (none is fine)."""
    batch = list(rows)
    if batch:
        conn.execute(_INSERT_NOTIFICATIONS, batch)


def mark_read(conn: Connection, ids: Sequence[int], now: datetime) -> None:
    """Mark the given notifications read, in bounded IN lists."""
    for i in range(0, len(ids), 10_000):
        conn.execute(
            sa.update(notification_t).where(_n.id.in_(ids[i : i + 10_000])).values(read_at=now)
        )


def mark_all_read(conn: Connection, member_id: int, now: datetime) -> int:
    """Mark every unread notification of a member read; how many."""
    return int(conn.execute(_MARK_ALL_READ, {"m": member_id, "now": now}).rowcount)


# -- the change log ------------------------------------------------------------------


def add_changes(conn: Connection, rows: list[NewChange]) -> None:
    """Change-log rows (none is fine): entity, entity_id, field, old/new_value, by, at."""
    if rows:
        conn.execute(_INSERT_CHANGES, rows)


def changes(conn: Connection, entity: str, entity_id: int) -> list[Change]:
    """The recorded changes of one machine / member / maintenance block, oldest first."""
    return [Change(*r) for r in conn.execute(_CHANGES, {"e": entity, "i": entity_id})]


# -- organisation settings -----------------------------------------------------------


def org_setting(conn: Connection, key: str) -> SettingRecord | None:
    """The current value of a setting (with who set it when), or None."""
    row = conn.execute(_SETTING_LATEST, {"k": key}).first()
    return None if row is None else SettingRecord._make(row)


def org_settings(conn: Connection, keys: Sequence[str]) -> dict[str, SettingRecord]:
    """The current value of each of ``keys`` that was ever set, in ONE statement."""
    found: dict[str, SettingRecord] = {}
    for row in conn.execute(_SETTINGS_OF, {"ks": list(keys)}):
        record = SettingRecord._make(row)
        found.setdefault(record.key, record)
    return found


def org_setting_history(conn: Connection, key: str) -> list[SettingRecord]:
    """Every value a setting had, newest first."""
    return [SettingRecord._make(r) for r in conn.execute(_SETTING_HISTORY, {"k": key})]


def add_org_setting(
    conn: Connection, key: str, value: str, member_id: int | None, at: datetime
) -> None:
    """A new value for a setting (older values stay as its history)."""
    values: dict[str, object] = {
        "key": key,
        "value": value,
        "changed_by_id": member_id,
        "changed_at": at,
    }
    insert_one(conn, org_setting_t, values)


__all__ = [
    "add_changes",
    "add_notifications",
    "add_org_setting",
    "changes",
    "mark_all_read",
    "mark_read",
    "notifications",
    "org_setting",
    "org_setting_history",
    "org_settings",
]
