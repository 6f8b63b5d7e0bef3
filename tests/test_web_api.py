"""The JSON API: every endpoint's shape, status and permission, on every backend.

Shapes are compared with the library values' ``as_dict()`` — the CLI's
``--json`` — so the two front ends cannot drift apart.
"""

from __future__ import annotations

from typing import Any

import pytest

import rentcal
from tests.conftest import d
from tests.web_support import Web, error_of

BLOCK = {"machine": "tractor", "start": "2030-01-21", "end": "2030-01-21", "kind": "repair"}
RENTAL = {"machine": "tractor", "start": "2030-01-20", "end": "2030-01-22", "purpose": "hay"}


def _book(web: Web, handle: str = "bob", **body: Any) -> dict[str, Any]:
    answer = web.as_(handle).post("/api/rentals", json={**RENTAL, **body})
    assert answer.status_code == 201, answer.text
    data: dict[str, Any] = answer.json()
    return data


def _fill(path: str) -> str:
    return (
        path.replace("{name}", "tractor")
        .replace("{handle}", "bob")
        .replace("{secret}", "x" * 43)
        .replace("{rental_id}", "1")
        .replace("{maintenance_id}", "1")
        .replace("{token_id}", "1")
        .replace("{feed_id}", "1")
    )


PUBLIC = {
    "/healthz",
    "/readyz",
    "/login",
    "/metrics",
    "/logout",
    "/api/password-reset",
    "/api/signup",
}


def _protected(web: Web) -> list[tuple[str, str]]:
    """Every documented (method, path) that needs credentials."""
    found = [("GET", "/openapi.json")]
    for path, operations in web.app.openapi()["paths"].items():
        if path in PUBLIC or path.startswith("/feeds/"):
            continue
        found.extend((method.upper(), path) for method in operations)
    return found


class TestCredentialsRequired:
    """Nothing but /login (and asking for a reset link), its static files, health and valid
    feed URLs without credentials."""

    @pytest.fixture
    def web(self, web_sqlite: Web) -> Web:
        """What this class checks is decided by the web layer: SQLite is enough."""
        return web_sqlite

    def test_every_api_endpoint_answers_401(self, web: Web) -> None:
        client = web.anonymous()
        routes = _protected(web)
        assert len(routes) > 30
        for method, path in routes:
            answer = client.request(method, _fill(path), json={} if method == "POST" else None)
            assert answer.status_code == 401, (method, path, answer.text)
            assert error_of(answer)["code"] == "unauthenticated"
            assert answer.headers["www-authenticate"] == "Bearer"

    def test_a_browser_is_sent_to_the_login_page(self, web: Web) -> None:
        answer = web.anonymous().get(
            "/openapi.json", headers={"Accept": "text/html"}, follow_redirects=False
        )
        assert answer.status_code == 303
        assert answer.headers["location"] == "/login?next=/openapi.json"

    @pytest.mark.parametrize("path", ["/healthz", "/readyz", "/login", "/static/login.css"])
    def test_public_paths(self, web: Web, path: str) -> None:
        assert web.anonymous().get(path).status_code == 200

    def test_unknown_feed_is_404(self, web: Web) -> None:
        answer = web.anonymous().get("/feeds/" + "x" * 43 + ".ics")
        assert answer.status_code == 404
        assert error_of(answer)["code"] == "not_found"

    @pytest.mark.parametrize("header", ["Basic YWRhOnB3", "Bearer", "Bearer  ", "token abc"])
    def test_malformed_authorization_is_401(self, web: Web, header: str) -> None:
        answer = web.anonymous().get("/api/me", headers={"Authorization": header})
        assert answer.status_code == 401

    def test_unknown_and_revoked_tokens_are_401(self, web: Web) -> None:
        client = web.anonymous()
        assert client.get("/api/me", headers={"Authorization": "Bearer nope"}).status_code == 401
        token, secret = web.cal.create_token("bob")
        bearer = {"Authorization": f"Bearer {secret}"}
        assert client.get("/api/me", headers=bearer).status_code == 200
        web.cal.revoke_token(token.id, "bob")
        assert client.get("/api/me", headers=bearer).status_code == 401

    def test_openapi_for_members(self, web: Web) -> None:
        schema = web.as_("bob").get("/openapi.json").json()
        assert "/api/rentals" in schema["paths"]
        assert "/feeds/{secret}.ics" in schema["paths"]
        assert "HTTPValidationError" not in str(schema)


