"""Hand-over in the front ends: every command, endpoint and form, with its permissions.

The rules are the library's (tests/test_handover.py); here: the exit codes and
messages of ``checkout``, ``checkin``, ``machine keeper``, ``machine readings``
and ``no-show``; the JSON API's statuses and shapes; the rental page's forms,
who gets them, the proposed reading, the hand-overs listed to whom. Decided in
Python over statements tested on both backends: SQLite only.
"""

from __future__ import annotations

import json

import pytest

import rentcal
from tests.cli_support import cli, failed, ok_json
from tests.conftest import TODAY, d
from tests.test_pages import Pages, shown_after, text_of
from tests.web_support import SAME_ORIGIN, Web, error_of

T = {"today": TODAY}
HANDOVER_KEYS = {
    "rental",
    "kind",
    "at",
    "by",
    "meter",
    "unit",
    "condition",
    "late",
    "notes",
    "repair",
    "used",
}


@pytest.fixture
def shop(seeded: rentcal.Rentcal) -> rentcal.Rentcal:
    """``seeded``: a meter on the tractor (hours), dan its keeper, bob's approved rental 1
    of it (2030-01-09..12), checked out by nobody yet."""
    seeded.edit_machine("tractor", meter="hours", acting="ada")
    seeded.add_keeper("tractor", "dan", acting="ada")
    booked = seeded.book("tractor", d(9), d(12), member="bob", **T)
    seeded.approve(booked.id, acting="ada", **T)
    return seeded


