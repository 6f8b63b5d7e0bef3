"""The /admin edit forms without a browser: POST, 303 back, or the message in place."""

from __future__ import annotations

from decimal import Decimal

import pytest

import rentcal
from tests.conftest import d
from tests.test_pages import Pages, shown_after, text_of


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
        assert answer.headers["location"] == "/admin?done=machine-edited#edit-machine-tractor"
        tractor = pages.cal.machine("tractor")
        assert (tractor.daily_price, tractor.auto_approve) == (Decimal("99.00"), True)
        assert pages.cal.rental(rental.id).price == Decimal("240.00")
        assert [c.field for c in pages.cal.machine_history("tractor")] == [
            "daily_price",
            "auto_approve",
        ]  # the unchanged title and the empty description were no change
        bad = client.post("/admin/machines/tractor/edit", data={**form, "daily_price": "-1"})
        page = shown_after(client, bad, "/admin", "edit-machine-tractor")
        assert "daily price" in text_of(page, "machine-tractor-form-error")
        assert 'value="-1"' in page
        assert '<details id="edit-machine-tractor" open>' in page

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
        page = shown_after(client, bad, "/admin", "edit-machine-tractor")
        assert "not a whole number of hours" in text_of(page, "machine-tractor-form-error")
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
        assert answer.headers["location"] == "/admin?done=machine-reactivated#machine-saw"
        assert pages.cal.machine("saw").status == "active"

    def test_members(self, pages: Pages) -> None:
        pending = pages.cal.book("tractor", d(20), d(21), member="bob")
        client = pages.as_("ada")
        edited = client.post("/admin/members/bob/edit", data={"name": "Bobby", "email": ""})
        assert edited.headers["location"] == "/admin?done=member-edited#member-bob"
        assert pages.cal.member("bob").name == "Bobby"
        last = client.post("/admin/members/ada/role", data={"role": "member"})
        page = shown_after(client, last, "/admin", "member-ada")
        assert "last admin" in text_of(page, "member-ada-form-error")
        role = client.post("/admin/members/dan/role", data={"role": "admin"})
        assert role.headers["location"] == "/admin?done=role-changed#member-dan"
        assert pages.cal.member("dan").is_admin
        gone = client.post("/admin/members/bob/deactivate", data={})
        assert gone.headers["location"] == "/admin?done=deactivated#member-bob"
        assert pages.cal.rental(pending.id).status == "rejected"
        assert "deactivated" in text_of(client.get("/admin").text, "member-bob")
        back = client.post("/admin/members/bob/reactivate", data={})
        assert back.headers["location"] == "/admin?done=reactivated#member-bob"
        assert pages.cal.member("bob").active
        odd = client.post("/admin/members/bob/explode", data={})
        page = shown_after(client, odd, "/admin", "member-bob")
        assert "unknown action 'explode'" in text_of(page, "member-bob-form-error")

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
        page = shown_after(client, clash, "/admin", f"maintenance-{block.id}")
        assert "overlaps rentals" in text_of(page, f"maintenance-{block.id}-form-error")
        assert 'value="belt"' in page and 'value="2030-01-23"' in page  # as typed
        forced = client.post(f"/admin/maintenance/{block.id}/edit", data={**form, "force": "on"})
        assert forced.headers["location"] == (
            f"/admin?done=maintenance-edited#maintenance-{block.id}"
        )
        item = pages.cal.maintenance(machine="tractor")[0]
        assert (item.start, item.end, item.kind.value, item.notes) == (
            d(21),
            d(23),
            "repair",
            "belt",
        )
        assert rental.id
        bad = client.post(f"/admin/maintenance/{block.id}/edit", data={**form, "start": "x"})
        page = shown_after(client, bad, "/admin", f"maintenance-{block.id}")
        assert "not a date" in text_of(page, f"maintenance-{block.id}-form-error")
