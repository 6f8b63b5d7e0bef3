"""Invitations on the web (issue #20): the admins' API, the admin page's section and the
invitee's /invite/{secret} page. The service's rules (single use, expiry, limits)
are in tests/test_invitations.py; nothing here depends on the backend.
"""

from __future__ import annotations

from collections.abc import Iterator
from unittest import mock

import pytest

import rentcal
from rentcal.web.auth import SESSION_COOKIE
from tests.conftest import BUSY_TIMEOUT, SQLITE_ONLY, make_clock, seed
from tests.web_support import PASSWORD, SAME_ORIGIN, Web, error_of

pytestmark = SQLITE_ONLY

SECRET = "i" * 43
CHOSEN = "my chosen password"
HTML = {"Accept": "text/html", **SAME_ORIGIN}


@pytest.fixture
def web(db_url: str) -> Iterator[Web]:
    """ada (admin) and bob have passwords."""
    with rentcal.connect(db_url, clock=make_clock(), busy_timeout=BUSY_TIMEOUT) as cal:
        seed(cal)
        cal.set_password("ada", PASSWORD, acting="ada")
        cal.set_password("bob", PASSWORD, acting="ada")
        yield Web(cal)


def invited(web: Web, handle: str = "eve") -> str:
    """Invite ``handle`` with a known secret; that secret."""
    with mock.patch("rentcal.service.invitations.new_secret", return_value=SECRET):
        web.cal.invite_member(handle, f"{handle}@example.org", acting="ada")
    return SECRET


class TestApi:
    """POST /api/members/invite, GET /api/invitations, resend, DELETE."""

    def test_invite_list_resend_revoke(self, web: Web) -> None:
        ada = web.as_("ada")
        answer = ada.post(
            "/api/members/invite",
            json={"handle": "eve", "email": "eve@example.org", "name": "Eve", "verified": True},
        )
        assert answer.status_code == 201, answer.text
        assert answer.json()["handle"] == "eve"
        assert answer.json()["verified"] is True
        assert [i["handle"] for i in ada.get("/api/invitations").json()] == ["eve"]
        assert ada.post("/api/invitations/eve/resend").status_code == 200
        kinds = [i.kind for i in web.cal.outbox(acting="ada")]
        assert kinds.count("invitation") == 2
        assert ada.delete("/api/invitations/eve").status_code == 204
        assert ada.get("/api/invitations").json() == []
        again = ada.delete("/api/invitations/eve")
        assert again.status_code == 400
        assert "no open invitation" in error_of(again)["error"]

    @pytest.mark.parametrize(
        ("body", "status", "field"),
        [
            pytest.param({"handle": "bob", "email": "b@example.org"}, 400, "handle", id="taken"),
            pytest.param({"handle": "eve", "email": "nope"}, 400, "email", id="bad-address"),
            pytest.param({"handle": "eve"}, 400, "email", id="no-address"),
            pytest.param(
                {"handle": "eve", "email": "e@x.org", "admin": True}, 400, "admin", id="extra"
            ),
        ],
    )
    def test_bad_bodies(self, web: Web, body: dict[str, object], status: int, field: str) -> None:
        answer = web.as_("ada").post("/api/members/invite", json=body)
        assert answer.status_code == status, answer.text
        if field:
            assert error_of(answer)["field"] == field

    def test_members_may_not(self, web: Web) -> None:
        bob = web.as_("bob")
        assert (
            bob.post(
                "/api/members/invite", json={"handle": "eve", "email": "e@example.org"}
            ).status_code
            == 403
        )
        assert bob.get("/api/invitations").status_code == 403
        assert web.anonymous().get("/api/invitations").status_code == 401


