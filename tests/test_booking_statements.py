"""Statements per booking: a new re-read inside ``book`` fails this test.

A steady-state booking (not a connection's first call: the organisation's zone
is cached) is counted with SQLAlchemy's ``before_cursor_execute`` event, on
each backend, with and without an ``idempotency_key``. The numbers and what
each statement is for are in docs/performance.md ("Statements per booking");
docs/design.md's locking recipe says which re-reads are kept and why.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

import rentcal
from tests.conftest import BOTH, TODAY, d

#: The count differs by backend (SQLite's BEGIN IMMEDIATE vs PostgreSQL's locks).
pytestmark = BOTH

#: (backend, with a key) -> statements one ``book`` sends. Issue #20 added two: each of
#: the two notifications also queues its e-mail (one INSERT ... SELECT each, in the
#: booking's transaction); the rental the e-mails describe is the one ``book`` returns,
#: read once before them rather than after.
EXPECTED = {
    ("sqlite", False): 15,
    ("sqlite", True): 18,
    ("postgresql", False): 20,
    ("postgresql", True): 24,
}


@contextmanager
def counted(cal: rentcal.Rentcal) -> Iterator[list[str]]:
    """The SQL statements sent while the block runs."""
    sent: list[str] = []

    def count(*args: Any) -> None:
        sent.append(" ".join(str(args[2]).split())[:100])

    event.listen(cal.store.engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        event.remove(cal.store.engine, "before_cursor_execute", count)


@pytest.mark.parametrize("keyed", [False, True], ids=["plain", "idempotency-key"])
def test_statements_per_booking(seeded: rentcal.Rentcal, keyed: bool) -> None:
    """The count is exact: fewer is welcome (update EXPECTED), more is a regression."""
    seeded.book("saw", d(10), d(10), member="dan", today=TODAY, idempotency_key="warm")
    with counted(seeded) as sent:
        seeded.book(
            "saw",
            d(20),
            d(21),
            member="dan",
            today=TODAY,
            idempotency_key="k1" if keyed else None,
        )
    backend = seeded.store.dialect
    assert len(sent) == EXPECTED[backend, keyed], "\n".join(sent)
