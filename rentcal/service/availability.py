"""Availability: can this machine be booked on these days, and when is it free?

Read-only use cases. Being booked is an answer (an :class:`Availability`),
not an error; bad dates and unknown or retired machines are errors.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

from sqlalchemy.engine import Connection, Row

from rentcal.core.availability import Availability, availability, free_windows
from rentcal.core.ranges import validate_range
from rentcal.errors import InvalidRequest, RentcalError
from rentcal.service.base import ServiceBase

#: A batch request: (machine, start, end), or an error the caller met reading it.
Request = tuple[str, date, date] | RentcalError


class Availabilities(ServiceBase):
    """Use cases answering availability questions."""

    def check(
        self, machine: str, start: date, end: date, today: date | None = None
    ) -> Availability:
        """Whether ``machine`` is free on every day of [start, end] (inclusive).

        Raises InvalidRequest for bad dates or a retired machine, NotFound for
        an unknown one. Being booked is an answer, not an error.
        """
        validate_range(start, end, self.today(today))

        def work(conn: Connection) -> Availability:
            row = self._active_machine_row(conn, machine)
            return availability(row.name, start, end, self._conflicts(conn, row.id, start, end))

        return self._read(work)

    def check_many(
        self,
        requests: Iterable[Request],
        today: date | None = None,
        chunk: int = 500,
    ) -> Iterator[Availability | RentcalError]:
        """Answer many checks in order, streaming: one result per request.

        A bad request yields its error in its place and the run goes on; an
        error given as a request (a line the caller could not parse) is passed
        through. Requests are answered in read transactions of ``chunk``.
        """
        day = self.today(today)
        batch: list[Request] = []
        for request in requests:
            batch.append(request)
            if len(batch) >= chunk:
                yield from self._answer_batch(batch, day)
                batch = []
        if batch:
            yield from self._answer_batch(batch, day)

    def _answer_batch(self, batch: list[Request], day: date) -> list[Availability | RentcalError]:
        return self._read(lambda conn: self._answer(conn, batch, day))

    def _answer(
        self, conn: Connection, batch: list[Request], day: date
    ) -> list[Availability | RentcalError]:
        machines: dict[str, Row[Any]] = {}
        answers: list[Availability | RentcalError] = []
        for request in batch:
            if isinstance(request, RentcalError):
                answers.append(request)
                continue
            name, start, end = request
            try:
                validate_range(start, end, day)
                row = machines.get(name) or machines.setdefault(
                    name, self._active_machine_row(conn, name)
                )
                spans = self._conflicts(conn, row.id, start, end)
                answers.append(availability(row.name, start, end, spans))
            except RentcalError as err:
                answers.append(err)
        return answers

    def free_windows(
        self, machine: str, start: date, end: date, min_days: int = 1
    ) -> list[tuple[date, date]]:
        """Inclusive free ranges of at least ``min_days`` days inside [start, end]."""
        validate_range(start, end)
        if isinstance(min_days, bool) or not isinstance(min_days, int) or min_days < 1:
            raise InvalidRequest(
                f"minimum length {min_days!r} must be a whole number of days >= 1",
                field="min_days",
                value=min_days,
            )

        def work(conn: Connection) -> list[tuple[date, date]]:
            row = self._machine_row(conn, machine)
            busy = [(c.start, c.end) for c in self._conflicts(conn, row.id, start, end)]
            return free_windows(start, end, busy, min_days)

        return self._read(work)


__all__ = ["Availabilities", "Request"]
