"""The /admin edit forms without a browser: POST, 303 back, or the message in place."""

from __future__ import annotations

from decimal import Decimal

import pytest

import rentcal
from tests.conftest import d
from tests.test_pages import Pages, text_of


@pytest.fixture
def pages(seeded: rentcal.Rentcal) -> Pages:
    return Pages(seeded)


class TestAdminEdits:
    """Each edit form works without JavaScript; errors stay beside their form."""

    def test_edit_machine_keeps_rental_prices(self, pages: Pages) -> None:
        rental = pages.cal.book("tractor", d(20), d(21), member="bob")
        client = pages.as_("ada")
        page = client.get("/admin").text
        assert 'action="/admin/machines/tractor/edit"' in page
        form = {
            "title": "Tractor 6120",
            "daily_price": "99",
            "description": "",
            "auto_approve": "on",
        }
        answer = client.post("/admin/machines/tractor/edit", data=form)
        assert answer.status_code == 303, answer.text
        assert answer.headers["location"] == "/admin?done=machine-edited"
        tractor = pages.cal.machine("tractor")
        assert (tractor.daily_price, tractor.auto_approve) == (Decimal("99.00"), True)
        assert pages.cal.rental(rental.id).price == Decimal("240.00")
        assert [c.field for c in pages.cal.machine_history("tractor")] == [
            "daily_price",
            "auto_approve",
        ]  # the unchanged title and the empty description were no change
        bad = client.post("/admin/machines/tractor/edit", data={**form, "daily_price": "-1"})
        assert bad.status_code == 400
        assert "daily price" in text_of(bad.text, "machine-tractor-form-error")
        assert 'value="-1"' in bad.text

    def test_edit_and_add_machine_request_rules(self, pages: Pages) -> None:
        client = pages.as_("ada")
        form = {
            "title": "Tractor",
            "daily_price": "120.00",
            "description": "",
            "request_policy": "queue",
            "request_expiry_hours": "48",
        }
        answer = client.post("/admin/machines/tractor/edit", data=form)
        assert answer.status_code == 303, answer.text
        tractor = pages.cal.machine("tractor")
        assert (tractor.request_policy, tractor.request_expiry_hours) == ("queue", 48)
        page = client.get("/admin").text
        assert (
            'id="machine-tractor-expiry" name="request_expiry_hours" inputmode="numeric" value="48"'
            in page
        )
        bad = client.post(
            "/admin/machines/tractor/edit", data={**form, "request_expiry_hours": "two days"}
        )
        assert bad.status_code == 400
        assert "not a whole number of hours" in text_of(bad.text, "machine-tractor-form-error")
        added = client.post(
            "/admin/machines",
            data={"name": "baler", "daily_price": "90", "request_policy": "queue"},
        )
        assert added.status_code == 303, added.text
        baler = pages.cal.machine("baler")
        assert (baler.request_policy, baler.request_expiry_hours) == ("queue", None)

    def test_reactivate_machine(self, pages: Pages) -> None:
        client = pages.as_("ada")
        client.post("/admin/machines/saw/retire", data={})
        assert 'action="/admin/machines/saw/reactivate"' in client.get("/admin").text
        answer = client.post("/admin/machines/saw/reactivate", data={})
        assert answer.headers["location"] == "/admin?done=machine-reactivated"
        assert pages.cal.machine("saw").status == "active"

    def test_members(self, pages: Pages) -> None:
        pending = pages.cal.book("tractor", d(20), d(21), member="bob")
        client = pages.as_("ada")
        edited = client.post("/admin/members/bob/edit", data={"name": "Bobby", "email": ""})
        assert edited.headers["location"] == "/admin?done=member-edited"
        assert pages.cal.member("bob").name == "Bobby"
        last = client.post("/admin/members/ada/role", data={"role": "member"})
        assert last.status_code == 400
        assert "last admin" in text_of(last.text, "member-ada-form-error")
        assert client.post("/admin/members/dan/role", data={"role": "admin"}).status_code == 303
        assert pages.cal.member("dan").is_admin
        gone = client.post("/admin/members/bob/deactivate", data={})
        assert gone.headers["location"] == "/admin?done=deactivated"
        assert pages.cal.rental(pending.id).status == "rejected"
        assert "deactivated" in text_of(client.get("/admin").text, "member-bob")
        assert client.post("/admin/members/bob/reactivate", data={}).status_code == 303
        assert pages.cal.member("bob").active
        assert client.post("/admin/members/bob/explode", data={}).status_code == 400

    def test_members_may_not(self, pages: Pages) -> None:
        answer = pages.as_("bob").post("/admin/members/dan/deactivate", data={})
        assert answer.status_code == 403
        assert pages.cal.member("dan").active

    def test_edit_maintenance(self, pages: Pages) -> None:
        block = pages.cal.add_maintenance("tractor", d(20), d(21), acting="ada")
        rental = pages.cal.book("tractor", d(23), d(23), member="bob")
        client = pages.as_("ada")
        assert f'action="/admin/maintenance/{block.id}/edit"' in client.get("/admin").text
        form = {"start": "2030-01-21", "end": "2030-01-23", "kind": "repair", "notes": "belt"}
        clash = client.post(f"/admin/maintenance/{block.id}/edit", data=form)
        assert clash.status_code == 409
        assert "overlaps rentals" in text_of(clash.text, f"maintenance-{block.id}-form-error")
        forced = client.post(f"/admin/maintenance/{block.id}/edit", data={**form, "force": "on"})
        assert forced.headers["location"] == "/admin?done=maintenance-edited"
        item = pages.cal.maintenance(machine="tractor")[0]
        assert (item.start, item.end, item.kind.value, item.notes) == (
            d(21),
            d(23),
            "repair",
            "belt",
        )
        assert rental.id
        bad = client.post(f"/admin/maintenance/{block.id}/edit", data={**form, "start": "x"})
        assert bad.status_code == 400