class TestAcceptPage:
    """/invite/{secret}: choose a password, land logged in; the link works once."""

    def test_accept_logs_in(self, web: Web) -> None:
        secret = invited(web)
        client = web.anonymous()
        page = client.get(f"/invite/{secret}")
        assert page.status_code == 200
        assert page.headers["Referrer-Policy"] == "no-referrer"
        assert "choose your password" in page.text
        answer = client.post(
            f"/invite/{secret}",
            data={"password": CHOSEN, "password2": CHOSEN},
            headers=HTML,
            follow_redirects=False,
        )
        assert answer.status_code == 303
        assert SESSION_COOKIE in answer.cookies
        assert client.get("/api/me").json()["handle"] == "eve"
        used = web.anonymous().post(
            f"/invite/{secret}", data={"password": CHOSEN, "password2": CHOSEN}, headers=HTML
        )
        assert used.status_code == 400
        assert "already used, revoked or expired" in used.text

    def test_passwords_that_differ(self, web: Web) -> None:
        secret = invited(web)
        answer = web.anonymous().post(
            f"/invite/{secret}", data={"password": CHOSEN, "password2": "other"}, headers=HTML
        )
        assert answer.status_code == 400
        assert "the passwords differ" in answer.text
        assert not web.cal.has_password("eve")

    def test_cross_site_post_is_refused(self, web: Web) -> None:
        secret = invited(web)
        answer = web.anonymous().post(
            f"/invite/{secret}",
            data={"password": CHOSEN, "password2": CHOSEN},
            headers={"Sec-Fetch-Site": "cross-site"},
        )
        assert answer.status_code == 403
        assert not web.cal.has_password("eve")


class TestAdminPage:
    """The admin page's section: invite, list, re-send, revoke."""

    def test_invite_resend_revoke_from_the_page(self, web: Web) -> None:
        ada = web.login("ada")
        sent = ada.post(
            "/admin/invitations",
            data={"handle": "eve", "email": "eve@example.org", "name": "Eve E", "verified": "on"},
            headers=HTML,
        )
        assert sent.status_code == 200, sent.text
        assert "Invitation queued" in sent.text
        assert 'id="invitation-eve"' in sent.text
        assert web.cal.member("eve").verified
        resent = ada.post("/admin/invitations/eve/resend", headers=HTML)
        assert "A new link is on its way" in resent.text
        revoked = ada.post("/admin/invitations/eve/revoke", headers=HTML)
        assert "Invitation revoked" in revoked.text
        assert 'id="invitation-eve"' not in revoked.text

    def test_an_error_is_shown_with_what_was_typed(self, web: Web) -> None:
        ada = web.login("ada")
        answer = ada.post(
            "/admin/invitations", data={"handle": "bob", "email": "x@example.org"}, headers=HTML
        )
        assert answer.status_code == 400
        assert "member &#39;bob&#39; already exists" in answer.text
        assert 'value="x@example.org"' in answer.text

    def test_unknown_action(self, web: Web) -> None:
        invited(web)
        answer = web.login("ada").post("/admin/invitations/eve/explode", headers=HTML)
        assert answer.status_code == 400
        assert "unknown action" in answer.text