class TestHealth:
    """Liveness and readiness."""

    @pytest.fixture
    def web(self, web_sqlite: Web) -> Web:
        """What this class checks is decided by the web layer: SQLite is enough."""
        return web_sqlite

    def test_healthz_and_readyz(self, web: Web) -> None:
        client = web.anonymous()
        assert client.get("/healthz").json() == {"status": "ok"}
        assert client.get("/readyz").json() == {"status": "ok"}

    def test_readyz_without_a_database(self, web: Web, monkeypatch: pytest.MonkeyPatch) -> None:
        def gone() -> None:
            raise rentcal.DatabaseError("database error: connection refused")

        monkeypatch.setattr(web.cal, "revision", gone)
        answer = web.anonymous().get("/readyz")
        assert answer.status_code == 503
        assert answer.json()["status"] == "unavailable"
        assert web.anonymous().get("/healthz").status_code == 200


class TestMachines:
    """/api/machines: read by members, changed by admins."""

    def test_list_is_the_cli_shape_and_hides_retired(self, web: Web) -> None:
        web.cal.add_machine("old", acting="ada")
        web.cal.retire_machine("old", acting="ada")
        client = web.as_("bob")
        active = [m.as_dict() for m in web.cal.machines(include_retired=False)]
        assert client.get("/api/machines").json() == active
        every = [m.as_dict() for m in web.cal.machines()]
        assert client.get("/api/machines", params={"all": "1"}).json() == every
        assert "old" not in {m["name"] for m in active}

    def test_show_has_the_upcoming_rentals(self, web: Web) -> None:
        booked = _book(web, "dan")
        data = web.as_("bob").get("/api/machines/tractor").json()
        assert data["name"] == "tractor"
        assert [r["id"] for r in data["upcoming_rentals"]] == [booked["id"]]
        assert data["upcoming_rentals"][0]["purpose"] is None  # dan's, seen by bob
        assert data["upcoming_maintenance"] == []

    def test_unknown_machine(self, web: Web) -> None:
        answer = web.as_("bob").get("/api/machines/nope")
        assert answer.status_code == 404
        body = error_of(answer)
        assert body["code"] == "not_found"
        assert body["field"] == "machine"

    def test_admins_add_and_retire(self, web: Web) -> None:
        admin = web.as_("ada")
        answer = admin.post("/api/machines", json={"name": "drill", "daily_price": "9.50"})
        assert answer.status_code == 201
        assert answer.json() == web.cal.machine("drill").as_dict()
        assert answer.headers["location"] == "/api/machines/drill"
        retired = admin.post("/api/machines/drill/retire")
        assert retired.json()["status"] == "retired"

    def test_members_may_not(self, web: Web) -> None:
        answer = web.as_("bob").post("/api/machines", json={"name": "drill"})
        assert answer.status_code == 403
        assert error_of(answer)["code"] == "permission_denied"
        assert web.as_("bob").post("/api/machines/saw/retire").status_code == 403


class TestAvailability:
    """POST /api/check-availability: the check --json shape, available true or false."""

    def test_available(self, web: Web) -> None:
        body = {"machine": "tractor", "start": "2030-01-20", "end": "2030-01-22"}
        answer = web.as_("bob").post("/api/check-availability", json=body)
        assert answer.status_code == 200
        assert answer.json() == web.cal.check("tractor", d(20), d(22)).as_dict()
        assert answer.json()["available"] is True

    def test_not_available_is_still_200(self, web: Web) -> None:
        booked = _book(web)
        body = {"machine": "tractor", "start": "2030-01-21", "end": "2030-01-25"}
        data = web.as_("dan").post("/api/check-availability", json=body).json()
        assert data["available"] is False
        assert [c["id"] for c in data["conflicts"]] == [booked["id"]]


