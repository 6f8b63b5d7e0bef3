"""The use cases behind :func:`rentcal.connect`: permissions, rules, history.

One use-case object per group of use cases, all sharing ONE explicit
:class:`~rentcal.service.base.Context` and calling each other only through
public methods; :class:`Rentcal` is the thin public facade handing each call
to one of them. Where things live:

========================  ===============================================
``base``                  ``Context``: the store, the clock, the
                          organisation's zone, lookups, THE guarded write
``wiring``                ``UseCases`` (who gets which sibling) and ``via``
                          (a facade method delegating to a use case)
``housekeeping``          settling what time made stale; the machine locks
``catalogue``             members and machines (``init``, ``add_member``, ...)
``availability``          ``check``, ``check_many``, ``free_windows``
``lifecycle``             recording a rental's status change; settling a retirement
``bookings``              ``book``, approve / reject / cancel / complete
``rentals``               reading rentals: ``rental``, ``rentals``, ``history``
``moves``                 ``move``: other days and/or another machine
``handover``              ``checkout``, ``checkin``, ``handovers``, meter readings
``keepers``               who hands a machine over: ``add_keeper``, ...
``maintenance``           ``add_maintenance``, ``edit_maintenance``, cancel /
                          complete, reads
``editing``               the change log; ``edit_machine``, ``reactivate_machine``
``membership``            ``edit_member``, ``set_role``, ``deactivate_member``,
                          ``reactivate_member``, ``member_history``
``bulk``                  ``import_rentals``, ``import_maintenance``
``calendars``             ``events``, ``ical``, ``feed_items``; ``revision``:
                          the calendar's revision
``notifications``         ``notifications``, ``mark_read``
``sessions``              passwords, ``login`` / sessions
``login_limits``          login throttling keys, the per-process hashing bound
``password_reset``        ``request_password_reset``, ``reset_password``
``invitations``           ``invite_member``, ``resend_invitation``,
                          ``revoke_invitation``, ``invitations``,
                          ``accept_invitation``
``email_links``           ``change_email``, ``pending_email``,
                          ``confirm_email``: a member's own new address
``signup``                ``signup``, ``set_signup``, ``signup_history``,
                          ``sign_up``: accounts made by their owners
``tokens``                API tokens, feed tokens
``idempotency``           helpers making ``book(idempotency_key=...)`` once-only
``usage_metrics``         the web server's figures per minute, of every
                          worker: ``add_usage``, ``usage``
``org_settings``          the organisation's time zone: ``timezone``,
                          ``set_timezone``, ``timezone_history``; the rental
                          limits: ``limits``, ``set_limits``, ``limits_history``;
                          the reminder hour: ``reminder_hour``, ``set_reminder_hour``,
                          ``reminder_hour_history``; the currency:
                          ``currency``, ...; the no-show grace: ``no_show_hours``, ...
``invoice_settings``      the organisation's invoice settings:
                          ``invoice_settings``, ``set_invoice_settings``,
                          ``invoice_settings_history``; members' billing
                          addresses: ``billing_address``, ``set_billing_address``
``reminders``             ``queue_reminders``: pick-up and return reminders,
                          once each, through the mail outbox (and the
                          admins' daily lists of pending requests)
``mail_choices``          ``mail_choices``, ``set_mail_choices``: e-mail or
                          in-app only, per member and kind of notification
``mail_outbox``           ``deliver_mail``, ``outbox``, ``recent_mail``,
                          ``retry_mail``, ``discard_mail``
``charging``              writing charges with the change that causes them
                          (a completion, a late cancellation)
``ledger``                ``statement``, ``charges``, ``rental_charges``,
                          ``add_charge`` (corrections)
``invoices``              ``issue_invoices``, ``credit_invoice``, ``invoices``,
                          ``invoice``, ``invoice_pdf``: invoices and credit
                          notes, numbered from one gap-free sequence
``payments``              ``add_payment``, ``payments``, ``balance``:
                          payments and refunds allocated oldest first
``invoice_reminders``     ``remind_overdue``: e-mails about overdue invoices,
                          once per invoice and stage, through the outbox
``org_cancellation``      the cancellation policy as a transaction sees it
                          (``cancellation_policy``, ``set_cancellation_policy``)
``utilisation``           ``utilisation``: how busy each machine was, month
                          by month (booked / bookable days)
``online_payments``       card payments through Stripe Checkout, as plain
                          values: the rules (``online_payments``, ...), what
                          a session charges, Stripe's events recorded once
``org_online_payments``   the rules as a transaction sees them; THE rule of
                          which bookings wait for payment (``payment_hold``)
========================  ===============================================

Every public method checks its arguments first (:mod:`rentcal.core.checks`:
a wrong type is an ArgumentTypeError naming the parameter, nothing is
coerced), then opens exactly one transaction through :class:`rentcal.db.store.Store`;
every write that depends on availability re-checks it *inside* the write
transaction after taking the machine's lock, so two bookers can never both win.
Results are frozen values from :mod:`rentcal.core.values`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from rentcal.db.revision_watch import RevisionWatch
from rentcal.db.store import Store
from rentcal.errors import RentcalError
from rentcal.service.availability import Availabilities
from rentcal.service.base import Clock, Context, utc_now
from rentcal.service.bookings import Bookings
from rentcal.service.bulk import Bulk
from rentcal.service.calendars import Feeds
from rentcal.service.catalogue import Catalogue
from rentcal.service.editing import MachineEdits
from rentcal.service.email_links import EmailChanges
from rentcal.service.handover import Handovers
from rentcal.service.housekeeping import Housekeeping
from rentcal.service.invitations import Invitations
from rentcal.service.invoice_reminders import InvoiceReminders
from rentcal.service.invoice_settings import InvoiceSetup
from rentcal.service.invoices import Invoices
from rentcal.service.keepers import Keepers
from rentcal.service.ledger import Ledger
from rentcal.service.mail_choices import MailChoices
from rentcal.service.mail_outbox import Outbox
from rentcal.service.maintenance import Upkeep
from rentcal.service.membership import Membership
from rentcal.service.moves import Moves
from rentcal.service.notifications import Inbox
from rentcal.service.online_payments import OnlinePayments
from rentcal.service.org_settings import OrgSettings
from rentcal.service.password_reset import PasswordResets
from rentcal.service.payments import Payments
from rentcal.service.reminders import Reminders
from rentcal.service.rentals import RentalReads
from rentcal.service.sessions import Accounts
from rentcal.service.signup import Signups
from rentcal.service.tokens import Tokens
from rentcal.service.usage_metrics import UsageFigures
from rentcal.service.utilisation import Utilisation
from rentcal.service.wiring import UseCases, via

if TYPE_CHECKING:
    from rentcal.service.quick_reads import QuickReads

#: Seconds a writer may wait: at least 1 ms (PostgreSQL reads 0 ms as "wait
#: forever"), at most a day (its lock_timeout holds under 25 days).
BUSY_TIMEOUT_RANGE = (0.001, 86400.0)
#: Seconds between a revision watch's wake-ups: often enough to be a loop, not a
#: spin (10 ms), and at least once an hour so a dead stream is noticed.
WATCH_SECONDS_RANGE = (0.01, 3600.0)


class Rentcal:
    """A connection to one rentcal database; see :func:`rentcal.connect`.

    A thin facade: each public method hands the call to one use-case object
    (:class:`~rentcal.service.wiring.UseCases`), all sharing one
    :class:`~rentcal.service.base.Context`. A method of its own is an
    ordinary ``def`` here.
    """

    def __init__(
        self, store: Store, *, clock: Clock | None = None, timezone: str | None = None
    ) -> None:
        self.store = store
        self._context = Context(store, clock=clock, timezone=timezone)
        self._cases = UseCases(self._context)

    def __enter__(self) -> Rentcal:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Rentcal {self.store.display_url}>"

    # -- the connection -----------------------------------------------------------

    close = via("context", Context.close)
    now = via("context", Context.now)
    today = via("context", Context.today)

    @property
    def url(self) -> str:
        """The database URL in use, password hidden."""
        return self._context.url

    @property
    def session_idle(self) -> timedelta:
        """A session unused this long expires (sliding); set it to change it."""
        return self._cases.accounts.session_idle

    @session_idle.setter
    def session_idle(self, value: timedelta) -> None:
        self._cases.accounts.session_idle = value

    @property
    def touch_interval(self) -> timedelta:
        """``last_seen_at`` / ``last_used_at`` are written at most this often."""
        return self._cases.accounts.touch_interval

    @touch_interval.setter
    def touch_interval(self, value: timedelta) -> None:
        self._cases.accounts.touch_interval = value

    # -- members and machines -------------------------------------------------------

    init = via("catalogue", Catalogue.init)
    add_member = via("catalogue", Catalogue.add_member)
    verify_member = via("catalogue", Catalogue.verify_member)
    member = via("catalogue", Catalogue.member)
    members = via("catalogue", Catalogue.members)
    is_empty = via("catalogue", Catalogue.is_empty)
    add_machine = via("catalogue", Catalogue.add_machine)
    retire_machine = via("catalogue", Catalogue.retire_machine)
    machine = via("catalogue", Catalogue.machine)
    machines = via("catalogue", Catalogue.machines)
    edit_machine = via("machine_edits", MachineEdits.edit_machine)
    reactivate_machine = via("machine_edits", MachineEdits.reactivate_machine)
    machine_history = via("machine_edits", MachineEdits.machine_history)
    edit_member = via("membership", Membership.edit_member)
    set_role = via("membership", Membership.set_role)
    deactivate_member = via("membership", Membership.deactivate_member)
    reactivate_member = via("membership", Membership.reactivate_member)
    member_history = via("membership", Membership.member_history)

    # -- availability, bookings, moves ----------------------------------------------

    check = via("availability", Availabilities.check)
    check_many = via("availability", Availabilities.check_many)
    free_windows = via("availability", Availabilities.free_windows)
    book = via("bookings", Bookings.book)
    approve = via("bookings", Bookings.approve)
    reject = via("bookings", Bookings.reject)
    cancel = via("bookings", Bookings.cancel)
    complete = via("bookings", Bookings.complete)
    rental = via("rentals", RentalReads.rental)
    rentals = via("rentals", RentalReads.rentals)
    history = via("rentals", RentalReads.history)
    move = via("moves", Moves.move)
    checkout = via("handovers", Handovers.checkout)
    checkin = via("handovers", Handovers.checkin)
    handovers = via("handovers", Handovers.handovers)
    last_reading = via("handovers", Handovers.last_reading)
    meter_readings = via("handovers", Handovers.meter_readings)
    keepers = via("keepers", Keepers.keepers)
    add_keeper = via("keepers", Keepers.add_keeper)
    remove_keeper = via("keepers", Keepers.remove_keeper)
    housekeeping = via("housekeeping", Housekeeping.housekeeping)
    housekeeping_due = via("housekeeping", Housekeeping.housekeeping_due)

    # -- maintenance, imports -------------------------------------------------------

    add_maintenance = via("maintenance", Upkeep.add_maintenance)
    edit_maintenance = via("maintenance", Upkeep.edit_maintenance)
    cancel_maintenance = via("maintenance", Upkeep.cancel_maintenance)
    complete_maintenance = via("maintenance", Upkeep.complete_maintenance)
    maintenance = via("maintenance", Upkeep.maintenance)
    maintenance_history = via("maintenance", Upkeep.maintenance_history)
    import_rentals = via("bulk", Bulk.import_rentals)
    import_maintenance = via("bulk", Bulk.import_maintenance)

    # -- calendars, notifications, settings -----------------------------------------

    events = via("feeds", Feeds.events)
    ical = via("feeds", Feeds.ical)
    feed_items = via("feeds", Feeds.feed_items)
    notifications = via("inbox", Inbox.notifications)
    mark_read = via("inbox", Inbox.mark_read)
    deliver_mail = via("outbox", Outbox.deliver_mail)
    outbox = via("outbox", Outbox.outbox)
    retry_mail = via("outbox", Outbox.retry_mail)
    discard_mail = via("outbox", Outbox.discard_mail)
    recent_mail = via("outbox", Outbox.recent_mail)
    mail_choices = via("mail_choices", MailChoices.mail_choices)
    set_mail_choices = via("mail_choices", MailChoices.set_mail_choices)
    timezone = via("settings", OrgSettings.timezone)
    set_timezone = via("settings", OrgSettings.set_timezone)
    timezone_history = via("settings", OrgSettings.timezone_history)
    limits = via("settings", OrgSettings.limits)
    set_limits = via("settings", OrgSettings.set_limits)
    limits_history = via("settings", OrgSettings.limits_history)
    reminder_hour = via("settings", OrgSettings.reminder_hour)
    set_reminder_hour = via("settings", OrgSettings.set_reminder_hour)
    reminder_hour_history = via("settings", OrgSettings.reminder_hour_history)
    currency = via("settings", OrgSettings.currency)
    set_currency = via("settings", OrgSettings.set_currency)
    currency_history = via("settings", OrgSettings.currency_history)
    no_show_hours = via("settings", OrgSettings.no_show_hours)
    set_no_show_hours = via("settings", OrgSettings.set_no_show_hours)
    no_show_hours_history = via("settings", OrgSettings.no_show_hours_history)
    invoice_settings = via("invoicing", InvoiceSetup.invoice_settings)
    set_invoice_settings = via("invoicing", InvoiceSetup.set_invoice_settings)
    invoice_settings_history = via("invoicing", InvoiceSetup.invoice_settings_history)
    billing_address = via("invoicing", InvoiceSetup.billing_address)
    set_billing_address = via("invoicing", InvoiceSetup.set_billing_address)
    queue_reminders = via("reminders", Reminders.queue_reminders)
    cancellation_policy = via("settings", OrgSettings.cancellation_policy)
    set_cancellation_policy = via("settings", OrgSettings.set_cancellation_policy)
    cancellation_policy_history = via("settings", OrgSettings.cancellation_policy_history)

    # -- charges and statements (issue #22) -------------------------------------------

    add_charge = via("ledger", Ledger.add_charge)
    statement = via("ledger", Ledger.statement)
    charges = via("ledger", Ledger.charges)
    rental_charges = via("ledger", Ledger.rental_charges)

    # -- invoices, credit notes and payments (issue #23) ------------------------------

    issue_invoices = via("invoices", Invoices.issue)
    credit_invoice = via("invoices", Invoices.credit)
    invoices = via("invoices", Invoices.invoices)
    invoice = via("invoices", Invoices.invoice)
    invoice_pdf = via("invoices", Invoices.invoice_pdf)
    add_payment = via("payments", Payments.add_payment)
    payments = via("payments", Payments.payments)
    balance = via("payments", Payments.balance)
    remind_overdue = via("invoice_reminders", InvoiceReminders.remind_overdue)

    # -- reports --------------------------------------------------------------------

    utilisation = via("utilisation", Utilisation.utilisation)

    # -- the web server's figures per minute (its admin page's chart) -----------------

    add_usage = via("usage", UsageFigures.add_usage)
    usage = via("usage", UsageFigures.usage)

    # -- accounts -------------------------------------------------------------------

    set_password = via("accounts", Accounts.set_password)
    has_password = via("accounts", Accounts.has_password)
    login = via("accounts", Accounts.login)
    session_member = via("accounts", Accounts.session_member)
    logout = via("accounts", Accounts.logout)
    request_password_reset = via("resets", PasswordResets.request_password_reset)
    reset_password = via("resets", PasswordResets.reset_password)
    invite_member = via("invitations", Invitations.invite_member)
    resend_invitation = via("invitations", Invitations.resend_invitation)
    revoke_invitation = via("invitations", Invitations.revoke_invitation)
    invitations = via("invitations", Invitations.invitations)
    accept_invitation = via("invitations", Invitations.accept_invitation)
    change_email = via("email_changes", EmailChanges.change_email)
    pending_email = via("email_changes", EmailChanges.pending_email)
    confirm_email = via("email_changes", EmailChanges.confirm_email)
    signup = via("signups", Signups.signup)
    set_signup = via("signups", Signups.set_signup)
    signup_history = via("signups", Signups.signup_history)
    sign_up = via("signups", Signups.sign_up)
    create_token = via("tokens", Tokens.create_token)
    tokens = via("tokens", Tokens.tokens)
    revoke_token = via("tokens", Tokens.revoke_token)
    token_member = via("tokens", Tokens.token_member)
    create_feed = via("tokens", Tokens.create_feed)
    feed_tokens = via("tokens", Tokens.feed_tokens)
    revoke_feed = via("tokens", Tokens.revoke_feed)
    feed_by_secret = via("tokens", Tokens.feed_by_secret)
    revision = via("feeds", Feeds.revision)

    # -- card payments through Stripe Checkout (issue #23; one block, kept together) ----

    online_payments = via("online_payments", OnlinePayments.online_payments)
    set_online_payments = via("online_payments", OnlinePayments.set_online_payments)
    online_payments_history = via("online_payments", OnlinePayments.online_payments_history)
    invoice_checkout = via("online_payments", OnlinePayments.invoice_checkout)
    booking_checkout = via("online_payments", OnlinePayments.booking_checkout)
    record_checkout = via("online_payments", OnlinePayments.record_checkout)
    checkout_event = via("online_payments", OnlinePayments.checkout_event)
    awaiting_payment = via("online_payments", OnlinePayments.awaiting_payment)

    @property
    def quick_reads(self) -> QuickReads:
        """A server's hot reads: answers without a write, reused until a revision
        changes (:mod:`rentcal.service.quick_reads`); None from them means "ask
        the ordinary method"."""
        return self._cases.accounts.quick

    @property
    def dialect(self) -> str:
        """Which database this is ("sqlite" or "postgresql"), for a front end's own
        choices (say, running short SQLite reads on the event loop)."""
        return self.store.dialect

    def watch_revisions(self, *, poll_seconds: float, quiet_seconds: float) -> RevisionWatch:
        """Wake-ups when the calendar's revision may have changed (live streams).

        A context manager whose ``wait()`` returns a revision the database
        announced (PostgreSQL LISTEN/NOTIFY, under the Store's timeouts and
        watchdog) or None when it is time to read :meth:`revision` (SQLite:
        every ``poll_seconds``; PostgreSQL: after ``quiet_seconds`` of silence).

        Raises:
            DatabaseError: the database could not be watched (try again later).
            ArgumentTypeError: ``poll_seconds`` or ``quiet_seconds`` not a number.
            InvalidRequest: either outside :data:`WATCH_SECONDS_RANGE`.
        """
        from rentcal.core import checks

        poll = checks.seconds(poll_seconds, "poll_seconds", *WATCH_SECONDS_RANGE)
        quiet = checks.seconds(quiet_seconds, "quiet_seconds", *WATCH_SECONDS_RANGE)
        return self.store.watch_revisions(poll_seconds=poll, quiet_seconds=quiet)


