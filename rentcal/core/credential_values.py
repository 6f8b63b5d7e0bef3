"""Accounts, pure: sessions, API tokens and feed tokens as values; secrets and their digests.

Secrets are 256-bit random strings handed out once; the database keeps only
their SHA-256 digest (:func:`secret_digest`). A slow password hash would add
nothing for secrets that random, and a fast digest lets every request be
authenticated with one indexed lookup. Passwords are another matter: see
:mod:`rentcal.service.sessions` (Argon2id).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from rentcal.errors import InvalidRequest

#: Password length bounds (characters): OWASP ASVS's minimum, and a cap well above
#: any passphrase that keeps hashing cheap for hostile input.
MIN_PASSWORD = 8
MAX_PASSWORD = 1024
#: Failed logins for one handle within LOGIN_WINDOW after which logins are refused.
MAX_FAILURES = 5
LOGIN_WINDOW = timedelta(minutes=15)
#: How long an idempotency key is remembered (at least).
IDEMPOTENCY_TTL = timedelta(hours=24)
MAX_IDEMPOTENCY_KEY = 255
MAX_LABEL = 100
FEED_FORMATS = ("ics", "json")


class FeedScope(StrEnum):
    """What a feed token shows: one machine, one member's rentals, or everything."""

    MACHINE = "machine"
    MEMBER = "member"
    ALL = "all"


class RevokedReason(StrEnum):
    """Why a session, API token or feed URL was revoked (kept on its row for good)."""

    #: Revoked by hand: ``token revoke`` / ``feed revoke`` (its member or an admin).
    REVOKED = "revoked"
    #: The session was logged out.
    LOGOUT = "logout"
    #: The password of the member it acts for (or who made it) changed.
    PASSWORD_CHANGED = "password-changed"
    #: The member it acts for, or who owns it, was deactivated.
    MEMBER_DEACTIVATED = "member-deactivated"
    #: The member who made it (for someone else) was deactivated.
    CREATOR_DEACTIVATED = "creator-deactivated"


def new_secret() -> str:
    """A fresh URL-safe secret of 256 random bits (43 characters)."""
    return secrets.token_urlsafe(32)


def secret_digest(secret: str) -> str:
    """The SHA-256 hex digest stored for a secret (never the secret itself)."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def feed_path(secret: str, fmt: str) -> str:
    """The URL path of a secret feed: ``/feeds/{secret}.{fmt}``."""
    return f"/feeds/{secret}.{fmt}"


def check_password(password: object) -> str:
    """``password`` if its length is acceptable, else InvalidRequest saying why.

    Only the length is ruled on (NIST SP 800-63B: no composition rules); the
    message never echoes the password.
    """
    if not isinstance(password, str):
        raise InvalidRequest("a password must be text", field="password", reason="not-text")
    if len(password) < MIN_PASSWORD:
        raise InvalidRequest(
            f"the password is too short: use at least {MIN_PASSWORD} characters",
            field="password",
            reason="too-short",
        )
    if len(password) > MAX_PASSWORD:
        raise InvalidRequest(
            f"the password is too long: use at most {MAX_PASSWORD} characters",
            field="password",
            reason="too-long",
        )
    return password


def check_idempotency_key(key: object) -> str:
    """A client's idempotency key: 1-255 printable ASCII characters, else InvalidRequest."""
    if (
        not isinstance(key, str)
        or not 1 <= len(key) <= MAX_IDEMPOTENCY_KEY
        or not key.isascii()
        or not key.isprintable()
    ):
        shown = key[:40] if isinstance(key, str) else key
        raise InvalidRequest(
            f"idempotency key {shown!r} is not valid: use 1-{MAX_IDEMPOTENCY_KEY} printable "
            "ASCII characters",
            field="idempotency_key",
            value=shown,
            reason="bad-key",
        )
    return key


