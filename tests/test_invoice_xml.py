"""The Factur-X (EN 16931) XML of invoices and credit notes (issue #23).

Each document is built by the ``factur-x`` package and checked against the
official XSD; the EN 16931 business rules rentcal's data could break (sums,
VAT, categories, quantity x price) are checked here on the XML itself, read
back with XPath — the Schematron needs a Saxon server the package calls over
HTTP.
"""

from __future__ import annotations

import importlib
from dataclasses import replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from types import ModuleType

import pytest
from lxml import etree

from rentcal.core.invoices import InvoiceDocument, InvoiceLine, credit_note
from rentcal.errors import InvalidRequest
from rentcal.invoicing import facturx_xml
from rentcal.invoicing.facturx_xml import build_xml, check_xml, quantity, unit_code
from tests.invoice_support import (
    ASSOCIATION,
    SAW_HOURS,
    TRACTOR,
    hostile_buyer,
    invoice,
    without_vat,
)

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
SUM = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:"
TAX = "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:"


def _credit(**kwargs: object) -> InvoiceDocument:
    return credit_note(invoice(), "2030-0002", date(2030, 3, 1), reason="billed twice", **kwargs)  # type: ignore[arg-type]


DOCUMENTS = [
    pytest.param(invoice, id="invoice-with-vat"),
    pytest.param(without_vat, id="exempt-no-vat"),
    pytest.param(lambda: invoice(seller=ASSOCIATION, vat_rate=None), id="not-subject-to-vat"),
    pytest.param(lambda: invoice(vat_rate=Decimal("0")), id="zero-rated"),
    pytest.param(lambda: invoice(vat_rate=Decimal("7.7"), currency="CHF"), id="chf-7.7"),
    pytest.param(_credit, id="credit-note"),
    pytest.param(lambda: _credit(amount=Decimal("10.05")), id="credit-note-amount"),
    pytest.param(lambda: invoice(buyer=hostile_buyer()), id="hostile-unicode-buyer"),
    pytest.param(lambda: invoice(bank=None, payment_terms=None), id="no-bank"),
    pytest.param(lambda: invoice(lines=(TRACTOR,), note="Thank you!"), id="one-line"),
]


def tree(xml: bytes) -> etree._Element:
    return etree.fromstring(xml)


def text(root: etree._Element, path: str) -> list[str]:
    return [str(found) for found in root.xpath(f"{path}/text()", namespaces=NS)]


def one(root: etree._Element, path: str) -> Decimal:
    (value,) = text(root, path)
    return Decimal(value)


class TestValid:
    """Every kind of document is valid Factur-X EN 16931 and says what the document says."""

    @pytest.mark.parametrize("make", DOCUMENTS)
    def test_valid_and_totals_equal(self, make: object) -> None:
        doc: InvoiceDocument = make()  # type: ignore[operator]
        xml = build_xml(doc)
        check_xml(xml)  # the official XSD, again, on the bytes
        root = tree(xml)
        sign = -1 if doc.is_credit_note else 1
        totals = doc.totals
        assert one(root, SUM + "LineTotalAmount") == totals.net * sign
        assert one(root, SUM + "TaxBasisTotalAmount") == totals.net * sign
        assert one(root, SUM + "TaxTotalAmount") == totals.vat * sign
        assert one(root, SUM + "GrandTotalAmount") == totals.gross * sign
        assert one(root, SUM + "DuePayableAmount") == totals.gross * sign
        assert text(root, "//rsm:ExchangedDocument/ram:ID") == [doc.number]
        assert text(root, "//ram:InvoiceCurrencyCode") == [doc.currency]
        assert text(root, "//rsm:ExchangedDocument/ram:TypeCode") == [
            "381" if doc.is_credit_note else "380"
        ]

    @pytest.mark.parametrize("make", DOCUMENTS)
    def test_business_rules_rentcal_could_break(self, make: object) -> None:
        """BR-CO-10 (lines add up), BR-CO-17 (VAT rounds), BR-CO-15 (gross = net + VAT),
        quantity x price = line amount, prices never negative (BR-27)."""
        doc: InvoiceDocument = make()  # type: ignore[operator]
        root = tree(build_xml(doc))
        items = root.xpath("//ram:IncludedSupplyChainTradeLineItem", namespaces=NS)
        assert len(items) == len(doc.lines)
        line_sum = Decimal(0)
        for item in items:
            qty = one(item, ".//ram:BilledQuantity")
            price = one(item, ".//ram:NetPriceProductTradePrice/ram:ChargeAmount")
            net = one(item, ".//ram:LineTotalAmount")
            assert qty * price == net and price >= 0
            line_sum += net
        assert line_sum == one(root, SUM + "LineTotalAmount")
        basis, vat = one(root, TAX + "BasisAmount"), one(root, TAX + "CalculatedAmount")
        rates = text(root, TAX + "RateApplicablePercent")
        expected = (basis * Decimal(rates[0]) / 100) if rates else Decimal(0)
        assert vat == expected.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        assert one(root, SUM + "GrandTotalAmount") == basis + vat


