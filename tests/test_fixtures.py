"""The fixtures' databases are what they stand for: a template's copy equals a fresh one.

``cal`` starts from a copied SQLite file or a reused, reset PostgreSQL schema
(tests/conftest.py); either must hold exactly what ``rentcal.connect`` makes
in an empty database, and behave the same from there (the ids it hands out).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import rentcal
from tests.conftest import (
    _FINGERPRINT,
    BOTH,
    TODAY,
    PgSchemaPool,
    _pg_schema_url,
    _schema_of,
    d,
    make_clock,
    seed,
)


def _contents(url: str) -> dict[str, list[str]]:
    """Every row of every table, as text."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            names = sa.inspect(conn).get_table_names()
            rows = {n: conn.exec_driver_sql(f'SELECT * FROM "{n}"').all() for n in names}
    finally:
        engine.dispose()
    return {n: sorted(repr(tuple(r)) for r in found) for n, found in rows.items()}


def _use(url: str) -> list[int]:
    """Write a little of everything; the ids handed out."""
    with rentcal.connect(url, clock=make_clock()) as cal:
        seed(cal)
        rental = cal.book("saw", d(10), d(11), member="bob", today=TODAY, idempotency_key="k")
        token = cal.create_token("ada")[0]
        feed = cal.create_feed("ada")[0]
        cal.set_password("bob", "correct horse", acting="ada")
        with pytest.raises(rentcal.AuthFailed):
            cal.login("bob", "wrong password!")  # a login failure row
        cal.set_timezone("Europe/Berlin", acting="ada")
        return [cal.member("dan").id, rental.id, token.id, feed.id]


def test_sqlite_template_is_a_fresh_database(sqlite_template: Path, tmp_path: Path) -> None:
    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"
    rentcal.connect(fresh).close()
    copy = tmp_path / "copy.db"
    shutil.copy(sqlite_template, copy)
    assert _contents(f"sqlite:///{copy}") == _contents(fresh)
    schema = "SELECT type, name, sql FROM sqlite_master ORDER BY name"
    assert _rows(f"sqlite:///{copy}", schema) == _rows(fresh, schema)
    assert _use(f"sqlite:///{copy}") == _use(fresh)


def _rows(url: str, sql: str) -> list[Any]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.exec_driver_sql(sql).all())
    finally:
        engine.dispose()


def test_a_reset_postgresql_schema_is_a_fresh_one(
    pg_schema_pool: PgSchemaPool, pg_database: str
) -> None:
    url = pg_schema_pool.take()
    ids = _use(url)
    pg_schema_pool.give_back(url)
    again = pg_schema_pool.take()
    try:
        assert again == url, "the schema given back is reused"
        fresh = _pg_schema_url(pg_database)
        rentcal.connect(fresh).close()
        assert _contents(again) == _contents(fresh)
        engine = sa.create_engine(pg_database)
        with engine.connect() as conn:
            prints = [
                conn.execute(sa.text(_FINGERPRINT), {"schema": _schema_of(u)}).scalar_one()
                for u in (again, fresh)
            ]
        engine.dispose()
        assert prints[0] == prints[1]
        assert _use(again) == _use(fresh) == ids
    finally:
        pg_schema_pool.give_back(again)


def test_an_altered_postgresql_schema_is_not_reused(
    pg_schema_pool: PgSchemaPool, pg_database: str
) -> None:
    url = pg_schema_pool.take()
    engine = sa.create_engine(pg_database)
    with engine.begin() as conn:
        conn.exec_driver_sql(f'ALTER TABLE "{_schema_of(url)}".machine ADD COLUMN colour text')
    engine.dispose()
    pg_schema_pool.give_back(url)
    other = pg_schema_pool.take()
    pg_schema_pool.give_back(other)
    assert other != url


@BOTH
def test_db_url_without_cal_is_empty(db_url: str) -> None:
    """Only ``cal`` gets the template: a bare ``db_url`` holds no tables."""
    assert _contents(db_url) == {}
