"""Members and machines: who may book, and what can be booked.

The first member of an empty database must be an admin, or nobody could
ever manage it; :meth:`Catalogue.init` makes that first admin idempotently,
in one write transaction, so two ``init`` runs at once cannot race.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.engine import Connection

from rentcal import queries as q
from rentcal.core.pricing import parse_amount
from rentcal.core.types import MachineStatus, Role
from rentcal.core.validate import MAX_TITLE, clean_email, clean_handle, clean_text
from rentcal.core.values import Machine, Member
from rentcal.errors import InvalidRequest
from rentcal.service.base import ServiceBase


class Catalogue(ServiceBase):
    """Use cases about members and machines."""

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
        the database. Admins are always verified.
        """
        clean = clean_handle(handle, "member handle")
        display = clean_text(name, "name", max_len=MAX_TITLE, multiline=False) or clean
        mail = clean_email(email)

        def work(conn: Connection) -> Member:
            self.store.lock_members(conn)
            if q.member_count(conn) == 0:
                if not admin:
                    raise InvalidRequest(
                        f"the first member ({clean!r}) must be an admin, or nobody could manage "
                        "this database",
                        field="admin",
                        value=clean,
                        reason="first-member-admin",
                    )
            else:
                self._admin(conn, acting, "add members")
            return self._insert_member(conn, clean, display, mail, verified, admin)

        return self._write(work)

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
            created_at=self.now(),
        )
        return Member(new_id, handle, name, email, is_verified, role)

    def init(self, admin: str, name: str | None = None, email: str | None = None) -> Member | None:
        """Make ``admin`` the first (verified) admin of an empty database; idempotent.

        Returns the new admin, or None when the database already has members
        (then nothing changes). The check and the insert share one write
        transaction, so two ``init`` runs at once never both create an admin.
        """
        clean = clean_handle(admin, "admin handle")
        display = clean_text(name, "name", max_len=MAX_TITLE, multiline=False) or clean
        mail = clean_email(email)

        def work(conn: Connection) -> Member | None:
            self.store.lock_members(conn)
            if q.member_count(conn) > 0:
                return None
            return self._insert_member(conn, clean, display, mail, True, True)

        return self._write(work)

    def verify_member(self, handle: str, acting: str | None = None) -> Member:
        """Mark a member verified so they may book (admins only; idempotent)."""

        def work(conn: Connection) -> Member:
            self._admin(conn, acting, "verify members")
            row = self._member_row(conn, handle)
            if not row.verified:
                q.update_member(conn, row.id, verified=True)
                self._notify(
                    conn, [row.id], "your membership was verified: you can book machines now"
                )
            return q.member(self._member_row(conn, row.handle))

        return self._write(work)

    def member(self, handle: str) -> Member:
        """One member by handle."""
        return self._read(lambda conn: q.member(self._member_row(conn, handle)))

    def members(self) -> list[Member]:
        """All members, by handle."""
        return self._read(q.all_members)

    def is_empty(self) -> bool:
        """Whether the database has no members yet (``init`` has not run)."""
        return self._read(lambda conn: q.member_count(conn) == 0)

    # -- machines -----------------------------------------------------------------

    def add_machine(
        self,
        name: str,
        daily_price: Decimal | str | int = Decimal("0"),
        title: str | None = None,
        description: str | None = None,
        auto_approve: bool = False,
        acting: str | None = None,
    ) -> Machine:
        """Add a bookable machine (admins only)."""
        clean = clean_handle(name, "machine name")
        price = parse_amount(daily_price)
        label = clean_text(title, "title", max_len=MAX_TITLE, multiline=False) or clean
        about = clean_text(description, "description")

        def work(conn: Connection) -> Machine:
            self._admin(conn, acting, "add machines")
            if q.machine_row(conn, clean) is not None:
                raise InvalidRequest(
                    f"machine {clean!r} already exists", field="name", value=clean, reason="exists"
                )
            now = self.now()
            new_id = q.insert_machine(
                conn,
                name=clean,
                title=label,
                daily_price=price,
                description=about,
                status=MachineStatus.ACTIVE,
                auto_approve=bool(auto_approve),
                created_at=now,
            )
            return Machine(
                new_id, clean, label, price, about, MachineStatus.ACTIVE, bool(auto_approve), now
            )

        return self._write(work)

    def retire_machine(self, name: str, acting: str | None = None) -> Machine:
        """Stop new bookings of a machine; its history and existing rentals stay."""

        def work(conn: Connection) -> Machine:
            self._admin(conn, acting, "retire machines")
            row = self._machine_row(conn, name)
            if row.status == MachineStatus.RETIRED:
                raise InvalidRequest(
                    f"machine {row.name!r} is already retired",
                    field="machine",
                    value=row.name,
                    reason="retired",
                )
            q.update_machine(conn, row.id, status=MachineStatus.RETIRED)
            return self._machine_value(conn, row.name)

        return self._write(work)

    def machine(self, name: str) -> Machine:
        """One machine by name."""
        return self._read(lambda conn: self._machine_value(conn, name))

    def machines(self, include_retired: bool = True) -> list[Machine]:
        """All machines by name (retired ones too unless told otherwise)."""
        return self._read(lambda conn: q.all_machines(conn, include_retired))


__all__ = ["Catalogue"]
