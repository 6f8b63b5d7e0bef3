"""The credentials' revision: +1 with every write that changes what a secret stands for.

A server keeps what a token, session or feed URL resolved to only while this
counter is unchanged, so a missed bump would let a revoked secret work on.
The bump is in the statement functions themselves (rentcal.db.sql), inside
the write's transaction.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

import rentcal
from rentcal.db.sql.revisions import revisions
from tests.conftest import SQLITE_ONLY, TODAY, d

pytestmark = SQLITE_ONLY

Action = Callable[[rentcal.Rentcal], object]


def credentials(cal: rentcal.Rentcal) -> int:
    """The counter as a read sees it."""
    return cal._context.read(revisions).credentials


#: Each changes what an existing secret allows: the counter must move.
CHANGES: list[tuple[str, Action]] = [
    ("password change", lambda c: c.set_password("dan", "another password", acting="dan")),
    ("deactivate", lambda c: c.deactivate_member("dan", acting="ada")),
    ("demote", lambda c: c.set_role("ada2", "member", acting="ada")),
    ("promote", lambda c: c.set_role("carol", "admin", acting="ada")),
    ("verify", lambda c: c.verify_member("carol", acting="ada")),
    ("edit member", lambda c: c.edit_member("bob", acting="bob", name="B")),
    ("logout", lambda c: c.logout(c.login("dan", "dans password")[1])),
    ("revoke token", lambda c: c.revoke_token(c.create_token("bob")[0].id, "bob")),
    ("revoke feed", lambda c: c.revoke_feed(c.create_feed("bob")[0].id, "bob")),
]
#: Nothing an existing secret allows changes: the counter stays (no cache is dropped).
QUIET: list[tuple[str, Action]] = [
    ("login", lambda c: c.login("dan", "dans password")),
    ("create token", lambda c: c.create_token("bob")),
    ("create feed", lambda c: c.create_feed("bob")),
    ("use token", lambda c: c.token_member(c.create_token("bob")[1])),
    ("booking", lambda c: c.book("saw", d(20), d(21), member="bob", today=TODAY)),
    ("add member", lambda c: c.add_member("eve", acting="ada")),
]


@pytest.fixture
def setup(seeded: rentcal.Rentcal) -> rentcal.Rentcal:
    seeded.set_password("dan", "dans password", acting="dan")
    seeded.add_member("ada2", admin=True, acting="ada")
    return seeded


@pytest.mark.parametrize(("change",), [pytest.param(w, id=name) for name, w in CHANGES])
def test_changes_bump(setup: rentcal.Rentcal, change: Action) -> None:
    before = credentials(setup)
    change(setup)
    assert credentials(setup) > before


@pytest.mark.parametrize(("write",), [pytest.param(w, id=name) for name, w in QUIET])
def test_other_writes_do_not_bump(setup: rentcal.Rentcal, write: Action) -> None:
    before = credentials(setup)
    write(setup)
    assert credentials(setup) == before


def test_revoking_nothing_does_not_bump(setup: rentcal.Rentcal) -> None:
    """A logout of an unknown secret changes nothing and drops no cache."""
    before = credentials(setup)
    assert setup.logout("not a live session secret at all") is False
    assert credentials(setup) == before


def test_bump_rolls_back_with_its_write(setup: rentcal.Rentcal) -> None:
    """In the write's transaction: a refused deactivation leaves the counter."""
    before = credentials(setup)
    with pytest.raises(rentcal.PermissionDenied):
        setup.deactivate_member("dan", acting="bob")
    assert credentials(setup) == before
