"""The members' e-mail choices (``mail_preference``) and the admins' daily list of requests.

Setting a choice is an upsert (``INSERT ... ON CONFLICT DO UPDATE``, which
SQLite and PostgreSQL both speak), so two saves at once never collide; the
row keeps ``last_digest_on`` across changes, so switching the digest off and
on again the same day sends no second one. The outbox's queuing statement
(:mod:`rentcal.db.sql.mail`) reads these rows itself; nothing here runs on the
booking path.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from rentcal.core.mail_choices import DIGEST, EMAIL, REQUEST_KIND
from rentcal.core.types import RentalStatus, Role
from rentcal.db.tables import member_t, rental_t
from rentcal.db.tables_mail import mail_preference_t

_p = mail_preference_t.c
_CHOICES = sa.select(_p.kind, _p.choice).where(_p.member_id == sa.bindparam("m")).order_by(_p.kind)
_PENDING = sa.select(rental_t.c.id).where(rental_t.c.status == RentalStatus.PENDING.value).exists()
#: Active admins with an address who chose the daily list and have not had today's,
#: while some request is pending.
_DUE_DIGESTS = (
    sa.select(member_t.c.id)
    .join(mail_preference_t, _p.member_id == member_t.c.id)
    .where(_p.kind == REQUEST_KIND, _p.choice == DIGEST)
    .where(sa.or_(_p.last_digest_on.is_(None), _p.last_digest_on < sa.bindparam("day")))
    .where(member_t.c.role == Role.ADMIN, member_t.c.deactivated_at.is_(None))
    .where(member_t.c.email.is_not(None))
    .where(_PENDING)
    .order_by(member_t.c.id)
)
_DIGESTED = (
    sa.update(mail_preference_t)
    .where(_p.member_id.in_(sa.bindparam("ids", expanding=True)), _p.kind == REQUEST_KIND)
    .values(last_digest_on=sa.bindparam("day"))
)


def not_chosen_away(
    member_id: sa.ColumnElement[int], kind: sa.ColumnElement[str]
) -> sa.ColumnElement[bool]:
    """True unless the member chose something other than e-mail for ``kind``: the
    condition the outbox's queuing statement adds (no row: e-mail, the default)."""
    away = (
        sa.select(_p.member_id)
        .where(_p.member_id == member_id, _p.kind == kind, _p.choice != EMAIL)
        .exists()
    )
    return ~away


def _upsert(dialect: str) -> sa.Insert:
    """The choosing upsert in ``dialect`` (a dialect is imported when first needed)."""
    keys = [_p.member_id, _p.kind]
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        pg = postgresql.insert(mail_preference_t)
        return pg.on_conflict_do_update(
            index_elements=keys,
            set_={"choice": pg.excluded.choice, "updated_at": pg.excluded.updated_at},
        )
    from sqlalchemy.dialects import sqlite

    lite = sqlite.insert(mail_preference_t)
    return lite.on_conflict_do_update(
        index_elements=keys,
        set_={"choice": lite.excluded.choice, "updated_at": lite.excluded.updated_at},
    )


_UPSERTS: dict[str, sa.Insert] = {}


def choices(conn: Connection, member_id: int) -> list[tuple[str, str]]:
    """The member's stored (kind, choice) pairs, by kind (a kind without one: e-mail)."""
    return [(r.kind, r.choice) for r in conn.execute(_CHOICES, {"m": member_id})]


def set_choices(
    conn: Connection, member_id: int, chosen: Iterable[tuple[str, str]], now: datetime
) -> None:
    """Store each (kind, choice) of the member, in one statement."""
    rows = [{"member_id": member_id, "kind": k, "choice": c, "updated_at": now} for k, c in chosen]
    if not rows:
        return
    dialect = conn.dialect.name
    statement = _UPSERTS.get(dialect)
    if statement is None:
        statement = _UPSERTS[dialect] = _upsert(dialect)
    conn.execute(statement, rows)


def due_digests(conn: Connection, day: date) -> list[int]:
    """Ids of the admins whose daily list of pending requests is due on ``day``."""
    return list(conn.execute(_DUE_DIGESTS, {"day": day}).scalars())


def digested(conn: Connection, member_ids: Sequence[int], day: date) -> None:
    """Record that ``member_ids`` got ``day``'s list."""
    conn.execute(_DIGESTED, {"ids": list(member_ids), "day": day})


__all__ = ["choices", "digested", "due_digests", "not_chosen_away", "set_choices"]
