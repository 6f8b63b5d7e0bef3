"""Per-machine request policy and expiry; queued requests block nothing.

Revision ID: 0004_request_queue
Revises: 0003_accounts

Three columns, each added last with a server default so every existing row
reads as before (nothing is rewritten):

- ``machine.request_policy`` ('block' | 'queue', default 'block': a pending
  request holds its days, as before);
- ``machine.request_expiry_hours`` (NULL: a pending request waits until its
  first day, as before);
- ``rental.queued`` (default false): a pending request of a ``queue`` machine
  waiting beside others for the same days.

An index ``ix_rental_status_end`` (status, end_date) lets housekeeping find
ended approved rentals and pending requests without a scan.

The guards then cover exactly what blocks — ``status IN ('approved',
'pending') AND NOT queued``: the partial index ``ix_rental_blocking`` of the
O(log n) seek, the SQLite triggers and PostgreSQL's exclusion constraint are
dropped and made again with that predicate. Frozen copies of the models'
definitions — never import the models here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

revision = "0004_request_queue"
down_revision = "0003_accounts"
branch_labels = None
depends_on = None

BLOCKING_RENTAL = "'approved', 'pending'"
OVERLAP_RENTAL = "rentcal: overlapping blocking rental refused"
TRIGGERS = ("trg_rental_no_overlap_insert", "trg_rental_no_overlap_update")


def _blocks(alias: str, queued: bool) -> str:
    prefix = f"{alias}." if alias else ""
    test = f"{prefix}status IN ({BLOCKING_RENTAL})"
    return f"{test} AND NOT {prefix}queued" if queued else test


def _sqlite_guards(queued: bool) -> list[str]:
    """The rental triggers of revision 0004 (``queued``) or of 0001 (not)."""
    others = f"""FROM rental AS r
        WHERE r.machine_id = NEW.machine_id AND r.id IS NOT NEW.id
          AND {_blocks("r", queued)}"""
    overlap = f"""
    {_blocks("NEW", queued)} AND (
        EXISTS (SELECT 1 {others}
                AND r.start_date >= NEW.start_date AND r.start_date <= NEW.end_date)
        OR COALESCE((SELECT r.end_date {others} AND r.start_date < NEW.start_date
                     ORDER BY r.start_date DESC LIMIT 1) >= NEW.start_date, 0))
"""
    raise_ = f"BEGIN SELECT RAISE(ABORT, '{OVERLAP_RENTAL}'); END"
    columns = ", queued" if queued else ""
    return [
        f"""CREATE TRIGGER trg_rental_no_overlap_insert
        BEFORE INSERT ON rental WHEN {overlap} {raise_}""",
        f"""CREATE TRIGGER trg_rental_no_overlap_update
        BEFORE UPDATE OF machine_id, start_date, end_date, status{columns} ON rental
        WHEN {overlap} {raise_}""",
    ]


def _guards(queued: bool) -> None:
    """Make the partial index and the overlap guard for the given predicate."""
    dialect = context.get_context().dialect.name
    where = sa.text(_blocks("", queued))
    op.create_index(
        "ix_rental_blocking",
        "rental",
        ["machine_id", "start_date"],
        sqlite_where=where,
        postgresql_where=where,
    )
    if dialect == "sqlite":
        for ddl in _sqlite_guards(queued):
            op.execute(ddl)
    else:
        op.execute(
            "ALTER TABLE rental ADD CONSTRAINT ex_rental_overlap EXCLUDE USING gist "
            "(machine_id WITH =, daterange(start_date, end_date, '[]') WITH &&) "
            f"WHERE ({_blocks('', queued)})"
        )


def _drop_guards() -> None:
    dialect = context.get_context().dialect.name
    if dialect == "sqlite":
        for name in TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        op.execute("ALTER TABLE rental DROP CONSTRAINT ex_rental_overlap")
    op.drop_index("ix_rental_blocking", table_name="rental")


def upgrade() -> None:
    """Add the policy, expiry and queued columns; guards exclude queued requests."""
    op.add_column(
        "machine",
        sa.Column("request_policy", sa.String(5), server_default="block", nullable=False),
    )
    op.add_column("machine", sa.Column("request_expiry_hours", sa.Integer(), nullable=True))
    op.add_column(
        "rental", sa.Column("queued", sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    _drop_guards()
    _guards(queued=True)
    op.create_index("ix_rental_status_end", "rental", ["status", "end_date"])


def downgrade() -> None:
    """Back to 0003: queued requests are rejected first (they would overlap), columns dropped."""
    op.execute(
        "UPDATE rental SET status = 'rejected', reason = 'request queue removed' "
        "WHERE queued AND status = 'pending'"
    )
    op.drop_index("ix_rental_status_end", table_name="rental")
    _drop_guards()
    op.drop_column("rental", "queued")
    op.drop_column("machine", "request_expiry_hours")
    op.drop_column("machine", "request_policy")
    _guards(queued=False)
