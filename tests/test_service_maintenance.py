"""Maintenance blocks (rentcal.service.maintenance)."""

from __future__ import annotations

import pytest

import rentcal
from rentcal import (
    InvalidRequest,
    InvalidTransition,
    PermissionDenied,
    Unavailable,
)
from tests.conftest import BOTH, TODAY, d

pytestmark = BOTH

T = {"today": TODAY}


class TestMaintenance:
    """Maintenance blocks days; over rentals only with force."""

    def test_over_rentals_needs_force(self, seeded: rentcal.Rentcal) -> None:
        r = seeded.book("tractor", d(10), d(12), member="bob", **T)
        with pytest.raises(Unavailable) as info:
            seeded.add_maintenance("tractor", d(12), d(13), kind="repair", acting="ada", **T)
        assert [c.id for c in info.value.conflicts] == [r.id]
        assert seeded.maintenance() == []
        m = seeded.add_maintenance(
            "tractor", d(12), d(13), kind="repair", acting="ada", force=True, **T
        )
        assert (m.kind, m.status, m.machine) == ("repair", "scheduled", "tractor")
        assert seeded.rental(r.id).status == "pending"  # left for an admin to move
        assert seeded.notifications("bob")[-1].message == (
            "Repair maintenance of Tractor 6120 is planned on Sat 12 – Sun 13 Jan 2030 and "
            f"overlaps your booking (rental {r.id}); an admin will contact you."
        )

    def test_permissions_kinds_and_cancel(self, seeded: rentcal.Rentcal) -> None:
        with pytest.raises(PermissionDenied, match="only admins can schedule maintenance"):
            seeded.add_maintenance("tractor", d(10), d(10), acting="bob", **T)
        with pytest.raises(InvalidRequest, match="maintenance kind 'oil' is not one of"):
            seeded.add_maintenance("tractor", d(10), d(10), kind="oil", acting="ada", **T)
        m = seeded.add_maintenance("tractor", d(10), d(10), notes="oil", acting="ada", **T)
        with pytest.raises(PermissionDenied):
            seeded.cancel_maintenance(m.id, acting="bob")
        assert seeded.cancel_maintenance(m.id, acting="ada").status == "cancelled"
        with pytest.raises(InvalidTransition, match=f"cannot cancel maintenance {m.id}"):
            seeded.cancel_maintenance(m.id, acting="ada")
        assert [x.status for x in seeded.maintenance(machine="tractor")] == ["cancelled"]
        assert seeded.maintenance(status="scheduled") == []

    def test_maintenance_never_overlaps_maintenance(self, seeded: rentcal.Rentcal) -> None:
        first = seeded.add_maintenance("tractor", d(10), d(12), acting="ada", **T)
        with pytest.raises(Unavailable, match="maintenance overlaps maintenance") as info:
            seeded.add_maintenance("tractor", d(12), d(14), acting="ada", force=True, **T)
        assert [(c.kind, c.id) for c in info.value.conflicts] == [("maintenance", first.id)]
        assert seeded.add_maintenance("saw", d(12), d(14), acting="ada", **T).machine == "saw"

    def test_bookings_cannot_overlap_maintenance(self, seeded: rentcal.Rentcal) -> None:
        seeded.add_maintenance("tractor", d(10), d(11), acting="ada", **T)
        with pytest.raises(Unavailable):
            seeded.book("tractor", d(11), d(12), member="bob", **T)
