"""Availability: can this machine be booked on these days, and when is it free?

Read-only use cases. Being booked is an answer (an :class:`Availability`),
not an error; bad dates and unknown or retired machines are errors.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date

from sqlalchemy.engine import Connection

from rentcal.core import checks
from rentcal.core.availability import Availability, availability, free_windows
from rentcal.core.limits import bookable_part, check_rental_days
from rentcal.core.ranges import validate_range
from rentcal.db.rows import MachineRecord
from rentcal.errors import InvalidRequest, RentcalError
from rentcal.service.base import Context
from rentcal.service.housekeeping import Housekeeping
from rentcal.service.org_limits import read_limits

#: A batch request: (machine, start, end), or an error the caller met reading it.
Request = tuple[str, date, date] | RentcalError


class Availabilities:
    """Use cases answering availability questions."""

    def __init__(self, ctx: Context, housekeeping: Housekeeping) -> None:
        self.ctx = ctx
        self.housekeeping = housekeeping

    def check(
        self, machine: str, start: date, end: date, today: date | None = None
    ) -> Availability:
        """Whether ``machine`` is free on every day of [start, end] (inclusive).

        Raises InvalidRequest for bad dates or a retired machine, NotFound for
        an unknown one. Being booked is an answer, not an error.
        """
        name = checks.handle(machine, "machine")
        checks.day(start, "start")
        checks.day(end, "end")
        day = self.ctx.today(today)
        validate_range(start, end, day)

        def work(conn: Connection) -> tuple[Availability, bool]:
            check_rental_days(start, end, day, read_limits(conn))
            row = self.ctx.active_machine_row(conn, name)
            found = self.ctx.conflicts(conn, row.id, start, end)
            return availability(row.name, start, end, found), self.housekeeping.stale_conflicts(
                conn, row, found, day
            )

        return self.housekeeping.fresh(work, day)

    def check_many(
        self,
        requests: Iterable[Request],
        today: date | None = None,
        chunk: int = 500,
    ) -> Iterator[Availability | RentcalError]:
        """Answer many checks in order, streaming: one result per request.

        A bad request yields its error in its place and the run goes on; an
        error given as a request (a line the caller could not parse) is passed
        through. A request that is not a ``(machine, start, end)`` tuple of
        str, date, date yields an ArgumentTypeError naming ``requests[i]``.
        Requests are answered in read transactions of ``chunk``. The
        arguments themselves are checked at the call, not on first iteration.
        """
        source = checks.iterable(requests, "requests")
        day = self.ctx.today(today)
        size = checks.positive_int(chunk, "chunk")
        return self._stream(source, day, size)

    def _stream(
        self, requests: Iterable[object], day: date, chunk: int
    ) -> Iterator[Availability | RentcalError]:
        batch: list[Request] = []
        for index, request in enumerate(requests):
            batch.append(_request(request, index))
            if len(batch) >= chunk:
                yield from self._answer_batch(batch, day)
                batch = []
        if batch:
            yield from self._answer_batch(batch, day)

    def _answer_batch(self, batch: list[Request], day: date) -> list[Availability | RentcalError]:
        return self.housekeeping.fresh(lambda conn: self._answer(conn, batch, day), day)

    def _answer(
        self, conn: Connection, batch: list[Request], day: date
    ) -> tuple[list[Availability | RentcalError], bool]:
        """The batch's answers, and whether a stale pending request was in the way."""
        machines: dict[str, MachineRecord] = {}
        answers: list[Availability | RentcalError] = []
        stale = False
        limits = read_limits(conn)
        for request in batch:
            if isinstance(request, RentcalError):
                answers.append(request)
                continue
            name, start, end = request
            try:
                validate_range(start, end, day)
                check_rental_days(start, end, day, limits)
                row = machines.get(name) or machines.setdefault(
                    name, self.ctx.active_machine_row(conn, name)
                )
                spans = self.ctx.conflicts(conn, row.id, start, end)
                answers.append(availability(row.name, start, end, spans))
                stale = stale or (
                    bool(spans) and self.housekeeping.stale_conflicts(conn, row, spans, day)
                )
            except RentcalError as err:
                answers.append(err)
        return answers, stale

    def free_windows(
        self,
        machine: str,
        start: date,
        end: date,
        min_days: int = 1,
        today: date | None = None,
    ) -> list[tuple[date, date]]:
        """Inclusive free ranges of at least ``min_days`` bookable days inside [start, end].

        Only days that can be booked are offered: the window is clipped to
        start today (past days cannot be booked) and to end on the booking
        horizon's last day; a window that ended before today or begins after
        the horizon, ``min_days`` longer than the longest rental, and a
        retired machine, are refused (InvalidRequest) like ``check`` refuses
        them, rather than answered with an empty list. A free window longer
        than the longest rental is still one window: any part of it up to
        that length can be booked.
        """
        name = checks.handle(machine, "machine")
        first, last = checks.day(start, "start"), checks.day(end, "end")
        days = checks.positive_int(min_days, "min_days", "a number of days")
        validate_range(first, last)
        day = self.ctx.today(today)
        if last < day:
            raise InvalidRequest(
                f"no day from {first.isoformat()} to {last.isoformat()} can be booked: "
                f"the end date is before today ({day.isoformat()})",
                field="end",
                value=last,
                reason="past",
            )
        first = max(first, day)

        def work(conn: Connection) -> tuple[list[tuple[date, date]], bool]:
            low, high = bookable_part(first, last, days, day, read_limits(conn))
            row = self.ctx.active_machine_row(conn, name)
            found = self.ctx.conflicts(conn, row.id, low, high)
            busy = [(c.start, c.end) for c in found]
            return free_windows(low, high, busy, days), self.housekeeping.stale_conflicts(
                conn, row, found, day
            )

        return self.housekeeping.fresh(work, day)


def _request(request: object, index: int) -> Request:
    """A batch request as given, or the ArgumentTypeError for a malformed one (in its place)."""
    if isinstance(request, RentcalError):
        return request
    if (
        isinstance(request, (tuple, list))
        and len(request) == 3
        and isinstance(request[0], str)
        and isinstance(request[1], date)
        and isinstance(request[2], date)
    ):
        return (request[0], request[1], request[2])
    return checks.wrong_type(
        f"requests[{index}]",
        "a (machine, start, end) tuple of str, date, date, or a RentcalError",
        request,
        field="requests",
    )


__all__ = ["Availabilities", "Request"]