class TestCli:
    """``checkout``, ``checkin``, ``machine keeper``, ``machine readings``, ``no-show``."""

    def test_checkout_and_checkin(self, shop: rentcal.Rentcal, db_url: str) -> None:
        result = cli(db_url, "checkout", "1", "--meter", "1200.5", "--notes", "full", as_="dan")
        assert result.exit_code == 0, result.stderr
        assert result.stdout.startswith("Checked out rental 1.\n")
        assert "meter      1200.5 hours" in result.stdout
        assert "notes      full" in result.stdout
        data = ok_json(
            db_url, "checkin", "1", "--meter", "1210", "--condition", "damaged", as_="dan"
        )
        assert set(data) == HANDOVER_KEYS
        assert (data["kind"], data["meter"], data["used"], data["condition"]) == (
            "in",
            "1210.00",
            "9.50",
            "damaged",
        )
        shown = ok_json(db_url, "show", "1")
        assert [h["kind"] for h in shown["handovers"]] == ["out", "in"]
        human = cli(db_url, "show", "1").stdout
        assert "hand-overs:" in human and "1210 hours (9.5 hours used)" in human

    def test_checkout_proposes_the_last_reading(self, shop: rentcal.Rentcal, db_url: str) -> None:
        failed(
            cli(db_url, "checkout", "1", as_="dan"),
            2,
            "machine 'tractor' has a meter (hours): a check-out needs its reading: "
            "give --meter READING\n",
        )
        shop.checkout(1, meter="100", acting="dan", **T)
        shop.checkin(1, meter="112.5", acting="dan", **T)
        other = shop.book("tractor", d(9), d(9), member="dan", **T)
        shop.approve(other.id, acting="ada", **T)
        failed(
            cli(db_url, "checkout", str(other.id), as_="dan"),
            2,
            "give --meter READING (the last reading was 112.5 hours)",
        )

    @pytest.mark.parametrize(
        ("args", "as_", "code", "message"),
        [
            (["checkout", "1", "--meter", "1"], "bob", 3, "only admins and the keepers"),
            (["checkin", "1", "--meter", "1"], "dan", 2, "it was not checked out"),
            (["checkout", "1", "--meter", "-1"], "dan", 2, "meter reading -1 is negative"),
            (["checkout", "1", "--meter", "1.234"], "dan", 2, "more than 2 decimal places"),
            (["checkout", "9"], "dan", 2, "rental 9 not found"),
            (["checkin", "1", "--repair-until", "+2d"], "ada", 2, "a damaged return only"),
            (["checkin", "1", "--condition", "broken"], "ada", 2, "'broken' is not one of"),
        ],
        ids=[
            "member",
            "not-out",
            "negative",
            "three-places",
            "no-rental",
            "repair-not-damaged",
            "bad-condition",
        ],
    )
    def test_refusals(
        self, shop: rentcal.Rentcal, db_url: str, args: list[str], as_: str, code: int, message: str
    ) -> None:
        failed(cli(db_url, *args, as_=as_), code, message)
        assert shop.handovers(1) == []

    def test_a_checked_out_rental_is_not_completed_or_cancelled(
        self, shop: rentcal.Rentcal, db_url: str
    ) -> None:
        shop.checkout(1, meter="1", acting="dan", **T)
        failed(cli(db_url, "complete", "1"), 2, "check it in, which completes it")
        failed(cli(db_url, "cancel", "1", as_="bob"), 2, "check it in first")

    def test_keepers(self, shop: rentcal.Rentcal, db_url: str) -> None:
        assert ok_json(db_url, "machine", "keeper", "add", "tractor", "bob") == {
            "machine": "tractor",
            "keepers": ["bob", "dan"],
        }
        listed = cli(db_url, "machine", "keeper", "list", "tractor", as_="carol")
        assert listed.stdout.split("\n")[1].split() == ["keepers", "bob,", "dan"]
        removed = cli(db_url, "machine", "keeper", "remove", "tractor", "bob")
        assert removed.stdout.startswith("bob no longer keeps tractor.\n")
        failed(
            cli(db_url, "machine", "keeper", "add", "saw", "bob", as_="dan"),
            3,
            "only admins can change a machine's keepers",
        )
        failed(cli(db_url, "machine", "keeper", "remove", "saw", "bob"), 2, "not a keeper")
        history = ok_json(db_url, "machine", "show", "tractor")["history"]
        assert [(c["field"], c["old"], c["new"]) for c in history if c["field"] == "keeper"] == [
            ("keeper", None, "dan"),
            ("keeper", None, "bob"),
            ("keeper", "bob", None),
        ]

    def test_machine_edit_meter_and_readings(self, shop: rentcal.Rentcal, db_url: str) -> None:
        assert cli(db_url, "machine", "readings", "tractor").stdout.startswith("No readings yet")
        shop.checkout(1, meter="7", acting="dan", **T)
        readings = ok_json(db_url, "machine", "readings", "tractor")
        assert [(r["meter"], r["unit"], r["rental"], r["by"]) for r in readings] == [
            ("7.00", "hours", 1, "dan")
        ]
        edited = ok_json(db_url, "machine", "edit", "saw", "--meter", "km")
        assert edited["meter"] == "km"
        assert ok_json(db_url, "machine", "edit", "saw", "--clear-meter")["meter"] is None
        failed(
            cli(db_url, "machine", "edit", "saw", "--meter", "km", "--clear-meter"),
            2,
            "give --meter or --clear-meter, not both",
        )
        failed(cli(db_url, "machine", "edit", "saw", "--meter", "engine hours"), 2, "one word")
        assert "meter         hours" in cli(db_url, "machine", "show", "tractor").stdout

    def test_no_show(self, shop: rentcal.Rentcal, db_url: str) -> None:
        assert ok_json(db_url, "no-show", "show") == {
            "no_show_after_hours": None,
            "enabled": False,
        }
        assert ok_json(db_url, "no-show", "set", "6")["no_show_after_hours"] == 6
        failed(cli(db_url, "no-show", "set", "6", as_="bob"), 3, "not an admin")
        failed(cli(db_url, "no-show", "set", "soon"), 2, "hours 'soon' must be a whole number")
        failed(cli(db_url, "no-show", "set", "0"), 2, "hours 0 must be a number of hours")
        history = ok_json(db_url, "no-show", "show", "--history")["history"]
        assert [(h["no_show_after_hours"], h["changed_by"]) for h in history] == [(6, "ada")]
        done = cli(db_url, "housekeeping", env={"RENTCAL_TODAY": "2030-01-10"})
        assert "1 no-show flagged" in done.stdout
        assert json.loads(cli(db_url, "housekeeping", "--json").stdout)["no_shows"] == 0


