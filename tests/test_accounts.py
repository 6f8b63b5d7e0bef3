"""Passwords, logins and their throttling, sessions, API tokens and feed tokens."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import argon2
import pytest
import sqlalchemy as sa

import rentcal
from rentcal.core.credential_values import LOGIN_WINDOW, MAX_PASSWORD, MIN_PASSWORD, FeedScope
from rentcal.service import sessions
from tests.conftest import BOTH, TODAY
from tests.processes import Start, in_processes

pytestmark = BOTH

PASSWORD = "correct horse battery"
START = datetime(TODAY.year, TODAY.month, TODAY.day, 12, 0, tzinfo=UTC)


class ManualClock:
    """A clock that stands still until moved (sessions and throttling are about time)."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def cal(db_url: str, clock: ManualClock) -> Iterator[rentcal.Rentcal]:
    """Admin 'ada', members 'bob' (password set) and 'carol' (password set), 'dan' (none);
    machine 'saw'."""
    with rentcal.connect(db_url, clock=clock, busy_timeout=10) as c:
        c.add_member("ada", admin=True)
        for handle in ("bob", "carol", "dan"):
            c.add_member(handle, verified=True, acting="ada")
        c.add_machine("saw", daily_price="10", acting="ada")
        c.set_password("bob", PASSWORD, acting="bob")
        c.set_password("carol", PASSWORD, acting="carol")
        yield c


def _rows(cal: rentcal.Rentcal, sql: str) -> list[Any]:
    with cal.store.engine.connect() as conn:
        return list(conn.execute(sa.text(sql)))


def _denied(err: pytest.ExceptionInfo[rentcal.PermissionDenied], reason: str) -> None:
    assert err.value.reason == reason, (err.value.reason, str(err.value))