class TestEmailChange:
    """/me's E-mail address form, POST /api/me/email and /confirm-email/{secret}."""

    def test_form_then_link_confirms(self, web: Web) -> None:
        web.cal.edit_member("bob", email="old@example.org", acting="ada")
        bob = web.login("bob")
        with mock.patch("rentcal.service.email_links.new_secret", return_value=SECRET):
            page = bob.post("/me/email", data={"email": "new@example.org"}, headers=HTML)
        assert page.status_code == 200
        assert "A confirmation link is on its way" in page.text
        assert 'id="email-pending"' in page.text and "new@example.org" in page.text
        assert web.cal.member("bob").email == "old@example.org"
        shown = web.anonymous().get(f"/confirm-email/{SECRET}")
        assert shown.status_code == 200 and 'id="confirm-form"' in shown.text
        assert web.cal.member("bob").email == "old@example.org"  # a GET changes nothing
        done = web.anonymous().post(f"/confirm-email/{SECRET}", headers=HTML)
        assert done.status_code == 200
        assert "rentcal now writes to new@example.org" in done.text
        assert web.cal.member("bob").email == "new@example.org"
        again = web.anonymous().post(f"/confirm-email/{SECRET}", headers=HTML)
        assert again.status_code == 400 and "already used" in again.text

    def test_errors_beside_the_field(self, web: Web) -> None:
        answer = web.login("bob").post("/me/email", data={"email": "nope"}, headers=HTML)
        assert answer.status_code == 400
        assert 'aria-invalid="true"' in answer.text
        assert "nope" in answer.text

    def test_api(self, web: Web) -> None:
        answer = web.as_("bob").post("/api/me/email", json={"email": "api@example.org"})
        assert answer.status_code == 202, answer.text
        assert answer.json()["pending_email"] == "api@example.org"
        bad = web.as_("bob").post("/api/me/email", json={"email": "nope"})
        assert bad.status_code == 400 and error_of(bad)["field"] == "email"
        assert web.anonymous().post("/api/me/email", json={"email": "a@b.org"}).status_code == 401


class TestSignup:
    """/signup and POST /api/signup: 404 while off; when open, an unverified account."""

    def test_closed(self, web: Web) -> None:
        anonymous = web.anonymous()
        assert "Create an account" not in anonymous.get("/login").text
        page = anonymous.get("/signup")
        assert page.status_code == 404 and "Sign-up is closed" in page.text
        posted = anonymous.post(
            "/signup",
            data={"handle": "x", "email": "x@example.org", "password": CHOSEN, "password2": CHOSEN},
            headers=HTML,
        )
        assert posted.status_code == 404 and "sign-up is closed" in posted.text
        api = anonymous.post(
            "/api/signup",
            json={"handle": "x", "email": "x@example.org", "password": CHOSEN},
            headers=SAME_ORIGIN,
        )
        assert api.status_code == 404 and "sign-up is closed" in error_of(api)["error"]

    def test_open_form_logs_in_unverified(self, web: Web) -> None:
        web.cal.set_signup("open", acting="ada")
        client = web.anonymous()
        assert 'href="/signup" id="signup-link">Create an account</a>' in client.get("/login").text
        answer = client.post(
            "/signup",
            data={
                "handle": "newbie",
                "name": "New Bie",
                "email": "new@example.org",
                "password": CHOSEN,
                "password2": CHOSEN,
            },
            headers=HTML,
            follow_redirects=False,
        )
        assert answer.status_code == 303 and answer.headers["location"] == "/me"
        me = client.get("/api/me").json()
        assert (me["handle"], me["verified"], me["email"]) == ("newbie", False, None)
        assert web.cal.pending_email("newbie", acting="ada").address == "new@example.org"  # type: ignore[union-attr]

    def test_open_api_and_errors(self, web: Web) -> None:
        web.cal.set_signup("open", acting="ada")
        body = {"handle": "apinew", "email": "a@example.org", "password": CHOSEN}
        answer = web.anonymous().post("/api/signup", json=body, headers=SAME_ORIGIN)
        assert answer.status_code == 201, answer.text
        assert answer.json()["verified"] is False
        taken = web.anonymous().post("/api/signup", json=body, headers=SAME_ORIGIN)
        assert taken.status_code == 400 and error_of(taken)["field"] == "handle"
        differ = web.anonymous().post(
            "/signup",
            data={"handle": "z", "email": "z@example.org", "password": CHOSEN, "password2": "x"},
            headers=HTML,
        )
        assert differ.status_code == 400 and "the passwords differ" in differ.text
        assert 'value="z@example.org"' in differ.text
        cross = web.anonymous().post(
            "/api/signup",
            json={**body, "handle": "other"},
            headers={"Sec-Fetch-Site": "cross-site"},
        )
        assert cross.status_code == 403