class TestCategories:
    """The VAT category and its reason follow the organisation's VAT."""

    def test_standard(self) -> None:
        root = tree(build_xml(invoice()))
        assert text(root, TAX + "CategoryCode") == ["S"]
        assert text(root, TAX + "RateApplicablePercent") == ["19.00"]
        assert text(root, TAX + "ExemptionReason") == []
        assert set(text(root, "//ram:SpecifiedLineTradeSettlement//ram:CategoryCode")) == {"S"}

    def test_exempt_states_the_reason(self) -> None:
        root = tree(build_xml(without_vat()))
        assert text(root, TAX + "CategoryCode") == ["E"]
        assert text(root, TAX + "RateApplicablePercent") == ["0.00"]
        assert text(root, TAX + "ExemptionReason") == [
            "Kein Ausweis von Umsatzsteuer gemäß § 19 UStG"
        ]

    def test_not_subject_to_vat_names_no_vat_id(self) -> None:
        """BR-O-02: no VAT id at all, not even the buyer's; no rate anywhere (BR-O-05)."""
        buyer = replace(hostile_buyer(), vat_id="TR1234567890")
        root = tree(build_xml(invoice(seller=ASSOCIATION, vat_rate=None, buyer=buyer)))
        assert text(root, TAX + "CategoryCode") == ["O"]
        assert text(root, "//ram:SpecifiedTaxRegistration/ram:ID") == []
        assert text(root, "//ram:RateApplicablePercent") == []
        assert text(root, TAX + "ExemptionReason") == ["Not subject to VAT"]

    def test_seller_tax_ids(self) -> None:
        root = tree(build_xml(invoice()))
        ids = root.xpath(
            "//ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID", namespaces=NS
        )
        assert [(i.get("schemeID"), i.text) for i in ids] == [
            ("VA", "DE123456789"),
            ("FC", "143/123/45678"),
        ]


class TestContent:
    """Parties, the reference of a credit note, payment, lines."""

    def test_credit_note_refers_to_its_invoice(self) -> None:
        root = tree(build_xml(_credit()))
        assert text(root, "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID") == ["2030-0001"]
        assert text(root, "//ram:InvoiceReferencedDocument//*[local-name()='DateTimeString']") == [
            "20300201"
        ]
        assert text(root, "//rsm:ExchangedDocument/ram:IncludedNote/ram:Content") == [
            "billed twice"
        ]

    def test_hostile_names_arrive_as_typed(self) -> None:
        buyer = hostile_buyer()
        xml = build_xml(invoice(buyer=buyer))
        root = tree(xml)
        assert text(root, "//ram:BuyerTradeParty/ram:Name") == [buyer.name]
        assert text(root, "//ram:BuyerTradeParty//ram:LineOne") == [buyer.address_lines[0]]
        assert b"<x/>" not in xml  # escaped, never markup

    def test_payment_by_transfer(self) -> None:
        root = tree(build_xml(invoice()))
        assert text(root, "//ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode") == ["58"]
        assert text(root, "//ram:IBANID") == ["DE89370400440532013000"]
        assert text(root, "//ram:BICID") == ["COBADEFFXXX"]
        assert text(root, "//ram:PaymentReference") == ["2030-0001"]
        assert text(root, "//ram:DueDateDateTime/udt:DateTimeString") == ["20300215"]
        no_bank = tree(build_xml(invoice(bank=None)))
        assert text(no_bank, "//ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode") == []

    def test_lines_and_periods(self) -> None:
        root = tree(build_xml(invoice()))
        assert text(root, "//ram:SpecifiedTradeProduct/ram:Name") == [
            "Tractor 6120",
            "Band saw",
            "Correction: fuel refill",
        ]
        assert text(root, "//ram:SpecifiedTradeProduct/ram:Description") == [
            "3 days x 120.00",
            "1 day x 20.00 + 12.5 h x 1.73",
        ]
        units = root.xpath("//ram:BilledQuantity", namespaces=NS)
        assert [(u.get("unitCode"), u.text) for u in units] == [
            ("DAY", "3.00"),
            ("C62", "1.00"),
            ("C62", "-1.00"),
        ]
        periods = text(
            root,
            "//ram:ApplicableHeaderTradeSettlement/ram:BillingSpecifiedPeriod//udt:DateTimeString",
        )
        assert periods == ["20300110", "20300115"]
        assert text(root, "//ram:ActualDeliverySupplyChainEvent//udt:DateTimeString") == [
            "20300115"
        ]


