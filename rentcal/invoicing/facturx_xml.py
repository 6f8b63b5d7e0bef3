"""The Factur-X / ZUGFeRD XML of an invoice: EN 16931 CrossIndustryInvoice (issue #23).

Built by the ``factur-x`` package (Akretion's, maintained, the reference
implementation behind Odoo's e-invoices): :func:`facturx_data` maps an
:class:`~rentcal.core.invoices.InvoiceDocument` onto its dictionary of
EN 16931 business terms (``BT-1`` the number, ``BT-112`` the total, ...), and
``facturx.generate_xml`` writes the XML and checks it against the official
Factur-X EN 16931 XSD. Nothing here writes XML text or computes a total: every
amount is one of the document's :attr:`~rentcal.core.invoices.InvoiceDocument.totals`
or a line's net amount.

Choices (each an EN 16931 rule):

* An invoice is type 380; a credit note is type 381 with its amounts positive
  (its meaning says "credit") and a reference to the invoice it corrects (BG-3).
* A line's quantity times its price must be its net amount. A line that is
  days x day rate (or units x unit rate) exactly is written so (unit ``DAY``,
  or the unit's UN/ECE code); any other (days and units together, a rounded
  or corrected amount) is written as 1 (or -1) times its amount (``C62``,
  "one"), its description giving the days, units and rates.
* VAT: one category for the whole invoice (see
  :func:`rentcal.core.invoices.vat_category`). Without VAT the exemption reason
  is stated (BR-E-10, BR-O-10); on a "not subject to VAT" (O) invoice no VAT id
  appears, not even the buyer's (BR-O-02).
* The date of supply (BT-72): the last day the lines cover, else the issue day.
* Payment: a SEPA credit transfer (code 58) to the organisation's IBAN with the
  invoice number as reference; no payment means without an IBAN.

The Schematron (the business rules as XSLT 2.0) needs a Saxon server the
package calls over HTTP: not run here. tests/test_invoice_xml.py checks the
rules rentcal can break (sums, VAT, categories) on the XML itself.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rentcal.core.invoice_parts import InvoiceParty
from rentcal.core.invoices import InvoiceDocument, InvoiceLine, VatCategory
from rentcal.errors import InvalidRequest
from rentcal.invoicing.extra import load

#: BT-24 of the EN 16931 profile (what the XSD and a reader check first).
EN16931 = "urn:cen.eu:en16931:2017"
LEVEL = "en16931"
TYPE_CODES = {False: "380", True: "381"}
#: UN/ECE Recommendation 20 codes for the unit names people use for machines.
UNIT_CODES = {
    "h": "HUR",
    "hr": "HUR",
    "hour": "HUR",
    "hours": "HUR",
    "std": "HUR",
    "km": "KMT",
    "ha": "HAR",
    "l": "LTR",
    "litre": "LTR",
    "liter": "LTR",
    "kg": "KGM",
    "t": "TNE",
    "m": "MTR",
    "m2": "MTK",
    "m²": "MTK",
    "m3": "MTQ",
    "m³": "MTQ",
    "kwh": "KWH",
    "piece": "H87",
    "pcs": "H87",
}
DAY = "DAY"
ONE = "C62"
SEPA_TRANSFER = "58"
EMAIL_SCHEME = "EM"


def unit_code(name: str | None) -> str:
    """The UN/ECE code of a unit name (``h`` -> ``HUR``); ``C62`` ("one") when unknown."""
    return UNIT_CODES.get((name or "").strip().lower(), ONE)


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _number(value: Decimal) -> str:
    """A quantity or price as plain digits (no exponent), trailing zeros kept to 2 places."""
    text = format(value.normalize(), "f")
    return text if "." in text and len(text.split(".")[1]) >= 2 else f"{value:.2f}"


def quantity(line: InvoiceLine, sign: int) -> tuple[Decimal, str, Decimal]:
    """(quantity, unit code, net price) with quantity x price == the line's net x ``sign``.

    The price is never negative (BR-27): a negative amount gets a negative quantity.
    """
    net = line.net * sign
    direction = -1 if net < 0 else 1
    day_rate, unit_rate, units = line.day_rate, line.unit_rate, line.units
    if line.days and day_rate is not None and not units and line.days * day_rate == abs(net):
        return Decimal(line.days * direction), DAY, day_rate
    if units and unit_rate is not None and not line.days and abs(units) * unit_rate == abs(net):
        return abs(units) * direction, unit_code(line.unit_name), unit_rate
    return Decimal(direction), ONE, abs(net)


def breakdown(line: InvoiceLine) -> str | None:
    """What the amount is made of, in words: ``3 days x 120.00 + 12.5 h x 1.73``."""
    parts = []
    if line.days and line.day_rate is not None:
        unit = "day" if line.days == 1 else "days"
        parts.append(f"{line.days} {unit} x {_number(line.day_rate)}")
    if line.units and line.unit_rate is not None:
        name = f" {line.unit_name}" if line.unit_name else " units"
        parts.append(f"{format(line.units.normalize(), 'f')}{name} x {_number(line.unit_rate)}")
    return " + ".join(parts) or None


def _party(party: InvoiceParty, *, with_vat_id: bool) -> dict[str, Any]:
    lines = [*party.address_lines, None, None, None]
    found: dict[str, Any] = {
        "name": party.name,
        "country_code": party.country,
        "addr_l1": lines[0],
        "addr_l2": lines[1],
        "addr_l3": lines[2],
        "postcode": party.postcode,
        "city": party.city,
        "vat_identifier": party.vat_id if with_vat_id else None,
        "tax_identifier": party.tax_number,
    }
    if party.email:
        found["einvoicing_addr"] = party.email
        found["einvoicing_addr_schemeid"] = EMAIL_SCHEME
    return {key: value for key, value in found.items() if value}


def _line(index: int, line: InvoiceLine, doc: InvoiceDocument, sign: int) -> dict[str, Any]:
    qty, unit, price = quantity(line, sign)
    totals = doc.totals
    found: dict[str, Any] = {
        "BT-126": str(index),
        "BT-129": _number(qty),
        "BT-130": unit,
        "BT-131": _money(line.net * sign),
        "BT-146": _number(price),
        "BT-151": totals.category.value,
        "BT-153": line.description,
    }
    if totals.category is not VatCategory.OUTSIDE:
        found["BT-152"] = _money(totals.rate or Decimal(0))
    if (words := breakdown(line)) is not None:
        found["BT-154"] = words
    if line.first_day is not None and line.last_day is not None:
        found["BT-134"], found["BT-135"] = line.first_day, line.last_day
    return found


def facturx_data(doc: InvoiceDocument) -> dict[str, Any]:
    """The document as the ``factur-x`` package's dictionary of EN 16931 terms."""
    sign = -1 if doc.is_credit_note else 1
    totals = doc.totals
    outside = totals.category is VatCategory.OUTSIDE
    vat: dict[str, Any] = {
        "BT-116": _money(totals.net * sign),
        "BT-117": _money(totals.vat * sign),
        "BT-118": totals.category.value,
    }
    if not outside:
        vat["BT-119"] = _money(totals.rate or Decimal(0))
    if doc.exemption_reason:
        vat["BT-120"] = doc.exemption_reason
    data: dict[str, Any] = {
        "BT-1": doc.number,
        "BT-2": doc.issue_date,
        "BT-3": TYPE_CODES[doc.is_credit_note],
        "BT-5": doc.currency,
        "BT-9": doc.due_date,
        "BT-24": EN16931,
        "BT-83": doc.reference,
        "BG-4": _party(doc.seller, with_vat_id=True),
        "BG-7": _party(doc.buyer, with_vat_id=not outside),
        "BG-23": [vat],
        "BG-25": [_line(i, line, doc, sign) for i, line in enumerate(doc.lines, start=1)],
        "BT-106": _money(totals.net * sign),
        "BT-109": _money(totals.net * sign),
        "BT-110": _money(totals.vat * sign),
        "BT-112": _money(totals.gross * sign),
        "BT-115": _money(totals.gross * sign),
    }
    if doc.payment_terms:
        data["BT-20"] = doc.payment_terms
    if doc.note:
        data["BG-1"] = [{"BT-22": doc.note}]
    if doc.refers_to is not None:
        data["BG-3"] = [{"BT-25": doc.refers_to, "BT-26": doc.refers_to_date}]
    if doc.period is not None:
        data["BT-73"], data["BT-74"] = doc.period
    # The date of supply (German law asks for it too): the last day used, else the
    # issue day. Always given: without any delivery term the package writes an empty
    # delivery element the XSD refuses (factur-x 7.8).
    data["BT-72"] = doc.period[1] if doc.period is not None else doc.issue_date
    if doc.bank is not None:
        data["BT-81"] = SEPA_TRANSFER
        data["BT-84"] = doc.bank.iban
        if doc.bank.bic:
            data["BT-86"] = doc.bank.bic
    return data


