"""Quick reads give the ordinary answers: the same availability, the same types.

The quick path compiles the same Core statements for the driver's own cursor
and converts values with the column types' processors; the conversions differ
by driver, so these run on both backends.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rentcal
from tests.conftest import BOTH, TODAY, d

pytestmark = BOTH

#: (machine, first day offset, length) of the bookings made before the checks.
BOOKINGS = [("saw", 11, 2), ("saw", 20, 1), ("tractor", 12, 5), ("saw", 30, 3)]


@pytest.fixture
def booked(seeded: rentcal.Rentcal) -> rentcal.Rentcal:
    for machine, offset, length in BOOKINGS:
        start = TODAY + timedelta(days=offset)
        seeded.book(machine, start, start + timedelta(days=length), member="bob", today=TODAY)
    seeded.add_maintenance("saw", d(25), d(26), acting="ada", today=TODAY)
    return seeded


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    machine=st.sampled_from(["saw", "tractor"]),
    offset=st.integers(min_value=0, max_value=40),
    length=st.integers(min_value=0, max_value=8),
)
def test_quick_check_is_check(
    booked: rentcal.Rentcal, machine: str, offset: int, length: int
) -> None:
    start = TODAY + timedelta(days=offset)
    end = start + timedelta(days=length)
    quick = booked.quick_reads
    answer = quick.read(lambda snapshot: quick.check(snapshot, machine, start, end))
    assert answer is not None
    assert answer == booked.check(machine, start, end)
    again = quick.read(lambda snapshot: quick.check(snapshot, machine, start, end))
    assert again == answer  # kept: the same answer


def test_revisions_read_quickly_are_the_revision(booked: rentcal.Rentcal) -> None:
    revisions = booked.quick_reads.revisions()
    assert (revisions.calendar, revisions.changed_at) == booked.revision()
    assert revisions.changed_at.tzinfo is not None


def test_not_answered_quickly(booked: rentcal.Rentcal) -> None:
    """None sends the caller to the ordinary method: errors, retired machines."""
    quick = booked.quick_reads
    booked.retire_machine("tractor", acting="ada")
    ask = lambda machine, start, end: quick.read(  # noqa: E731
        lambda snapshot: quick.check(snapshot, machine, start, end)
    )
    assert ask("tractor", d(20), d(21)) is None  # retired
    assert ask("nothing-here", d(20), d(21)) is None  # unknown
    assert ask("saw", d(21), d(20)) is None  # backwards
    assert ask("saw", d(1), d(2)) is None  # in the past
    with pytest.raises(rentcal.InvalidRequest):
        ask("not a handle!", d(20), d(21))
