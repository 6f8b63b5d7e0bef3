"""The facade's calls about accounts and mail: passwords, sessions, tokens, outbox.

:class:`AccountsFacade` holds the :class:`~rentcal.service.Rentcal` methods
that let people in and reach them, each handed to the use case that owns it
(:func:`~rentcal.service.wiring.via`):

========================  ===============================================
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
``mail_choices``          ``mail_choices``, ``set_mail_choices``: e-mail or
                          in-app only, per member and kind of notification
``mail_outbox``           ``deliver_mail``, ``outbox``, ``recent_mail``,
                          ``retry_mail``, ``discard_mail``
========================  ===============================================

The session settings (``session_idle``, ``touch_interval``) are properties
of :class:`~rentcal.service.Rentcal` itself.
"""

from __future__ import annotations

from rentcal.service.email_links import EmailChanges
from rentcal.service.invitations import Invitations
from rentcal.service.mail_choices import MailChoices
from rentcal.service.mail_outbox import Outbox
from rentcal.service.password_reset import PasswordResets
from rentcal.service.sessions import Accounts
from rentcal.service.signup import Signups
from rentcal.service.tokens import Tokens
from rentcal.service.wiring import via


class AccountsFacade:
    """Accounts, sessions, tokens and the mail outbox (a part of ``Rentcal``)."""

    __slots__ = ()  # delegations only; the instance is a Rentcal

    # -- mail -------------------------------------------------------------------------

    deliver_mail = via("outbox", Outbox.deliver_mail)
    outbox = via("outbox", Outbox.outbox)
    retry_mail = via("outbox", Outbox.retry_mail)
    discard_mail = via("outbox", Outbox.discard_mail)
    recent_mail = via("outbox", Outbox.recent_mail)
    mail_choices = via("mail_choices", MailChoices.mail_choices)
    set_mail_choices = via("mail_choices", MailChoices.set_mail_choices)

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

    # -- API tokens and feed tokens ---------------------------------------------------

    create_token = via("tokens", Tokens.create_token)
    tokens = via("tokens", Tokens.tokens)
    revoke_token = via("tokens", Tokens.revoke_token)
    token_member = via("tokens", Tokens.token_member)
    create_feed = via("tokens", Tokens.create_feed)
    feed_tokens = via("tokens", Tokens.feed_tokens)
    revoke_feed = via("tokens", Tokens.revoke_feed)
    feed_by_secret = via("tokens", Tokens.feed_by_secret)


__all__ = ["AccountsFacade"]
