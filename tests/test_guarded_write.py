"""THE guarded write: a database overlap refusal reads like the service's own.

Each write path that the database guards (book, maintenance, both imports)
is run with the service's own availability check switched off, so only the
database's triggers / exclusion constraints can stop the overlap. Every path
must then raise the same Unavailable, naming the machine and its conflicts,
and write nothing.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

import rentcal
from rentcal.core.types import RentalStatus
from rentcal.core.values import Problem
from rentcal.imports import BlockRow, ImportRow
from tests.conftest import BOTH, TODAY, d

pytestmark = BOTH


def _book(cal: rentcal.Rentcal) -> object:
    return cal.book("tractor", d(11), d(11), member="bob", today=TODAY)


def _maintenance(cal: rentcal.Rentcal) -> object:
    return cal.add_maintenance("tractor", d(11), d(11), acting="ada", today=TODAY, force=True)


def _import_rentals(cal: rentcal.Rentcal) -> object:
    rows: list[ImportRow | Problem] = [
        ImportRow(2, "tractor", "bob", d(11), d(11), RentalStatus.APPROVED, None)
    ]
    return cal.import_rentals(rows, acting="ada", today=TODAY)


def _import_maintenance(cal: rentcal.Rentcal) -> object:
    rows: list[BlockRow | Problem] = [BlockRow(1, d(11), d(11), None)]
    return cal.import_maintenance("tractor", rows, acting="ada")


@pytest.mark.parametrize(
    ("existing", "write"),
    [
        pytest.param("rental", _book, id="book"),
        pytest.param("maintenance", _maintenance, id="add_maintenance"),
        pytest.param("rental", _import_rentals, id="import_rentals"),
        pytest.param("maintenance", _import_maintenance, id="import_maintenance"),
    ],
)
def test_database_guard_reports_the_conflicts(
    seeded: rentcal.Rentcal,
    monkeypatch: pytest.MonkeyPatch,
    existing: str,
    write: Callable[[rentcal.Rentcal], object],
) -> None:
    if existing == "rental":
        blocker = seeded.book("tractor", d(10), d(12), member="dan", today=TODAY).id
    else:
        blocker = seeded.add_maintenance("tractor", d(10), d(12), acting="ada", today=TODAY).id
    before = (seeded.rentals(), seeded.maintenance())
    monkeypatch.setattr(seeded._context, "conflicts", lambda *a, **k: [])
    with pytest.raises(rentcal.Unavailable) as info:
        write(seeded)
    err = info.value
    assert str(err).startswith("tractor is not available 2030-01-11..2030-01-11: ")
    assert [(c.kind.value, c.id, c.start, c.end) for c in err.conflicts] == [
        (existing, blocker, d(10), d(12))
    ]
    assert (err.machine, err.start, err.end) == ("tractor", d(11), d(11))
    monkeypatch.undo()
    assert (seeded.rentals(), seeded.maintenance()) == before
