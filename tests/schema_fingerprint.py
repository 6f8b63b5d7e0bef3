"""A backend's own description of a schema, to compare two databases (no tests here).

SQLite: every ``sqlite_master`` entry (tables, indexes, triggers) with its SQL,
whitespace normalised. PostgreSQL: columns, constraints (``pg_get_constraintdef``),
indexes (``pg_indexes``), triggers (``pg_get_triggerdef``) and functions (not an extension's) of the
current schema, the schema's own name taken out. Two databases with equal
fingerprints have the same tables, columns, types, constraints, indexes and guards.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa


def _normal(sql: str | None) -> str:
    text = re.sub(r"\s+", " ", sql or "").strip()
    text = re.sub(r"\s*([(),])\s*", r"\1", text)
    return text.replace("CREATE TRIGGER IF NOT EXISTS", "CREATE TRIGGER")


def fingerprint(conn: sa.Connection) -> dict[str, Any]:
    """The schema of the database (or PostgreSQL current schema) behind ``conn``."""
    if conn.dialect.name == "sqlite":
        rows = conn.exec_driver_sql(
            "SELECT type, name, tbl_name, sql FROM sqlite_master "
            "WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name"
        ).all()
        return {"objects": [(t, n, tbl, _normal(sql)) for t, n, tbl, sql in rows]}
    schema = conn.exec_driver_sql("SELECT current_schema()").scalar_one()
    columns = conn.exec_driver_sql(
        "SELECT table_name, ordinal_position, column_name, data_type, "
        "character_maximum_length, numeric_precision, numeric_scale, is_nullable, "
        "column_default FROM information_schema.columns "
        "WHERE table_schema = current_schema() ORDER BY 1, 2"
    ).all()
    constraints = conn.exec_driver_sql(
        "SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid) "
        "FROM pg_constraint WHERE connamespace = current_schema()::regnamespace "
        "ORDER BY 1, 2"
    ).all()
    indexes = conn.exec_driver_sql(
        "SELECT tablename, indexname, indexdef FROM pg_indexes "
        "WHERE schemaname = current_schema() ORDER BY 1, 2"
    ).all()
    triggers = conn.exec_driver_sql(
        "SELECT tgrelid::regclass::text, tgname, pg_get_triggerdef(oid) FROM pg_trigger "
        "WHERE NOT tgisinternal AND tgrelid IN (SELECT oid FROM pg_class "
        "WHERE relnamespace = current_schema()::regnamespace) ORDER BY 1, 2"
    ).all()
    functions = conn.exec_driver_sql(
        "SELECT proname, prosrc FROM pg_proc p "
        "WHERE pronamespace = current_schema()::regnamespace AND NOT EXISTS "
        "(SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e') ORDER BY 1"
    ).all()
    return {
        "columns": [tuple(r) for r in columns],
        "constraints": [tuple(r) for r in constraints],
        "indexes": [(t, n, d.replace(f"{schema}.", "")) for t, n, d in indexes],
        "triggers": [(t, n, d.replace(f"{schema}.", "")) for t, n, d in triggers],
        "functions": [(n, " ".join(src.split())) for n, src in functions],
    }


__all__ = ["fingerprint"]
