"""Who sees a booking's private details: THE rule, for pages, the API and feeds.

Everybody who may see a calendar sees every booking's machine, days, status
and member (that is what "when is the tractor taken" needs). The private
details -- a rental's purpose, price and reasons, a maintenance block's notes
-- are seen by admins, and of a rental by its own member. Nobody else: not
another member, not a calendar published on a web server.

The web pages (:mod:`rentcal.web.views`), the secret feed URLs and
``rentcal events --ics`` all ask a :class:`Viewer`, so a feed shows exactly
what its viewer's pages show. Pure: no database, no clock.

Examples:

    >>> PUBLIC.sees_notes, EVERYTHING.sees_notes
    (False, True)
    >>> Viewer("bob", admin=False).sees_private_of("bob")
    True
    >>> Viewer("bob", admin=False).sees_private_of("carol")
    False
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from rentcal.core.values import Member


@dataclass(frozen=True, slots=True)
class Viewer:
    """The eyes a calendar is rendered for.

    ``handle`` is the member whose own rentals show their details (None: no
    one's); ``admin`` sees every detail.
    """

    handle: str | None
    admin: bool

    @classmethod
    def of(cls, member: Member) -> Viewer:
        """A member's eyes, with the rights the member holds now (a deactivated
        member's are no one's: nothing private)."""
        if not member.active:
            return PUBLIC
        return cls(member.handle, member.is_admin)

    def sees_private_of(self, renter: str) -> bool:
        """Whether this viewer may read the purpose, price and reasons of a rental
        made by the member ``renter``."""
        return self.admin or (self.handle is not None and self.handle == renter)

    @property
    def sees_notes(self) -> bool:
        """Whether this viewer may read maintenance notes (admins' pages only)."""
        return self.admin


#: A calendar anyone may read: no purposes, prices, reasons or notes.
PUBLIC: Final = Viewer(None, admin=False)
#: Every detail (``rentcal events --ics --private``, an admin).
EVERYTHING: Final = Viewer(None, admin=True)

__all__ = ["EVERYTHING", "PUBLIC", "Viewer"]
