"""The organisation's invoice settings and members' billing addresses (issue #23)."""

from __future__ import annotations

from decimal import Decimal

import pytest

import rentcal
from rentcal.core.invoice_settings import BillingAddress, InvoiceSettings
from rentcal.errors import InvalidRequest, PermissionDenied
from rentcal.invoicing.identifiers import check_bic, check_iban, check_vat_id
from tests.cli_support import cli, failed, ok_json

SETTINGS = {
    "name": "Maschinenring Süd eG",
    "address_lines": ["Hauptstraße 1"],
    "postcode": "80331",
    "city": "München",
    "country": "de",
    "vat_id": "DE 136 500 006",
    "iban": "de89 3704 0044 0532 0130 00",
    "bic": "cobadeffxxx",
    "vat_rate": "19",
}


class TestSettings:
    """Admins set them, checked; only what changed is stored, with who and when."""

    def test_set_and_read_back(self, seeded: rentcal.Rentcal) -> None:
        assert seeded.invoice_settings() == InvoiceSettings()
        found = seeded.set_invoice_settings(acting="ada", **SETTINGS)
        assert found == seeded.invoice_settings()
        assert (found.country, found.vat_id, found.iban, found.bic, found.vat_rate) == (
            "DE",
            "DE136500006",
            "DE89370400440532013000",
            "COBADEFFXXX",
            Decimal("19.00"),
        )
        seller = found.seller()
        assert seller is not None and seller.address_lines == ("Hauptstraße 1",)
        assert found.missing("EUR") == []
        assert found.missing(None) == ["a currency (rentcal currency set EUR)"]

    def test_only_changes_are_recorded(self, seeded: rentcal.Rentcal) -> None:
        seeded.set_invoice_settings(acting="ada", **SETTINGS)
        before = len(seeded.invoice_settings_history())
        seeded.set_invoice_settings(acting="ada", **SETTINGS)
        assert len(seeded.invoice_settings_history()) == before
        seeded.set_invoice_settings(acting="ada", city="Augsburg", vat_rate=None)
        history = seeded.invoice_settings_history()
        assert len(history) == before + 2
        assert {(f, v, by) for f, v, by, _ in history[:2]} == {
            ("city", "Augsburg", "ada"),
            ("vat_rate", None, "ada"),
        }
        assert seeded.invoice_settings().vat_rate is None

    def test_clearing_and_lines(self, seeded: rentcal.Rentcal) -> None:
        seeded.set_invoice_settings(acting="ada", **SETTINGS)
        seeded.set_invoice_settings(acting="ada", address_lines=["a", " ", "b"], iban=None)
        found = seeded.invoice_settings()
        assert (found.address_lines, found.iban, found.bank()) == (("a", "b"), None, None)

    @pytest.mark.parametrize(
        ("changes", "reason"),
        [
            pytest.param({"iban": "DE89 3704 0044 0532 0130 01"}, "bad-iban", id="iban-check"),
            pytest.param({"bic": "COBA"}, "bad-bic", id="bic"),
            pytest.param({"vat_id": "DE123456789"}, "bad-vat-id", id="vat-id-checksum"),
            pytest.param({"vat_rate": "101"}, "bad-vat-rate", id="rate-high"),
            pytest.param({"vat_rate": "19.005"}, "bad-vat-rate", id="rate-places"),
            pytest.param({"vat_rate": "nineteen"}, "bad-vat-rate", id="rate-words"),
            pytest.param({"vat_rate": 19.0}, "wrong-type", id="rate-float"),
            pytest.param({"country": "Germany"}, "unknown-country", id="country"),
            pytest.param({"terms_days": 366}, "bad-terms", id="terms"),
            pytest.param({"reminder_days": [35, 21]}, "bad-reminders", id="reminders-order"),
            pytest.param({"reminder_days": [0]}, "bad-reminders", id="reminders-zero"),
            pytest.param({"address_lines": ["a", "b", "c", "d"]}, "too-many-lines", id="lines"),
            pytest.param({}, "nothing-to-change", id="nothing"),
        ],
    )
    def test_refused(
        self, seeded: rentcal.Rentcal, changes: dict[str, object], reason: str
    ) -> None:
        with pytest.raises(InvalidRequest) as info:
            seeded.set_invoice_settings(acting="ada", **changes)  # type: ignore[arg-type]
        assert info.value.reason == reason
        assert seeded.invoice_settings() == InvoiceSettings()

    def test_admins_only(self, seeded: rentcal.Rentcal) -> None:
        with pytest.raises(PermissionDenied):
            seeded.set_invoice_settings(acting="bob", name="Bob's club")
        assert seeded.invoice_settings().name is None

    def test_vat_needs_a_tax_id_before_issuing(self, seeded: rentcal.Rentcal) -> None:
        found = seeded.set_invoice_settings(acting="ada", name="Club", country="AT", vat_rate=20)
        assert "a VAT id or tax number" in found.missing("EUR")[0]
        with pytest.raises(InvalidRequest, match="invoices cannot be issued yet: set a VAT id"):
            found.require("EUR")
        found = seeded.set_invoice_settings(acting="ada", tax_number="12 345/6789")
        assert found.require("EUR").tax_number == "12 345/6789"


