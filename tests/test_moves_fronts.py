"""move from the command line (exit codes, output) and the web API (statuses, JSON)."""

from __future__ import annotations

import rentcal
from tests.cli_support import RENTAL_KEYS, cli, failed, ok_json
from tests.conftest import TODAY, d
from tests.web_support import Web, error_of


class TestMoveCli:
    """rentcal move: 0 moved (old -> new and the price shown), 1 taken, 2 invalid, 3 denied."""

    def test_moved_with_headline(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        r = seeded.book("tractor", d(10), d(12), member="bob", today=TODAY)
        result = cli(db_url, "move", str(r.id), "--start", "2030-01-20", "--days", "2", as_="bob")
        assert result.exit_code == 0, result.output
        assert result.stdout.startswith(
            f"Moved rental {r.id} from tractor Thu 10 – Sat 12 Jan 2030 to "
            "tractor Sun 20 – Mon 21 Jan 2030; price 360.00 to 240.00.\n"
        )
        assert result.stderr == ""

    def test_json_and_show_history(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        r = seeded.book("tractor", d(10), d(12), member="bob", today=TODAY)
        data = ok_json(db_url, "move", str(r.id), "--machine", "saw")
        assert set(data) == RENTAL_KEYS
        assert (data["machine"], data["price"], data["status"]) == ("saw", "46.50", "pending")
        shown = ok_json(db_url, "show", str(r.id))
        assert shown["history"][-1]["reason"] == (
            "moved: tractor 2030-01-10..2030-01-12 -> saw 2030-01-10..2030-01-12"
        )
        text = cli(db_url, "show", str(r.id)).stdout
        (line,) = [x for x in text.splitlines() if " moved " in x]
        moved = "from tractor Thu 10 – Sat 12 Jan 2030 to saw Thu 10 – Sat 12 Jan 2030"
        assert " ".join(line.split()[-20:]) == "moved ada " + moved
        assert "pending  pending" not in text

    def test_conflict_exit_1_lists_it(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        r = seeded.book("tractor", d(10), d(12), member="bob", today=TODAY)
        other = seeded.book("tractor", d(20), d(22), member="dan", today=TODAY)
        result = cli(db_url, "move", str(r.id), "--start", "2030-01-21", as_="bob")
        failed(result, 1, f"rental {other.id} (pending) 2030-01-20..2030-01-22")

    def test_denied_invalid(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        r = seeded.book("tractor", d(10), d(12), member="bob", today=TODAY)
        failed(cli(db_url, "move", str(r.id), "--start", "2030-01-20", as_="dan"), 3, "belongs")
        failed(cli(db_url, "move", str(r.id), as_="bob"), 2, "nothing to move")
        failed(
            cli(db_url, "move", str(r.id), "--end", "2030-01-20", "--days", "2", as_="bob"),
            2,
            "not both",
        )
        failed(cli(db_url, "move", str(r.id), "--start", "2030-01-01", as_="bob"), 2, "past")


class TestMoveApi:
    """POST /api/rentals/{id}/move: 200 moved, 409 conflicts, 403 not yours, 400 bad body."""

    def test_member_moves_own_pending(self, web: Web) -> None:
        r = web.cal.book("tractor", d(10), d(12), member="bob", today=TODAY)
        answer = web.as_("bob").post(f"/api/rentals/{r.id}/move", json={"start": "2030-01-20"})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert (body["start"], body["end"], body["price"]) == ("2030-01-20", "2030-01-22", "360.00")
        assert web.cal.rental(r.id).sequence == 1

    def test_conflict_409_with_conflicts(self, web: Web) -> None:
        r = web.cal.book("tractor", d(10), d(12), member="bob", today=TODAY)
        other = web.cal.book("saw", d(10), d(10), member="dan", today=TODAY)
        answer = web.as_("ada").post(f"/api/rentals/{r.id}/move", json={"machine": "saw"})
        assert answer.status_code == 409
        assert [c["id"] for c in error_of(answer)["conflicts"]] == [other.id]

    def test_forbidden_and_invalid(self, web: Web) -> None:
        r = web.cal.book("tractor", d(10), d(12), member="bob", today=TODAY)
        url = f"/api/rentals/{r.id}/move"
        assert web.as_("dan").post(url, json={"start": "2030-01-20"}).status_code == 403
        assert web.as_("bob").post(url, json={"days": 0}).status_code == 400
        assert web.as_("bob").post(url, json={"start": "2030-01-01"}).status_code == 400
        assert web.as_("bob").post(url, json={"colour": "red"}).status_code == 400
        assert web.as_("bob").post("/api/rentals/99/move", json={"days": 2}).status_code == 404
        assert web.cal.rental(r.id).sequence == 0


class TestMovePage:
    """The rental page's Move form works without JavaScript: POST, 303 back, or the error."""

    def test_member_moves_own_pending_from_the_page(self, seeded: rentcal.Rentcal) -> None:
        from tests.test_pages import Pages

        pages = Pages(seeded)
        r = seeded.book("tractor", d(15), d(17), member="bob")
        client = pages.as_("bob")
        page = client.get(f"/rentals/{r.id}").text
        assert 'action="/rentals/1/move"' in page and 'name="start"' in page
        answer = client.post(
            f"/rentals/{r.id}/move",
            data={"start": "2030-01-20", "end": "2030-01-21", "machine": "saw"},
        )
        assert answer.status_code == 303
        assert answer.headers["location"] == f"/rentals/{r.id}?done=moved"
        moved = seeded.rental(r.id)
        assert (moved.machine, moved.start, moved.end) == ("saw", d(20), d(21))
        shown = client.get(answer.headers["location"]).text
        assert "Moved; the member and the admins are told." in shown

    def test_conflict_and_bad_date_show_the_error(self, seeded: rentcal.Rentcal) -> None:
        from tests.test_pages import Pages

        pages = Pages(seeded)
        r = seeded.book("tractor", d(15), d(17), member="bob")
        seeded.book("tractor", d(20), d(22), member="dan")
        client = pages.as_("bob")
        taken = client.post(f"/rentals/{r.id}/move", data={"start": "2030-01-21", "end": ""})
        assert taken.status_code == 303  # refused forms redirect (no resend on reload)
        shown = client.get(taken.headers["location"])
        assert "is not available" in shown.text and 'value="2030-01-21"' in shown.text
        bad = client.post(f"/rentals/{r.id}/move", data={"start": "21.01.2030"})
        assert bad.status_code == 303
        shown = client.get(bad.headers["location"])
        assert "is not a date" in shown.text and 'value="21.01.2030"' in shown.text
        assert seeded.rental(r.id).start == d(15)

    def test_others_get_no_form_and_approved_only_for_admins(self, seeded: rentcal.Rentcal) -> None:
        from tests.test_pages import Pages

        pages = Pages(seeded)
        r = seeded.book("tractor", d(15), d(17), member="bob")
        assert "/move" not in pages.as_("dan").get(f"/rentals/{r.id}").text
        assert (
            pages.as_("dan").post(f"/rentals/{r.id}/move", data={"start": "2030-01-20"}).status_code
            == 403
        )
        seeded.approve(r.id, acting="ada")
        assert "/move" not in pages.as_("bob").get(f"/rentals/{r.id}").text
        assert "/move" in pages.as_("ada").get(f"/rentals/{r.id}").text
