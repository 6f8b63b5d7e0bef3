"""Helpers shared by the CLI tests (this module holds no tests).

Every invocation pins ``RENTCAL_TODAY`` to conftest's TODAY and clears the
environment variables a developer's shell might set, so results never depend
on the real date or on who runs the tests.
"""

from __future__ import annotations

import json
from typing import Any

from typer.testing import CliRunner, Result

import rentcal
from rentcal.cli.app import app
from tests.conftest import TODAY

RUNNER = CliRunner()
ENV: dict[str, str | None] = {
    "RENTCAL_TODAY": TODAY.isoformat(),
    "RENTCAL_USER": None,
    "RENTCAL_DATABASE_URL": None,
    "RENTCAL_DEBUG": None,
    "NO_COLOR": None,
}

RENTAL_KEYS = {
    "id",
    "machine",
    "member",
    "start",
    "end",
    "status",
    "purpose",
    "price",
    "created_at",
    "updated_at",
    "pay_by",
}
MACHINE_KEYS = {
    "name",
    "title",
    "daily_price",
    "status",
    "auto_approve",
    "description",
    "request_policy",
    "request_expiry_hours",
    "meter",
    "unit_price",
    "minimum_charge",
}
MEMBER_KEYS = {"handle", "name", "email", "verified", "role", "active"}
MAINTENANCE_KEYS = {"id", "machine", "start", "end", "kind", "status", "notes"}
CHECK_KEYS = {"available", "machine", "start", "end", "conflicts", "message"}
CONFLICT_KEYS = {"kind", "id", "start", "end", "status"}
FREE_KEYS = {"start", "end", "days"}


def cli(
    db_url: str | None,
    *args: str,
    as_: str | None = "ada",
    env: dict[str, str | None] | None = None,
    input: str | None = None,
) -> Result:
    """Run ``rentcal [--db URL] [--as HANDLE] ARGS...`` in-process (``input``: stdin)."""
    argv: list[str] = []
    if db_url is not None:
        argv += ["--db", db_url]
    if as_ is not None:
        argv += ["--as", as_]
    argv += list(args)
    return RUNNER.invoke(app, argv, env={**ENV, **(env or {})}, input=input)


def ok_json(db_url: str | None, *args: str, as_: str | None = "ada") -> Any:
    """Run a ``--json`` command that must succeed silently; its parsed stdout."""
    result = cli(db_url, *args, "--json", as_=as_)
    assert result.exit_code == 0, (result.exit_code, result.stdout, result.stderr)
    assert result.stderr == ""
    return json.loads(result.stdout)


def failed(result: Result, code: int, message: str) -> None:
    """Assert an error exit: the code, ``Error: ...message...`` on stderr, no traceback."""
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    assert "Error: " in result.stderr
    assert message in result.stderr, result.stderr
    assert "Traceback" not in result.output


def every_table(cal: rentcal.Rentcal) -> dict[str, list[str]]:
    """Every row of every table, as text: "nothing written" means this is unchanged.

    The tables are discovered in the database, so a new table is covered; the
    models' tables (and the revision counter among them) must all be there.
    """
    import sqlalchemy as sa

    from rentcal.db import (
        tables,
        tables_accounts,  # noqa: F401  (its tables join the same metadata)
    )

    with cal.store.engine.connect() as conn:
        names = sa.inspect(conn).get_table_names()
        assert set(tables.metadata.tables) <= set(names), names
        return {
            name: sorted(
                repr(tuple(row)) for row in conn.exec_driver_sql(f'SELECT * FROM "{name}"')
            )
            for name in names
        }


def snapshot(cal: rentcal.Rentcal) -> dict[str, Any]:
    """Everything a command could change, as plain data, to compare before / after:
    the values as the library reads them, and every row of every table."""
    members = cal.members()
    return {
        "tables": every_table(cal),
        "machines": [m.as_dict() for m in cal.machines()],
        "members": [m.as_dict() for m in members],
        "rentals": [r.as_dict() for r in cal.rentals()],
        "maintenance": [m.as_dict() for m in cal.maintenance()],
        "notifications": {
            m.handle: [n.as_dict() for n in cal.notifications(m.handle)] for m in members
        },
    }
