"""An invoice as an A4 PDF carrying its Factur-X XML: the file a member downloads (issue #23).

The library: **fpdf2**. Pure Python (no Cairo, Pango or browser engine to
install, unlike WeasyPrint), about 1 MB with its small dependencies (fonttools,
Pillow, defusedxml) against ReportLab's C extensions and its own toolkit, and
actively maintained (py-pdf). It embeds TrueType fonts as subsets, so any
name in Latin, Greek or Cyrillic script prints as typed, and it writes PDF/A-3B
itself (``enforce_compliance``: embedded fonts only, the sRGB output intent,
XMP metadata) — the archival PDF Factur-X requires. Its ``table()`` lays out the
lines, wrapping long descriptions and repeating the heading on a new page.

The text: the document's own values, never added up again — every amount on
the page is a line's net or one of
:attr:`~rentcal.core.invoices.InvoiceDocument.totals`, the same figures the XML
carries (tests/test_invoice_pdf.py reads both back and compares them).

Fonts: DejaVu Sans from the system (Debian's ``fonts-dejavu-core``, and the usual
places of other systems), embedded. Without it: the PDF core font Helvetica,
which covers Western European text only (other characters print as ``?``), and
the PDF is then not PDF/A — still a readable invoice with valid Factur-X data.

The XML is embedded by the ``factur-x`` package (``generate_from_binary``:
``factur-x.xml`` as an associated file, the Factur-X XMP extension schema).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from rentcal.core.invoice_parts import InvoiceParty
from rentcal.core.invoices import InvoiceDocument, InvoiceLine, VatCategory
from rentcal.invoicing.extra import load
from rentcal.invoicing.facturx_xml import LEVEL, breakdown, build_xml

#: Where systems keep DejaVu Sans (Debian/Ubuntu, Fedora, Arch, Homebrew).
FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu-sans-fonts"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/share/fonts/TTF"),
    Path("/opt/homebrew/share/fonts"),
)
REGULAR, BOLD = "DejaVuSans.ttf", "DejaVuSans-Bold.ttf"
TITLES = {False: "Invoice", True: "Credit note"}
GREY = (90, 90, 90)
#: Where the invoice's number, dates and period start on the page (mm).
FACTS_X = 112


@dataclass(frozen=True, slots=True)
class FontFiles:
    """A regular and a bold TrueType font to embed."""

    regular: Path
    bold: Path


def find_fonts(dirs: tuple[Path, ...] = FONT_DIRS) -> FontFiles | None:
    """DejaVu Sans (regular and bold) from the first directory holding both, or None."""
    for folder in dirs:
        regular, bold = folder / REGULAR, folder / BOLD
        if regular.is_file() and bold.is_file():
            return FontFiles(regular, bold)
    return None


def amount(value: Decimal, currency: str) -> str:
    """``1,234.50 EUR``: the code after the amount, readable in every font."""
    return f"{value:,.2f} {currency}"


def percent(rate: Decimal) -> str:
    """``19``, ``7.7``: a rate without trailing zeros."""
    return format(rate.normalize(), "f")


def _plain(text: str) -> str:
    """Text Helvetica can print: accents kept where Latin-1 has them, else ``?``."""
    composed = unicodedata.normalize("NFC", text)
    return composed.encode("latin-1", "replace").decode("latin-1")


class _Writer:
    """One PDF being written: fonts, the text helpers, then each part of the page."""

    def __init__(self, doc: InvoiceDocument, fonts: FontFiles | None) -> None:
        fpdf = load("fpdf", "an invoice's PDF")
        self.doc = doc
        self.unicode = fonts is not None
        title = f"{TITLES[doc.is_credit_note]} {doc.number}"

        class Page(fpdf.FPDF):  # type: ignore[misc,name-defined]
            def footer(page: Any) -> None:  # noqa: N805  (the page, not the writer)
                page.set_y(-14)
                page.set_font(self.family, "", 8)
                page.set_text_color(*GREY)
                page.cell(0, 5, self.text(f"{title} - page {page.page_no()}/{{nb}}"), align="C")

        compliance = "PDF/A-3B" if fonts is not None else None
        self.pdf = Page(format="A4", unit="mm", enforce_compliance=compliance)
        if fonts is not None:
            self.pdf.add_font("body", "", str(fonts.regular))
            self.pdf.add_font("body", "B", str(fonts.bold))
            self.family = "body"
        else:
            self.family = "helvetica"
        self.pdf.set_margins(20, 18, 20)
        self.pdf.set_auto_page_break(True, margin=22)
        self.pdf.set_title(self.text(title))
        self.pdf.set_author(self.text(doc.seller.name))
        self.pdf.set_creator("rentcal")
        self.pdf.set_lang("en")
        self.pdf.set_creation_date(datetime.combine(doc.issue_date, time(), tzinfo=UTC))

    def text(self, value: str) -> str:
        return value if self.unicode else _plain(value)

    def font(self, size: float, bold: bool = False, grey: bool = False) -> None:
        self.pdf.set_font(self.family, "B" if bold else "", size)
        self.pdf.set_text_color(*(GREY if grey else (0, 0, 0)))

    def lines(self, rows: list[str], height: float = 4.6) -> None:
        for row in rows:
            self.pdf.multi_cell(0, height, self.text(row), new_x="LMARGIN", new_y="NEXT")

    def write(self) -> bytes:
        self.pdf.add_page()
        self.header()
        self.table()
        self.totals()
        self.payment()
        return bytes(self.pdf.output())

    def header(self) -> None:
        doc, pdf = self.doc, self.pdf
        self.font(15, bold=True)
        self.lines([doc.seller.name], 7)
        self.font(9, grey=True)
        self.lines(_address(doc.seller) + _tax_ids(doc.seller))
        pdf.ln(8)
        top = pdf.get_y()
        self.font(10)
        self.lines([doc.buyer.name, *_address(doc.buyer), *_tax_ids(doc.buyer)], 5)
        below_buyer = pdf.get_y()
        pdf.set_xy(FACTS_X, top)
        self.font(14, bold=True)
        pdf.cell(0, 7, TITLES[doc.is_credit_note], new_x="LEFT", new_y="NEXT")
        self.font(9)
        for label, value in self.facts():
            pdf.set_x(FACTS_X)
            pdf.cell(28, 5, label)
            pdf.cell(0, 5, self.text(value), new_x="LEFT", new_y="NEXT")
        pdf.set_xy(pdf.l_margin, max(below_buyer, pdf.get_y()) + 8)

    def facts(self) -> list[tuple[str, str]]:
        doc = self.doc
        found = [("Number", doc.number), ("Issue date", doc.issue_date.isoformat())]
        if doc.refers_to is not None:
            day = f" of {doc.refers_to_date.isoformat()}" if doc.refers_to_date else ""
            found.append(("Corrects", f"invoice {doc.refers_to}{day}"))
        else:
            found.append(("Due date", doc.due_date.isoformat()))
        if doc.period is not None:
            first, last = doc.period
            found.append(("Period", f"{first.isoformat()} to {last.isoformat()}"))
        return found

    def table(self) -> None:
        self.font(9)
        currency = self.doc.currency
        heading = ("Description", "Days", "Per day", "Units", "Per unit", f"Amount ({currency})")
        with self.pdf.table(
            col_widths=(64, 14, 20, 22, 20, 30),
            text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"),
            borders_layout="HORIZONTAL_LINES",
            line_height=5,
            padding=(1.2, 1.5),
        ) as table:
            table.row(heading)
            for line in self.doc.lines:
                table.row([self.text(cell) for cell in _cells(line)])

    def totals(self) -> None:
        doc, pdf = self.doc, self.pdf
        totals = doc.totals
        pdf.ln(4)
        rows = [("Net amount", totals.net)]
        if totals.category in (VatCategory.STANDARD, VatCategory.ZERO):
            rows.append((f"VAT {percent(totals.rate or Decimal(0))} %", totals.vat))
        rows.append(("Total", totals.gross))
        for label, value in rows:
            self.font(10, bold=label == "Total")
            pdf.set_x(110)
            pdf.cell(50, 6, label)
            pdf.cell(30, 6, amount(value, doc.currency), align="R", new_x="LMARGIN", new_y="NEXT")
        if doc.exemption_reason:
            pdf.ln(2)
            self.font(9, grey=True)
            self.lines([f"No VAT: {doc.exemption_reason}"])

    def payment(self) -> None:
        doc, pdf = self.doc, self.pdf
        pdf.ln(6)
        self.font(9)
        said: list[str] = []
        if doc.note:
            said.append(f"Reason: {doc.note}" if doc.is_credit_note else doc.note)
        if doc.is_credit_note:
            said.append(
                f"This credit note reduces what you owe by "
                f"{amount(-doc.totals.gross, doc.currency)}."
            )
        elif doc.bank is not None and doc.totals.gross > 0:
            bic = f", BIC {doc.bank.bic}" if doc.bank.bic else ""
            said.append(
                f"Please transfer {amount(doc.totals.gross, doc.currency)} by "
                f"{doc.due_date.isoformat()} to IBAN {_grouped(doc.bank.iban)}{bic}, "
                f"quoting {doc.reference}."
            )
        if doc.payment_terms:
            said.append(doc.payment_terms)
        self.lines(said, 5)
        pdf.ln(4)
        self.font(7.5, grey=True)
        self.lines(
            ["This PDF carries the invoice's data as a Factur-X / ZUGFeRD e-invoice (EN 16931)."]
        )


def _address(party: InvoiceParty) -> list[str]:
    town = " ".join(part for part in (party.postcode, party.city) if part)
    return [*party.address_lines, *([town] if town else []), party.country]


def _tax_ids(party: InvoiceParty) -> list[str]:
    found = []
    if party.vat_id:
        found.append(f"VAT id {party.vat_id}")
    if party.tax_number:
        found.append(f"Tax number {party.tax_number}")
    if party.email:
        found.append(party.email)
    return found


def _cells(line: InvoiceLine) -> tuple[str, ...]:
    described = line.description
    if line.first_day is not None and line.last_day is not None:
        days = line.first_day.isoformat()
        if line.last_day != line.first_day:
            days += f" to {line.last_day.isoformat()}"
        described += f"\n{days}"
    if (words := breakdown(line)) is not None:
        described += f"\n{words}"
    units = "" if line.units is None else format(line.units.normalize(), "f")
    if units and line.unit_name:
        units += f" {line.unit_name}"
    return (
        described,
        str(line.days) if line.days else "",
        "" if line.day_rate is None else f"{line.day_rate:,.2f}",
        units,
        "" if line.unit_rate is None else f"{line.unit_rate.normalize():,f}",
        f"{line.net:,.2f}",
    )


def _grouped(iban: str) -> str:
    """An IBAN in groups of four, as people read it."""
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


def plain_pdf(doc: InvoiceDocument, font_dirs: tuple[Path, ...] = FONT_DIRS) -> bytes:
    """The invoice's pages without the e-invoice data (DejaVu Sans from ``font_dirs``)."""
    return _Writer(doc, find_fonts(font_dirs)).write()


