"""The organisation's invoice settings and the members' billing addresses (issue #23).

Settings: one organisation setting per field (``invoice_name``, ``invoice_iban``,
...), append-only with who and when, like the time zone and the currency; an
admin changes any of them, and only what changed is written. Values typed by
admins are checked before anything is opened (:mod:`rentcal.service.invoice_fields`:
the IBAN, BIC and VAT id by python-stdnum, the VAT rate 0-100 with at most 2
places, the country against ISO 3166). A stored value no rentcal wrote reads
as not set.

Billing addresses: one row per member (``member_billing``), which the member
(or an admin) changes; every change is kept in the change log (fields
``billing_*`` of the member), and invoices keep the address they were issued
with, so a later change never alters an issued invoice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.engine import Connection

from rentcal.core import checks
from rentcal.core.countries import ISO_3166
from rentcal.core.invoice_settings import (
    DEFAULT_TERMS_DAYS,
    MAX_TERMS_DAYS,
    BillingAddress,
    InvoiceSettings,
)
from rentcal.core.invoices import check_vat_rate
from rentcal.core.values import UNSET, Member, Unset
from rentcal.db import sql as q
from rentcal.db.sql import billing as billing_sql
from rentcal.errors import InvalidRequest, PermissionDenied
from rentcal.service.base import Context
from rentcal.service.editing import cleaned, record_changes
from rentcal.service.invoice_fields import ADDRESS_FIELDS, SETTABLE, typed

#: The settings' keys in ``org_setting``, by field (address lines: one key each).
KEYS = {
    "name": "invoice_name",
    "line1": "invoice_line1",
    "line2": "invoice_line2",
    "line3": "invoice_line3",
    "postcode": "invoice_postcode",
    "city": "invoice_city",
    "country": "invoice_country",
    "vat_id": "invoice_vat_id",
    "tax_number": "invoice_tax_number",
    "email": "invoice_email",
    "iban": "invoice_iban",
    "bic": "invoice_bic",
    "vat_rate": "invoice_vat_rate",
    "vat_note": "invoice_vat_note",
    "terms_days": "invoice_terms_days",
    "reminder_days": "invoice_reminder_days",
}
LINES = ("line1", "line2", "line3")


def read_invoice_settings(conn: Connection) -> InvoiceSettings:
    """The settings in force as transaction ``conn`` sees them (one statement)."""
    rows = q.org_settings(conn, list(KEYS.values()))
    raw = {f: (rows[k].value if k in rows else "") for f, k in KEYS.items()}
    text = {f: (v or None) for f, v in raw.items()}
    rate: Decimal | None = None
    try:
        rate = check_vat_rate(Decimal(raw["vat_rate"])) if raw["vat_rate"] else None
    except (InvalidOperation, InvalidRequest):
        rate = None
    terms = int(raw["terms_days"]) if raw["terms_days"].isdigit() else DEFAULT_TERMS_DAYS
    reminders = raw["reminder_days"].split(",") if raw["reminder_days"] else []
    return InvoiceSettings(
        name=text["name"],
        address_lines=tuple(t for t in (text[line] for line in LINES) if t),
        postcode=text["postcode"],
        city=text["city"],
        country=text["country"] if text["country"] in ISO_3166 else None,
        vat_id=text["vat_id"],
        tax_number=text["tax_number"],
        email=text["email"],
        iban=text["iban"],
        bic=text["bic"],
        vat_rate=rate,
        vat_note=text["vat_note"],
        terms_days=min(terms, MAX_TERMS_DAYS),
        reminder_days=tuple(int(d) for d in reminders if d.isdigit()),
    )


def _stored_forms(wanted: Mapping[str, Any]) -> dict[str, str]:
    """The checked values as (key -> stored text), address lines split into their keys."""
    found: dict[str, str] = {}
    for field_, value in wanted.items():
        if field_ == "address_lines":
            for line, text in zip(LINES, value, strict=True):
                found[KEYS[line]] = text or ""
        else:
            found[KEYS[field_]] = value
    return found


def _address(handle: str, row: Mapping[str, Any] | None) -> BillingAddress:
    if row is None:
        return BillingAddress(handle)
    return BillingAddress(
        handle,
        name=row["name"],
        address_lines=tuple(row[line] for line in LINES if row[line]),
        postcode=row["postcode"],
        city=row["city"],
        country=row["country"],
        vat_id=row["vat_id"],
        stored=True,
    )


def billing_of(conn: Connection, member_id: int, handle: str) -> BillingAddress:
    """The member's billing address as transaction ``conn`` sees it (none: all None)."""
    return _address(handle, billing_sql.billing_address(conn, member_id))


