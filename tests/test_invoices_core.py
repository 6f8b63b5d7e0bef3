"""Invoices as values (issue #23): parties, lines, VAT, totals, credit notes, refusals."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rentcal.core.countries import check_country
from rentcal.core.invoices import (
    InvoiceKind,
    InvoiceLine,
    VatCategory,
    check_vat_rate,
    credit_note,
    make_party,
    vat_of,
)
from rentcal.errors import InvalidRequest
from tests.invoice_support import (
    ASSOCIATION,
    BUYER,
    CORRECTION,
    SAW_HOURS,
    SELLER,
    TRACTOR,
    invoice,
    without_vat,
)


class TestTotals:
    """Totals are computed once, in Decimal: net, VAT half-up on the net total, gross."""

    def test_sums_with_vat(self) -> None:
        totals = invoice().totals
        assert totals.net == Decimal("386.13")  # 360.00 + 41.63 - 15.50
        assert totals.vat == Decimal("73.36")  # 73.3647 rounded
        assert totals.gross == Decimal("459.49")
        assert (totals.category, totals.rate) == (VatCategory.STANDARD, Decimal("19.00"))

    @pytest.mark.parametrize(
        ("net", "rate", "vat"),
        [
            pytest.param("0.50", "5", "0.03", id="half-cent-up"),
            pytest.param("-0.50", "5", "-0.03", id="half-cent-away-from-zero"),
            pytest.param("0.10", "5", "0.01", id="exact-half"),
            pytest.param("0.29", "5", "0.01", id="below-half"),
            pytest.param("100.00", "7.7", "7.70", id="swiss-rate"),
            pytest.param("100.00", "0", "0.00", id="zero-rate"),
        ],
    )
    def test_vat_rounds_half_up(self, net: str, rate: str, vat: str) -> None:
        assert vat_of(Decimal(net), Decimal(rate)) == Decimal(vat)

    def test_without_vat_exempt_with_the_organisations_reason(self) -> None:
        doc = without_vat()
        assert doc.totals.vat == Decimal("0.00")
        assert doc.totals.gross == doc.totals.net == Decimal("386.13")
        assert doc.totals.category is VatCategory.EXEMPT
        assert doc.exemption_reason == "Kein Ausweis von Umsatzsteuer gemäß § 19 UStG"

    def test_seller_without_tax_ids_is_not_subject_to_vat(self) -> None:
        doc = invoice(seller=ASSOCIATION, vat_rate=None)
        assert doc.totals.category is VatCategory.OUTSIDE
        assert doc.exemption_reason == "Not subject to VAT"

    def test_zero_rate_is_category_z(self) -> None:
        doc = invoice(vat_rate=Decimal("0"))
        assert (doc.totals.category, doc.totals.vat, doc.exemption_reason) == (
            VatCategory.ZERO,
            Decimal("0.00"),
            None,
        )

    def test_period_and_reference(self) -> None:
        doc = invoice()
        assert doc.period == (date(2030, 1, 10), date(2030, 1, 15))
        assert doc.reference == "2030-0001"
        assert invoice(lines=(CORRECTION.negated(),)).period is None

    @given(
        st.lists(st.integers(-(10**8), 10**8), min_size=1, max_size=20),
        st.one_of(st.none(), st.decimals("0", "100", places=2)),
    )
    def test_credit_note_of_every_line_negates_every_total(
        self, cents: list[int], rate: Decimal | None
    ) -> None:
        lines = tuple(InvoiceLine(f"line {i}", Decimal(c) / 100) for i, c in enumerate(cents))
        if sum(cents) < 0:
            lines = tuple(line.negated() for line in lines)
        doc = invoice(lines=lines, vat_rate=rate)
        if doc.totals.gross == 0:
            return
        credit = credit_note(doc, "C-1", date(2030, 3, 1), reason="wrong machine")
        assert credit.totals.net == -doc.totals.net
        assert credit.totals.vat == -doc.totals.vat
        assert credit.totals.gross == -doc.totals.gross
        assert doc.totals.gross == doc.totals.net + doc.totals.vat


class TestCreditNotes:
    """A credit note refers to its invoice: every line negated, or a chosen amount."""

    def test_every_line_negated(self) -> None:
        doc = invoice()
        credit = credit_note(doc, "2030-0002", date(2030, 3, 1), reason="billed twice")
        assert credit.kind is InvoiceKind.CREDIT_NOTE
        assert (credit.refers_to, credit.refers_to_date) == ("2030-0001", date(2030, 2, 1))
        assert [line.net for line in credit.lines] == [
            Decimal("-360.00"),
            Decimal("-41.63"),
            Decimal("15.50"),
        ]
        assert [line.charge_id for line in credit.lines] == [1, 2, 3]
        assert credit.totals.gross == Decimal("-459.49")
        assert (credit.seller, credit.buyer, credit.note) == (SELLER, BUYER, "billed twice")
        assert credit.due_date == credit.issue_date

    def test_a_chosen_amount(self) -> None:
        credit = credit_note(
            invoice(), "2030-0002", date(2030, 3, 1), reason="late", amount=Decimal("50.00")
        )
        assert [(line.description, line.net) for line in credit.lines] == [
            ("Credit for invoice 2030-0001", Decimal("-50.00"))
        ]
        assert credit.totals.gross == Decimal("-59.50")

    @pytest.mark.parametrize(
        ("amount", "credited", "reason"),
        [
            pytest.param(Decimal("386.14"), Decimal("0"), "bad-credit-amount", id="more-than-net"),
            pytest.param(Decimal("0.00"), Decimal("0"), "bad-credit-amount", id="zero"),
            pytest.param(Decimal("-1.00"), Decimal("0"), "bad-credit-amount", id="negative"),
            pytest.param(Decimal("1.001"), Decimal("0"), "bad-credit-amount", id="mills"),
            pytest.param(Decimal("100.00"), Decimal("300.00"), "bad-credit-amount", id="left"),
            pytest.param(None, Decimal("1.00"), "partly-credited", id="whole-after-partial"),
        ],
    )
    def test_refused(self, amount: Decimal | None, credited: Decimal, reason: str) -> None:
        with pytest.raises(InvalidRequest) as info:
            credit_note(
                invoice(), "C-1", date(2030, 3, 1), reason="x", amount=amount, credited=credited
            )
        assert info.value.reason == reason

    def test_too_much_names_the_amount_as_written(self) -> None:
        """The amount as a number (``500.00``), not Python's ``Decimal('500.00')``."""
        with pytest.raises(InvalidRequest) as info:
            credit_note(invoice(), "C-1", date(2030, 3, 1), reason="x", amount=Decimal("500.00"))
        assert info.value.message == (
            "credit amount 500.00 must be more than 0 and at most the 386.13 left of invoice "
            "2030-0001 (net, before VAT)"
        )

    def test_needs_a_reason_and_an_invoice(self) -> None:
        with pytest.raises(InvalidRequest, match="reason must not be empty"):
            credit_note(invoice(), "C-1", date(2030, 3, 1), reason="  ")
        credit = credit_note(invoice(), "C-1", date(2030, 3, 1), reason="x")
        with pytest.raises(InvalidRequest, match="C-1 is a credit note"):
            credit_note(credit, "C-2", date(2030, 3, 1), reason="x")