class TestBadBodies:
    """Malformed requests never reach the library: 400 naming the field."""

    @pytest.fixture
    def web(self, web_sqlite: Web) -> Web:
        """What this class checks is decided by the web layer: SQLite is enough."""
        return web_sqlite

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            pytest.param({"machine": "tractor", "start": "2030-01-22"}, "end", id="missing"),
            pytest.param(
                {"machine": "tractor", "start": "22/01/2030", "end": "2030-01-23"},
                "start",
                id="not-iso",
            ),
            pytest.param(
                {"machine": "tractor", "start": 20300122, "end": "2030-01-23"},
                "start",
                id="number",
            ),
            pytest.param(
                {"machine": "tractor", "start": "2030-02-30", "end": "2030-03-01"},
                "start",
                id="no-such-day",
            ),
            pytest.param(
                {"machine": "tractor", "start": "2030-01-22", "end": "2030-01-23", "x": 1},
                "x",
                id="unknown-field",
            ),
        ],
    )
    def test_bad_bodies_are_400(self, web: Web, body: dict[str, Any], field: str) -> None:
        answer = web.as_("bob").post("/api/check-availability", json=body)
        assert answer.status_code == 400, answer.text
        error = error_of(answer)
        assert error["code"] == "invalid_request"
        assert error["field"] == field

    @pytest.mark.parametrize("rid", ["0", "-1", "2147483648", "abc"])
    def test_bad_ids_are_400(self, web: Web, rid: str) -> None:
        assert web.as_("bob").get(f"/api/rentals/{rid}").status_code == 400


class TestAvailabilityAnswers:
    """The library's answers and refusals through the API."""

    def test_end_before_start_is_the_librarys_400(self, web: Web) -> None:
        body = {"machine": "tractor", "start": "2030-01-22", "end": "2030-01-20"}
        answer = web.as_("bob").post("/api/check-availability", json=body)
        assert answer.status_code == 400
        assert "2030-01-20" in error_of(answer)["error"]

    def test_unknown_machine_is_404(self, web: Web) -> None:
        body = {"machine": "nope", "start": "2030-01-22", "end": "2030-01-23"}
        answer = web.as_("bob").post("/api/check-availability", json=body)
        assert answer.status_code == 404


