"""The facade's calls about rentals: availability, booking, moving, handing over.

:class:`RentalsFacade` holds the :class:`~rentcal.service.Rentcal` methods of
a rental's life, each handed to the use case that owns it
(:func:`~rentcal.service.wiring.via`):

========================  ===============================================
``availability``          ``check``, ``check_many``, ``free_windows``
``bookings``              ``book``, approve / reject / cancel / complete
``idempotency``           helpers making ``book(idempotency_key=...)`` once-only
``lifecycle``             recording a rental's status change; settling a retirement
``rentals``               reading rentals: ``rental``, ``rentals``, ``history``
``moves``                 ``move``: other days and/or another machine
``handover``              ``checkout``, ``checkin``, ``handovers``, meter readings
``housekeeping``          settling what time made stale; the machine locks
``bulk``                  ``import_rentals``, ``import_maintenance``
========================  ===============================================
"""

from __future__ import annotations

from rentcal.service.availability import Availabilities
from rentcal.service.bookings import Bookings
from rentcal.service.bulk import Bulk
from rentcal.service.handover import Handovers
from rentcal.service.housekeeping import Housekeeping
from rentcal.service.moves import Moves
from rentcal.service.rentals import RentalReads
from rentcal.service.wiring import via


class RentalsFacade:
    """Availability, bookings, reads, moves, hand-overs, imports (a part of ``Rentcal``)."""

    __slots__ = ()  # delegations only; the instance is a Rentcal

    check = via("availability", Availabilities.check)
    check_many = via("availability", Availabilities.check_many)
    free_windows = via("availability", Availabilities.free_windows)
    book = via("bookings", Bookings.book)
    approve = via("bookings", Bookings.approve)
    reject = via("bookings", Bookings.reject)
    cancel = via("bookings", Bookings.cancel)
    complete = via("bookings", Bookings.complete)
    rental = via("rentals", RentalReads.rental)
    rentals = via("rentals", RentalReads.rentals)
    history = via("rentals", RentalReads.history)
    move = via("moves", Moves.move)
    checkout = via("handovers", Handovers.checkout)
    checkin = via("handovers", Handovers.checkin)
    handovers = via("handovers", Handovers.handovers)
    last_reading = via("handovers", Handovers.last_reading)
    meter_readings = via("handovers", Handovers.meter_readings)
    housekeeping = via("housekeeping", Housekeeping.housekeeping)
    housekeeping_due = via("housekeeping", Housekeeping.housekeeping_due)
    import_rentals = via("bulk", Bulk.import_rentals)
    import_maintenance = via("bulk", Bulk.import_maintenance)


__all__ = ["RentalsFacade"]
