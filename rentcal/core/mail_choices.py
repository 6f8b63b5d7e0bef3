"""Which notifications a member also wants by e-mail: the kinds, the choices (pure).

Every in-app notification stays as it is; a member chooses, kind by kind,
whether it is also sent as an e-mail (:data:`EMAIL`, the default) or not
(:data:`IN_APP`). An admin may take the new requests as one e-mail a day
instead (:data:`DIGEST`, for :data:`REQUEST_KIND` only). The kinds are the
outbox's ``kind`` values, so the outbox honours a choice by comparing one
column. Security mail (a password-reset link, an invitation, an e-mail
confirmation) has a kind outside :data:`NOTIFICATION_KINDS`, so no choice
can ever hold it back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rentcal.core import checks
from rentcal.errors import InvalidRequest

#: The choices: also by e-mail, or only on the member's page.
EMAIL = "email"
IN_APP = "in-app"
#: One e-mail a day listing the pending requests (admins, new requests only).
DIGEST = "digest"
CHOICES = (EMAIL, IN_APP, DIGEST)
#: The kind of a new booking request (to admins), and of the daily list of them.
REQUEST_KIND = "request"
DIGEST_KIND = "request-digest"
#: The kind of the news, to the member, that their booking holds its days until paid.
PAYMENT_HOLD_KIND = "payment-hold"

#: Every kind of notification a member may choose for, in the order pages list them,
#: with the words that name it.
NOTIFICATION_KINDS: dict[str, str] = {
    REQUEST_KIND: "A new booking request (admins)",
    "approved": "A booking approved",
    PAYMENT_HOLD_KIND: "A booking awaiting your card payment",
    "rejected": "A request rejected",
    "cancelled": "A booking cancelled",
    "completed": "A rental marked returned",
    "charge": "A charge or credit on your account",
    "expired": "A request expired undecided",
    "moved": "A booking moved",
    "maintenance": "Maintenance over a booking",
    "damaged": "A machine returned damaged from a booking",
    "no-show": "A booking nobody picked up (admins, keepers)",
    "retired": "A machine retired with a booking to come",
    "deactivated": "A member deactivated with a booking to come",
    "pickup-reminder": "Reminder: pick-up tomorrow",
    "return-reminder": "Reminder: return today",
    "verified": "Membership verified",
    "role": "Role changed",
    "reactivated": "Membership reactivated",
    "signup": "A new account signed up (admins)",
}


@dataclass(frozen=True, slots=True)
class MailChoice:
    """One kind of notification and how the member gets it (``email``, ``in-app``,
    ``digest``); ``label`` says the kind in words."""

    kind: str
    label: str
    choice: str

    def as_dict(self) -> dict[str, str]:
        """The JSON shape (``rentcal member notifications --json``, the API)."""
        return {"kind": self.kind, "label": self.label, "choice": self.choice}


def check_choices(value: object, name: str = "choices") -> list[tuple[str, str]]:
    """``{kind: choice}`` as (kind, choice) pairs, every one checked: a kind of
    :data:`NOTIFICATION_KINDS`, ``email`` or ``in-app`` (``digest`` for new requests);
    ArgumentTypeError / InvalidRequest naming ``name`` otherwise."""
    expected = "a mapping of kind to choice (text)"
    if not isinstance(value, Mapping):
        raise checks.wrong_type(name, expected, value)
    found = []
    for kind, choice in value.items():
        if not isinstance(kind, str) or not isinstance(choice, str):
            raise checks.wrong_type(name, expected, {kind: choice})
        if kind not in NOTIFICATION_KINDS:
            raise InvalidRequest(
                f"{name}: {kind[:40]!r} is not a kind of notification; one of: "
                + ", ".join(NOTIFICATION_KINDS),
                field=name,
                value=kind[:40],
                reason="unknown-kind",
            )
        allowed = CHOICES if kind == REQUEST_KIND else (EMAIL, IN_APP)
        if choice not in allowed:
            raise InvalidRequest(
                f"{name}: {choice[:40]!r} for {kind!r} must be one of: " + ", ".join(allowed),
                field=name,
                value=choice[:40],
                reason="unknown-choice",
            )
        found.append((kind, choice))
    return found


def choices_of(stored: Iterable[tuple[str, str]]) -> list[MailChoice]:
    """Every kind with the member's choice: the ``stored`` (kind, choice) pairs,
    e-mail for the rest (and for a stored kind this rentcal no longer knows)."""
    chosen = dict(stored)
    return [
        MailChoice(kind, label, chosen.get(kind, EMAIL))
        for kind, label in NOTIFICATION_KINDS.items()
    ]


__all__ = [
    "CHOICES",
    "DIGEST",
    "DIGEST_KIND",
    "EMAIL",
    "IN_APP",
    "NOTIFICATION_KINDS",
    "PAYMENT_HOLD_KIND",
    "REQUEST_KIND",
    "MailChoice",
    "check_choices",
    "choices_of",
]
