"""Forgotten passwords: a one-time link by e-mail, then a new password (issue #20).

Three rules shape this module:

* The request never tells whether an account exists: whatever was typed,
  :meth:`PasswordResets.request_password_reset` answers the same (None), after
  the same kind of work (one short write transaction; the e-mail is queued in
  it, through the outbox, only when an active member with an address matches).
* The link is 256 random bits of which only the SHA-256 digest is stored; it
  works once, for :attr:`PasswordResets.link_lifetime` (an hour), and using it
  is a password change like any other (:func:`rentcal.service.sessions.store_password`:
  every session ends, every API token acting for or made by the member is
  revoked) in ONE transaction with marking the link used and opening the new
  session.
* Requests are limited per account (:data:`MAX_ACCOUNT_RESETS` an hour, counted
  in ``password_reset``) and per client address (:data:`MAX_CLIENT_RESETS` in
  ``LOGIN_WINDOW``, counted in ``login_failure`` like failed logins); over a
  limit the answer is the same and no mail goes out.

The message's text keeps the link's path; the sender puts the configured base
URL before it when it sends (:func:`rentcal.core.mail.with_base`).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.engine import Connection

from rentcal.core import checks
from rentcal.core.credential_values import (
    LOGIN_WINDOW,
    Session,
    check_password,
    new_secret,
    secret_digest,
)
from rentcal.core.mail import RESET_KIND, reset_mail
from rentcal.db.sql import credential_tables as qa
from rentcal.db.sql import mail as mail_sql
from rentcal.db.sql import password_resets as pr
from rentcal.errors import InvalidRequest
from rentcal.service.base import Context
from rentcal.service.login_limits import login_client, reset_key
from rentcal.service.sessions import Accounts, hash_password, store_password, usable_secret

#: Links made for one account within RESET_WINDOW; more requests send nothing.
MAX_ACCOUNT_RESETS = 3
RESET_WINDOW = timedelta(hours=1)
#: Requests from one client address within LOGIN_WINDOW, whatever they asked for.
MAX_CLIENT_RESETS = 10
#: Longer "handles or addresses" match nobody (an address has at most 254 characters).
MAX_WHO = 254


def _unusable() -> InvalidRequest:
    """The one error for a link that is unknown, used or expired (whose it was stays unsaid)."""
    return InvalidRequest(
        "this password-reset link is unknown, already used or expired: ask for a new one",
        field="secret",
        value=None,
        reason="unusable",
    )


class PasswordResets:
    """Use cases of a forgotten password: ask for a link, use it."""

    #: How long a link works; set per instance to change it.
    link_lifetime: timedelta = timedelta(hours=1)

    def __init__(self, ctx: Context, accounts: Accounts) -> None:
        self.ctx = ctx
        self.accounts = accounts

    def request_password_reset(self, handle_or_email: str, *, client: str | None = None) -> None:
        """Mail a one-time link to set a new password, if ``handle_or_email`` names an
        active member with an e-mail address; the same answer (None) whatever it names.

        ``client`` is the address the request comes from (a web server passes the
        peer's IP address); None counts it as one local caller. Over the limits
        (three links an hour per account, ten requests per client in fifteen
        minutes) nothing is sent, and the answer is still the same.
        """
        checks.text(handle_or_email, "handle_or_email")
        address = login_client(client)
        who = handle_or_email.strip().lower()
        secret = new_secret()

        def work(conn: Connection) -> None:
            key = reset_key(address)
            self.ctx.store.lock_login_handle(conn, key)
            now = self.ctx.now()
            seen = qa.recent_failures(conn, key, now - LOGIN_WINDOW, MAX_CLIENT_RESETS)
            qa.add_failure(conn, key, now)
            if len(seen) >= MAX_CLIENT_RESETS or not 0 < len(who) <= MAX_WHO:
                return
            member_id = pr.account(conn, who)
            if member_id is None or pr.recent(conn, member_id, now - RESET_WINDOW) >= (
                MAX_ACCOUNT_RESETS
            ):
                return
            expires = now + self.link_lifetime
            digest = secret_digest(secret)
            pr.add(
                conn,
                secret_hash=digest,
                member_id=member_id,
                now=now,
                expires_at=expires,
                client=address,
            )
            said = reset_mail(f"/reset/{secret}", int(self.link_lifetime.total_seconds()) // 60)
            mail_sql.queue_for(
                conn,
                [member_id],
                subject=said.subject,
                text_body=said.text,
                html_body=said.html,
                kind=RESET_KIND,
                rental_id=None,
                now=now,
            )

        self.ctx.write(work, calendar=False)

    def reset_password(self, secret: str, password: str) -> tuple[Session, str]:
        """Set a new password with a link's ``secret``; a new session and its secret.

        In one transaction: the password is set, every session of the member
        ends and every API token acting for them or made by them is revoked
        (as any password change does), the link (and any other open link of
        theirs) is used up, and a new session is opened — the member is logged
        in. The Argon2 hash is computed before, outside any transaction.

        Raises:
            InvalidRequest: the password's length is wrong (``password``), or
                the link is unknown, used or expired (``secret``, reason
                ``unusable``; the same error whoever it was for).
        """
        checks.text(secret, "secret")
        checks.text(password, "password")
        check_password(password)
        digest = usable_secret(secret)
        if digest is None or self.ctx.read(lambda c: pr.live(c, digest, self.ctx.now())) is None:
            raise _unusable()
        encoded = hash_password(password)
        session_secret = new_secret()

        def work(conn: Connection) -> Session:
            now = self.ctx.now()
            found = pr.live(conn, digest, now)
            if found is None:  # used or expired meanwhile
                raise _unusable()
            member_id, _handle = found
            store_password(conn, member_id, encoded, now)
            pr.use(conn, member_id, now)
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


__all__ = ["MAX_ACCOUNT_RESETS", "MAX_CLIENT_RESETS", "RESET_WINDOW", "PasswordResets"]
