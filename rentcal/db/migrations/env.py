"""Alembic's environment for rentcal, configured in code (no alembic.ini at run time).

rentcal runs it through :mod:`rentcal.db.migrations.runner`, which passes:

* ``config.attributes["connection"]``: a connection already inside rentcal's
  write transaction (SQLite ``BEGIN IMMEDIATE``; PostgreSQL holding the schema
  advisory lock). Alembic then runs every step in that one transaction and
  leaves the commit to rentcal: an upgrade is all or nothing.
* offline (``--sql``): ``config.attributes["dialect"]``; the SQL goes to the
  config's output buffer, in one BEGIN ... COMMIT, for a DBA to run.

Developers may also run the ``alembic`` command with ``-x url=DATABASE_URL``
(see docs/design.md).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from rentcal.db import tables

config = context.config
#: For ``alembic revision --autogenerate`` only; revisions never import the models.
target_metadata = tables.metadata


def run_offline() -> None:
    """Write the SQL of the migrations instead of running them."""
    dialect = config.attributes.get("dialect") or sa.make_url(_url()).get_backend_name()
    context.configure(
        dialect_name=dialect,
        literal_binds=True,
        transactional_ddl=True,
        target_metadata=target_metadata,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Run the migrations on the given connection (or, for developers, a URL)."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = sa.create_engine(_url())
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()


def _run(connection: sa.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
    )
    with context.begin_transaction():
        context.run_migrations()


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url")
    return url or config.get_main_option("sqlalchemy.url") or "sqlite://"


if context.is_offline_mode():
    run_offline()
else:
    run_online()
