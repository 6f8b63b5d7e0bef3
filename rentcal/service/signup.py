"""Sign-up, when the organisation wants it (issue #20): the ``signup`` setting and
new accounts made by their owners.

The setting is ``off`` (the default: only admins add members) or ``open``,
kept with who set it and when like the other organisation settings. When open,
anyone may create an account (:meth:`Signups.sign_up`): the member is
UNVERIFIED (the existing gate: they log in but cannot book until an admin
verifies them), has no confirmed address yet (the one given gets a
confirmation link, :mod:`rentcal.service.email_links`), and every admin is
told, in the app and by e-mail, in the same transaction. Sign-ups are limited
per client address (:data:`MAX_CLIENT_SIGNUPS` in ``SIGNUP_WINDOW``, counted
in ``login_failure`` like password-reset requests).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.engine import Connection

from rentcal.core import checks
from rentcal.core.credential_values import Session, check_password, new_secret, secret_digest
from rentcal.core.types import Role
from rentcal.db import sql as q
from rentcal.db.sql import credential_tables as qa
from rentcal.errors import InvalidRequest, Throttled
from rentcal.service.base import Context
from rentcal.service.email_links import EmailChanges
from rentcal.service.login_limits import login_client, signup_key
from rentcal.service.sessions import Accounts, hash_password

SIGNUP_KEY = "signup"
OFF, OPEN = "off", "open"
MODES = (OFF, OPEN)
#: Sign-ups from one client address within SIGNUP_WINDOW.
MAX_CLIENT_SIGNUPS = 5
SIGNUP_WINDOW = timedelta(hours=1)


def read_signup(conn: Connection) -> str:
    """The sign-up setting in force: the stored one, else ``off``."""
    row = q.org_setting(conn, SIGNUP_KEY)
    return OFF if row is None or row.value not in MODES else row.value


def closed() -> InvalidRequest:
    """The error of a sign-up while the organisation does not take them."""
    return InvalidRequest(
        "sign-up is closed: ask an admin of this rentcal for an invitation",
        field="signup",
        value=OFF,
        reason="signup-closed",
    )


class Signups:
    """The sign-up setting, and signing up."""

    def __init__(self, ctx: Context, accounts: Accounts, emails: EmailChanges) -> None:
        self.ctx = ctx
        self.accounts = accounts
        self.emails = emails

    def signup(self) -> str:
        """Whether anyone may create an account: ``"open"`` or ``"off"`` (the default)."""
        return self.ctx.read(read_signup)

    def set_signup(self, mode: str, acting: str | None = None) -> str:
        """Open or close sign-up (admins only); recorded with who and when unless unchanged."""
        checks.text(mode, "mode")
        wanted = mode.strip().lower()
        if wanted not in MODES:
            raise InvalidRequest(
                f"mode {mode!r} must be 'open' or 'off'", field="mode", value=mode, reason="choice"
            )
        checks.optional_handle(acting, "acting", "acting member")

        def work(conn: Connection) -> str:
            actor = self.ctx.admin(conn, acting, "open or close sign-up")
            if read_signup(conn) != wanted:
                q.add_org_setting(conn, SIGNUP_KEY, wanted, actor.id, self.ctx.now())
            return read_signup(conn)

        return self.ctx.write(work, calendar=False)

    def signup_history(self) -> list[tuple[str, str | None, datetime]]:
        """Every stored value, newest first: (mode, who set it, when)."""
        rows = self.ctx.read(lambda conn: q.org_setting_history(conn, SIGNUP_KEY))
        return [(r.value, r.changed_by, r.changed_at) for r in rows]

    def sign_up(
        self,
        handle: str,
        email: str,
        password: str,
        *,
        name: str | None = None,
        client: str | None = None,
    ) -> tuple[Session, str]:
        """Create an unverified account and log it in; a new session and its secret.

        ``email`` gets a confirmation link and is used once it is confirmed;
        every admin is told. ``client`` is the address the request comes from
        (None: one local caller).

        Raises:
            InvalidRequest: sign-up is closed (reason ``signup-closed``), the
                handle is taken (``exists``), an argument is malformed.
            Throttled: :data:`MAX_CLIENT_SIGNUPS` sign-ups from ``client`` this hour.
        """
        clean = checks.handle(handle, "handle", "member handle")
        address = checks.email(email, "email")
        display = checks.title(name, "name") or clean
        checks.text(password, "password")
        check_password(password)
        who = login_client(client)
        if address is None:
            raise InvalidRequest("email is missing: give your address", field="email")
        if self.signup() != OPEN:
            raise closed()
        encoded = hash_password(password)
        session_secret, link_secret = new_secret(), new_secret()

        def work(conn: Connection) -> Session:
            key = signup_key(who)
            self.ctx.store.lock_login_handle(conn, key)
            now = self.ctx.now()
            seen = qa.recent_failures(conn, key, now - SIGNUP_WINDOW, MAX_CLIENT_SIGNUPS)
            if len(seen) >= MAX_CLIENT_SIGNUPS:
                wait = int((seen[-1] + SIGNUP_WINDOW - now).total_seconds()) + 1
                raise Throttled(
                    f"{MAX_CLIENT_SIGNUPS} accounts were created from this address within "
                    "the hour: try again later",
                    max(wait, 1),
                )
            self.ctx.store.lock_members(conn)
            if read_signup(conn) != OPEN:
                raise closed()
            if q.member_row(conn, clean) is not None:
                raise InvalidRequest(
                    f"handle {clean!r} is taken: choose another",
                    field="handle",
                    value=clean,
                    reason="exists",
                )
            qa.add_failure(conn, key, now)
            member_id = q.insert_member(
                conn,
                handle=clean,
                name=display,
                email=None,
                verified=False,
                role=Role.MEMBER,
                created_at=now,
            )
            qa.set_credential(conn, member_id, encoded, now)
            self.emails.send_link(conn, member_id, clean, display, address, link_secret, None)
            self.ctx.notify(
                conn,
                q.admin_ids(conn),
                f"{display} signed up as {clean!r}: verify them on the admin page so they can book",
                kind="signup",
            )
            session_id = qa.insert_session(
                conn,
                secret_hash=secret_digest(session_secret),
                member_id=member_id,
                created_at=now,
                last_seen_at=now,
                expires_at=now + self.accounts.session_idle,
                revoked_at=None,
            )
            return qa.session_by_id(conn, session_id)

        return self.ctx.write(work, calendar=False), session_secret


__all__ = ["MAX_CLIENT_SIGNUPS", "OFF", "OPEN", "SIGNUP_KEY", "Signups", "read_signup"]
