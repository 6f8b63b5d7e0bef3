"""A small sample database, built through the public library API.

``rentcal demo`` calls :func:`build_demo`; so can a notebook or a test::

    >>> import rentcal
    >>> from datetime import date
    >>> from rentcal.demo import build_demo
    >>> with rentcal.connect("sqlite://") as cal:
    ...     summary = build_demo(cal, date(2030, 1, 9))
    >>> sorted(summary.statuses())
    ['approved', 'cancelled', 'completed', 'pending', 'rejected']

Every date is relative to ``today``, so the demo always looks current: one
rental finished last week, the others in the coming weeks. Every member gets
a random password (in the summary) to log in to ``rentcal serve``.
"""

from __future__ import annotations

import secrets
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING

from rentcal.core.types import MaintenanceKind
from rentcal.core.values import Machine, Maintenance, Member, Rental
from rentcal.errors import InvalidRequest

if TYPE_CHECKING:
    from rentcal.service import Rentcal

#: The demo's admin: ``rentcal --as ada ...`` (or RENTCAL_USER=ada) manages it.
DEMO_ADMIN = "ada"
#: Who and what the demo creates: how ``init`` recognises the demo's data.
DEMO_MEMBERS = frozenset({DEMO_ADMIN, "bob", "carol", "dan"})
DEMO_MACHINES = frozenset({"tractor-6120", "saw", "excavator"})
#: The demo's own file, beside the default database: the two never mix.
DEMO_FILE = "demo.db"


@dataclass(frozen=True, slots=True)
class DemoSummary:
    """What :func:`build_demo` created."""

    database: str
    admin: str
    members: tuple[Member, ...]
    machines: tuple[Machine, ...]
    rentals: tuple[Rental, ...]
    maintenance: tuple[Maintenance, ...]
    #: (handle, password) of every demo member, to log in to ``rentcal serve``.
    passwords: tuple[tuple[str, str], ...] = field(default=())

    def statuses(self) -> Counter[str]:
        """How many rentals ended up in each status."""
        return Counter(r.status.value for r in self.rentals)

    def first(self, status: str) -> Rental:
        """The first demo rental in ``status`` (for "try this next" hints)."""
        return next(r for r in self.rentals if r.status.value == status)


def build_demo(cal: Rentcal, today: date) -> DemoSummary:
    """Fill an EMPTY database with members, machines, rentals and maintenance.

    Parameters:
        cal: A connection to a database without members.
        today: The day the sample data is arranged around.

    Returns:
        A :class:`DemoSummary` of everything created.

    Raises:
        InvalidRequest: the database already has members (nothing is changed).
    """
    if not cal.is_empty():
        raise InvalidRequest(
            f"database {cal.url} is not empty; the demo only fills a new database",
            field="database",
            value=cal.url,
            reason="not-empty",
        )

    def day(offset: int) -> date:
        return today + timedelta(days=offset)

    admin = DEMO_ADMIN
    members = (
        cal.add_member(admin, name="Ada Admin", email="ada@example.org", admin=True),
        cal.add_member(
            "bob", name="Bob Baker", email="bob@example.org", verified=True, acting=admin
        ),
        cal.add_member("carol", name="Carol Carter", verified=True, acting=admin),
        cal.add_member("dan", name="Dan Newcomer", acting=admin),  # not verified yet
    )
    machines = (
        cal.add_machine(
            "tractor-6120",
            "120.00",
            title="Tractor 6120",
            description="4WD, 120 hp, with front loader",
            acting=admin,
        ),
        cal.add_machine("saw", "15.50", title="Band saw", auto_approve=True, acting=admin),
        cal.add_machine(
            "excavator",
            "250.00",
            title="Mini excavator",
            description="1.8 t, three buckets",
            acting=admin,
        ),
    )

    # Finished last week: booked and approved back then, completed today.
    done = cal.book(
        "tractor-6120", day(-10), day(-7), member="bob", purpose="hay harvest", today=day(-10)
    )
    cal.approve(done.id, acting=admin, today=day(-10))
    completed = cal.complete(done.id, acting=admin, today=today)

    upcoming = cal.book(
        "tractor-6120", day(2), day(4), member="bob", purpose="ploughing", today=today
    )
    approved = cal.approve(upcoming.id, acting=admin, today=today)
    pending = cal.book(
        "tractor-6120", day(7), day(9), member="carol", purpose="moving gravel", today=today
    )
    auto = cal.book("saw", day(0), day(1), member="carol", purpose="fence posts", today=today)
    refused = cal.book("excavator", day(5), day(6), member="bob", purpose="pond", today=today)
    rejected = cal.reject(
        refused.id, acting=admin, reason="the bucket is being repaired", today=today
    )
    dropped = cal.book("excavator", day(10), day(12), member="carol", today=today)
    cancelled = cal.cancel(dropped.id, acting="carol", reason="plans changed", today=today)
    later = cal.book(
        "excavator", day(20), day(22), member="bob", purpose="drainage ditch", today=today
    )

    maintenance = (
        cal.add_maintenance(
            "excavator",
            day(14),
            day(15),
            kind=MaintenanceKind.PREVENTIVE,
            notes="oil and filters",
            acting=admin,
            today=today,
        ),
        cal.add_maintenance(
            "saw",
            day(3),
            day(3),
            kind=MaintenanceKind.INSPECTION,
            notes="blade guard check",
            acting=admin,
            today=today,
        ),
        cal.add_maintenance(
            "tractor-6120",
            day(30),
            day(31),
            kind=MaintenanceKind.REPAIR,
            notes="hydraulics",
            acting=admin,
            today=today,
        ),
        # Scheduled last week and over now, not yet marked done (`maintenance done 4`).
        cal.add_maintenance(
            "saw",
            day(-3),
            day(-2),
            kind=MaintenanceKind.REPAIR,
            notes="new blade",
            acting=admin,
            today=day(-3),
        ),
    )
    # Random, so a demo served on a network is not open to a published password.
    passwords = tuple((m.handle, secrets.token_urlsafe(9)) for m in members)
    for handle, password in passwords:
        cal.set_password(handle, password, acting=admin)
    return DemoSummary(
        database=cal.url,
        admin=admin,
        members=members,
        machines=machines,
        rentals=(completed, approved, pending, auto, rejected, cancelled, later),
        maintenance=maintenance,
        passwords=passwords,
    )


def holds_the_demo(cal: Rentcal) -> bool:
    """Whether ``cal``'s database is the one :func:`build_demo` made (its members and
    machines are all there): ``rentcal init`` then refuses to mix your own data in.

    Examples:

        >>> import rentcal
        >>> from datetime import date
        >>> with rentcal.connect("sqlite://") as cal:
        ...     empty = holds_the_demo(cal)
        ...     _ = build_demo(cal, date(2030, 1, 9))
        ...     (empty, holds_the_demo(cal))
        (False, True)
    """
    handles = {member.handle for member in cal.members()}
    if not handles.issuperset(DEMO_MEMBERS):
        return False
    names = {machine.name for machine in cal.machines(include_retired=True)}
    return names.issuperset(DEMO_MACHINES)


__all__ = [
    "DEMO_ADMIN",
    "DEMO_FILE",
    "DEMO_MACHINES",
    "DEMO_MEMBERS",
    "DemoSummary",
    "build_demo",
    "holds_the_demo",
]