def build_xml(doc: InvoiceDocument) -> bytes:
    """The Factur-X EN 16931 XML of ``doc`` (UTF-8), checked against the official XSD.

    Raises:
        InvalidRequest: the package is missing (``reason="missing-extra"``), or the
            XML failed the XSD (``reason="facturx"``, naming the invoice and why).
    """
    facturx = load("facturx", "an invoice's e-invoice data (Factur-X)")
    try:
        xml: bytes = facturx.generate_xml(
            facturx_data(doc), flavor="factur-x", level=LEVEL, check_schematron=False
        )
    except (ValueError, Exception) as err:  # the package raises bare Exception for the XSD
        raise InvalidRequest(
            f"invoice {doc.number} cannot be written as Factur-X: {err}",
            field="invoice",
            value=doc.number,
            reason="facturx",
        ) from err
    return xml


def check_xml(xml: bytes) -> None:
    """Check Factur-X XML against the EN 16931 XSD (raises InvalidRequest, ``"facturx"``)."""
    facturx = load("facturx", "checking Factur-X data")
    try:
        facturx.xml_check_xsd(xml, flavor="factur-x", level=LEVEL)
    except Exception as err:
        raise InvalidRequest(
            f"not valid Factur-X ({LEVEL}): {err}", field="xml", reason="facturx"
        ) from err


__all__ = [
    "EN16931",
    "LEVEL",
    "UNIT_CODES",
    "breakdown",
    "build_xml",
    "check_xml",
    "facturx_data",
    "quantity",
    "unit_code",
]