def _refusal(**changes: object) -> InvalidRequest:
    with pytest.raises(InvalidRequest) as info:
        invoice(**changes)
    return info.value


def _one_line(words: str, case: str, line: InvoiceLine = TRACTOR, **change: object) -> object:
    """A refusal of an invoice with one line, one field of ``line`` changed: the
    error names ``lines[1].<field>`` and says ``words``."""
    (field,) = change
    return pytest.param({"lines": (replace(line, **change),)}, f"lines[1].{field}", words, id=case)


class TestRefusals:
    """An invalid document cannot exist: each refusal names the value and the reason."""

    @pytest.mark.parametrize(
        ("changes", "field", "words"),
        [
            pytest.param({"number": ""}, "number", "invoice number ''", id="empty-number"),
            pytest.param({"number": "2030 1"}, "number", "'2030 1' must be", id="space"),
            pytest.param({"number": "x" * 41}, "number", "must be 1-40", id="long-number"),
            pytest.param({"currency": "EURO"}, "currency", "'EURO' is not an ISO", id="currency"),
            pytest.param(
                {"due_date": date(2030, 1, 31)}, "due_date", "before the issue", id="due-first"
            ),
            pytest.param({"lines": ()}, "lines", "1 to 500 lines", id="no-lines"),
            pytest.param({"lines": [TRACTOR]}, "lines", "a tuple", id="list-of-lines"),
            pytest.param(
                {"vat_rate": Decimal("100.01")}, "vat_rate", "from 0 to 100", id="rate-high"
            ),
            pytest.param({"vat_rate": Decimal("-1")}, "vat_rate", "from 0 to 100", id="rate-low"),
            pytest.param({"vat_rate": 19.0}, "vat_rate", "19.0", id="float-rate"),
            pytest.param({"vat_rate": Decimal("19.001")}, "vat_rate", "2 decimal", id="places"),
            pytest.param(
                {"refers_to": "2029-0001"}, "refers_to", "refers to no other", id="invoice-refers"
            ),
            pytest.param(
                {"kind": InvoiceKind.CREDIT_NOTE},
                "refers_to",
                "names the invoice",
                id="credit-note-without-invoice",
            ),
            pytest.param(
                {"lines": (CORRECTION,)}, "lines", "cannot be negative", id="negative-invoice"
            ),
            pytest.param(
                {"seller": replace(SELLER, vat_id=None, tax_number=None)},
                "seller.vat_id",
                "VAT id or tax number",
                id="vat-without-tax-id",
            ),
            pytest.param(
                {"buyer": replace(BUYER, country="XX")},
                "buyer.country",
                "buyer country 'XX'",
                id="buyer-country",
            ),
            pytest.param(
                {"seller": replace(SELLER, name="")}, "seller.name", "seller name", id="seller-name"
            ),
            pytest.param(
                {"buyer": replace(BUYER, address_lines=("a", "b", "c", "d"))},
                "buyer.address_lines",
                "4 lines",
                id="address-lines",
            ),
            _one_line("line 1 amount", "line-mills", net=Decimal("1.001")),
            _one_line("line 1 amount 360.0", "line-float", net=360.0),
            pytest.param(
                {"lines": (TRACTOR, replace(SAW_HOURS, first_day=None))},
                "lines[2].first_day",
                "line 2 needs both",
                id="half-period",
            ),
            _one_line("before it starts", "backwards", last_day=date(2030, 1, 1)),
            _one_line("days -1", "negative-days", days=-1),
            _one_line("day rate", "negative-rate", day_rate=Decimal("-1")),
            _one_line("4 places", "units-places", SAW_HOURS, units=Decimal("1.00001")),
            _one_line("positive whole", "charge-id", charge_id=0),
        ],
    )
    def test_refused(self, changes: dict[str, object], field: str, words: str) -> None:
        err = _refusal(**changes)
        assert err.field == field
        assert words in err.message

    def test_text_fields_use_the_text_rules(self) -> None:
        with pytest.raises(InvalidRequest, match="line 1 description contains the control"):
            invoice(lines=(replace(TRACTOR, description="Tractor\x1b[31m"),))
        with pytest.raises(InvalidRequest, match="invisible character U\\+202E"):
            invoice(note="fine\u202eenif")

    def test_a_hundred_percent_and_big_amounts_are_fine(self) -> None:
        doc = invoice(vat_rate=Decimal("100"), lines=(replace(TRACTOR, net=Decimal("1E+9")),))
        assert doc.totals.gross == Decimal("2000000000.00")
        with pytest.raises(InvalidRequest, match="larger than"):
            invoice(vat_rate=Decimal("100"), lines=(replace(TRACTOR, net=Decimal("9E+9")),))