class TestBillingAddress:
    """Members keep their own address; admins anyone's; every change is logged."""

    def test_own_address_and_its_history(self, seeded: rentcal.Rentcal) -> None:
        assert seeded.billing_address("bob", acting="bob") == BillingAddress("bob")
        found = seeded.set_billing_address(
            "bob", acting="bob", address_lines=["Feldweg 7"], city="Freising", country="de"
        )
        assert (found.address_lines, found.city, found.country, found.stored) == (
            ("Feldweg 7",),
            "Freising",
            "DE",
            True,
        )
        seeded.set_billing_address("bob", acting="ada", city="Moosburg", name="Hof Baker")
        changes = [(c.field, c.old, c.new, c.by) for c in seeded.member_history("bob")]
        assert ("billing_city", "Freising", "Moosburg", "ada") in changes
        assert ("billing_name", None, "Hof Baker", "ada") in changes
        buyer = seeded.billing_address("bob", acting="ada").buyer("Bob Baker", None, "AT")
        assert (buyer.name, buyer.country, buyer.city) == ("Hof Baker", "DE", "Moosburg")

    def test_a_member_without_address_is_billed_in_the_organisations_country(self) -> None:
        buyer = BillingAddress("bob").buyer("Bob Baker", "bob@example.org", "CH")
        assert (buyer.name, buyer.country, buyer.email) == ("Bob Baker", "CH", "bob@example.org")

    def test_country_from_the_settings_else_refused(self, seeded: rentcal.Rentcal) -> None:
        with pytest.raises(InvalidRequest) as info:
            seeded.set_billing_address("bob", acting="bob", city="Freising")
        assert info.value.reason == "no-country"
        seeded.set_invoice_settings(acting="ada", country="AT")
        assert seeded.set_billing_address("bob", acting="bob", city="Wels").country == "AT"

    def test_nobody_elses(self, seeded: rentcal.Rentcal) -> None:
        with pytest.raises(PermissionDenied, match="cannot change the billing address of 'carol'"):
            seeded.set_billing_address("carol", acting="bob", country="DE")
        with pytest.raises(PermissionDenied, match="cannot see"):
            seeded.billing_address("carol", acting="bob")


class TestIdentifiers:
    """IBAN, BIC and VAT id: python-stdnum's checks, compact forms."""

    def test_accepted(self) -> None:
        assert check_iban("GB82 WEST 1234 5698 7654 32") == "GB82WEST12345698765432"
        assert check_bic("deutdeff500") == "DEUTDEFF500"
        assert check_vat_id("atu 13585627") == "ATU13585627"
        assert check_vat_id("US 12-3456789") == "US123456789"  # no stdnum rule: its shape

    @pytest.mark.parametrize(
        ("check", "value"),
        [
            pytest.param(check_iban, "GB82 WEST 1234 5698 7654 33", id="iban-digits"),
            pytest.param(check_iban, "DE8937040044053201300", id="iban-length"),
            pytest.param(check_bic, "DEUT DE", id="bic"),
            pytest.param(check_vat_id, "ATU13585626", id="vat-checksum"),
            pytest.param(check_vat_id, "12345", id="vat-no-country"),
        ],
    )
    def test_refused(self, check: object, value: str) -> None:
        with pytest.raises(InvalidRequest, match=f"'{value}' is not a valid"):
            check(value)  # type: ignore[operator]


class TestCommandLine:
    """The commands' own words: errors on stderr, exit codes, JSON."""

    def test_settings_round_trip(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        ok_json(db_url, "currency", "set", "EUR")
        given = [
            "--name",
            "Club",
            "--country",
            "fr",
            "--line",
            "1 rue de la Paix",
            "--line",
            "Bât. B",
            "--vat-rate",
            "5.5",
            "--tax-number",
            "123",
            "--reminder-days",
            "21,35",
        ]
        shown = ok_json(db_url, "invoice", "settings", "set", *given)
        assert shown["address_lines"] == ["1 rue de la Paix", "Bât. B"]
        assert (shown["vat_rate"], shown["reminder_days"], shown["missing"]) == (
            "5.50",
            [21, 35],
            [],
        )
        cleared = ["--clear", "address", "--reminder-days", "none"]
        shown = ok_json(db_url, "invoice", "settings", "set", *cleared)
        assert (shown["address_lines"], shown["reminder_days"]) == ([], [])

    @pytest.mark.parametrize(
        ("args", "code", "words"),
        [
            pytest.param(["set"], 2, "nothing to change: give at least one option", id="nothing"),
            pytest.param(
                ["set", "--clear", "name"], 2, "--clear 'name': clear one of", id="clear-unknown"
            ),
            pytest.param(
                ["set", "--city", "x", "--clear", "city"], 2, "both given and cleared", id="both"
            ),
            pytest.param(["set", "--reminder-days", "soon"], 2, "like 21,35", id="reminders"),
            pytest.param(["set", "--terms-days", "400"], 2, "400", id="terms"),
        ],
    )
    def test_refused(
        self, seeded: rentcal.Rentcal, db_url: str, args: list[str], code: int, words: str
    ) -> None:
        failed(cli(db_url, "invoice", "settings", *args, as_="ada"), code, words)

    def test_address_by_its_owner(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        given = ["--line", "Feldweg 7", "--country", "DE"]
        shown = ok_json(db_url, "invoice", "address", "bob", *given, as_="bob")
        assert shown == {
            "member": "bob",
            "name": None,
            "address_lines": ["Feldweg 7"],
            "postcode": None,
            "city": None,
            "country": "DE",
            "vat_id": None,
            "stored": True,
        }
        failed(cli(db_url, "invoice", "address", "bob", as_="carol"), 3, "cannot see")
