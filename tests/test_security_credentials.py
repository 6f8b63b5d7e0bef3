"""A credential is only ever as strong as the current rights of the member it acts
for AND of the member who made it; deactivation revokes for good; a password
change revokes API tokens (not feed URLs). Library level, both backends: the
revocations are writes in the deactivation's / password change's transaction,
and the rule is read at each use (two connections stand for two workers).

The same scenarios against a real ``rentcal serve``: tests/test_security_credentials_served.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

import rentcal
from tests.conftest import BOTH, TODAY

pytestmark = BOTH

PASSWORD = "correct horse battery"


@pytest.fixture
def cal(db_url: str) -> Iterator[rentcal.Rentcal]:
    """Admins 'ada' and 'eve', members 'bob' and 'carol'; machine 'saw'."""
    with rentcal.connect(db_url, busy_timeout=10) as c:
        c.add_member("ada", admin=True)
        c.add_member("eve", verified=True, acting="ada")
        c.set_role("eve", "admin", acting="ada")
        for handle in ("bob", "carol"):
            c.add_member(handle, verified=True, acting="ada")
        c.add_machine("saw", daily_price="10", acting="ada")
        yield c


@pytest.fixture
def other(db_url: str, cal: rentcal.Rentcal) -> Iterator[rentcal.Rentcal]:
    """A second connection to the same database: another worker or host."""
    with rentcal.connect(db_url, busy_timeout=10) as c:
        yield c


def _refused(cal: rentcal.Rentcal, secret: str) -> str:
    with pytest.raises(rentcal.PermissionDenied) as err:
        cal.token_member(secret)
    return str(err.value.reason)


def _rows(cal: rentcal.Rentcal, sql: str, **params: Any) -> list[Any]:
    with cal.store.engine.connect() as conn:
        return list(conn.execute(sa.text(sql), params))


class TestApiTokenMadeForAnother:
    """An admin's token for another member acts only while its creator is an active admin."""

    def test_demoted_creator(self, cal: rentcal.Rentcal, other: rentcal.Rentcal) -> None:
        _token, secret = cal.create_token("eve", member="ada")
        member = other.token_member(secret)
        assert member is not None and member.handle == "ada"
        cal.set_role("eve", "member", acting="ada")
        assert _refused(other, secret) == "creator-not-admin"  # the other worker, at once
        with pytest.raises(rentcal.PermissionDenied, match="'eve', who is no longer an admin"):
            other.token_member(secret)
        cal.set_role("eve", "admin", acting="ada")  # suspended, not revoked: rights are read
        member = other.token_member(secret)
        assert member is not None and member.handle == "ada"

    def test_demoted_then_deactivated_creator(self, cal: rentcal.Rentcal) -> None:
        """The issue's scenario: the ex-admin's token for ada no longer acts, for good."""
        token, secret = cal.create_token("eve", member="ada")
        cal.set_role("eve", "member", acting="ada")
        cal.deactivate_member("eve", acting="ada", today=TODAY)
        assert cal.token_member(secret) is None  # revoked with the deactivation
        (row,) = cal.tokens("ada", include_revoked=True)
        assert row.id == token.id and row.revoked_at is not None  # kept, marked revoked
        cal.reactivate_member("eve", acting="ada")
        cal.set_role("eve", "admin", acting="ada")
        assert cal.token_member(secret) is None  # reactivation restores nothing

    def test_own_token_acts_with_current_rights(self, cal: rentcal.Rentcal) -> None:
        _token, secret = cal.create_token("eve")
        cal.set_role("eve", "member", acting="ada")
        member = cal.token_member(secret)
        assert member is not None and not member.is_admin  # acts, as a plain member

    def test_checked_at_use_even_if_never_revoked(self, cal: rentcal.Rentcal) -> None:
        """A live row of a deactivated creator or member (as an older release left
        them) is refused at use: revocation is not what the rule relies on."""
        _t1, for_carol = cal.create_token("eve", member="carol")
        _t2, bobs = cal.create_token("bob")
        cal.deactivate_member("eve", acting="ada", today=TODAY)
        cal.deactivate_member("bob", acting="ada", today=TODAY)
        with cal.store.engine.begin() as conn:
            conn.execute(sa.text("UPDATE api_token SET revoked_at = NULL"))
        assert _refused(cal, for_carol) == "creator-deactivated"
        assert _refused(cal, bobs) == "deactivated"


