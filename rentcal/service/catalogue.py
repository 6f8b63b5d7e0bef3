"""Members and machines: who may book, and what can be booked.

The first member of an empty database must be an admin, or nobody could
ever manage it; :meth:`Catalogue.init` makes that first admin idempotently,
in one write transaction, so two ``init`` runs at once cannot race.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy.engine import Connection

from rentcal.core import checks
from rentcal.core.types import MachineStatus, RequestPolicy, Role
from rentcal.core.values import Machine, Member
from rentcal.db import sql as q
from rentcal.errors import InvalidRequest
from rentcal.service.base import Context
from rentcal.service.editing import record_changes
from rentcal.service.housekeeping import Housekeeping
from rentcal.service.lifecycle import Lifecycle


class Catalogue:
    """Use cases about members and machines."""

    def __init__(self, ctx: Context, housekeeping: Housekeeping, lifecycle: Lifecycle) -> None:
        self.ctx = ctx
        self.housekeeping = housekeeping
        self.lifecycle = lifecycle

    # -- members ------------------------------------------------------------------

    def add_member(
        self,
        handle: str,
        name: str | None = None,
        email: str | None = None,
        verified: bool = False,
        admin: bool = False,
        acting: str | None = None,
    ) -> Member:
        """Add a member. Admins only, except the first member of an empty database.

        The first member must be an admin: otherwise nobody could ever manage
        the database; with them the organisation's time zone is stored, as by
        :meth:`init`. Admins are always verified.
        """
        clean = checks.handle(handle, "handle", "member handle")
        display = checks.title(name, "name") or clean
        mail = checks.email(email, "email")
        checks.flag(verified, "verified")
        checks.flag(admin, "admin")
        checks.optional_handle(acting, "acting", "acting member")

        def work(conn: Connection) -> Member:
            self.ctx.store.lock_members(conn)
            first = q.member_count(conn) == 0
            if first:
                if not admin:
                    raise InvalidRequest(
                        f"the first member ({clean!r}) must be an admin, or nobody could manage "
                        "this database",
                        field="admin",
                        value=clean,
                        reason="first-member-admin",
                    )
            else:
                self.ctx.admin(conn, acting, "add members")
            added = self._insert_member(conn, clean, display, mail, verified, admin)
            if first:  # the first admin founds the organisation, as init() does
                self.ctx.store_initial_zone(conn, added.id)
            return added

        return self.ctx.write(work)

    def _insert_member(
        self,
        conn: Connection,
        handle: str,
        name: str,
        email: str | None,
        verified: bool,
        admin: bool,
    ) -> Member:
        if q.member_row(conn, handle) is not None:
            raise InvalidRequest(
                f"member {handle!r} already exists", field="handle", value=handle, reason="exists"
            )
        role = Role.ADMIN if admin else Role.MEMBER
        is_verified = bool(verified or admin)
        new_id = q.insert_member(
            conn,
            handle=handle,
            name=name,
            email=email,
            verified=is_verified,
            role=role,
            created_at=self.ctx.now(),
        )
        return Member(new_id, handle, name, email, is_verified, role)

    def init(self, admin: str, name: str | None = None, email: str | None = None) -> Member | None:
        """Make ``admin`` the first (verified) admin of an empty database; idempotent.

        Returns the new admin, or None when the database already has members
        (then nothing else changes, except that a database holding no time zone
        yet — made by an older rentcal — gets one). With
        the admin it stores the organisation's
        time zone (see :mod:`rentcal.service.org_settings`): the one given to
        ``connect()``, else the host's, else UTC. The check and the insert share one write
        transaction, so two ``init`` runs at once never both create an admin.
        """
        clean = checks.handle(admin, "admin", "admin handle")
        display = checks.title(name, "name") or clean
        mail = checks.email(email, "email")

        def work(conn: Connection) -> Member | None:
            self.ctx.store.lock_members(conn)
            if q.member_count(conn) > 0:
                self.ctx.store_initial_zone(conn, None)  # one made before zones: none stored yet
                return None
            admin_member = self._insert_member(conn, clean, display, mail, True, True)
            self.ctx.store_initial_zone(conn, admin_member.id)
            self.ctx.bump_revision(conn)
            return admin_member

        # The revision moves only when the database was made: a second init changes
        # nothing a calendar shows, so feeds' ETags and live views stay as they are.
        return self.ctx.write(work, calendar=False)

    def verify_member(self, handle: str, acting: str | None = None) -> Member:
        """Mark a member verified so they may book (admins only; idempotent)."""
        checks.handle(handle, "handle", "member")
        checks.optional_handle(acting, "acting", "acting member")

        def work(conn: Connection) -> Member:
            self.ctx.admin(conn, acting, "verify members")
            row = self.ctx.member_row(conn, handle)
            if not row.verified:
                q.update_member(conn, row.id, verified=True)
                self.ctx.notify(
                    conn,
                    [row.id],
                    "Your membership was verified: you can book machines now.",
                    kind="verified",
                )
            return q.member(self.ctx.member_row(conn, row.handle))

        return self.ctx.write(work)

    def member(self, handle: str) -> Member:
        """One member by handle."""
        checks.handle(handle, "handle", "member")
        return self.ctx.read(lambda conn: q.member(self.ctx.member_row(conn, handle)))

    def members(self) -> list[Member]:
        """All members, by handle."""
        return self.ctx.read(q.all_members)

    def is_empty(self) -> bool:
        """Whether the database has no members yet (``init`` has not run)."""
        return self.ctx.read(lambda conn: q.member_count(conn) == 0)

    # -- machines -----------------------------------------------------------------

    def add_machine(
        self,
        name: str,
        daily_price: Decimal | str | int = Decimal("0"),
        title: str | None = None,
        description: str | None = None,
        auto_approve: bool = False,
        acting: str | None = None,
        request_policy: str | RequestPolicy = RequestPolicy.BLOCK,
        request_expiry_hours: int | None = None,
        unit_price: Decimal | str | int | None = None,
        minimum_charge: Decimal | str | int | None = None,
    ) -> Machine:
        """Add a bookable machine (admins only).

        ``unit_price``: the price of one meter unit (an hour, a litre) a rental
        uses, charged beside its days when it ends (None: by the day only);
        ``minimum_charge``: the least a rental ending is charged (None: none).
        Like the daily price, both are fixed on each rental when it is booked.

        ``request_policy``: ``"block"`` (default: a pending request holds its
        days until decided) or ``"queue"`` (overlapping requests wait side by
        side until an admin approves one; approving rejects the others).
        ``request_expiry_hours``: a pending request not decided within this
        many hours is rejected as "expired"; None (default): it waits until
        its first day has passed. See :mod:`rentcal.service.housekeeping`.
        """
        clean = checks.handle(name, "name", "machine name")
        price = checks.amount(daily_price, "daily_price", "daily price")
        label = checks.title(title, "title") or clean
        about = checks.free_text(description, "description")
        checks.flag(auto_approve, "auto_approve")
        checks.optional_handle(acting, "acting", "acting member")
        policy = checks.choice(request_policy, RequestPolicy, "request_policy", "request policy")
        expiry = checks.optional_hours(request_expiry_hours, "request_expiry_hours")
        per_unit = checks.optional_amount(unit_price, "unit_price", "unit price")
        least = checks.optional_amount(minimum_charge, "minimum_charge", "minimum charge")

        def work(conn: Connection) -> Machine:
            self.ctx.admin(conn, acting, "add machines")
            if q.machine_row(conn, clean) is not None:
                raise InvalidRequest(
                    f"machine {clean!r} already exists", field="name", value=clean, reason="exists"
                )
            now = self.ctx.now()
            new_id = q.insert_machine(
                conn,
                name=clean,
                title=label,
                daily_price=price,
                description=about,
                status=MachineStatus.ACTIVE,
                auto_approve=auto_approve,
                created_at=now,
                request_policy=policy,
                request_expiry_hours=expiry,
                unit_price=per_unit,
                minimum_charge=least,
            )
            return Machine(
                new_id,
                clean,
                label,
                price,
                about,
                MachineStatus.ACTIVE,
                auto_approve,
                now,
                policy,
                expiry,
                unit_price=per_unit,
                minimum_charge=least,
            )

        return self.ctx.write(work)

    def retire_machine(
        self, name: str, acting: str | None = None, today: date | None = None
    ) -> Machine:
        """Stop new bookings of a machine and settle its open requests (admins).

        In the same write transaction: every pending rental of the machine is
        rejected with the reason ``"machine retired"`` (its member is told);
        every approved rental that has not ended stands — its member and the
        admins are told, so an admin can cancel it if it cannot go ahead.
        Each settled rental gets a history row. Ended rentals and the
        machine's history stay as they are; the change log records the
        retirement (status ``active`` -> ``retired``).
        """
        clean = checks.handle(name, "name", "machine")
        checks.optional_handle(acting, "acting", "acting member")
        day = self.ctx.today(today)

        def work(conn: Connection) -> Machine:
            actor = self.ctx.admin(conn, acting, "retire machines")
            row = self.ctx.machine_row(conn, clean)
            self.housekeeping.lock(conn, [row.id], day)
            row = self.ctx.machine_row(conn, clean)  # re-read under the lock
            if row.status == MachineStatus.RETIRED:
                raise InvalidRequest(
                    f"machine {row.name!r} is already retired",
                    field="machine",
                    value=row.name,
                    reason="retired",
                )
            retired = {"status": MachineStatus.RETIRED}
            # in the change log like a reactivation: when it was retired is known
            # (the utilisation report counts the days after it as not bookable)
            record_changes(conn, "machine", row.id, row._asdict(), retired, actor, self.ctx.now())
            q.update_machine(conn, row.id, status=MachineStatus.RETIRED)
            self.lifecycle.settle_retired(conn, row.id, actor.id, day)
            return self.ctx.machine_value(conn, row.name)

        return self.ctx.write(work)

    def machine(self, name: str) -> Machine:
        """One machine by name."""
        checks.handle(name, "name", "machine")
        return self.ctx.read(lambda conn: self.ctx.machine_value(conn, name))

    def machines(self, include_retired: bool = True) -> list[Machine]:
        """All machines by name (retired ones too unless told otherwise)."""
        checks.flag(include_retired, "include_retired")
        return self.ctx.read(lambda conn: q.all_machines(conn, include_retired))


__all__ = ["Catalogue"]