class TestBooking:
    """POST /api/rentals: the design's rental_create_with_calendar."""

    def test_created(self, web: Web) -> None:
        answer = web.as_("bob").post("/api/rentals", json=RENTAL)
        assert answer.status_code == 201
        data = answer.json()
        assert data == web.cal.rental(data["id"]).as_dict()
        assert data["status"] == "pending"
        assert answer.headers["location"] == f"/api/rentals/{data['id']}"

    def test_unavailable_is_409_with_conflicts(self, web: Web) -> None:
        first = _book(web)
        answer = web.as_("dan").post("/api/rentals", json={**RENTAL, "start": "2030-01-22"})
        assert answer.status_code == 409
        error = error_of(answer)
        assert error["code"] == "unavailable"
        assert [c["id"] for c in error["conflicts"]] == [first["id"]]
        assert error["conflicts"][0] == {
            "kind": "rental",
            "id": first["id"],
            "start": "2030-01-20",
            "end": "2030-01-22",
            "status": "pending",
        }

    def test_unverified_members_are_told_an_admin_must_verify_them(self, web: Web) -> None:
        answer = web.as_("carol").post("/api/rentals", json=RENTAL)
        assert answer.status_code == 403
        error = error_of(answer)
        assert error["code"] == "permission_denied"
        assert "an admin must verify you" in error["error"]
        assert web.cal.rentals() == []

    def test_only_admins_book_for_others(self, web: Web) -> None:
        denied = web.as_("bob").post("/api/rentals", json={**RENTAL, "for": "dan"})
        assert denied.status_code == 403
        made = web.as_("ada").post("/api/rentals", json={**RENTAL, "for": "dan"})
        assert made.status_code == 201
        assert made.json()["member"] == "dan"

    def test_in_the_past_is_400(self, web: Web) -> None:
        answer = web.as_("bob").post(
            "/api/rentals", json={**RENTAL, "start": "2030-01-01", "end": "2030-01-02"}
        )
        assert answer.status_code == 400

    def test_retired_machine_is_400(self, web: Web) -> None:
        web.cal.retire_machine("saw", acting="ada")
        answer = web.as_("bob").post("/api/rentals", json={**RENTAL, "machine": "saw"})
        assert answer.status_code == 400
        assert error_of(answer)["field"] == "machine"

    def test_idempotency_key_replays_the_first_answer(self, web: Web) -> None:
        client = web.as_("bob")
        key = {"Idempotency-Key": "form-123"}
        first = client.post("/api/rentals", json=RENTAL, headers=key)
        again = client.post("/api/rentals", json=RENTAL, headers=key)
        assert first.status_code == again.status_code == 201
        assert again.json() == first.json()
        assert again.headers["location"] == first.headers["location"]
        assert len(web.cal.rentals()) == 1

    def test_same_key_other_body_is_422(self, web: Web) -> None:
        client = web.as_("bob")
        key = {"Idempotency-Key": "form-124"}
        assert client.post("/api/rentals", json=RENTAL, headers=key).status_code == 201
        other = client.post("/api/rentals", json={**RENTAL, "purpose": "straw"}, headers=key)
        assert other.status_code == 422
        assert error_of(other)["code"] == "idempotency_mismatch"
        assert len(web.cal.rentals()) == 1

    def test_bad_idempotency_key_is_400(self, web: Web) -> None:
        answer = web.as_("bob").post(
            "/api/rentals", json=RENTAL, headers={"Idempotency-Key": "x" * 300}
        )
        assert answer.status_code == 400


class TestReadingRentals:
    """Members see every booking's dates and status; purpose and price only their own."""

    def test_privacy(self, web: Web) -> None:
        mine = _book(web, "bob")
        theirs = _book(web, "dan", machine="saw", purpose="secret plans")
        seen = {r["id"]: r for r in web.as_("bob").get("/api/rentals").json()}
        assert seen[mine["id"]]["purpose"] == "hay"
        assert seen[mine["id"]]["price"] == "360.00"
        assert seen[theirs["id"]]["purpose"] is None
        assert seen[theirs["id"]]["price"] is None
        assert seen[theirs["id"]]["start"] == "2030-01-20"
        assert seen[theirs["id"]]["member"] == "dan"
        admin = {r["id"]: r for r in web.as_("ada").get("/api/rentals").json()}
        assert admin[theirs["id"]] == web.cal.rental(theirs["id"]).as_dict()

    def test_filters(self, web: Web) -> None:
        _book(web, "bob")
        saw = _book(web, "dan", machine="saw")
        client = web.as_("ada")
        assert [r["id"] for r in client.get("/api/rentals?machine=saw").json()] == [saw["id"]]
        assert [r["id"] for r in client.get("/api/rentals?member=dan").json()] == [saw["id"]]
        approved = client.get("/api/rentals", params={"status": ["approved"]}).json()
        assert [r["id"] for r in approved] == [saw["id"]]  # saw auto-approves
        assert client.get("/api/rentals?from=2030-02-01&to=2030-02-05").json() == []
        assert client.get("/api/rentals?status=nope").status_code == 400
        assert client.get("/api/rentals?from=tomorrow").status_code == 400

    def test_show_with_history(self, web: Web) -> None:
        rental = _book(web)
        web.cal.reject(rental["id"], acting="ada", reason="tractor in repair")
        data = web.as_("bob").get(f"/api/rentals/{rental['id']}").json()
        assert data["status"] == "rejected"
        assert [(h["from"], h["to"]) for h in data["history"]] == [
            (None, "pending"),
            ("pending", "rejected"),
        ]
        assert data["history"][1]["reason"] == "tractor in repair"
        assert data["history"][1]["by"] == "ada"
        other = web.as_("dan").get(f"/api/rentals/{rental['id']}").json()
        assert other["history"][1]["reason"] is None
        assert other["purpose"] is None

    def test_unknown_id_is_404(self, web: Web) -> None:
        answer = web.as_("bob").get("/api/rentals/999")
        assert answer.status_code == 404
        assert error_of(answer)["field"] == "rental"