class TestFeeds:
    """A feed of admin-only scope (another member's rentals) serves only while its owner
    is an active admin; a machine's or all machines' feed shows what its owner may see now."""

    def test_admin_scope_stops_on_demotion(
        self, cal: rentcal.Rentcal, other: rentcal.Rentcal
    ) -> None:
        _feed, secret = cal.create_feed("eve", member="bob")
        assert other.feed_by_secret(secret) is not None
        cal.set_role("eve", "member", acting="ada")
        assert other.feed_by_secret(secret) is None
        cal.set_role("eve", "admin", acting="ada")
        assert other.feed_by_secret(secret) is not None

    @pytest.mark.parametrize(
        ("scope", "machine"),
        [({"all_rentals": True}, None), ({"machine": "saw"}, "saw")],
        ids=["all", "machine"],
    )
    def test_machine_scope_shows_a_demoted_owner_only_what_members_see(
        self,
        cal: rentcal.Rentcal,
        other: rentcal.Rentcal,
        scope: dict[str, Any],
        machine: str | None,
    ) -> None:
        cal.book("saw", TODAY, TODAY, member="bob", purpose="secret shelf", today=TODAY)
        feed, secret = cal.create_feed("eve", **scope)
        assert b"secret shelf" in other.ical(machine, viewer=feed.owner)
        cal.set_role("eve", "member", acting="ada")
        assert other.feed_by_secret(secret) == feed  # still serves ...
        shown = other.ical(machine, viewer=feed.owner)
        assert b"secret shelf" not in shown and b"Price:" not in shown  # ... as eve sees it
        assert b"Member: bob (bob)" in shown
        cal.set_role("eve", "admin", acting="ada")
        assert b"secret shelf" in other.ical(machine, viewer=feed.owner)

    def test_own_feed_survives_demotion(self, cal: rentcal.Rentcal) -> None:
        _feed, secret = cal.create_feed("eve")
        cal.set_role("eve", "member", acting="ada")
        assert cal.feed_by_secret(secret) is not None

    def test_deactivation_revokes_for_good(self, cal: rentcal.Rentcal) -> None:
        _own, own = cal.create_feed("eve")
        _all, everything = cal.create_feed("eve", all_rentals=True)
        _ada, adas = cal.create_feed("ada", member="eve")  # ada's, of eve's rentals: ada's
        cal.deactivate_member("eve", acting="ada", today=TODAY)
        cal.reactivate_member("eve", acting="ada")
        assert cal.feed_by_secret(own) is None
        assert cal.feed_by_secret(everything) is None
        assert cal.feed_by_secret(adas) is not None
        revoked = [f for f in cal.feed_tokens("ada", include_revoked=True) if f.owner == "eve"]
        assert len(revoked) == 2 and all(f.revoked_at is not None for f in revoked)


class TestDeactivation:
    """Sessions, tokens acting for the member and tokens they made: revoked, kept, for good."""

    def test_everything_revoked_nothing_restored(
        self, cal: rentcal.Rentcal, other: rentcal.Rentcal
    ) -> None:
        cal.set_password("bob", PASSWORD, acting="bob")
        _session, session = cal.login("bob", PASSWORD)
        _t1, bobs = cal.create_token("bob")
        _t2, for_bob = cal.create_token("ada", member="bob")
        _t3, by_eve_for_carol = cal.create_token("eve", member="carol")
        _t4, carols = cal.create_token("carol")
        other.deactivate_member("bob", acting="ada", today=TODAY)
        other.deactivate_member("eve", acting="ada", today=TODAY)
        other.reactivate_member("bob", acting="ada")
        other.reactivate_member("eve", acting="ada")
        for secret in (bobs, for_bob, by_eve_for_carol):
            assert cal.token_member(secret) is None
        assert cal.session_member(session) is None
        carol = cal.token_member(carols)
        assert carol is not None and carol.handle == "carol"  # untouched
        rows = _rows(cal, "SELECT COUNT(*) AS n FROM api_token WHERE revoked_at IS NOT NULL")
        assert rows[0].n == 3  # kept, marked revoked
        assert _rows(cal, "SELECT COUNT(*) AS n FROM api_token")[0].n == 4
        reasons = {(t.member, t.created_by): t.revoked_reason for t in cal.tokens("ada", True)}
        assert reasons == {
            ("bob", "bob"): "member-deactivated",
            ("bob", "ada"): "member-deactivated",
            ("carol", "eve"): "creator-deactivated",
            ("carol", "carol"): None,
        }
        (session_row,) = _rows(cal, "SELECT revoked_reason FROM login_session")
        assert session_row.revoked_reason == "member-deactivated"

    def test_the_ex_admin_cannot_reactivate_herself(self, cal: rentcal.Rentcal) -> None:
        """What the deactivated ex-admin did with her token for ada: now refused."""
        _token, secret = cal.create_token("eve", member="ada")
        cal.set_role("eve", "member", acting="ada")
        cal.deactivate_member("eve", acting="ada", today=TODAY)
        assert cal.token_member(secret) is None
        with pytest.raises(rentcal.PermissionDenied):
            cal.reactivate_member("eve", acting="eve")


