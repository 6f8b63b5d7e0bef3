"""The schema of rentcal 0.1 (schema version 1), exactly as its create path made it.

Revision ID: 0001_baseline
Revises: (none)

A database made by rentcal 0.1 (``rentcal_meta.schema_version`` 1, no
``alembic_version`` table) *is* at this revision: rentcal stamps it rather
than running this. The statements are frozen copies — never import the
models here, or a later model change would rewrite history. Frozen with it:
the SQLite triggers and the PostgreSQL exclusion constraints (with
btree_gist) that refuse overlapping blocking rows.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

revision = "0001_baseline"
down_revision = None
branch_labels = None
depends_on = None

BLOCKING_RENTAL = "'approved', 'pending'"
BLOCKING_MAINTENANCE = "'scheduled'"
RENTAL_STATUSES = "'pending', 'approved', 'rejected', 'cancelled', 'completed'"
OVERLAP_RENTAL = "rentcal: overlapping blocking rental refused"
OVERLAP_MAINTENANCE = "rentcal: overlapping scheduled maintenance refused"


def _check_in(name: str, column: str, values: str) -> sa.CheckConstraint:
    """An enum column's CHECK, as SQLAlchemy's non-native Enum spelled it."""
    return sa.CheckConstraint(f"{column} IN ({values})", name=name)


def _exclusion(table: str, blocking: str) -> tuple[sa.schema.SchemaItem, ...]:
    """PostgreSQL: the database itself refuses overlapping blocking rows of one machine."""
    if context.get_context().dialect.name != "postgresql":
        return ()
    from sqlalchemy.dialects.postgresql import ExcludeConstraint

    return (
        ExcludeConstraint(
            (sa.column("machine_id"), "="),
            (sa.text("daterange(start_date, end_date, '[]')"), "&&"),
            where=sa.text(f"status IN ({blocking})"),
            using="gist",
            name=f"ex_{table}_overlap",
        ),
    )


def _sqlite_guards(table: str, blocking: str, message: str) -> list[str]:
    """SQLite: INSERT and UPDATE triggers refusing an overlapping blocking row."""
    others = f"""FROM {table} AS r
        WHERE r.machine_id = NEW.machine_id AND r.id IS NOT NEW.id
          AND r.status IN ({blocking})"""
    overlap = f"""
    NEW.status IN ({blocking}) AND (
        EXISTS (SELECT 1 {others}
                AND r.start_date >= NEW.start_date AND r.start_date <= NEW.end_date)
        OR COALESCE((SELECT r.end_date {others} AND r.start_date < NEW.start_date
                     ORDER BY r.start_date DESC LIMIT 1) >= NEW.start_date, 0))
