"""The editing endpoints of the JSON API: PATCH machines / members / maintenance, roles,
(de)activation, and what a deactivated member's session and token may do — on every
backend. Shapes are the CLI's ``--json``."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import TODAY, d
from tests.web_support import PASSWORD, SAME_ORIGIN, Web, error_of

CHANGE_KEYS = {"field", "old", "new", "by", "at"}


def _changes(data: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    return [(c["field"], c["old"], c["new"]) for c in data["changed"]]


class TestEditMachine:
    """PATCH /api/machines/{name}, POST .../reactivate, history in GET."""

    def test_patch_only_sent_fields(self, web: Web) -> None:
        admin = web.as_("ada")
        web.cal.edit_machine("tractor", acting="ada", description="big")
        answer = admin.patch("/api/machines/tractor", json={"daily_price": "99", "title": "T2"})
        assert answer.status_code == 200, answer.text
        data = answer.json()
        assert _changes(data) == [
            ("title", "Tractor 6120", "T2"),
            ("daily_price", "120.00", "99.00"),
        ]
        assert set(data["changed"][0]) == CHANGE_KEYS
        assert data["description"] == "big"  # not sent: kept
        cleared = admin.patch("/api/machines/tractor", json={"description": None}).json()
        assert cleared["description"] is None
        noop = admin.patch("/api/machines/tractor", json={"title": "T2"}).json()
        assert noop["changed"] == []
        shown = admin.get("/api/machines/tractor").json()
        assert [c["field"] for c in shown["history"]] == [
            "description",
            "title",
            "daily_price",
            "description",
        ]

    @pytest.mark.parametrize(
        ("body", "status", "code"),
        [
            pytest.param({}, 400, "invalid_request", id="no-field"),
            pytest.param({"title": None}, 400, "invalid_request", id="null-title"),
            pytest.param({"daily_price": "-1"}, 400, "invalid_request", id="negative"),
            pytest.param({"colour": "red"}, 400, "invalid_request", id="unknown-field"),
        ],
    )
    def test_refused(self, web: Web, body: dict[str, Any], status: int, code: str) -> None:
        answer = web.as_("ada").patch("/api/machines/tractor", json=body)
        assert answer.status_code == status, answer.text
        assert error_of(answer)["code"] == code
        assert web.cal.machine_history("tractor") == []

    def test_members_may_not_and_unknown_is_404(self, web: Web) -> None:
        answer = web.as_("bob").patch("/api/machines/tractor", json={"title": "X"})
        assert answer.status_code == 403
        assert web.as_("ada").patch("/api/machines/nope", json={"title": "X"}).status_code == 404
        assert web.as_("bob").post("/api/machines/saw/reactivate").status_code == 403

    def test_reactivate(self, web: Web) -> None:
        admin = web.as_("ada")
        assert admin.post("/api/machines/saw/reactivate").status_code == 400
        admin.post("/api/machines/saw/retire")
        answer = admin.post("/api/machines/saw/reactivate")
        assert answer.status_code == 200 and answer.json()["status"] == "active"

    def test_a_session_needs_the_csrf_check(self, web: Web) -> None:
        web.cal.set_password("ada", PASSWORD, acting="ada")
        browser = web.login("ada")
        cross = browser.patch(
            "/api/machines/tractor",
            json={"title": "X"},
            headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
        )
        assert cross.status_code == 403
        same = browser.patch("/api/machines/tractor", json={"title": "X"}, headers=SAME_ORIGIN)
        assert same.status_code == 200, same.text


class TestMembers:
    """GET / PATCH /api/members/{handle}, PUT .../role, POST .../deactivate|reactivate."""

    def test_show_own_or_as_admin(self, web: Web) -> None:
        own = web.as_("bob").get("/api/members/bob")
        assert own.status_code == 200 and own.json()["history"] == []
        assert own.json()["active"] is True
        assert web.as_("bob").get("/api/members/dan").status_code == 403
        assert web.as_("ada").get("/api/members/dan").status_code == 200

    def test_edit_own_not_others(self, web: Web) -> None:
        answer = web.as_("bob").patch("/api/members/bob", json={"name": "Bobby", "email": None})
        assert answer.status_code == 200, answer.text
        assert _changes(answer.json()) == [("name", "Bob Baker", "Bobby")]
        refused = web.as_("bob").patch("/api/members/dan", json={"name": "X"})
        assert refused.status_code == 403
        assert error_of(refused)["code"] == "permission_denied"
        assert web.as_("ada").patch("/api/members/dan", json={"name": "D"}).status_code == 200

    def test_role(self, web: Web) -> None:
        admin = web.as_("ada")
        last = admin.put("/api/members/ada/role", json={"role": "member"})
        assert last.status_code == 400 and "last admin" in error_of(last)["error"]
        assert admin.put("/api/members/bob/role", json={"role": "boss"}).status_code == 400
        assert (
            web.as_("bob").put("/api/members/bob/role", json={"role": "admin"}).status_code == 403
        )
        promoted = admin.put("/api/members/carol/role", json={"role": "admin"})
        assert promoted.status_code == 200
        assert _changes(promoted.json()) == [
            ("role", "member", "admin"),
            ("verified", "false", "true"),
        ]

    def test_deactivated_session_and_token_are_refused(self, web: Web) -> None:
        web.cal.set_password("bob", PASSWORD, acting="ada")
        browser = web.login("bob")
        script = web.as_("bob")
        pending = web.cal.book("tractor", d(20), d(21), member="bob", today=TODAY)
        answer = web.as_("ada").post("/api/members/bob/deactivate")
        assert answer.status_code == 200 and answer.json()["active"] is False
        assert web.cal.rental(pending.id).status.value == "rejected"
        assert browser.get("/api/me").status_code == 401  # the session was revoked
        # Deactivation revokes the member's API tokens for good (the security model):
        # the token is now unknown to the server, as after `token revoke`.
        refused = script.get("/api/me")
        assert refused.status_code == 401
        assert error_of(refused)["code"] == "unauthenticated"
        bobs = [t for t in web.cal.tokens("ada", include_revoked=True) if t.member == "bob"]
        assert [t.revoked_reason for t in bobs] == ["member-deactivated"]
        login = web.anonymous().post(
            "/login",
            data={"handle": "bob", "password": PASSWORD},
            headers={**SAME_ORIGIN, "Accept": "application/json"},
        )
        assert login.status_code == 403
        assert web.as_("ada").post("/api/members/bob/deactivate").status_code == 400
        assert web.as_("ada").post("/api/members/bob/reactivate").status_code == 200
        assert script.get("/api/me").status_code == 401  # reactivation restores no token

    def test_deactivate_is_for_admins_and_keeps_the_last_admin(self, web: Web) -> None:
        assert web.as_("bob").post("/api/members/dan/deactivate").status_code == 403
        assert web.as_("ada").post("/api/members/ada/deactivate").status_code == 400
        assert web.as_("bob").post("/api/members/dan/reactivate").status_code == 403


class TestEditMaintenance:
    """PATCH /api/maintenance/{id}: add's conflict rules, 409 with conflicts."""

    def test_patch_and_conflicts(self, web: Web) -> None:
        admin = web.as_("ada")
        block = web.cal.add_maintenance("tractor", d(20), d(21), acting="ada", today=TODAY)
        rental = web.cal.book("tractor", d(23), d(23), member="bob", today=TODAY)
        path = f"/api/maintenance/{block.id}"
        moved = admin.patch(path, json={"start": "2030-01-21", "end": "2030-01-22", "notes": "oil"})
        assert moved.status_code == 200, moved.text
        data = moved.json()
        assert (data["start"], data["end"], data["notes"]) == ("2030-01-21", "2030-01-22", "oil")
        assert [c[0] for c in _changes(data)] == ["start_date", "end_date", "notes"]
        clash = admin.patch(path, json={"end": "2030-01-23"})
        assert clash.status_code == 409
        assert [c["id"] for c in error_of(clash)["conflicts"]] == [rental.id]
        forced = admin.patch(path, json={"end": "2030-01-23", "force": True})
        assert forced.status_code == 200
        assert admin.patch(path, json={}).status_code == 400
        assert admin.patch(path, json={"start": "soon"}).status_code == 400
        assert web.as_("bob").patch(path, json={"notes": "x"}).status_code == 403
        assert admin.patch("/api/maintenance/999", json={"notes": "x"}).status_code == 404
