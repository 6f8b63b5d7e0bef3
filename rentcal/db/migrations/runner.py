"""Run rentcal's Alembic revisions: online inside rentcal's transaction, or as SQL.

Imported only when a database needs an upgrade (or for ``db upgrade --sql``);
this is the one module that imports Alembic at run time.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TextIO

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from rentcal.db.schema import BASELINE, SchemaState

#: This package: env.py, script.py.mako and versions/.
LOCATION = Path(__file__).resolve().parent


def config(location: Path | None = None, output: TextIO | None = None) -> Config:
    """Alembic's configuration, in code: no alembic.ini is read.

    ``location``: the scripts (default: this package; tests pass a copy);
    ``output``: where offline mode writes its SQL.
    """
    cfg = Config(output_buffer=output)
    where = LOCATION if location is None else location
    cfg.set_main_option("script_location", str(where).replace("%", "%%"))
    cfg.set_main_option("file_template", "r%%(rev)s")  # r0003_what.py for rev 0003_what
    return cfg


def revisions(location: Path | None = None) -> list[str]:
    """Every revision id in the scripts, oldest first."""
    script = ScriptDirectory.from_config(config(location))
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def upgrade(conn: Connection, state: SchemaState, location: Path | None = None) -> None:
    """Bring the database behind ``conn`` to head, inside the caller's transaction.

    A database of rentcal 0.1 (no ``alembic_version``) is first stamped at the
    baseline — its schema *is* the baseline — and then upgraded like any other.
    The caller holds the write lock and commits (or rolls everything back).
    """
    cfg = config(location)
    cfg.attributes["connection"] = conn
    if not state.stamped and not state.empty:
        command.stamp(cfg, BASELINE)
    command.upgrade(cfg, "head")


def upgrade_sql(dialect: str, state: SchemaState, location: Path | None = None) -> str:
    """The SQL an upgrade to head would run on a database in ``state`` (offline mode).

    For an empty database: the whole schema; for rentcal 0.1's: the stamp and
    every revision after the baseline; for a stamped one: the pending ones.
    """
    out = io.StringIO()
    cfg = config(location, out)
    cfg.attributes["dialect"] = dialect
    if state.empty:
        command.upgrade(cfg, "head", sql=True)
    else:
        start = state.current
        if not state.stamped:
            command.stamp(cfg, BASELINE, sql=True)
        command.upgrade(cfg, f"{start}:head", sql=True)
    return out.getvalue()


__all__ = ["LOCATION", "config", "revisions", "upgrade", "upgrade_sql"]