"""
    raise_ = f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
    return [
        f"""CREATE TRIGGER trg_{table}_no_overlap_insert
        BEFORE INSERT ON {table} WHEN {overlap} {raise_}""",
        f"""CREATE TRIGGER trg_{table}_no_overlap_update
        BEFORE UPDATE OF machine_id, start_date, end_date, status ON {table}
        WHEN {overlap} {raise_}""",
    ]


def _btree_gist() -> None:
    """The extension the exclusion constraints need (a clear error if it cannot be made)."""
    if context.is_offline_mode():
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        return
    from rentcal.db.schema import create_btree_gist

    create_btree_gist(op.get_bind())


def _blocking_index(name: str, table: str, blocking: str) -> None:
    where = sa.text(f"status IN ({blocking})")
    op.create_index(
        name, table, ["machine_id", "start_date"], sqlite_where=where, postgresql_where=where
    )


def upgrade() -> None:
    """Create every table, index and guard of schema version 1."""
    dialect = context.get_context().dialect.name
    if dialect == "postgresql":
        _btree_gist()
    stamp = sa.DateTime(timezone=True)
    op.create_table(
        "machine",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("daily_price", sa.Numeric(12, 2), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", sa.String(7), nullable=False),
        sa.Column("auto_approve", sa.Boolean(), nullable=False),
        sa.Column("created_at", stamp, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.CheckConstraint("daily_price >= 0", name="ck_machine_price"),
        sa.UniqueConstraint("name"),
        _check_in("machine_status", "status", "'active', 'retired'"),
    )
    op.create_table(
        "member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("handle", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("role", sa.String(6), nullable=False),
        sa.Column("created_at", stamp, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("handle"),
        _check_in("member_role", "role", "'member', 'admin'"),
    )
    op.create_table(
        "rentcal_meta",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "rental",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(36), nullable=False),
        sa.Column("machine_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(9), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=True),
        sa.Column("price", sa.Numeric(12, 2), nullable=False),
        sa.Column("created_at", stamp, nullable=False),
        sa.Column("updated_at", stamp, nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("status_changed_by_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.CheckConstraint("end_date >= start_date", name="ck_rental_dates"),
        sa.CheckConstraint("price >= 0", name="ck_rental_price"),
        sa.UniqueConstraint("uid"),
        sa.ForeignKeyConstraint(["machine_id"], ["machine.id"]),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"]),
        _check_in("rental_status", "status", RENTAL_STATUSES),
        sa.ForeignKeyConstraint(["status_changed_by_id"], ["member.id"]),
        *_exclusion("rental", BLOCKING_RENTAL),
    )
    op.create_index("ix_rental_member_start", "rental", ["member_id", "start_date"])
    _blocking_index("ix_rental_blocking", "rental", BLOCKING_RENTAL)
    op.create_index("ix_rental_machine", "rental", ["machine_id", "status"])
    op.create_table(
        "maintenance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(36), nullable=False),
        sa.Column("machine_id", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("status", sa.String(9), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", stamp, nullable=False),
        sa.Column("updated_at", stamp, nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.CheckConstraint("end_date >= start_date", name="ck_maintenance_dates"),
        sa.UniqueConstraint("uid"),
        sa.ForeignKeyConstraint(["machine_id"], ["machine.id"]),
        _check_in("maintenance_kind", "kind", "'preventive', 'repair', 'inspection'"),
        _check_in("maintenance_status", "status", "'scheduled', 'done', 'cancelled'"),
        sa.ForeignKeyConstraint(["created_by_id"], ["member.id"]),
        *_exclusion("maintenance", BLOCKING_MAINTENANCE),
    )
    _blocking_index("ix_maintenance_blocking", "maintenance", BLOCKING_MAINTENANCE)
    op.create_table(
        "rental_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rental_id", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(9), nullable=True),
        sa.Column("to_status", sa.String(9), nullable=False),
        sa.Column("changed_by_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("changed_at", stamp, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.ForeignKeyConstraint(["rental_id"], ["rental.id"]),
        _check_in("history_from_status", "from_status", RENTAL_STATUSES),
        _check_in("history_to_status", "to_status", RENTAL_STATUSES),
        sa.ForeignKeyConstraint(["changed_by_id"], ["member.id"]),
    )
    op.create_index("ix_rental_history_rental_id", "rental_history", ["rental_id"])
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("rental_id", sa.Integer(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", stamp, nullable=False),
        sa.Column("read_at", stamp, nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"]),
        sa.ForeignKeyConstraint(["rental_id"], ["rental.id"]),
    )
    op.create_index("ix_notification_member", "notification", ["member_id", "read_at"])
    if dialect == "sqlite":
        for ddl in (
            *_sqlite_guards("rental", BLOCKING_RENTAL, OVERLAP_RENTAL),
            *_sqlite_guards("maintenance", BLOCKING_MAINTENANCE, OVERLAP_MAINTENANCE),
        ):
            op.execute(ddl)
    op.execute("""INSERT INTO rentcal_meta ("key", value) VALUES ('schema_version', '1')""")


def downgrade() -> None:
    """rentcal does not downgrade a schema: restore a backup instead."""
    raise NotImplementedError("rentcal does not downgrade: restore a backup")