class TestPasswords:
    """A member sets their own password, an admin anyone's; the hash is Argon2id."""

    def test_own_and_admin(self, cal: rentcal.Rentcal) -> None:
        cal.set_password("dan", "dans password", acting="dan")
        assert cal.login("dan", "dans password")[0].member == "dan"
        cal.set_password("dan", "reset by ada", acting="ada")
        assert cal.login("dan", "reset by ada")[0].member == "dan"
        with pytest.raises(rentcal.AuthFailed):
            cal.login("dan", "dans password")

    def test_other_member_refused(self, cal: rentcal.Rentcal) -> None:
        with pytest.raises(rentcal.PermissionDenied) as err:
            cal.set_password("carol", "bob was here", acting="bob")
        _denied(err, "not-owner")
        assert "'bob' cannot set the password of 'carol'" in str(err.value)
        assert cal.login("carol", PASSWORD)[0].member == "carol"  # unchanged

    def test_acting_required(self, cal: rentcal.Rentcal) -> None:
        with pytest.raises(rentcal.PermissionDenied) as err:
            cal.set_password("bob", "long enough", acting=None)
        _denied(err, "no-actor")

    def test_unknown_member(self, cal: rentcal.Rentcal) -> None:
        with pytest.raises(rentcal.NotFound):
            cal.set_password("zed", "long enough", acting="ada")

    @pytest.mark.parametrize(
        ("password", "reason"),
        [
            pytest.param("", "too-short", id="empty"),
            pytest.param("x" * (MIN_PASSWORD - 1), "too-short", id="seven"),
            pytest.param("x" * (MAX_PASSWORD + 1), "too-long", id="1025"),
            pytest.param(12345678, "wrong-type", id="not-text"),  # ArgumentTypeError
        ],
    )
    def test_length_rules(self, cal: rentcal.Rentcal, password: Any, reason: str) -> None:
        with pytest.raises(rentcal.InvalidRequest) as err:
            cal.set_password("bob", password, acting="bob")
        assert (err.value.field, err.value.reason) == ("password", reason)
        assert cal.login("bob", PASSWORD)  # the old password still works

    def test_bounds_accepted(self, cal: rentcal.Rentcal) -> None:
        for password in ("x" * MIN_PASSWORD, "y" * MAX_PASSWORD):
            cal.set_password("dan", password, acting="dan")
            assert cal.login("dan", password)[0].member == "dan"

    def test_stored_as_argon2id_with_owasp_parameters(self, cal: rentcal.Rentcal) -> None:
        encoded = _rows(cal, "SELECT password_hash FROM credential")[0].password_hash
        assert PASSWORD not in encoded
        params = argon2.extract_parameters(encoded)
        assert params.type is argon2.Type.ID
        assert params.memory_cost >= 19456
        assert params.time_cost >= 2
        assert params.parallelism >= 1
        assert params.salt_len >= 16
        hashes = {r.password_hash for r in _rows(cal, "SELECT password_hash FROM credential")}
        assert len(hashes) == 2  # bob and carol share a password, not a hash (salted)

    def test_dummy_hash_costs_what_a_real_one_does(self) -> None:
        """Unknown handles are verified against it: same parameters, same work."""
        assert argon2.extract_parameters(sessions.DUMMY_HASH) == argon2.extract_parameters(
            sessions.hasher().hash("anything at all")
        )
        assert not sessions.hasher().check_needs_rehash(sessions.DUMMY_HASH)

    def test_hashing_happens_outside_transactions(
        self, cal: rentcal.Rentcal, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """No pooled connection is checked out while Argon2 runs (set and verify)."""
        real = sessions.hasher()
        seen: list[int] = []

        class Watching:
            def hash(self, password: str) -> str:
                seen.append(cal.store.engine.pool.checkedout())  # type: ignore[attr-defined]
                return real.hash(password)

            def verify(self, stored: str, password: str) -> bool:
                seen.append(cal.store.engine.pool.checkedout())  # type: ignore[attr-defined]
                return real.verify(stored, password)

            def check_needs_rehash(self, stored: str) -> bool:
                return real.check_needs_rehash(stored)

        monkeypatch.setattr(sessions, "hasher", Watching)
        cal.set_password("dan", "a new password", acting="dan")
        cal.login("dan", "a new password")
        with pytest.raises(rentcal.AuthFailed):
            cal.login("dan", "wrong password")
        assert seen == [0, 0, 0]

    def test_change_ends_open_sessions(self, cal: rentcal.Rentcal) -> None:
        _, first = cal.login("bob", PASSWORD)
        _, other = cal.login("carol", PASSWORD)
        cal.set_password("bob", "another password", acting="ada")
        assert cal.session_member(first) is None
        assert cal.session_member(other) is not None  # carol's untouched
        assert cal.has_password("bob")
        assert not cal.has_password("dan")

    def test_outdated_hash_upgraded_on_login(
        self, cal: rentcal.Rentcal, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        weak = argon2.PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
        cal.set_password("dan", "to be replaced", acting="dan")
        with cal.store.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "UPDATE credential SET password_hash = :h "
                    "WHERE member_id = (SELECT id FROM member WHERE handle = 'dan')"
                ),
                {"h": weak.hash("old cheap hash")},
            )
        cal.login("dan", "old cheap hash")
        (row,) = _rows(
            cal,
            "SELECT password_hash FROM credential JOIN member ON member.id = member_id "
            "WHERE handle = 'dan'",
        )
        assert argon2.extract_parameters(row.password_hash).memory_cost == 19456
        assert cal.login("dan", "old cheap hash")