def connect(
    url: str | None = None,
    *,
    busy_timeout: float | None = None,
    clock: Clock | None = None,
    create: bool = True,
    pool_size: int | None = None,
    timezone: str | None = None,
) -> Rentcal:
    """Open (and on first use create) a rentcal database.

    Parameters:
        url: ``sqlite:///PATH``, a bare file path, or
            ``postgresql+psycopg://USER@HOST/DB``. ``None`` reads
            ``$RENTCAL_DATABASE_URL``, else the embedded SQLite file
            ``$XDG_DATA_HOME/rentcal/rentcal.db``.
        busy_timeout: seconds an operation may wait (for locks, connections,
            retries) before ``Busy``, from 0.001 to 86400; ``None`` reads
            ``$RENTCAL_BUSY_TIMEOUT``, else 10.
        clock: returns the current aware datetime (tests inject one).
        create: give a missing or empty database rentcal's schema (the
            default); ``False`` refuses it instead and creates nothing.
        pool_size: most connections this object opens at once; ``None`` reads
            ``$RENTCAL_POOL_SIZE``, else 5 (see docs/postgres.md).
        timezone: the organisation's time zone (an IANA name, e.g.
            ``"Europe/Berlin"``) while the database holds none, and the one
            :meth:`~Rentcal.init` stores; ``None`` reads ``$RENTCAL_TIMEZONE``,
            else the host's zone. Once the database holds a zone, that one
            is "today" for everyone (see :meth:`~Rentcal.set_timezone`).

    Raises:
        DatabaseError: unreachable, unreadable, no rentcal database there
            (``create=False``), another application's database, or a schema
            newer than this rentcal.
        ArgumentTypeError: ``url`` not a str, ``busy_timeout`` not a number,
            ``clock`` not callable, ``create`` not a bool, ``pool_size`` not an int,
            ``timezone`` not a str.
        InvalidRequest: ``timezone`` (or ``$RENTCAL_TIMEZONE``) names no time zone.
    """
    from rentcal.core import checks

    checks.text_or_none(url, "url")
    timeout = (
        None
        if busy_timeout is None
        else checks.seconds(busy_timeout, "busy_timeout", *BUSY_TIMEOUT_RANGE)
    )
    checks.callback(clock, "clock")
    checks.flag(create, "create")
    if pool_size is not None:
        checks.positive_int(pool_size, "pool_size")
    zone = _given_zone(timezone)
    store = Store(url, busy_timeout=timeout, create=create, pool_size=pool_size)
    return Rentcal(store, clock=clock, timezone=zone)


def _given_zone(timezone: str | None) -> str | None:
    """connect()'s ``timezone``, else ``$RENTCAL_TIMEZONE``, checked; None if neither."""
    import os

    from rentcal.core import checks
    from rentcal.errors import InvalidRequest
    from rentcal.service.org_zone import TIMEZONE_ENV

    if timezone is not None:
        return checks.zone(timezone, "timezone")
    value = os.environ.get(TIMEZONE_ENV, "")
    if not value.strip():
        return None
    try:
        return checks.zone(value, "timezone")
    except InvalidRequest as err:
        raise InvalidRequest(
            f"{TIMEZONE_ENV}: {err.message}", field="timezone", value=value, reason=err.reason
        ) from None


__all__ = ["Rentcal", "RentcalError", "connect", "utc_now"]
