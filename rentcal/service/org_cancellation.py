"""The organisation's cancellation policy as one transaction sees it (issue #22).

Stored as the organisation setting :data:`CANCELLATION_KEY` (append-only,
with who and when, like the time zone and the currency): the policy's JSON
(:meth:`rentcal.core.charges.CancellationPolicy.stored`). Never set, or set
off: cancelling is free. It is read in the transaction that cancels, so a
change applies at once on every host; cancellations are rare enough that no
cache is worth its staleness.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from rentcal.core.charges import CancellationPolicy, stored_policy
from rentcal.db import sql as q

#: The organisation setting holding the cancellation policy.
CANCELLATION_KEY = "cancellation_policy"


def read_policy(conn: Connection) -> CancellationPolicy:
    """The policy in force as transaction ``conn`` sees it (FREE: none)."""
    row = q.org_setting(conn, CANCELLATION_KEY)
    return stored_policy(None if row is None else row.value)


__all__ = ["CANCELLATION_KEY", "read_policy"]