class TestLogin:
    """The right password opens a session; every wrong answer is the same AuthFailed."""

    def test_ok(self, cal: rentcal.Rentcal, clock: ManualClock) -> None:
        session, secret = cal.login("Bob ", PASSWORD)
        assert (session.member, session.created_at, session.revoked_at) == ("bob", clock.now, None)
        assert session.expires_at == clock.now + timedelta(days=14)
        assert len(secret) >= 43  # 256 bits, URL-safe base64
        member = cal.session_member(secret)
        assert member is not None
        assert member.handle == "bob"
        assert "secret" not in session.as_dict()

    def test_only_a_digest_is_stored(self, cal: rentcal.Rentcal) -> None:
        _, secret = cal.login("bob", PASSWORD)
        (row,) = _rows(cal, "SELECT * FROM login_session")
        assert row.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert secret not in repr(tuple(row))

    def test_every_new_session_has_its_own_secret(self, cal: rentcal.Rentcal) -> None:
        secrets = {cal.login("bob", PASSWORD)[1] for _ in range(3)}
        assert len(secrets) == 3

    @pytest.mark.parametrize(
        ("handle", "password"),
        [
            pytest.param("bob", "wrong password", id="wrong-password"),
            pytest.param("nobody", PASSWORD, id="unknown-handle"),
            pytest.param("dan", PASSWORD, id="no-password-set"),
            pytest.param("bob", "", id="empty-password"),
            pytest.param("bob", "x" * 5000, id="huge-password"),
            pytest.param("", PASSWORD, id="empty-handle"),
            pytest.param("b o b", PASSWORD, id="malformed-handle"),
        ],
    )
    def test_same_error_for_every_wrong_answer(
        self, cal: rentcal.Rentcal, handle: str, password: str
    ) -> None:
        with pytest.raises(rentcal.AuthFailed) as err:
            cal.login(handle, password)
        assert (str(err.value), err.value.field, err.value.value, err.value.reason) == (
            "wrong handle or password",
            None,
            None,
            "bad-credentials",
        )
        assert isinstance(err.value, rentcal.PermissionDenied)

    @pytest.mark.parametrize("handle", ["bob", "nobody", "dan"])
    def test_same_work_for_known_and_unknown_handles(
        self, cal: rentcal.Rentcal, monkeypatch: pytest.MonkeyPatch, handle: str
    ) -> None:
        """One full Argon2 verification either way (a dummy hash for unknown handles)."""
        real = sessions.hasher()
        checked: list[str] = []

        class Counting:
            def verify(self, stored: str, password: str) -> bool:
                checked.append(stored)
                return real.verify(stored, password)

        monkeypatch.setattr(sessions, "hasher", Counting)
        with pytest.raises(rentcal.AuthFailed):
            cal.login(handle, "wrong password")
        assert len(checked) == 1
        params = argon2.extract_parameters(checked[0])
        assert (params.memory_cost, params.time_cost) == (19456, 2)

    def test_logout(self, cal: rentcal.Rentcal) -> None:
        _, secret = cal.login("bob", PASSWORD)
        _, kept = cal.login("bob", PASSWORD)
        assert cal.logout(secret) is True
        assert cal.session_member(secret) is None
        assert cal.session_member(kept) is not None
        assert cal.logout(secret) is False
        (row, _) = _rows(cal, "SELECT revoked_at FROM login_session ORDER BY id")
        assert row.revoked_at is not None  # kept, marked revoked

    @pytest.mark.parametrize("secret", ["", "x", "y" * 5000])
    def test_unknown_secrets(self, cal: rentcal.Rentcal, secret: Any) -> None:
        assert cal.session_member(secret) is None
        assert cal.token_member(secret) is None
        assert cal.feed_by_secret(secret) is None
        assert cal.logout(secret) is False

    @pytest.mark.parametrize("secret", [None, 42])
    def test_secrets_of_the_wrong_type_are_refused(self, cal: rentcal.Rentcal, secret: Any) -> None:
        for lookup in (cal.session_member, cal.token_member, cal.feed_by_secret, cal.logout):
            with pytest.raises(rentcal.ArgumentTypeError, match="secret must be a str"):
                lookup(secret)


