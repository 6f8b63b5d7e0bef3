"""What a database holds, read fast, and the one decision of what to do with it.

Every ``connect()`` reads the state of its database here — its tables, the
``rentcal_meta`` schema version and the Alembic revision — in two or three
small queries and **without importing Alembic**: the stored revision is
compared with :data:`HEAD`, a constant. Alembic (``rentcal.db.migrations``)
loads only when a database really needs an upgrade.

The states a database can be in:

* **empty** — no tables: rentcal may create its schema there, if asked to
  (``create=True``); otherwise "no rentcal database here".
* **foreign** — tables, but no ``rentcal_meta`` schema version: another
  application's. rentcal never adds anything to it.
* **rentcal, current** — revision :data:`HEAD`: ready (the hot path).
* **rentcal, older** — a known older revision, or schema version 1 without a
  revision (made by rentcal 0.1, before Alembic): upgraded in place.
* **rentcal, newer** — an unknown revision or a higher schema version:
  refused, "upgrade rentcal".

``rentcal_meta.schema_version`` stays the marker older releases read: rentcal
0.1 knows version 1 only and refuses anything higher, so revision
``0002_managed_by_alembic`` sets it to 2 and no 0.1 binary ever writes to a
schema it does not know.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from rentcal.db import tables
from rentcal.errors import DatabaseError, ForeignDatabase, NoDatabase

#: Every Alembic revision shipped in rentcal/db/migrations/versions, oldest first.
#: (A test checks this against the scripts, so the hot path need not load them.)
REVISIONS: tuple[str, ...] = (
    "0001_baseline",
    "0002_managed_by_alembic",
    "0003_accounts",
    "0004_request_queue",
    "0005_change_log",
    "0006_org_settings",
    "0007_revoked_reason",
    "0008_credentials_revision",
    "0009_usage_counts",
    "0010_mail_outbox",
    "0011_mail_calendar",
    "0012_password_reset",
    "0013_member_links",
    "0014_mail_preferences",
    "0015_handover",
    "0016_charges",
    "0017_invoices",
    "0018_online_payments",
)
#: The schema of rentcal 0.1 (schema version 1), exactly.
BASELINE = REVISIONS[0]
#: The revision this rentcal's models describe.
HEAD = REVISIONS[-1]
#: The schema version a database made by rentcal 0.1 carries.
PRE_ALEMBIC_VERSION = 1

META_TABLE = tables.meta_t.name
VERSION_TABLE = "alembic_version"
#: Alembic's own version table, as Alembic creates it; a new database gets it
#: without loading Alembic.
version_t = sa.Table(
    VERSION_TABLE,
    sa.MetaData(),
    sa.Column("version_num", sa.String(32), nullable=False),
    sa.PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)
#: Tables rentcal itself makes (any other table in a rentcal database is left alone).
OWN_TABLES = frozenset(tables.metadata.tables) | {VERSION_TABLE}
#: How many foreign table names a refusal quotes.
SHOWN_TABLES = 5


@dataclass(frozen=True, slots=True)
class SchemaState:
    """What one database holds, as far as rentcal is concerned."""

    #: Table names in the database (SQLite) or the current schema (PostgreSQL), sorted.
    tables: tuple[str, ...]
    #: ``rentcal_meta.schema_version``, or None when there is none.
    version: int | None
    #: The Alembic revision in ``alembic_version``, or None.
    revision: str | None
    #: PostgreSQL's current schema (the one rentcal uses); None on SQLite.
    schema: str | None = None

    @property
    def empty(self) -> bool:
        """No tables at all: a new database."""
        return not self.tables

    @property
    def foreign(self) -> bool:
        """Tables but no rentcal schema version: another application's database."""
        return bool(self.tables) and self.version is None

    @property
    def foreign_tables(self) -> tuple[str, ...]:
        """The tables rentcal did not make."""
        return tuple(t for t in self.tables if t not in OWN_TABLES)

    @property
    def current(self) -> str | None:
        """The revision the schema is at (rentcal 0.1's is the baseline), or None."""
        if self.revision is not None:
            return self.revision
        if self.version == PRE_ALEMBIC_VERSION:
            return BASELINE
        return None

    @property
    def newer(self) -> bool:
        """Written by a later rentcal: a revision or schema version this one does not know.

        Only a database with rentcal's schema version can be that: another
        application's ``alembic_version`` says nothing about rentcal.
        """
        if self.version is None:
            return False
        return self.version > tables.SCHEMA_VERSION or (
            self.revision is not None and self.revision not in REVISIONS
        )

    @property
    def stamped(self) -> bool:
        """Whether Alembic's version table records the revision (not so before 0.2)."""
        return self.revision is not None

    @property
    def pending(self) -> tuple[str, ...]:
        """Revisions an upgrade would apply, oldest first (all of them for an empty one)."""
        if self.newer or self.foreign:
            return ()
        current = self.current
        start = 0 if current is None else REVISIONS.index(current) + 1
        return REVISIONS[start:]

    @property
    def ready(self) -> bool:
        """A rentcal database at :data:`HEAD`: nothing to do (the hot path)."""
        return self.revision == HEAD and self.version == tables.SCHEMA_VERSION