class TestApi:
    """The JSON endpoints: statuses, shapes, who may."""

    def test_checkout_checkin_and_handovers(self, shop: rentcal.Rentcal) -> None:
        web = Web(shop)
        dan = web.as_("dan")
        answer = dan.post("/api/rentals/1/checkout", json={"meter": "1200.5", "notes": "ok"})
        assert answer.status_code == 200, answer.text
        assert answer.json()["kind"] == "out" and set(answer.json()) == HANDOVER_KEYS
        low = dan.post("/api/rentals/1/checkin", json={"meter": "1000"})
        assert low.status_code == 400 and "never runs backwards" in error_of(low)["error"]
        back = dan.post(
            "/api/rentals/1/checkin",
            json={"meter": "1212", "condition": "needs-attention", "notes": "belt"},
        )
        assert back.status_code == 200, back.text
        assert (back.json()["used"], back.json()["late"]) == ("11.50", False)
        again = dan.post("/api/rentals/1/checkin", json={"meter": "1212"})
        assert again.status_code == 409 and error_of(again)["code"] == "invalid_transition"
        for who in ("bob", "ada", "dan"):  # its member, an admin, the keeper
            seen = web.as_(who).get("/api/rentals/1/handovers")
            assert [h["kind"] for h in seen.json()] == ["out", "in"], who
            details = web.as_(who).get("/api/rentals/1").json()
            assert [h["kind"] for h in details["handovers"]] == ["out", "in"], who
        stranger = web.as_("carol").get("/api/rentals/1/handovers")
        assert stranger.status_code == 403
        assert web.as_("carol").get("/api/rentals/1").json()["handovers"] == []

    def test_refusals(self, shop: rentcal.Rentcal) -> None:
        web = Web(shop)
        bob = web.as_("bob").post("/api/rentals/1/checkout", json={"meter": "1"})
        assert bob.status_code == 403 and error_of(bob)["code"] == "permission_denied"
        missing = web.as_("dan").post("/api/rentals/1/checkout")
        assert missing.status_code == 400 and error_of(missing)["field"] == "meter"
        float_ = web.as_("dan").post("/api/rentals/1/checkout", json={"meter": 1200.5})
        assert float_.status_code == 400
        extra = web.as_("dan").post("/api/rentals/1/checkout", json={"meter": "1", "by": "x"})
        assert extra.status_code == 400
        assert web.anonymous().post("/api/rentals/1/checkout").status_code == 401
        assert shop.handovers(1) == []
        shop.checkout(1, meter="1", acting="dan", **T)
        done = web.as_("ada").post("/api/rentals/1/complete")
        assert done.status_code == 409 and "check it in" in error_of(done)["error"]

    def test_a_browser_form_post_needs_the_same_origin(self, shop: rentcal.Rentcal) -> None:
        shop.set_password("dan", "correct horse battery", acting="ada")
        web = Web(shop)
        client = web.login("dan")
        cross = client.post(
            "/api/rentals/1/checkout",
            json={"meter": "1"},
            headers={"Origin": "https://evil.example.org"},
        )
        assert cross.status_code == 403 and error_of(cross)["code"] == "csrf"
        same = client.post("/api/rentals/1/checkout", json={"meter": "1"}, headers=SAME_ORIGIN)
        assert same.status_code == 200

    def test_keepers_readings_and_the_meter_field(self, shop: rentcal.Rentcal) -> None:
        web = Web(shop)
        ada, bob = web.as_("ada"), web.as_("bob")
        assert bob.get("/api/machines/tractor/keepers").json() == {
            "machine": "tractor",
            "keepers": ["dan"],
        }
        assert ada.put("/api/machines/tractor/keepers/bob").json()["keepers"] == ["bob", "dan"]
        assert ada.delete("/api/machines/tractor/keepers/dan").json()["keepers"] == ["bob"]
        assert bob.put("/api/machines/tractor/keepers/carol").status_code == 403
        assert ada.delete("/api/machines/tractor/keepers/dan").status_code == 400
        assert ada.put("/api/machines/nope/keepers/bob").status_code == 404
        shop.checkout(1, meter="3", acting="ada", **T)
        assert [r["meter"] for r in bob.get("/api/machines/tractor/readings").json()] == ["3.00"]
        patched = ada.patch("/api/machines/saw", json={"meter": "km"})
        assert patched.status_code == 200 and patched.json()["meter"] == "km"
        assert ada.patch("/api/machines/saw", json={"meter": None}).json()["meter"] is None
        assert bob.get("/api/machines/tractor").json()["meter"] == "hours"


