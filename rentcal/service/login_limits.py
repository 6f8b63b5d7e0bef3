"""Login limits: the counters failed logins are throttled by, and the hashing bound.

Why per handle *and* client address, and per address: counted per handle
alone (until now), five wrong passwords from anyone locked the owner out for
15 minutes, and about twenty requests an hour kept any admin out for good — a
lock-out button for strangers. Now a stranger's guesses throttle the
stranger: 5 failures for one handle from one address, or 20 from one address
whatever the handles, within ``LOGIN_WINDOW``. Counters live in the table
``login_failure`` (its ``handle`` column holds the counter's key: a digest,
so no raw address is stored and every key fits).

Why a hashing bound: an Argon2id hash takes 19 MiB while it runs; 200
concurrent logins took a gigabyte. At most :data:`MAX_HASHES` run at once per
process, whoever asks (web logins, ``rentcal member passwd``, library callers).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from rentcal.core import checks
from rentcal.errors import InvalidRequest

#: Argon2 computations at once in one process; more wait (19 MiB each while running).
MAX_HASHES = 4
_HASHING = threading.BoundedSemaphore(MAX_HASHES)
#: Failed logins from one client address, whatever the handles, within
#: LOGIN_WINDOW after which that address is refused (MAX_FAILURES is per
#: handle and address).
MAX_ADDRESS_FAILURES = 20
#: Longer client "addresses" are refused (an IPv6 address with a zone fits).
MAX_CLIENT = 100
#: The address of a caller that names none (the library, the CLI).
LOCAL_CLIENT = "local"


@contextmanager
def hashing() -> Iterator[None]:
    """Hold one of the process's :data:`MAX_HASHES` Argon2 slots.

    Bounds memory (19 MiB a hash) and CPU however many threads ask at once.
    """
    with _HASHING:
        yield


def _counter_key(kind: str, *parts: str) -> str:
    """What ``login_failure.handle`` holds for one counter: ``kind:`` and a digest.

    A digest, so that no raw client address is stored and every key fits the
    column (64); a handle never contains ``:``, so keys never meet handles.
    """
    digest = hashlib.sha256("\0".join((kind, *parts)).encode()).hexdigest()
    return f"{kind}:{digest[: 62 - len(kind)]}"


def pair_key(handle: str, client: str) -> str:
    """The counter of failures for ``handle`` from ``client``."""
    return _counter_key("hc", handle, client)


def address_key(client: str) -> str:
    """The counter of failures from ``client``, whatever the handles."""
    return _counter_key("a", client)


def reset_key(client: str) -> str:
    """The counter of password-reset requests from ``client``, whatever was asked for."""
    return _counter_key("r", client)


def signup_key(client: str) -> str:
    """The counter of sign-ups from ``client`` (issue #20)."""
    return _counter_key("s", client)


def login_client(client: str | None) -> str:
    """The address a login is counted under: checked, or :data:`LOCAL_CLIENT`."""
    checks.text_or_none(client, "client")
    if client is None:
        return LOCAL_CLIENT
    if not 0 < len(client) <= MAX_CLIENT or not client.isprintable():
        raise InvalidRequest(
            f"client must be 1 to {MAX_CLIENT} printable characters "
            f"(a client address), not {checks.shown(client)}",
            field="client",
            value=client,
            reason="invalid",
        )
    return client


__all__ = [
    "LOCAL_CLIENT",
    "MAX_ADDRESS_FAILURES",
    "MAX_CLIENT",
    "MAX_HASHES",
    "address_key",
    "hashing",
    "login_client",
    "pair_key",
    "reset_key",
    "signup_key",
]