class TestQuantities:
    """A line is written as days x rate, units x rate, or 1 x amount: always exact."""

    @pytest.mark.parametrize(
        ("line", "sign", "expected"),
        [
            pytest.param(TRACTOR, 1, (Decimal(3), "DAY", Decimal("120.00")), id="days"),
            pytest.param(TRACTOR, -1, (Decimal(-3), "DAY", Decimal("120.00")), id="credited"),
            pytest.param(
                InvoiceLine(
                    "Saw",
                    Decimal("25.00"),
                    units=Decimal("12.5"),
                    unit_name="h",
                    unit_rate=Decimal("2"),
                ),
                1,
                (Decimal("12.5"), "HUR", Decimal("2")),
                id="hours",
            ),
            pytest.param(SAW_HOURS, 1, (Decimal(1), "C62", Decimal("41.63")), id="both"),
            pytest.param(
                replace(TRACTOR, net=Decimal("350.00")),
                1,
                (Decimal(1), "C62", Decimal("350.00")),
                id="corrected-amount",
            ),
        ],
    )
    def test_quantity(
        self, line: InvoiceLine, sign: int, expected: tuple[Decimal, str, Decimal]
    ) -> None:
        assert quantity(line, sign) == expected

    def test_unit_codes(self) -> None:
        assert [unit_code(n) for n in ("h", "Hours", "km", "m³", "bales", None)] == [
            "HUR",
            "HUR",
            "KMT",
            "MTQ",
            "C62",
            "C62",
        ]


class TestRefusals:
    """Broken XML and a missing package are refused in words, never a traceback."""

    def test_invalid_xml_is_refused(self) -> None:
        xml = build_xml(invoice()).replace(b"<ram:TypeCode>380</ram:TypeCode>", b"")
        with pytest.raises(InvalidRequest) as info:
            check_xml(xml)
        assert info.value.reason == "facturx"

    def test_missing_package(self, monkeypatch: pytest.MonkeyPatch) -> None:
        real = importlib.import_module

        def no_facturx(name: str, package: str | None = None) -> ModuleType:
            if name == "facturx":
                raise ImportError("no module", name="facturx")
            return real(name, package)

        monkeypatch.setattr(importlib, "import_module", no_facturx)
        with pytest.raises(InvalidRequest) as info:
            build_xml(invoice())
        assert info.value.reason == "missing-extra"
        assert "pip install 'rentcal[invoices]'" in info.value.message
        assert "factur-x" in info.value.message

    def test_the_package_failing_is_worded(self, monkeypatch: pytest.MonkeyPatch) -> None:
        def broken(_doc: InvoiceDocument) -> dict[str, object]:
            return {"BT-1": "x"}

        monkeypatch.setattr(facturx_xml, "facturx_data", broken)
        with pytest.raises(InvalidRequest, match="invoice 2030-0001 cannot be written"):
            build_xml(invoice())
