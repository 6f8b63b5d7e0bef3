"""The web server's figures per minute, kept in the database so every worker counts.

``rentcal serve`` runs several worker processes, possibly on several hosts:
each adds the counts of its own last minute with :meth:`UsageFigures.add_usage`
(an adding upsert, so the row of a minute is the sum of all of them), and the
admin page reads the last hour back with :meth:`UsageFigures.usage`. What the
names mean is the web server's business (:mod:`rentcal.web.usage`); here they
are short names from a closed set, checked for shape only. Minutes older than
:data:`KEEP` are pruned by the same write, so the table stays small (a few
dozen rows a minute) with no job of its own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Connection

from rentcal.core import checks
from rentcal.db.sql import usage as usage_sql
from rentcal.errors import InvalidRequest
from rentcal.service.base import Context

#: How long minutes are kept: the page shows an hour; two days leave room to look back.
KEEP = timedelta(days=2)
#: A figure's name: lower-case letters, digits and ``_ : .``, at most 40.
NAME = re.compile(r"[a-z0-9_:.]{1,40}\Z")
#: The most names one call may add (the web server sends about forty).
MAX_NAMES = 200
#: A count above this is no count of one minute (and would overflow a BIGINT sum).
MAX_COUNT = 2**40


def minute_of(value: object, name: str) -> datetime:
    """An aware datetime, as its minute in UTC (seconds dropped)."""
    if not isinstance(value, datetime):
        raise checks.wrong_type(name, "a datetime", value)
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidRequest(
            f"{name} {value.isoformat()} has no time zone; pass an aware datetime",
            field=name,
            value=value,
            reason="naive-datetime",
        )
    return value.astimezone(UTC).replace(second=0, microsecond=0)


def usage_counts(value: object, name: str) -> dict[str, int]:
    """A mapping of figure names to counts >= 0, checked for shape and size."""
    if not isinstance(value, Mapping):
        raise checks.wrong_type(name, "a mapping of names to counts", value)
    if len(value) > MAX_NAMES:
        raise InvalidRequest(
            f"{name} has {len(value)} names; at most {MAX_NAMES}",
            field=name,
            reason="too-many",
        )
    counts: dict[str, int] = {}
    for key, count in value.items():
        if not isinstance(key, str):
            raise checks.wrong_type(f"{name} key", "a str", key, field=name)
        if not NAME.match(key):
            raise InvalidRequest(
                f"{name} name {key[:50]!r} is not a figure name (a-z 0-9 _ : ., at most 40)",
                field=name,
                value=key,
                reason="format",
            )
        if isinstance(count, bool) or not isinstance(count, int):
            raise checks.wrong_type(f"{name}[{key!r}]", "an int", count, field=name)
        number = count
        if not 0 <= number <= MAX_COUNT:
            raise InvalidRequest(
                f"{name}[{key!r}] {number} must be from 0 to {MAX_COUNT}",
                field=name,
                value=number,
                reason="range",
            )
        if number:
            counts[key] = number
    return counts


class UsageFigures:
    """The web server's per-minute figures of all workers: add them, read them back."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def add_usage(self, minute: datetime, counts: Mapping[str, int]) -> None:
        """Add one worker's ``counts`` for ``minute`` (an aware datetime; its seconds are
        dropped) to what the other workers added, and forget minutes older than two days.

        ``counts`` maps figure names (``requests``, ``check:3``: a-z 0-9 _ : .) to
        counts >= 0; zeros are not stored. One short write transaction that no
        calendar shows (the calendar's revision stays).
        """
        when = minute_of(minute, "minute")
        counts = usage_counts(counts, "counts")
        before = self.ctx.now() - KEEP

        def work(conn: Connection) -> None:
            usage_sql.add_usage(conn, when, counts)
            usage_sql.prune_usage(conn, before)

        self.ctx.write(work, calendar=False)

    def usage(self, since: datetime) -> dict[datetime, dict[str, int]]:
        """Every worker's figures from the minute of ``since`` (aware) on: minute (UTC) ->
        name -> count, oldest minute first; minutes with nothing counted are absent."""
        start = minute_of(since, "since")
        rows = self.ctx.read(lambda conn: usage_sql.usage_since(conn, start))
        found: dict[datetime, dict[str, int]] = {}
        for when, name, value in rows:
            found.setdefault(when.astimezone(UTC), {})[name] = int(value)
        return found


__all__ = ["KEEP", "UsageFigures", "minute_of", "usage_counts"]