class TestSessionExpiry:
    """Sessions expire after 14 idle days (sliding), with an injected clock."""

    def test_idle_expiry(self, cal: rentcal.Rentcal, clock: ManualClock) -> None:
        _, secret = cal.login("bob", PASSWORD)
        clock.advance(days=14, seconds=-1)
        assert cal.session_member(secret) is not None
        clock.advance(days=14, seconds=-1)  # used a moment ago: 14 more days
        assert cal.session_member(secret) is not None
        clock.advance(days=14)
        assert cal.session_member(secret) is None

    def test_expires_exactly_at_the_limit(self, cal: rentcal.Rentcal, clock: ManualClock) -> None:
        _, secret = cal.login("bob", PASSWORD)
        clock.advance(days=14)
        assert cal.session_member(secret) is None

    def test_configurable(self, cal: rentcal.Rentcal, clock: ManualClock) -> None:
        cal.session_idle = timedelta(hours=1)
        session, secret = cal.login("bob", PASSWORD)
        assert session.expires_at == clock.now + timedelta(hours=1)
        clock.advance(minutes=59)
        assert cal.session_member(secret) is not None
        clock.advance(minutes=61)
        assert cal.session_member(secret) is None

    def test_shortened_limit_applies_to_open_sessions(
        self, cal: rentcal.Rentcal, clock: ManualClock
    ) -> None:
        _, secret = cal.login("bob", PASSWORD)
        clock.advance(hours=2)
        cal.session_idle = timedelta(hours=1)
        assert cal.session_member(secret) is None

    def test_last_seen_written_at_most_once_a_minute(
        self, cal: rentcal.Rentcal, clock: ManualClock
    ) -> None:
        _, secret = cal.login("bob", PASSWORD)
        login_time = clock.now
        clock.advance(seconds=30)
        assert cal.session_member(secret) is not None
        (row,) = _rows(cal, "SELECT last_seen_at FROM login_session")
        assert _as_utc(row.last_seen_at) == login_time  # not written for 30 seconds
        clock.advance(seconds=60)
        assert cal.session_member(secret) is not None
        (row,) = _rows(cal, "SELECT last_seen_at, expires_at FROM login_session")
        stored = _as_utc(row.last_seen_at)
        assert stored == clock.now
        assert _as_utc(row.expires_at) == clock.now + timedelta(days=14)


