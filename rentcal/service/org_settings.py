"""Organisation-wide settings: the time zone in which "today" is read, the rental limits,
the hour of the reminders (:mod:`rentcal.service.reminders`), the currency of prices
(:mod:`rentcal.service.org_currency`), the no-show grace (:mod:`rentcal.service.org_no_show`).
(:mod:`rentcal.service.org_currency`), the cancellation policy
(:mod:`rentcal.service.org_cancellation`).

The rental limits (:mod:`rentcal.core.limits`): defaults until an admin sets
them with :meth:`OrgSettings.set_limits`; each change is kept with who set it
and when (:meth:`OrgSettings.limits_history`).

The rule (docs/python-api.md, "One clock for the organisation"):

1. ``init()`` (or ``add_member()`` of the first admin) stores the zone given
   to ``connect(timezone=...)`` (the CLI passes the configured one: option,
   ``$RENTCAL_TIMEZONE`` or the config file), else the host's zone name, else
   ``UTC`` — with the first admin, in the same transaction.
2. Once the database holds a zone, that zone is what "today" means for every
   host, every front end and every operation; a zone given to ``connect()``
   is then only a fallback that is not used (the CLI warns when it differs).
3. An admin changes it with :meth:`OrgSettings.set_timezone`; every value is
   kept with who set it and when (:meth:`OrgSettings.timezone_history`).
4. A database upgraded from an older rentcal holds no zone until an admin
   sets one; until then "today" is read as before (the given zone, else the
   host's local zone).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy.engine import Connection

from rentcal.core import checks
from rentcal.core.charges import CancellationPolicy, check_policy, stored_policy
from rentcal.core.limits import RentalLimits, check_limit
from rentcal.core.money import check_currency
from rentcal.core.values import TimeZone
from rentcal.db import sql as q
from rentcal.errors import InvalidRequest
from rentcal.service.base import Context
from rentcal.service.org_cancellation import CANCELLATION_KEY, read_policy
from rentcal.service.org_currency import CURRENCY_KEY, NONE, read_currency, stored_currency
from rentcal.service.org_limits import HORIZON_DAYS_KEY, MAX_DAYS_KEY, read_limits
from rentcal.service.org_no_show import (
    NO_SHOW_KEY,
    check_no_show_hours,
    read_no_show_hours,
    store_no_show_hours,
    stored_no_show,
)
from rentcal.service.org_zone import TIMEZONE_KEY
from rentcal.service.reminders import OFF, REMINDER_HOUR_KEY, check_hour, read_hour, stored_hour


class OrgSettings:
    """The organisation's time zone and rental limits: read them, set them (admins), history."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def timezone(self) -> TimeZone:
        """The organisation's time zone and where it comes from, read afresh.

        ``source`` is ``"database"`` once stored (then ``changed_by`` and
        ``changed_at`` say by whom and when), ``"connect"`` while the database
        holds none and ``connect()`` was given one, else ``"host"``.
        """
        return self.ctx.timezone(fresh=True)

    def set_timezone(self, zone: str, acting: str | None = None) -> TimeZone:
        """Store the organisation's time zone for every host (admins only).

        ``zone`` is an IANA name (``Europe/Berlin``); an unknown one is an
        InvalidRequest naming it. Setting the zone already stored changes
        nothing; any other value is recorded with who set it and when, the
        older values staying as its history. This connection uses the new zone
        at once; other running processes within ``ZONE_TTL`` seconds.
        """
        name = checks.zone(zone, "zone")
        checks.optional_handle(acting, "acting", "acting member")

        def work(conn: Connection) -> TimeZone:
            actor = self.ctx.admin(conn, acting, "set the organisation's time zone")
            current = q.org_setting(conn, TIMEZONE_KEY)
            if current is None or current.value != name:
                q.add_org_setting(conn, TIMEZONE_KEY, name, actor.id, self.ctx.now())
            return self.ctx.zone_in(conn)

        self.ctx.forget_zone()
        found = self.ctx.write(work)
        self.ctx.forget_zone()
        return found

    def timezone_history(self) -> list[TimeZone]:
        """Every zone the database held, newest first (empty: none stored yet)."""
        rows = self.ctx.read(lambda conn: q.org_setting_history(conn, TIMEZONE_KEY))
        return [TimeZone(r.value, "database", r.changed_by, r.changed_at) for r in rows]

    def limits(self) -> RentalLimits:
        """The rental limits in force: the stored ones, else the defaults (``source``)."""
        return self.ctx.read(read_limits)

    def set_limits(
        self,
        max_days: int | None = None,
        horizon_days: int | None = None,
        acting: str | None = None,
    ) -> RentalLimits:
        """Store the longest rental and/or the booking horizon, in days (admins only).

        Each is a whole number from 1 to 36,500; None leaves it as it is (not
        both: InvalidRequest, ``reason="unchanged"``). A
        value equal to the one in force changes nothing; any other is
        recorded with who set it and when. Rentals already booked stay as
        they are: the limits apply to what is booked, moved or imported next.
        """
        longest = None if max_days is None else check_limit(max_days, "max_days")
        horizon = None if horizon_days is None else check_limit(horizon_days, "horizon_days")
        checks.optional_handle(acting, "acting", "acting member")
        if longest is None and horizon is None:
            raise InvalidRequest(
                "nothing to set: give max_days and/or horizon_days",
                field="max_days",
                reason="unchanged",
            )

        def work(conn: Connection) -> RentalLimits:
            actor = self.ctx.admin(conn, acting, "set the rental limits")
            current = read_limits(conn)
            now = self.ctx.now()
            if longest is not None and longest != current.max_days:
                q.add_org_setting(conn, MAX_DAYS_KEY, str(longest), actor.id, now)
            if horizon is not None and horizon != current.horizon_days:
                q.add_org_setting(conn, HORIZON_DAYS_KEY, str(horizon), actor.id, now)
            return read_limits(conn)

        return self.ctx.write(work)

    def limits_history(self) -> list[tuple[str, int, str | None, datetime]]:
        """Every stored limit, newest first: (``"max_days"`` or ``"horizon_days"``,
        days, who set it, when). Empty while the defaults hold."""

        def work(conn: Connection) -> list[tuple[str, int, str | None, datetime]]:
            rows = [
                (label, row)
                for label, key in (("max_days", MAX_DAYS_KEY), ("horizon_days", HORIZON_DAYS_KEY))
                for row in q.org_setting_history(conn, key)
            ]
            rows.sort(key=lambda pair: pair[1].changed_at, reverse=True)
            return [(label, int(r.value), r.changed_by, r.changed_at) for label, r in rows]

        return self.ctx.read(work)

    def reminder_hour(self) -> int | None:
        """The hour (0-23, in the organisation's zone) from which the day's reminders
        are queued; None: reminders are off. 17 until an admin sets another."""
        return self.ctx.read(read_hour)

    def set_reminder_hour(self, hour: int | None, acting: str | None = None) -> int | None:
        """Store the reminder hour, 0 to 23, or None to turn reminders off (admins only).

        The hour is read in the organisation's time zone. A value equal to the
        one in force changes nothing; any other is recorded with who set it
        and when. No calendar shows it, so the calendar's revision stays.
        """
        wanted = check_hour(hour)
        checks.optional_handle(acting, "acting", "acting member")

        def work(conn: Connection) -> int | None:
            actor = self.ctx.admin(conn, acting, "set the reminder hour")
            row = q.org_setting(conn, REMINDER_HOUR_KEY)
            if row is None or stored_hour(row) != wanted:
                value = OFF if wanted is None else str(wanted)
                q.add_org_setting(conn, REMINDER_HOUR_KEY, value, actor.id, self.ctx.now())
            return read_hour(conn)

        return self.ctx.write(work, calendar=False)

    def reminder_hour_history(self) -> list[tuple[int | None, str | None, datetime]]:
        """Every stored reminder hour, newest first: (hour or None for off, who, when).
        Empty while the default holds."""
        rows = self.ctx.read(lambda conn: q.org_setting_history(conn, REMINDER_HOUR_KEY))
        return [(stored_hour(r), r.changed_by, r.changed_at) for r in rows]

    # -- the currency prices are shown in (issue #21) ------------------------------

    def currency(self) -> str | None:
        """The ISO 4217 code prices are shown with (``EUR``: ``€120.00``); None: none
        (``120.00``), until an admin sets one."""
        return self.ctx.read(read_currency)

    def set_currency(self, currency: str | None, acting: str | None = None) -> str | None:
        """Store the currency of every price shown to people, or None (admins only).

        ``currency`` is an ISO 4217 code in any case (``"eur"``); ``None`` or
        ``"none"``: prices without a currency. An unknown code is an
        InvalidRequest naming it. A value equal to the one in force changes
        nothing; any other is recorded with who set it and when. Amounts
        stored and answered in JSON stay as they are: only words change, so
        the calendar's revision stays.
        """
        wanted = check_currency(currency)
        checks.optional_handle(acting, "acting", "acting member")

        def work(conn: Connection) -> str | None:
            actor = self.ctx.admin(conn, acting, "set the currency")
            if read_currency(conn) != wanted:
                value = NONE if wanted is None else wanted
                q.add_org_setting(conn, CURRENCY_KEY, value, actor.id, self.ctx.now())
            return read_currency(conn)

        self.ctx.forget_currency()
        found = self.ctx.write(work, calendar=False)
        self.ctx.forget_currency()
        return found

    def currency_history(self) -> list[tuple[str | None, str | None, datetime]]:
        """Every stored currency, newest first: (code or None for none, who, when).
        Empty while none was ever set."""
        rows = self.ctx.read(lambda conn: q.org_setting_history(conn, CURRENCY_KEY))
        return [(stored_currency(r), r.changed_by, r.changed_at) for r in rows]

    # -- no-shows: rentals nobody checked out in time (issue #22) --------------------

    def no_show_hours(self) -> int | None:
        """Hours after the start of its first day an approved rental may go without a
        check-out before housekeeping flags it as a no-show; None: never (the default)."""
        return self.ctx.read(read_no_show_hours)

    def set_no_show_hours(self, hours: int | None, acting: str | None = None) -> int | None:
        """Store the no-show grace, 1 to 8784 hours, or None to flag nothing (admins only).

        A value equal to the one in force changes nothing; any other is recorded
        with who set it and when. Flags come with the next housekeeping run;
        a flagged rental is kept as it is (see :mod:`rentcal.service.org_no_show`).
        """
        wanted = check_no_show_hours(hours)
        checks.optional_handle(acting, "acting", "acting member")

        def work(conn: Connection) -> int | None:
            actor = self.ctx.admin(conn, acting, "set the no-show rule")
            if read_no_show_hours(conn) != wanted:
                store_no_show_hours(conn, wanted, actor.id, self.ctx.now())
            return read_no_show_hours(conn)

        return self.ctx.write(work, calendar=False)

    def no_show_hours_history(self) -> list[tuple[int | None, str | None, datetime]]:
        """Every stored no-show grace, newest first: (hours or None for off, who, when)."""
        rows = self.ctx.read(lambda conn: q.org_setting_history(conn, NO_SHOW_KEY))
        return [(stored_no_show(r), r.changed_by, r.changed_at) for r in rows]

    # -- what a late cancellation costs (issue #22) --------------------------------

    def cancellation_policy(self) -> CancellationPolicy:
        """The cancellation policy in force (``free_days`` None: cancelling is free,
        until an admin sets one)."""
        return self.ctx.read(read_policy)

    def set_cancellation_policy(
        self,
        free_days: int | None,
        fee: Decimal | str | int | None = None,
        share: Decimal | str | int | None = None,
        acting: str | None = None,
    ) -> CancellationPolicy:
        """Store the cancellation policy (admins only); the policy in force.

        A member cancelling an approved booking less than ``free_days`` days
        before its first day is charged ``fee`` (an amount, never more than
        the booked price) or ``share`` (percent of the booked price). Exactly
        one of the two goes with ``free_days``; ``free_days=None`` (and
        neither) makes cancelling free again. Cancellations by an admin, and
        of pending requests, are always free. A value equal to the one in
        force changes nothing; any other is recorded with who set it and when.

        Raises:
            InvalidRequest: free_days outside 1-365, both or neither of fee and
                share, a fee of 0 or a share outside (0, 100].
        """
        wanted = check_policy(free_days, fee, share)
        checks.optional_handle(acting, "acting", "acting member")

        def work(conn: Connection) -> CancellationPolicy:
            actor = self.ctx.admin(conn, acting, "set the cancellation policy")
            if read_policy(conn) != wanted:
                q.add_org_setting(conn, CANCELLATION_KEY, wanted.stored(), actor.id, self.ctx.now())
            return read_policy(conn)

        return self.ctx.write(work, calendar=False)

    def cancellation_policy_history(self) -> list[tuple[CancellationPolicy, str | None, datetime]]:
        """Every stored policy, newest first: (policy, who, when). Empty while none was set."""
        rows = self.ctx.read(lambda conn: q.org_setting_history(conn, CANCELLATION_KEY))
        return [(stored_policy(r.value), r.changed_by, r.changed_at) for r in rows]


__all__ = ["OrgSettings"]