class InvoiceSetup:
    """The invoice settings (admins set them) and billing addresses (own, or admins)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def invoice_settings(self) -> InvoiceSettings:
        """The organisation's invoice settings (not set: None, 14 days to pay)."""
        return self.ctx.read(read_invoice_settings)

    def set_invoice_settings(
        self,
        *,
        acting: str | None = None,
        name: object = UNSET,
        address_lines: object = UNSET,
        postcode: object = UNSET,
        city: object = UNSET,
        country: object = UNSET,
        vat_id: object = UNSET,
        tax_number: object = UNSET,
        email: object = UNSET,
        iban: object = UNSET,
        bic: object = UNSET,
        vat_rate: object = UNSET,
        vat_note: object = UNSET,
        terms_days: object = UNSET,
        reminder_days: object = UNSET,
    ) -> InvoiceSettings:
        """Change any of the invoice settings (admins only; each change recorded).

        Keywords: ``name``, ``address_lines`` (up to 3), ``postcode``, ``city``,
        ``country`` (ISO 3166), ``vat_id``, ``tax_number``, ``email``, ``iban``,
        ``bic``, ``vat_rate`` (percent, None or ``"none"``: no VAT), ``vat_note``
        (why no VAT), ``terms_days`` (0-365), ``reminder_days`` (increasing days
        after issue). None or ``""`` clears a text. Only what differs is stored.

        Raises:
            InvalidRequest: nothing given, or a value refused (naming it and why);
            PermissionDenied: not an admin.
        """
        changes = {
            "name": name, "address_lines": address_lines, "postcode": postcode, "city": city,
            "country": country, "vat_id": vat_id, "tax_number": tax_number, "email": email,
            "iban": iban, "bic": bic, "vat_rate": vat_rate, "vat_note": vat_note,
            "terms_days": terms_days, "reminder_days": reminder_days,
        }  # fmt: skip
        checks.optional_handle(acting, "acting", "acting member")
        typed(changes)
        stored = _stored_forms(cleaned(changes, SETTABLE))

        def work(conn: Connection) -> InvoiceSettings:
            actor = self.ctx.admin(conn, acting, "change the invoice settings")
            rows = q.org_settings(conn, list(stored))
            now = self.ctx.now()
            for key, value in stored.items():
                if (rows[key].value if key in rows else "") != value:
                    q.add_org_setting(conn, key, value, actor.id, now)
            return read_invoice_settings(conn)

        return self.ctx.write(work, calendar=False)

    def invoice_settings_history(self) -> list[tuple[str, str | None, str | None, datetime]]:
        """Every stored value, newest first: (setting, value or None, who, when)."""

        def work(conn: Connection) -> list[tuple[str, str | None, str | None, datetime]]:
            found = [
                (field_, r.value or None, r.changed_by, r.changed_at)
                for field_, key in KEYS.items()
                for r in q.org_setting_history(conn, key)
            ]
            found.sort(key=lambda item: item[3], reverse=True)
            return found

        return self.ctx.read(work)

    def billing_address(self, handle: str, acting: str | None = None) -> BillingAddress:
        """A member's billing address (their own, or anyone's for admins)."""
        clean = checks.handle(handle, "handle", "member")
        checks.optional_handle(acting, "acting", "acting member")

        def work(conn: Connection) -> BillingAddress:
            row = self._allowed(conn, acting, clean, "see")
            return _address(row.handle, billing_sql.billing_address(conn, row.id))

        return self.ctx.read(work)

    def set_billing_address(
        self,
        handle: str,
        *,
        acting: str | None = None,
        name: str | Unset | None = UNSET,
        address_lines: Sequence[str] | Unset = UNSET,
        postcode: str | Unset | None = UNSET,
        city: str | Unset | None = UNSET,
        country: str | Unset | None = UNSET,
        vat_id: str | Unset | None = UNSET,
    ) -> BillingAddress:
        """Change a member's billing address (their own, or anyone's for admins).

        Fields left UNSET keep their value; None clears one. The country is
        needed: a first address without one takes the organisation's invoice
        country, else it is refused. Each change goes to the change log.
        """
        clean = checks.handle(handle, "handle", "member")
        checks.optional_handle(acting, "acting", "acting member")
        given = {
            "name": name,
            "address_lines": address_lines,
            "postcode": postcode,
            "city": city,
            "country": country,
            "vat_id": vat_id,
        }
        typed(given)
        wanted = cleaned(given, ADDRESS_FIELDS)
        if "address_lines" in wanted:
            wanted.update(zip(LINES, wanted.pop("address_lines"), strict=True))

        def work(conn: Connection) -> BillingAddress:
            row = self._allowed(conn, acting, clean, "change")
            actor = self.ctx.actor(conn, acting)
            old = billing_sql.billing_address(conn, row.id) or dict.fromkeys(
                billing_sql.ADDRESS_COLUMNS
            )
            new = {**old, **wanted}
            if new["country"] is None:
                new["country"] = read_invoice_settings(conn).country
            if new["country"] is None:
                raise InvalidRequest(
                    "a billing address needs its country (e.g. DE)",
                    field="country",
                    reason="no-country",
                )
            now = self.ctx.now()
            logged = {f"billing_{k}": v for k, v in new.items()}
            before = {f"billing_{k}": v for k, v in old.items()}
            if record_changes(conn, "member", row.id, before, logged, actor, now):
                billing_sql.save_billing_address(
                    conn, row.id, {**new, "updated_by_id": actor.id, "updated_at": now}
                )
            return _address(row.handle, billing_sql.billing_address(conn, row.id))

        return self.ctx.write(work, calendar=False)

    def _allowed(self, conn: Connection, acting: str | None, handle: str, what: str) -> Member:
        """The member whose address it is, when the actor may ``what`` it."""
        actor = self.ctx.actor(conn, acting)
        row = q.member(self.ctx.member_row(conn, handle))
        if actor.id != row.id and not actor.is_admin:
            raise PermissionDenied(
                f"member {actor.handle!r} cannot {what} the billing address of "
                f"{row.handle!r}: members {what} their own, admins anyone's",
                field="acting",
                value=actor.handle,
                reason="not-owner",
            )
        return row


__all__ = ["KEYS", "InvoiceSetup", "billing_of", "read_invoice_settings"]