class TestTransitions:
    """approve / reject / complete (admins), cancel (owner or admin)."""

    def test_approve(self, web: Web) -> None:
        rental = _book(web)
        assert web.as_("bob").post(f"/api/rentals/{rental['id']}/approve").status_code == 403
        answer = web.as_("ada").post(f"/api/rentals/{rental['id']}/approve")
        assert answer.status_code == 200
        assert answer.json() == web.cal.rental(rental["id"]).as_dict()
        assert answer.json()["status"] == "approved"

    def test_invalid_transition_is_409(self, web: Web) -> None:
        rental = _book(web)
        web.cal.cancel(rental["id"], acting="bob")
        answer = web.as_("ada").post(f"/api/rentals/{rental['id']}/approve")
        assert answer.status_code == 409
        assert error_of(answer)["code"] == "invalid_transition"

    def test_reject_with_a_reason(self, web: Web) -> None:
        rental = _book(web)
        answer = web.as_("ada").post(
            f"/api/rentals/{rental['id']}/reject", json={"reason": "in repair"}
        )
        assert answer.json()["status"] == "rejected"
        assert web.cal.rental(rental["id"]).reason == "in repair"

    def test_cancel_own_not_others(self, web: Web) -> None:
        rental = _book(web)
        assert web.as_("dan").post(f"/api/rentals/{rental['id']}/cancel").status_code == 403
        answer = web.as_("bob").post(f"/api/rentals/{rental['id']}/cancel")
        assert answer.status_code == 200
        assert answer.json()["status"] == "cancelled"

    def test_complete_before_start_is_409(self, web: Web) -> None:
        rental = _book(web)
        web.cal.approve(rental["id"], acting="ada")
        answer = web.as_("ada").post(f"/api/rentals/{rental['id']}/complete")
        assert answer.status_code == 409


class TestMaintenanceAndMembers:
    """Admins schedule maintenance and manage members; members read maintenance."""

    def test_schedule_list_cancel(self, web: Web) -> None:
        admin = web.as_("ada")
        made = admin.post("/api/maintenance", json=BLOCK)
        assert made.status_code == 201
        item = made.json()
        assert item == web.cal.maintenance()[0].as_dict()
        assert web.as_("bob").get("/api/maintenance").json() == [item]
        cancelled = admin.post(f"/api/maintenance/{item['id']}/cancel")
        assert cancelled.json()["status"] == "cancelled"
        assert admin.post(f"/api/maintenance/{item['id']}/cancel").status_code == 409

    def test_over_rentals_needs_force(self, web: Web) -> None:
        rental = _book(web)
        admin = web.as_("ada")
        refused = admin.post("/api/maintenance", json=BLOCK)
        assert refused.status_code == 409
        assert [c["id"] for c in error_of(refused)["conflicts"]] == [rental["id"]]
        assert admin.post("/api/maintenance", json={**BLOCK, "force": True}).status_code == 201

    def test_members_may_not_schedule(self, web: Web) -> None:
        assert web.as_("bob").post("/api/maintenance", json=BLOCK).status_code == 403

    def test_members_endpoints_are_for_admins(self, web: Web) -> None:
        admin = web.as_("ada")
        assert admin.get("/api/members").json() == [m.as_dict() for m in web.cal.members()]
        assert web.as_("bob").get("/api/members").status_code == 403
        verified = admin.post("/api/members/carol/verify")
        assert verified.json()["verified"] is True
        added = admin.post("/api/members", json={"handle": "eve", "verified": True})
        assert added.status_code == 201
        assert added.json() == web.cal.member("eve").as_dict()
        assert web.as_("bob").post("/api/members/carol/verify").status_code == 403


