"""Sample invoices for the invoice tests (issue #23): parties, lines, documents; what a
PDF's embedded Factur-X XML says."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import facturx
from lxml import etree

from rentcal.core.invoices import (
    BankAccount,
    InvoiceDocument,
    InvoiceKind,
    InvoiceLine,
    InvoiceParty,
    make_party,
)

SELLER = make_party(
    "seller",
    name="Maschinenring Süd eG",
    country="de",
    address_lines=["Hauptstraße 1"],
    postcode="80331",
    city="München",
    vat_id="DE 123456789",
    tax_number="143/123/45678",
    email="rechnung@example.org",
)
BUYER = make_party(
    "buyer",
    name="Bob Baker",
    country="DE",
    address_lines=["Feldweg 7", "Hof Süd"],
    postcode="85354",
    city="Freising",
    email="bob@example.org",
)
#: A seller without VAT id nor tax number: its invoices are "not subject to VAT" (O).
ASSOCIATION = InvoiceParty(name="Tool Library Club", country="GB")
BANK = BankAccount(iban="DE89370400440532013000", bic="COBADEFFXXX")

TRACTOR = InvoiceLine(
    description="Tractor 6120",
    net=Decimal("360.00"),
    first_day=date(2030, 1, 10),
    last_day=date(2030, 1, 12),
    days=3,
    day_rate=Decimal("120.00"),
    charge_id=1,
)
SAW_HOURS = InvoiceLine(
    description="Band saw",
    net=Decimal("41.63"),
    first_day=date(2030, 1, 15),
    last_day=date(2030, 1, 15),
    days=1,
    day_rate=Decimal("20.00"),
    units=Decimal("12.5"),
    unit_name="h",
    unit_rate=Decimal("1.73"),
    charge_id=2,
)
CORRECTION = InvoiceLine(description="Correction: fuel refill", net=Decimal("-15.50"), charge_id=3)


def invoice(**changes: Any) -> InvoiceDocument:
    """An invoice of three lines at 19 % VAT, changed by ``changes``."""
    values: dict[str, Any] = {
        "number": "2030-0001",
        "kind": InvoiceKind.INVOICE,
        "issue_date": date(2030, 2, 1),
        "due_date": date(2030, 2, 15),
        "currency": "EUR",
        "seller": SELLER,
        "buyer": BUYER,
        "lines": (TRACTOR, SAW_HOURS, CORRECTION),
        "vat_rate": Decimal("19.00"),
        "bank": BANK,
        "payment_terms": "Payable within 14 days",
    }
    values.update(changes)
    return InvoiceDocument(**values)


def without_vat(**changes: Any) -> InvoiceDocument:
    """The same invoice from a seller that charges no VAT (exempt, E)."""
    return invoice(
        vat_rate=None, vat_note="Kein Ausweis von Umsatzsteuer gemäß § 19 UStG", **changes
    )


def hostile_buyer() -> InvoiceParty:
    """A buyer whose name and address try markup, quotes, right-to-left text and emoji."""
    return replace(
        BUYER,
        name='<Ødön & "Zoë"> ضياء 🚜 Łukasz Ćwikła',
        address_lines=("]]><x/>&amp; Straße 5", "Ünterdorf 'b'"),
        city="İstanbul",
        country="TR",
    )


#: The namespaces of the Factur-X (EN 16931 CrossIndustryInvoice) XML.
XML_NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
}


def pdf_facts(pdf: bytes) -> tuple[str, Decimal]:
    """The number and the gross total that the Factur-X XML inside ``pdf`` states (the
    XML checked against its XSD on the way out): what an accounting system reads."""
    name, xml = facturx.get_facturx_xml_from_pdf(pdf, check_xsd=True)
    assert name == "factur-x.xml", name
    root = etree.fromstring(xml)
    (number,) = root.xpath(
        "/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:ID/text()", namespaces=XML_NS
    )
    (total,) = root.xpath(
        "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:GrandTotalAmount/text()",
        namespaces=XML_NS,
    )
    return str(number), Decimal(str(total))
