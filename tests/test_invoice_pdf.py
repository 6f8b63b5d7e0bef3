"""Invoices as Factur-X PDFs (issue #23): the pages show what the embedded XML says.

The text of each PDF is read back with pypdf (which comes with factur-x) and
its XML extracted with the ``factur-x`` package, so the figures a person
reads and the figures a machine reads are compared, not just produced.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from io import BytesIO
from pathlib import Path

import facturx
import pytest
from lxml import etree
from pypdf import PdfReader

from rentcal.core.invoices import InvoiceDocument, InvoiceLine, credit_note
from rentcal.invoicing.facturx_xml import build_xml
from rentcal.invoicing.pdf import amount, find_fonts, invoice_pdf, plain_pdf
from tests.invoice_support import ASSOCIATION, hostile_buyer, invoice, without_vat

NS = {"ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"}
GRAND = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:GrandTotalAmount/text()"

needs_dejavu = pytest.mark.skipif(find_fonts() is None, reason="DejaVu Sans is not installed")


def pdf_text(pdf: bytes) -> str:
    """Every page's text, spaces and line breaks squeezed to single spaces."""
    reader = PdfReader(BytesIO(pdf))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def embedded(pdf: bytes) -> bytes:
    """The Factur-X XML inside ``pdf`` (checked against the XSD on the way out)."""
    name, xml = facturx.get_facturx_xml_from_pdf(pdf, check_xsd=True)
    assert name == "factur-x.xml"
    return xml  # type: ignore[no-any-return]


def _credit() -> InvoiceDocument:
    return credit_note(invoice(), "2030-0002", date(2030, 3, 1), reason="billed twice")


DOCUMENTS = [
    pytest.param(invoice, id="invoice"),
    pytest.param(without_vat, id="no-vat"),
    pytest.param(lambda: invoice(seller=ASSOCIATION, vat_rate=None), id="not-subject"),
    pytest.param(_credit, id="credit-note"),
    pytest.param(lambda: invoice(buyer=hostile_buyer()), id="hostile-buyer"),
]


class TestFacturX:
    """The PDF carries the XML it was made with, and shows the same totals."""

    @pytest.mark.parametrize("make", DOCUMENTS)
    def test_embedded_xml_is_what_was_built(self, make: object) -> None:
        doc: InvoiceDocument = make()  # type: ignore[operator]
        pdf = invoice_pdf(doc)
        assert embedded(pdf) == build_xml(doc)

    @pytest.mark.parametrize("make", DOCUMENTS)
    def test_page_totals_equal_the_xml(self, make: object) -> None:
        doc: InvoiceDocument = make()  # type: ignore[operator]
        pdf = invoice_pdf(doc)
        shown = pdf_text(pdf)
        (grand,) = etree.fromstring(embedded(pdf)).xpath(GRAND, namespaces=NS)
        sign = -1 if doc.is_credit_note else 1
        assert Decimal(str(grand)) * sign == doc.totals.gross
        assert f"Total {amount(doc.totals.gross, doc.currency)}" in shown
        assert f"Net amount {amount(doc.totals.net, doc.currency)}" in shown
        for line in doc.lines:
            assert f"{line.net:,.2f}" in shown

    def test_vat_shown_when_charged_and_the_reason_when_not(self) -> None:
        assert "VAT 19 % 73.36 EUR" in pdf_text(invoice_pdf(invoice()))
        shown = pdf_text(invoice_pdf(without_vat()))
        assert "VAT " not in shown.replace("VAT id", "")
        assert "No VAT: Kein Ausweis von Umsatzsteuer gemäß § 19 UStG" in shown

    def test_it_is_a_factur_x_pdf_a3(self) -> None:
        reader = PdfReader(BytesIO(invoice_pdf(invoice())))
        xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
        assert "<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>" in xmp
        assert "<pdfaid:part>3</pdfaid:part>" in xmp
        assert reader.trailer["/Root"]["/OutputIntents"]  # sRGB, as PDF/A wants


class TestPages:
    """What a person reads: parties, numbers, payment, names in any script."""

    def test_invoice_says_who_what_when_and_how_to_pay(self) -> None:
        shown = pdf_text(invoice_pdf(invoice()))
        for words in (
            "Maschinenring Süd eG",
            "VAT id DE123456789",
            "Bob Baker",
            "Invoice",
            "Number 2030-0001",
            "Due date 2030-02-15",
            "Tractor 6120",
            "3 days x 120.00",
            "Please transfer 459.49 EUR by 2030-02-15 to IBAN DE89 3704 0044 0532 0130 00",
            "quoting 2030-0001",
        ):
            assert words in shown, words

    def test_credit_note_names_its_invoice_and_reason(self) -> None:
        shown = pdf_text(invoice_pdf(_credit()))
        assert "Credit note" in shown
        assert "Corrects invoice 2030-0001 of 2030-02-01" in shown
        assert "Reason: billed twice" in shown
        assert "Please transfer" not in shown

    @needs_dejavu
    def test_unicode_names_print_as_typed(self) -> None:
        shown = pdf_text(invoice_pdf(invoice(buyer=hostile_buyer())))
        for words in ("Łukasz Ćwikła", '<Ødön & "Zoë">', "İstanbul", "]]><x/>&amp; Straße 5"):
            assert words in shown, words

    def test_without_dejavu_a_plain_font_still_prints(self, tmp_path: Path) -> None:
        """No TrueType font: Helvetica, what it cannot print is '?' — never a crash."""
        doc = invoice(buyer=hostile_buyer())
        pdf = plain_pdf(doc, font_dirs=(tmp_path,))
        shown = pdf_text(pdf)
        assert "Ødön" in shown and "?ukasz ?wik?a" in shown
        assert f"Total {amount(doc.totals.gross, 'EUR')}" in shown
        with_xml = invoice_pdf(doc, font_dirs=(tmp_path,))
        assert embedded(with_xml) == build_xml(doc)

    def test_many_lines_run_over_pages(self) -> None:
        lines = tuple(
            InvoiceLine(f"Machine {i}", Decimal("10.00"), charge_id=i) for i in range(1, 90)
        )
        pdf = invoice_pdf(invoice(lines=lines))
        reader = PdfReader(BytesIO(pdf))
        assert len(reader.pages) >= 3
        shown = pdf_text(pdf)
        assert f"page 2/{len(reader.pages)}" in shown
        assert "Machine 89" in shown and "Total 1,059.10 EUR" in shown