class TestAccount:
    """/api/me, notifications, tokens and feed URLs of the caller."""

    def test_me(self, web: Web) -> None:
        assert web.as_("bob").get("/api/me").json() == web.cal.member("bob").as_dict()

    def test_notifications(self, web: Web) -> None:
        rental = _book(web)
        web.cal.approve(rental["id"], acting="ada")
        client = web.as_("bob")
        found = client.get("/api/notifications").json()
        assert found == [n.as_dict() for n in web.cal.notifications("bob")]
        assert any(f"is approved (rental {rental['id']})." in n["message"] for n in found)
        assert client.post("/api/notifications/read").json() == {"marked": len(found)}
        assert client.get("/api/notifications?unread=1").json() == []

    def test_tokens(self, web: Web) -> None:
        client = web.as_("bob")
        made = client.post("/api/tokens", json={"name": "laptop"})
        assert made.status_code == 201
        token = made.json()
        assert token["name"] == "laptop"
        assert (
            web.anonymous()
            .get("/api/me", headers={"Authorization": f"Bearer {token['token']}"})
            .json()["handle"]
            == "bob"
        )
        listed = client.get("/api/tokens").json()
        assert token["id"] in {t["id"] for t in listed}
        assert all("token" not in t for t in listed)
        assert client.post(f"/api/tokens/{token['id']}/revoke").json()["active"] is False
        assert client.post("/api/tokens", json={"for": "dan"}).status_code == 403

    def test_feeds(self, web: Web) -> None:
        client = web.as_("bob")
        made = client.post("/api/feeds", json={"name": "phone"})
        assert made.status_code == 201
        feed = made.json()
        assert feed["scope"] == "member" and feed["member"] == "bob"
        assert feed["url"] == "http://testserver" + feed["path"]
        assert feed["path"] == f"/feeds/{feed['token']}.ics"
        assert web.anonymous().get(feed["path"]).status_code == 200
        assert [f["id"] for f in client.get("/api/feeds").json()] == [feed["id"]]
        assert client.post("/api/feeds", json={"member": "dan"}).status_code == 403
        machine = client.post("/api/feeds", json={"machine": "tractor"})  # any member's
        assert machine.status_code == 201 and machine.json()["scope"] == "machine"
        client.post(f"/api/feeds/{feed['id']}/revoke")
        assert web.anonymous().get(feed["path"]).status_code == 404


class TestDesignAliases:
    """The original design's URLs answer as their /api twins."""

    @pytest.fixture
    def web(self, web_sqlite: Web) -> Web:
        """What this class checks is decided by the web layer: SQLite is enough."""
        return web_sqlite

    def test_aliases(self, web: Web) -> None:
        client = web.as_("bob")
        body = {"machine": "tractor", "start": "2030-01-20", "end": "2030-01-22"}
        made = client.post("/machines/rentals/create-with-calendar/", json=body)
        assert made.status_code == 201
        check = client.post("/machines/api/check-availability/", json=body).json()
        assert check == client.post("/api/check-availability", json=body).json()
        window = {"start": "2030-01-01", "end": "2030-02-01"}
        one = client.get("/machines/api/calendar/tractor/events/", params=window).json()
        assert one == client.get("/api/machines/tractor/events", params=window).json()
        assert [e["id"] for e in one] == [f"rental-{made.json()['id']}"]
        every = client.get("/machines/api/calendar/events/", params=window).json()
        assert every == client.get("/api/events", params=window).json()