class TestRentalPage:
    """The rental page: forms for admins and keepers, the hand-overs for those who may see."""

    def test_keeper_checks_out_with_the_proposed_reading_and_checks_in(
        self, shop: rentcal.Rentcal
    ) -> None:
        shop.checkout(1, meter="100", acting="dan", **T)
        shop.checkin(1, meter="112.5", acting="dan", **T)
        second = shop.approve(shop.book("tractor", d(9), d(9), member="bob", **T).id, acting="ada")
        pages = Pages(shop)
        dan = pages.as_("dan")
        page = dan.get(f"/rentals/{second.id}").text
        assert 'id="checkout-form"' in page and 'id="checkin-form"' not in page
        assert 'value="112.5"' in page
        assert text_of(page, "checkout-proposed") == "The last reading was 112.5 hours."
        answer = dan.post(f"/rentals/{second.id}/checkout", data={"meter": "112.5", "notes": ""})
        assert answer.headers["location"] == f"/rentals/{second.id}?done=checked-out"
        page = dan.get(answer.headers["location"]).text
        assert "Checked out: the machine is with its member." in page
        assert 'id="checkin-form"' in page and 'id="checkout-form"' not in page
        assert text_of(page, "checkin-out-reading") == "At the check-out: 112.5 hours."
        assert "Mark completed" not in page  # the check-in supersedes it
        back = dan.post(
            f"/rentals/{second.id}/checkin",
            data={"meter": "120", "condition": "damaged", "repair_until": "", "notes": "dent"},
        )
        assert back.headers["location"] == f"/rentals/{second.id}?done=checked-in"
        page = dan.get(back.headers["location"]).text
        listed = text_of(page, "handovers")
        assert "checked in" in listed and "120 hours (7.5 hours used)" in listed
        assert "damaged" in listed and "dent" in listed
        assert shop.rental(second.id).status.value == "completed"

    def test_a_refused_check_in_shows_why_and_what_was_typed(self, shop: rentcal.Rentcal) -> None:
        shop.checkout(1, meter="100", acting="dan", **T)
        pages = Pages(shop)
        ada = pages.as_("ada")
        answer = ada.post(
            "/rentals/1/checkin", data={"meter": "90", "condition": "ok", "notes": "early"}
        )
        page = shown_after(ada, answer, "/rentals/1", "action-error")
        assert "is lower than the check-out" in text_of(page, "action-error")
        assert 'value="90"' in page and 'value="early"' in page

    def test_who_gets_forms_and_who_sees_hand_overs(self, shop: rentcal.Rentcal) -> None:
        shop.checkout(1, meter="100", notes="secret notes", acting="dan", **T)
        pages = Pages(shop)
        assert 'id="checkin-form"' in pages.as_("ada").get("/rentals/1").text
        member = pages.as_("bob").get("/rentals/1").text  # its member: sees, no forms
        assert "secret notes" in text_of(member, "handovers")
        assert 'id="checkin-form"' not in member and "Cancel this rental" not in member
        stranger = pages.as_("carol").get("/rentals/1").text
        assert 'id="handovers"' not in stranger and "secret notes" not in stranger
        refused = pages.as_("bob").post("/rentals/1/checkin", data={"meter": "101"})
        assert refused.status_code == 403
        assert "only admins and the keepers" in refused.text

    def test_a_machine_without_a_meter_asks_for_none(self, shop: rentcal.Rentcal) -> None:
        saw = shop.book("saw", d(9), d(9), member="bob", **T)
        page = Pages(shop).as_("ada").get(f"/rentals/{saw.id}").text
        assert 'id="checkout-form"' in page and 'id="checkout-meter"' not in page
        assert 'id="checkout-notes"' in page

    def test_no_forms_before_its_first_day(self, shop: rentcal.Rentcal) -> None:
        later = shop.approve(
            shop.book("tractor", d(20), d(21), member="bob", **T).id, acting="ada", **T
        )
        page = Pages(shop).as_("ada").get(f"/rentals/{later.id}").text
        assert 'id="checkout-form"' not in page