def fingerprint(*parts: object) -> str:
    """A stable digest of a request's parameters (same request -> same fingerprint)."""
    text = "\x1f".join("" if p is None else str(p) for p in parts)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def retry_after(oldest_counted: datetime, now: datetime, window: timedelta = LOGIN_WINDOW) -> int:
    """Whole seconds (>= 1) until ``oldest_counted`` leaves the window."""
    wait = (oldest_counted + window - now).total_seconds()
    return max(1, int(-(-wait // 1)))


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


@dataclass(frozen=True, slots=True)
class Session:
    """A browser login: who, since when, and until when it stays valid while idle."""

    id: int
    member: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    #: Why it was revoked (a :class:`RevokedReason` value); None while live or unknown.
    revoked_reason: str | None = None

    def as_dict(self) -> dict[str, object]:
        """The JSON shape of a session (never its secret)."""
        return {
            "id": self.id,
            "member": self.member,
            "created_at": self.created_at.isoformat(),
            "last_seen_at": self.last_seen_at.isoformat(),
            "expires_at": self.expires_at.isoformat(),
            "revoked_at": _iso(self.revoked_at),
            "revoked_reason": self.revoked_reason,
        }


@dataclass(frozen=True, slots=True)
class ApiToken:
    """A bearer token for scripts, acting as ``member``."""

    id: int
    member: str
    name: str | None
    created_at: datetime
    created_by: str | None
    last_used_at: datetime | None
    revoked_at: datetime | None
    #: Why it was revoked (a :class:`RevokedReason` value); None while live or unknown.
    revoked_reason: str | None = None

    @property
    def active(self) -> bool:
        """Whether the token is not revoked (it acts while its member and creator
        hold the rights it needs: :mod:`rentcal.service.tokens`)."""
        return self.revoked_at is None

    def as_dict(self) -> dict[str, object]:
        """The JSON shape of a token (never its secret)."""
        return {
            "id": self.id,
            "member": self.member,
            "name": self.name,
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
            "last_used_at": _iso(self.last_used_at),
            "revoked_at": _iso(self.revoked_at),
            "revoked_reason": self.revoked_reason,
            "active": self.active,
        }


@dataclass(frozen=True, slots=True)
class FeedToken:
    """A secret feed URL: its scope (fixed at creation), format and owner."""

    id: int
    scope: FeedScope
    machine: str | None
    member: str | None
    format: str
    name: str | None
    owner: str
    created_at: datetime
    revoked_at: datetime | None
    #: Why it was revoked (a :class:`RevokedReason` value); None while live or unknown.
    revoked_reason: str | None = None

    @property
    def active(self) -> bool:
        """Whether the feed URL is not revoked (it serves while its owner holds the
        rights its scope needs: :mod:`rentcal.service.tokens`)."""
        return self.revoked_at is None

    def path(self, secret: str) -> str:
        """This feed's URL path for its ``secret`` (known only at creation)."""
        return feed_path(secret, self.format)

    def as_dict(self) -> dict[str, object]:
        """The JSON shape of a feed token (never its secret)."""
        return {
            "id": self.id,
            "scope": self.scope.value,
            "machine": self.machine,
            "member": self.member,
            "format": self.format,
            "name": self.name,
            "owner": self.owner,
            "created_at": self.created_at.isoformat(),
            "revoked_at": _iso(self.revoked_at),
            "revoked_reason": self.revoked_reason,
            "active": self.active,
        }


__all__ = [
    "FEED_FORMATS",
    "IDEMPOTENCY_TTL",
    "LOGIN_WINDOW",
    "MAX_FAILURES",
    "MAX_PASSWORD",
    "MIN_PASSWORD",
    "ApiToken",
    "FeedScope",
    "FeedToken",
    "RevokedReason",
    "Session",
    "check_idempotency_key",
    "check_password",
    "feed_path",
    "fingerprint",
    "new_secret",
    "retry_after",
    "secret_digest",
]