def _as_utc(value: Any) -> datetime:
    """A raw datetime column (a string on SQLite) as an aware UTC datetime."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class TestThrottling:
    """Five failures for one handle in 15 minutes stop that handle, in every process."""

    def _fail(self, cal: rentcal.Rentcal, handle: str, times: int) -> None:
        for _ in range(times):
            with pytest.raises(rentcal.AuthFailed):
                cal.login(handle, "wrong password")

    def test_sixth_attempt_refused_even_with_the_right_password(
        self, cal: rentcal.Rentcal, clock: ManualClock
    ) -> None:
        self._fail(cal, "bob", 5)
        clock.advance(minutes=5)
        with pytest.raises(rentcal.Throttled) as err:
            cal.login("bob", PASSWORD)
        assert err.value.retry_after == 10 * 60
        assert (err.value.field, err.value.value, err.value.reason) == (
            "handle",
            "bob",
            "throttled",
        )
        assert "try again in 600 seconds" in str(err.value)

    def test_other_handles_unaffected(self, cal: rentcal.Rentcal) -> None:
        self._fail(cal, "bob", 5)
        assert cal.login("carol", PASSWORD)[0].member == "carol"
        with pytest.raises(rentcal.Throttled):
            cal.login("bob", PASSWORD)

    def test_window_slides(self, cal: rentcal.Rentcal, clock: ManualClock) -> None:
        self._fail(cal, "bob", 1)
        clock.advance(minutes=10)
        self._fail(cal, "bob", 4)
        with pytest.raises(rentcal.Throttled) as err:
            cal.login("bob", PASSWORD)
        assert err.value.retry_after == 5 * 60  # when the first failure ages out
        clock.advance(minutes=5)
        assert cal.login("bob", PASSWORD)[0].member == "bob"

    def test_throttled_attempts_do_not_extend_the_wait(
        self, cal: rentcal.Rentcal, clock: ManualClock
    ) -> None:
        self._fail(cal, "bob", 5)
        for _ in range(3):
            clock.advance(minutes=4)
            with pytest.raises(rentcal.Throttled):
                cal.login("bob", "wrong password")
        clock.advance(minutes=3)  # 15 minutes after the five failures
        assert cal.login("bob", PASSWORD)[0].member == "bob"

    def test_successes_are_not_failures(self, cal: rentcal.Rentcal) -> None:
        self._fail(cal, "bob", 4)
        for _ in range(3):
            assert cal.login("bob", PASSWORD)
        self._fail(cal, "bob", 1)
        with pytest.raises(rentcal.Throttled):
            cal.login("bob", PASSWORD)

    def test_unknown_handles_are_throttled_alike(self, cal: rentcal.Rentcal) -> None:
        """Otherwise the 6th answer would tell which handles exist."""
        self._fail(cal, "nobody", 5)
        with pytest.raises(rentcal.Throttled):
            cal.login("nobody", PASSWORD)

    def test_handle_spelling_does_not_escape_it(self, cal: rentcal.Rentcal) -> None:
        self._fail(cal, "bob", 5)
        with pytest.raises(rentcal.Throttled):
            cal.login(" BOB", PASSWORD)

    def test_two_instances_share_the_count(self, db_url: str, cal: rentcal.Rentcal) -> None:
        """Stored in the database: a second process (here: a second connection) sees it."""
        other_clock = ManualClock(START + timedelta(minutes=1))
        with rentcal.connect(db_url, clock=other_clock) as other:
            self._fail(cal, "bob", 3)
            self._fail(other, "bob", 2)
            with pytest.raises(rentcal.Throttled):
                cal.login("bob", PASSWORD)
            with pytest.raises(rentcal.Throttled):
                other.login("bob", PASSWORD)
            assert other.login("carol", PASSWORD)

    @pytest.mark.slow
    def test_concurrent_guesses_get_exactly_five_tries(self, db_url: str) -> None:
        """Eight processes guess at once: five are checked, three are throttled."""
        with rentcal.connect(db_url) as setup:
            setup.add_member("ada", admin=True)
            setup.set_password("ada", PASSWORD, acting="ada")
        outcomes = sorted(in_processes(_guess, [(db_url,)] * 8, timeout=120))
        assert outcomes == ["AuthFailed"] * 5 + ["Throttled"] * 3, outcomes
        with rentcal.connect(db_url) as cal, pytest.raises(rentcal.Throttled):
            cal.login("ada", PASSWORD)


def _guess(start: Start, url: str) -> str:
    with rentcal.connect(url, busy_timeout=30) as cal:
        cal.members()  # connected before the start signal
        start()
        try:
            cal.login("ada", "a wrong guess")
        except rentcal.RentcalError as err:
            return type(err).__name__
        return "logged in"


class TestApiTokens:
    """Tokens act as one member; only admins make them for others; revoked ones stop."""

    def test_create_and_use(self, cal: rentcal.Rentcal, clock: ManualClock) -> None:
        token, secret = cal.create_token("bob", name="backup script")
        assert (token.member, token.name, token.created_by, token.active) == (
            "bob",
            "backup script",
            "bob",
            True,
        )
        assert len(secret) >= 43
        member = cal.token_member(secret)
        assert member is not None
        assert member.handle == "bob"
        (row,) = _rows(cal, "SELECT secret_hash, last_used_at FROM api_token")
        assert row.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert row.last_used_at is not None
        assert "token" not in token.as_dict()

    def test_last_used_at_most_once_a_minute(
        self, cal: rentcal.Rentcal, clock: ManualClock
    ) -> None:
        _, secret = cal.create_token("bob")
        cal.token_member(secret)
        first = cal.tokens("bob")[0].last_used_at
        clock.advance(seconds=30)
        cal.token_member(secret)
        assert cal.tokens("bob")[0].last_used_at == first == START
        clock.advance(seconds=31)
        cal.token_member(secret)
        assert cal.tokens("bob")[0].last_used_at == clock.now

    def test_admin_for_another_member(self, cal: rentcal.Rentcal) -> None:
        token, secret = cal.create_token("ada", member="bob")
        assert (token.member, token.created_by) == ("bob", "ada")
        member = cal.token_member(secret)
        assert member is not None
        assert member.handle == "bob"

    def test_member_for_another_refused(self, cal: rentcal.Rentcal) -> None:
        with pytest.raises(rentcal.PermissionDenied) as err:
            cal.create_token("bob", member="carol")
        _denied(err, "not-admin")
        assert cal.tokens("ada") == []

    def test_acting_required(self, cal: rentcal.Rentcal) -> None:
        with pytest.raises(rentcal.PermissionDenied) as err:
            cal.create_token(None)
        _denied(err, "no-actor")

    def test_listing(self, cal: rentcal.Rentcal) -> None:
        mine, _ = cal.create_token("bob")
        theirs, _ = cal.create_token("carol")
        assert [t.id for t in cal.tokens("bob")] == [mine.id]
        assert [t.id for t in cal.tokens("ada")] == [mine.id, theirs.id]

    def test_revoke(self, cal: rentcal.Rentcal) -> None:
        token, secret = cal.create_token("bob")
        revoked = cal.revoke_token(token.id, "bob")
        assert not revoked.active
        assert cal.token_member(secret) is None
        assert cal.tokens("bob") == []
        assert [t.id for t in cal.tokens("bob", include_revoked=True)] == [token.id]
        with pytest.raises(rentcal.InvalidRequest) as err:
            cal.revoke_token(token.id, "bob")
        assert err.value.reason == "revoked"

    def test_revoke_permissions(self, cal: rentcal.Rentcal) -> None:
        token, secret = cal.create_token("bob")
        with pytest.raises(rentcal.PermissionDenied) as err:
            cal.revoke_token(token.id, "carol")
        _denied(err, "not-owner")
        assert cal.token_member(secret) is not None
        cal.revoke_token(token.id, "ada")
        assert cal.token_member(secret) is None

    @pytest.mark.parametrize(
        ("token_id", "error"),
        [(999, rentcal.NotFound), (0, rentcal.InvalidRequest), (True, rentcal.InvalidRequest)],
    )
    def test_revoke_bad_ids(self, cal: rentcal.Rentcal, token_id: Any, error: type) -> None:
        with pytest.raises(error):
            cal.revoke_token(token_id, "ada")

    def test_label_checked(self, cal: rentcal.Rentcal) -> None:
        with pytest.raises(rentcal.InvalidRequest):
            cal.create_token("bob", name="bad\x1b[31m")
        with pytest.raises(rentcal.InvalidRequest):
            cal.create_token("bob", name="x" * 101)


class TestFeedTokens:
    """Members make feeds of their own rentals; admins of anything; the scope is fixed."""

    def test_member_default_is_own_rentals(self, cal: rentcal.Rentcal) -> None:
        feed, secret = cal.create_feed("bob", name="phone")
        assert (feed.scope, feed.member, feed.machine, feed.owner, feed.format) == (
            FeedScope.MEMBER,
            "bob",
            None,
            "bob",
            "ics",
        )
        assert feed.path(secret) == f"/feeds/{secret}.ics"
        assert len(secret) >= 43
        assert cal.feed_by_secret(secret) == feed
        (row,) = _rows(cal, "SELECT secret_hash FROM feed_token")
        assert row.secret_hash == hashlib.sha256(secret.encode()).hexdigest()

    def test_member_limits(self, cal: rentcal.Rentcal) -> None:
        with pytest.raises(rentcal.PermissionDenied) as err:
            cal.create_feed("bob", member="carol")
        _denied(err, "not-owner")
        assert cal.feed_tokens("ada") == []

    @pytest.mark.parametrize(
        ("kwargs", "scope"),
        [
            pytest.param({"machine": "saw"}, "machine", id="machine"),
            pytest.param({"all_rentals": True}, "all", id="all"),
        ],
    )
    def test_members_subscribe_to_machines(
        self, cal: rentcal.Rentcal, kwargs: Any, scope: str
    ) -> None:
        feed, secret = cal.create_feed("bob", **kwargs)
        assert (feed.scope.value, feed.owner) == (scope, "bob")
        assert cal.feed_by_secret(secret) == feed

    def test_admin_any_scope(self, cal: rentcal.Rentcal) -> None:
        machine, _ = cal.create_feed("ada", machine="SAW", fmt="json")
        member, _ = cal.create_feed("ada", member="carol")
        everything, _ = cal.create_feed("ada", all_rentals=True)
        assert (machine.scope, machine.machine, machine.format) == (
            FeedScope.MACHINE,
            "saw",
            "json",
        )
        assert (member.scope, member.member, member.owner) == (FeedScope.MEMBER, "carol", "ada")
        assert (everything.scope, everything.machine, everything.member) == (
            FeedScope.ALL,
            None,
            None,
        )
        assert machine.path("s") == "/feeds/s.json"

    @pytest.mark.parametrize(
        ("kwargs", "field"),
        [
            pytest.param({"machine": "saw", "member": "bob"}, "scope", id="two-scopes"),
            pytest.param({"machine": "saw", "all_rentals": True}, "scope", id="machine-and-all"),
            pytest.param({"fmt": "pdf"}, "format", id="format"),
            pytest.param({"name": "x" * 101}, None, id="long-name"),
        ],
    )
    def test_bad_requests(self, cal: rentcal.Rentcal, kwargs: Any, field: str | None) -> None:
        with pytest.raises(rentcal.InvalidRequest) as err:
            cal.create_feed("ada", **kwargs)
        if field is not None:
            assert err.value.field == field

    def test_unknown_machine_or_member(self, cal: rentcal.Rentcal) -> None:
        with pytest.raises(rentcal.NotFound):
            cal.create_feed("ada", machine="nope")
        with pytest.raises(rentcal.NotFound):
            cal.create_feed("ada", member="nope")

    def test_list_and_revoke(self, cal: rentcal.Rentcal) -> None:
        mine, secret = cal.create_feed("bob")
        admins, _ = cal.create_feed("ada", machine="saw")
        assert [f.id for f in cal.feed_tokens("bob")] == [mine.id]
        assert [f.id for f in cal.feed_tokens("ada")] == [mine.id, admins.id]
        with pytest.raises(rentcal.PermissionDenied) as err:
            cal.revoke_feed(admins.id, "bob")
        _denied(err, "not-owner")
        revoked = cal.revoke_feed(mine.id, "bob")
        assert not revoked.active
        assert cal.feed_by_secret(secret) is None
        assert cal.feed_tokens("bob") == []
        assert [f.id for f in cal.feed_tokens("bob", include_revoked=True)] == [mine.id]
        with pytest.raises(rentcal.InvalidRequest) as err2:
            cal.revoke_feed(mine.id, "ada")
        assert err2.value.reason == "revoked"
        with pytest.raises(rentcal.NotFound):
            cal.revoke_feed(999, "ada")

    def test_json_shape(self, cal: rentcal.Rentcal) -> None:
        feed, secret = cal.create_feed("ada", machine="saw")
        data = feed.as_dict()
        assert set(data) == {
            "id",
            "scope",
            "machine",
            "member",
            "format",
            "name",
            "owner",
            "created_at",
            "revoked_at",
            "revoked_reason",
            "active",
        }
        assert secret not in repr(data)
        assert data["scope"] == "machine"


def test_login_window_is_fifteen_minutes() -> None:
    assert timedelta(minutes=15) == LOGIN_WINDOW