class TestPasswordChange:
    """Every session ends; API tokens acting for or made by the member are revoked;
    feed URLs stay."""

    def test_tokens_revoked_feeds_stay(self, cal: rentcal.Rentcal) -> None:
        cal.set_password("eve", PASSWORD, acting="eve")
        _s, session = cal.login("eve", PASSWORD)
        _t1, eves = cal.create_token("eve")
        _t2, eve_for_bob = cal.create_token("eve", member="bob")
        _t3, ada_for_eve = cal.create_token("ada", member="eve")
        _t4, carols = cal.create_token("carol")
        _f, feed = cal.create_feed("eve", all_rentals=True)
        cal.set_password("eve", "a brand new passphrase", acting="eve")
        for secret in (eves, eve_for_bob, ada_for_eve):
            assert cal.token_member(secret) is None
        assert cal.session_member(session) is None
        assert cal.token_member(carols) is not None
        assert cal.feed_by_secret(feed) is not None  # read-only, kept: see the docs
        revoked = [t for t in cal.tokens("ada", True) if t.revoked_at is not None]
        assert {t.revoked_reason for t in revoked} == {"password-changed"} and len(revoked) == 3

    def test_a_token_minted_by_a_stolen_session_dies(self, cal: rentcal.Rentcal) -> None:
        """The issue: a token made while someone else held the session outlives nothing."""
        cal.set_password("bob", PASSWORD, acting="bob")
        _s, stolen = cal.login("bob", PASSWORD)
        thief = cal.session_member(stolen)
        assert thief is not None
        _t, minted = cal.create_token(thief.handle, name="thief")
        cal.set_password("bob", "bob takes it back", acting="bob")
        assert cal.token_member(minted) is None
        assert cal.session_member(stolen) is None


def test_the_upgrade_revokes_what_deactivated_members_still_hold(db_url: str) -> None:
    """Revision 0007: a database whose deactivated members still hold live tokens and
    feeds (as older releases left them) has them revoked, at the deactivation's time,
    with a reason, so that a reactivation restores nothing; other rows untouched."""
    from alembic import command

    from rentcal.db.migrations import runner

    with rentcal.connect(db_url, create=True) as cal:
        cal.add_member("ada", admin=True)
        cal.add_member("eve", verified=True, acting="ada")
        cal.set_role("eve", "admin", acting="ada")
        cal.add_member("bob", verified=True, acting="ada")
        _t1, for_bob = cal.create_token("eve", member="bob")
        _t2, eves = cal.create_token("eve")
        _t3, bobs = cal.create_token("bob")
        _f, feed = cal.create_feed("eve", all_rentals=True)
        cal.deactivate_member("eve", acting="ada", today=TODAY)
        with cal.store.engine.begin() as conn:  # as an older release left them: live
            for table in ("api_token", "feed_token"):
                conn.execute(sa.text(f"UPDATE {table} SET revoked_at = NULL"))
            cfg = runner.config()
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0006_org_settings")
    with rentcal.connect(db_url) as cal:  # upgrades to head
        cal.reactivate_member("eve", acting="ada")
        cal.set_role("eve", "admin", acting="ada")
        assert cal.token_member(for_bob) is None
        assert cal.token_member(eves) is None
        assert cal.feed_by_secret(feed) is None
        assert cal.token_member(bobs) is not None
        got = {t.name or t.member + "/" + str(t.created_by): t for t in cal.tokens("ada", True)}
        assert got["bob/eve"].revoked_reason == "creator-deactivated"
        assert got["eve/eve"].revoked_reason == "member-deactivated"
        assert got["bob/bob"].revoked_reason is None
        assert got["bob/eve"].revoked_at is not None
        (fed,) = cal.feed_tokens("ada", include_revoked=True)
        assert fed.revoked_reason == "member-deactivated" and fed.revoked_at is not None