class TestParties:
    """Loose input is cleaned once: trimmed, the country and VAT id upper-cased."""

    def test_make_party_cleans(self) -> None:
        party = make_party(
            "buyer",
            name="  Zoë  ",
            country=" at ",
            address_lines=["Ring 1", "", "  "],
            vat_id="atu 12345678",
            email=None,
        )
        assert (party.name, party.country, party.address_lines, party.vat_id) == (
            "Zoë",
            "AT",
            ("Ring 1",),
            "ATU12345678",
        )

    @pytest.mark.parametrize(
        ("values", "words"),
        [
            pytest.param({"name": "a\nb"}, "buyer name contains the control", id="two-lines"),
            pytest.param({"country": "Germany"}, "buyer country 'Germany'", id="country-name"),
            pytest.param({"country": 49}, "buyer country 49 must be text", id="country-number"),
            pytest.param({"email": "bob"}, "buyer email 'bob' is not", id="email"),
            pytest.param({"postcode": "1" * 21}, "buyer postcode is 21", id="postcode"),
        ],
    )
    def test_make_party_refuses(self, values: dict[str, object], words: str) -> None:
        given_values: dict[str, object] = {"name": "Bob", "country": "DE", **values}
        with pytest.raises(InvalidRequest, match=words):
            make_party("buyer", **given_values)  # type: ignore[arg-type]

    def test_countries(self) -> None:
        assert check_country("ch") == "CH"
        assert check_country("XK") == "XK"  # EN 16931 knows Kosovo
        with pytest.raises(InvalidRequest) as info:
            check_country("EU")
        assert info.value.reason == "unknown-country"

    def test_vat_rate_check(self) -> None:
        assert check_vat_rate(Decimal("19")) == Decimal("19.00")
        assert check_vat_rate(None) is None
        with pytest.raises(InvalidRequest, match="'19'"):
            check_vat_rate("19")