def invoice_pdf(doc: InvoiceDocument, font_dirs: tuple[Path, ...] = FONT_DIRS) -> bytes:
    """The invoice as a Factur-X PDF: its pages, with its EN 16931 XML embedded.

    Raises:
        InvalidRequest: a package is missing (``reason="missing-extra"``) or the XML
            failed its check (``reason="facturx"``).
    """
    facturx = load("facturx", "an invoice's e-invoice data (Factur-X)")
    xml = build_xml(doc)
    pages = plain_pdf(doc, font_dirs)
    title = f"{TITLES[doc.is_credit_note]} {doc.number}"
    metadata = {
        "author": doc.seller.name,
        "keywords": "Factur-X, ZUGFeRD, invoice",
        "title": f"{doc.seller.name}: {title}",
        "subject": f"{title} of {doc.issue_date.isoformat()} from {doc.seller.name}",
    }
    result: bytes = facturx.generate_from_binary(
        pages,
        xml,
        flavor="factur-x",
        level=LEVEL,
        check_xsd=False,
        pdf_metadata=metadata,
        lang="en",
    )
    return result


__all__ = [
    "FONT_DIRS",
    "FontFiles",
    "amount",
    "find_fonts",
    "invoice_pdf",
    "percent",
    "plain_pdf",
]