def read_state(conn: Connection) -> SchemaState:
    """The :class:`SchemaState` of the database behind ``conn`` (reads only)."""
    schema, tables = _table_names(conn)
    version = _meta_version(conn) if META_TABLE in tables else None
    revision = None
    if VERSION_TABLE in tables:  # plain SQL: nothing to compile on the hot path
        revision = conn.exec_driver_sql(f"SELECT version_num FROM {VERSION_TABLE}").scalar()
    return SchemaState(tables, version, revision, schema)


def _table_names(conn: Connection) -> tuple[str | None, tuple[str, ...]]:
    """PostgreSQL's current schema (None on SQLite) and its tables, in one query."""
    if conn.dialect.name == "sqlite":
        names = conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite~_%' ESCAPE '~'"
        ).scalars()
        return None, tuple(sorted(names))
    row = conn.exec_driver_sql(
        "SELECT current_schema(), "
        "ARRAY(SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema())"
    ).one()
    if row[0] is None:
        raise DatabaseError(
            f"database {_where(conn)}: no schema of its search_path exists, so rentcal has "
            f"nowhere to look for its tables; create the schema or correct search_path"
        )
    return row[0], tuple(sorted(row[1]))


def _meta_version(conn: Connection) -> int | None:
    value = conn.exec_driver_sql(
        f"SELECT value FROM {META_TABLE} WHERE {_quoted(conn, 'key')} = 'schema_version'"
    ).scalar_one_or_none()
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise DatabaseError(
            f"database {_where(conn)} has an unreadable schema version {value!r}; "
            f"it was not created by rentcal"
        ) from None


def _quoted(conn: Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote(name)


def _where(conn: Connection) -> str:
    return conn.engine.url.render_as_string(hide_password=True)


def refusal(state: SchemaState, where: str, *, create: bool) -> DatabaseError | None:
    """Why rentcal may not use this database as it is, or None when it may.

    ``create``: whether an empty database may receive rentcal's schema. The
    messages name commands, never command-line options (the CLI adds those).
    """
    if state.newer:
        return newer_error(state, where)
    if state.empty:
        if create:
            return None
        return no_database(where, _nothing_there(state))
    if state.foreign:
        tables = state.foreign_tables or state.tables
        return ForeignDatabase(
            f"{where} is not a rentcal database: it has tables rentcal does not know "
            f"({_some(tables)}); rentcal never adds its tables to another application's "
            f"database: give it an empty one",
            tables,
        )
    if state.revision is None and state.version != PRE_ALEMBIC_VERSION:
        return DatabaseError(
            f"database {where} has schema version {state.version} but no record of its "
            f"revision (table {VERSION_TABLE}); it was changed by hand: restore a backup"
        )
    return None


def no_database(where: str, found: str) -> NoDatabase:
    """The one message for "nothing of rentcal's here", naming what was found."""
    return NoDatabase(
        f"no rentcal database at {where}: {found}; run 'rentcal init' to create one",
        where,
        found,
    )


def newer_error(state: SchemaState, where: str) -> DatabaseError:
    """The one message for a database written by a later rentcal."""
    if state.version is not None and state.version > tables.SCHEMA_VERSION:
        found = f"schema version {state.version}"
        known = str(tables.SCHEMA_VERSION)
    else:
        found = f"schema revision {state.revision!r}"
        known = f"up to {HEAD!r}"
    return DatabaseError(
        f"database {where} has {found}, newer than this rentcal understands ({known}); "
        f"upgrade rentcal (pip install -U rentcal)"
    )


def _nothing_there(state: SchemaState) -> str:
    if state.schema is None:
        return "the file has no tables"
    return f"schema {state.schema!r} has no tables"


def _some(tables: tuple[str, ...]) -> str:
    shown = ", ".join(tables[:SHOWN_TABLES])
    more = len(tables) - SHOWN_TABLES
    return f"{shown} and {more} more" if more > 0 else shown


def create(conn: Connection) -> None:
    """rentcal's schema at :data:`HEAD` in an empty database, without Alembic.

    ``create_all`` of the models, then the revision stamped, as Alembic
    recommends for new databases; a test checks the result is the same schema
    as the baseline upgraded through every revision. PostgreSQL's exclusion
    constraints need btree_gist.
    """
    if conn.dialect.name == "postgresql":
        tables.add_postgres_guards()
        create_btree_gist(conn)
    tables.metadata.create_all(conn)
    version_t.create(conn)
    conn.execute(sa.insert(version_t).values(version_num=HEAD))
    conn.execute(
        sa.insert(tables.meta_t).values(key="schema_version", value=str(tables.SCHEMA_VERSION))
    )


def create_btree_gist(conn: Connection) -> None:
    """``CREATE EXTENSION btree_gist`` (needed by the exclusion constraints), or a clear error."""
    try:
        with conn.begin_nested():
            conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS btree_gist")
    except sa.exc.DBAPIError as err:
        first = str(getattr(err, "orig", err)).strip().splitlines()
        raise DatabaseError(
            f"cannot create the btree_gist extension in {_where(conn)} "
            f"({first[0] if first else type(err).__name__}); ask a superuser to run "
            f"'CREATE EXTENSION btree_gist;' in that database"
        ) from None


__all__ = [
    "BASELINE",
    "HEAD",
    "OWN_TABLES",
    "REVISIONS",
    "SchemaState",
    "create",
    "create_btree_gist",
    "newer_error",
    "no_database",
    "read_state",
    "refusal",
    "version_t",
]
