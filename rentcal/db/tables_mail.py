"""The mail outbox: e-mails written in the same transaction as the change that causes them.

Registered in the same metadata as :mod:`rentcal.db.tables`, which imports this
module, so ``create_all`` and Alembic see the tables (revision 0010; the
calendar columns, 0011; the members' choices and the index by rental and kind,
0014). A row is one message to one address; senders claim
due rows with a lease (``lease_until``), send them outside any transaction
and record each attempt in ``mail_attempt``, so a rolled-back change sends
nothing and a committed one is never forgotten.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

#: queued (waiting, maybe retrying), sent, failed (gave up), discarded (by an admin).
MAIL_STATUSES = ("queued", "sent", "failed", "discarded")


class MailOutboxRow(SQLModel, table=True):
    """One e-mail to one member's address; the body is stored, the MIME built at send time."""

    __tablename__ = "mail_outbox"

    id: int | None = Field(default=None, primary_key=True)
    member_id: int | None = Field(default=None, foreign_key="member.id")
    address: str = Field(sa_type=sa.String(254), nullable=False)
    #: The recipient's display name (the To header's phrase).
    name: str = Field(sa_type=sa.String(200), nullable=False)
    subject: str = Field(sa_type=sa.String(200), nullable=False)
    text_body: str = Field(sa_type=sa.Text, nullable=False)
    html_body: str = Field(sa_type=sa.Text, nullable=False)
    #: What happened (approved, rejected, request, ...): for people reading the list.
    kind: str = Field(sa_type=sa.String(20), nullable=False)
    rental_id: int | None = Field(default=None, foreign_key="rental.id")
    created_at: datetime = Field(nullable=False)
    status: str = Field(sa_type=sa.String(10), nullable=False)
    attempts: int = Field(default=0, nullable=False)
    next_attempt_at: datetime = Field(nullable=False)
    lease_until: datetime | None = Field(default=None)
    last_error: str | None = Field(default=None, sa_type=sa.Text)
    sent_at: datetime | None = Field(default=None)
    #: The booking's iTIP calendar (without organiser and attendee; revision 0011),
    #: on the member's own message about an approval, move or cancellation only.
    calendar: str | None = Field(default=None, sa_type=sa.Text)
    #: REQUEST or CANCEL: the ``method`` of the text/calendar part.
    calendar_method: str | None = Field(default=None, sa_type=sa.String(10))

    __table_args__ = (
        sa.CheckConstraint(
            "status IN ('queued', 'sent', 'failed', 'discarded')", name="ck_mail_outbox_status"
        ),
        sa.Index("ix_mail_outbox_due", "status", "next_attempt_at"),
        # The reminders' "not yet queued for this rental" test looks rows up by both.
        sa.Index("ix_mail_outbox_rental_kind", "rental_id", "kind"),
    )


class MailAttemptRow(SQLModel, table=True):
    """One try at sending one message: when, how it ended, what the SMTP server said."""

    __tablename__ = "mail_attempt"

    id: int | None = Field(default=None, primary_key=True)
    mail_id: int = Field(foreign_key="mail_outbox.id", nullable=False)
    at: datetime = Field(nullable=False)
    #: sent, retry (a temporary failure) or failed (permanent, or too old to retry).
    outcome: str = Field(sa_type=sa.String(10), nullable=False)
    reply: str = Field(sa_type=sa.Text, nullable=False)

    __table_args__ = (sa.Index("ix_mail_attempt_mail", "mail_id"),)


class MailPreferenceRow(SQLModel, table=True):
    """How one member wants one kind of notification (revision 0014): ``email`` (as
    if no row), ``in-app`` (no e-mail) or, for new requests, ``digest`` (one a day).

    ``last_digest_on``: the organisation's day of the member's last daily list of
    requests; the digest is due while it is not today (so once a day, whichever
    process gets there first).
    """

    __tablename__ = "mail_preference"

    member_id: int = Field(foreign_key="member.id", primary_key=True)
    kind: str = Field(sa_type=sa.String(20), primary_key=True)
    choice: str = Field(sa_type=sa.String(10), nullable=False)
    updated_at: datetime = Field(nullable=False)
    last_digest_on: date | None = Field(default=None)

    __table_args__ = (
        sa.CheckConstraint(
            "choice IN ('email', 'in-app') OR (choice = 'digest' AND kind = 'request')",
            name="ck_mail_preference_choice",
        ),
    )


mail_outbox_t: sa.Table = MailOutboxRow.__table__  # type: ignore[attr-defined]
mail_attempt_t: sa.Table = MailAttemptRow.__table__  # type: ignore[attr-defined]
mail_preference_t: sa.Table = MailPreferenceRow.__table__  # type: ignore[attr-defined]
