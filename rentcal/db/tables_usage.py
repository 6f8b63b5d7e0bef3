"""The web server's figures per minute (the admin page's chart), summed over every worker.

Registered in the same metadata as :mod:`rentcal.db.tables`, which imports this
module, so ``create_all`` and Alembic see the table (revision 0009).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

#: The longest figure name (``check:13``, ``api_5xx``, ...): names come from a closed set.
USAGE_NAME = sa.String(40)


class UsageCountRow(SQLModel, table=True):
    """How many of one thing (``name``) happened in one minute (UTC), on every worker.

    Each worker adds its own counts once a minute (an upsert adding to
    ``value``), so the row holds the sum of all workers on every host. Rows
    older than two days are pruned by the same writes.
    """

    __tablename__ = "usage_count"

    minute: datetime = Field(primary_key=True)
    name: str = Field(sa_type=USAGE_NAME, primary_key=True)
    value: int = Field(sa_type=sa.BigInteger, nullable=False)


usage_count_t: sa.Table = UsageCountRow.__table__  # type: ignore[attr-defined]
