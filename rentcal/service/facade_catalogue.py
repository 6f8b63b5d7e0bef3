"""The facade's calls about members and machines: who and what can be rented.

:class:`CatalogueFacade` holds the :class:`~rentcal.service.Rentcal` methods
that set up and edit the catalogue, each handed to the use case that owns it
(:func:`~rentcal.service.wiring.via`):

========================  ===============================================
``catalogue``             members and machines (``init``, ``add_member``, ...)
``editing``               the change log; ``edit_machine``, ``reactivate_machine``
``membership``            ``edit_member``, ``set_role``, ``deactivate_member``,
                          ``reactivate_member``, ``member_history``
``keepers``               who hands a machine over: ``add_keeper``, ...
``maintenance``           ``add_maintenance``, ``edit_maintenance``, cancel /
                          complete, reads
========================  ===============================================
"""

from __future__ import annotations

from rentcal.service.catalogue import Catalogue
from rentcal.service.editing import MachineEdits
from rentcal.service.keepers import Keepers
from rentcal.service.maintenance import Upkeep
from rentcal.service.membership import Membership
from rentcal.service.wiring import via


class CatalogueFacade:
    """Members, machines, their keepers and maintenance (a part of ``Rentcal``)."""

    __slots__ = ()  # delegations only; the instance is a Rentcal

    # -- members and machines -------------------------------------------------------

    init = via("catalogue", Catalogue.init)
    add_member = via("catalogue", Catalogue.add_member)
    verify_member = via("catalogue", Catalogue.verify_member)
    member = via("catalogue", Catalogue.member)
    members = via("catalogue", Catalogue.members)
    is_empty = via("catalogue", Catalogue.is_empty)
    add_machine = via("catalogue", Catalogue.add_machine)
    retire_machine = via("catalogue", Catalogue.retire_machine)
    machine = via("catalogue", Catalogue.machine)
    machines = via("catalogue", Catalogue.machines)
    edit_machine = via("machine_edits", MachineEdits.edit_machine)
    reactivate_machine = via("machine_edits", MachineEdits.reactivate_machine)
    machine_history = via("machine_edits", MachineEdits.machine_history)
    edit_member = via("membership", Membership.edit_member)
    set_role = via("membership", Membership.set_role)
    deactivate_member = via("membership", Membership.deactivate_member)
    reactivate_member = via("membership", Membership.reactivate_member)
    member_history = via("membership", Membership.member_history)

    # -- keepers and maintenance ------------------------------------------------------

    keepers = via("keepers", Keepers.keepers)
    add_keeper = via("keepers", Keepers.add_keeper)
    remove_keeper = via("keepers", Keepers.remove_keeper)
    add_maintenance = via("maintenance", Upkeep.add_maintenance)
    edit_maintenance = via("maintenance", Upkeep.edit_maintenance)
    cancel_maintenance = via("maintenance", Upkeep.cancel_maintenance)
    complete_maintenance = via("maintenance", Upkeep.complete_maintenance)
    maintenance = via("maintenance", Upkeep.maintenance)
    maintenance_history = via("maintenance", Upkeep.maintenance_history)


__all__ = ["CatalogueFacade"]
