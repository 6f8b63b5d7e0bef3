"""Words and dates for people (issue #21): days, money, notification sentences, history.

The pure functions of :mod:`rentcal.core.dates_words`, :mod:`rentcal.core.money`
and :mod:`rentcal.core.news`; the front ends that use them are tested in
tests/test_words_fronts.py.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from rentcal.core.dates_words import (
    DASH,
    day_words,
    iso_spans_in_words,
    moment_words,
    span_words,
)
from rentcal.core.money import ISO_4217, SYMBOLS, check_currency, format_money, money_prefix
from rentcal.core.news import (
    deactivated,
    history_words,
    maintenance_overlaps,
    moved,
    reason_words,
    requested,
    retired_to_admins,
    retired_to_member,
    status_changed,
)
from rentcal.core.types import RentalStatus
from rentcal.core.values import Rental
from rentcal.errors import ArgumentTypeError, InvalidRequest

STAMP = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
#: Lena's trailer booking of the issue: Tue 15 - Thu 17 Dec 2026, 3 days at 30.00.
LENA = Rental(
    id=2,
    uid="u-2",
    machine="trailer",
    machine_title="Trailer",
    member="lena",
    member_name="Lena",
    start=date(2026, 12, 15),
    end=date(2026, 12, 17),
    status=RentalStatus.PENDING,
    purpose=None,
    price=Decimal("90.00"),
    created_at=STAMP,
    updated_at=STAMP,
    sequence=0,
    status_changed_by="lena",
    reason=None,
)


def dashed(text: str) -> str:
    """``text`` with rentcal's en dash written as " - " (readable in the test source)."""
    return text.replace(DASH, " - ")


class TestDays:
    """A day and a range of days, as e-mails, pages and the CLI word them."""

    def test_a_day(self) -> None:
        assert day_words(date(2026, 12, 15)) == "Tue 15 Dec 2026"
        assert day_words(date(2030, 1, 1)) == "Tue 1 Jan 2030"

    @pytest.mark.parametrize(
        ("start", "end", "words"),
        [
            pytest.param(date(2026, 12, 15), date(2026, 12, 15), "Tue 15 Dec 2026", id="one-day"),
            pytest.param(
                date(2026, 12, 15), date(2026, 12, 17), "Tue 15 - Thu 17 Dec 2026", id="month"
            ),
            pytest.param(
                date(2026, 11, 30), date(2026, 12, 2), "Mon 30 Nov - Wed 2 Dec 2026", id="months"
            ),
            pytest.param(
                date(2026, 12, 31),
                date(2027, 1, 1),
                "Thu 31 Dec 2026 - Fri 1 Jan 2027",
                id="years",
            ),
        ],
    )
    def test_a_range(self, start: date, end: date, words: str) -> None:
        assert dashed(span_words(start, end)) == words
        assert DASH == " \u2013 "  # an en dash between spaces

    def test_a_moment_is_read_in_utc(self) -> None:
        assert moment_words(STAMP) == "Tue 1 Dec 2026 09:30 UTC"

    def test_iso_spans_of_older_messages(self) -> None:
        said = iso_spans_in_words("saw 2026-12-15..2026-12-17 -> 2027-01-01..2027-01-01")
        assert dashed(said) == "saw Tue 15 - Thu 17 Dec 2026 -> Fri 1 Jan 2027"
        assert iso_spans_in_words("2026-02-30..2026-03-01") == "2026-02-30..2026-03-01"


class TestMoney:
    """format_money(amount, currency): Decimal to the cent, the currency first."""

    @pytest.mark.parametrize(
        ("currency", "words"),
        [
            (None, "120.00"),
            ("EUR", "€120.00"),
            ("USD", "$120.00"),
            ("GBP", "£120.00"),
            ("JPY", "¥120.00"),
            ("CHF", "CHF 120.00"),
            ("SEK", "SEK 120.00"),
        ],
    )
    def test_each_currency(self, currency: str | None, words: str) -> None:
        assert format_money(Decimal("120"), currency) == words

    def test_every_symbol_is_a_listed_code(self) -> None:
        assert set(SYMBOLS) <= ISO_4217
        assert all(money_prefix(code) == symbol for code, symbol in SYMBOLS.items())

    @pytest.mark.parametrize(
        ("amount", "words"),
        [
            ("0.005", "€0.01"),  # half up, not to even
            ("0.015", "€0.02"),
            ("2.675", "€2.68"),  # a float would say 2.67
            ("1234567.891", "€1,234,567.89"),
            ("9999999999.99", "€9,999,999,999.99"),
            ("-12.5", "-€12.50"),
            ("-0.001", "€0.00"),  # no minus zero
        ],
    )
    def test_rounding_and_sign(self, amount: str, words: str) -> None:
        assert format_money(Decimal(amount), "EUR") == words

    def test_negative_without_a_currency(self) -> None:
        assert format_money(Decimal("-3"), None) == "-3.00"
        assert format_money(Decimal("-3"), "CHF") == "-CHF 3.00"

    @pytest.mark.parametrize(
        ("given", "code"),
        [
            ("EUR", "EUR"),
            ("eur", "EUR"),
            (" chf ", "CHF"),
            ("none", None),
            ("", None),
            (None, None),
        ],
    )
    def test_codes_read(self, given: str | None, code: str | None) -> None:
        assert check_currency(given) == code

    @pytest.mark.parametrize("given", ["EURO", "XYZ", "€", "XAU", "US$"])
    def test_unknown_code_names_value_and_reason(self, given: str) -> None:
        with pytest.raises(InvalidRequest) as info:
            check_currency(given)
        assert repr(given) in info.value.message
        assert "is not an ISO 4217 currency code" in info.value.message
        assert (info.value.field, info.value.reason) == ("currency", "unknown")

    def test_wrong_type(self) -> None:
        with pytest.raises(ArgumentTypeError, match="currency must be a str, not int 978"):
            check_currency(978)


class TestNotifications:
    """Each kind of notification is one sentence: who, what, whose, which machine, when."""

    def test_a_move_of_days(self) -> None:
        said = moved(
            LENA, "Marta", None, date(2026, 12, 18), date(2026, 12, 20), Decimal("90"), "EUR"
        )
        assert dashed(said) == (
            "Marta moved Lena's booking of Trailer from Tue 15 - Thu 17 Dec 2026 to "
            "Fri 18 - Sun 20 Dec 2026; the price stays €90.00 (rental 2)."
        )

    def test_a_move_to_another_machine_at_a_new_price(self) -> None:
        said = moved(
            LENA, "Lena", "Van", date(2026, 12, 15), date(2026, 12, 16), Decimal("120"), "USD"
        )
        assert dashed(said) == (
            "Lena moved their booking from Trailer on Tue 15 - Thu 17 Dec 2026 to "
            "Van on Tue 15 - Wed 16 Dec 2026; new price $120.00 (rental 2)."
        )

    def test_a_request_and_one_approved_by_itself(self) -> None:
        assert dashed(requested(LENA, auto_approved=False)) == (
            "Lena asked to book Trailer for Tue 15 - Thu 17 Dec 2026 (rental 2)."
        )
        assert requested(LENA, auto_approved=True).endswith("(rental 2; approved automatically).")

    @pytest.mark.parametrize(
        ("status", "note", "kind", "words"),
        [
            (RentalStatus.APPROVED, None, "approved", "is approved (rental 2)."),
            (
                RentalStatus.REJECTED,
                "broken",
                "rejected",
                "was rejected (rental 2). Reason: broken.",
            ),
            (RentalStatus.CANCELLED, None, "cancelled", "was cancelled (rental 2)."),
            (RentalStatus.COMPLETED, None, "completed", "is completed (rental 2)."),
        ],
    )
    def test_a_status_change(
        self, status: RentalStatus, note: str | None, kind: str, words: str
    ) -> None:
        said = status_changed(LENA, status, note, kind)
        assert said.startswith("Your booking of Trailer for Tue 15")
        assert said.endswith(words)

    def test_a_reason_keeps_its_own_question_mark(self) -> None:
        said = status_changed(LENA, RentalStatus.CANCELLED, "why book it twice?", "cancelled")
        assert said.endswith("(rental 2). Reason: why book it twice?")

    def test_an_expired_request(self) -> None:
        assert status_changed(LENA, RentalStatus.REJECTED, "expired", "expired").endswith(
            "expired: no admin decided it in time (rental 2)."
        )

    def test_retired_deactivated_and_maintenance(self) -> None:
        approved = replace(LENA, status=RentalStatus.APPROVED)
        assert retired_to_member(approved).startswith("Trailer was retired; your approved booking")
        assert "Lena's approved booking for Tue 15" in retired_to_admins(approved)
        assert deactivated(approved).startswith("Lena's membership was deactivated")
        assert dashed(
            maintenance_overlaps("Trailer", "repair", LENA.start, LENA.end, 2, edited=False)
        ) == (
            "Repair maintenance of Trailer is planned on Tue 15 - Thu 17 Dec 2026 and overlaps "
            "your booking (rental 2); an admin will contact you."
        )
        assert maintenance_overlaps("Trailer", None, LENA.start, LENA.start, 2, edited=True)[
            :40
        ] == ("Maintenance of Trailer now runs on Tue 1")


class TestHistory:
    """Each history entry's change in words: a move is a move, never "pending → pending"."""

    MOVE = "moved: trailer 2026-12-15..2026-12-17 -> 2026-12-18..2026-12-20"

    @pytest.mark.parametrize(
        ("old", "new", "reason", "words"),
        [
            (None, RentalStatus.PENDING, None, "requested"),
            (None, RentalStatus.APPROVED, None, "booked and approved"),
            (RentalStatus.PENDING, RentalStatus.APPROVED, None, "approved"),
            (RentalStatus.PENDING, RentalStatus.REJECTED, "expired", "rejected"),
            (RentalStatus.APPROVED, RentalStatus.REJECTED, None, "rejected"),
            (RentalStatus.PENDING, RentalStatus.CANCELLED, None, "cancelled"),
            (RentalStatus.APPROVED, RentalStatus.CANCELLED, None, "cancelled"),
            (RentalStatus.APPROVED, RentalStatus.COMPLETED, None, "completed"),
            (RentalStatus.PENDING, RentalStatus.PENDING, MOVE, "moved"),
            (RentalStatus.APPROVED, RentalStatus.APPROVED, MOVE, "moved"),
            (
                RentalStatus.APPROVED,
                RentalStatus.APPROVED,
                "machine retired; the rental stands",
                "still approved",
            ),
        ],
    )
    def test_each_change(
        self, old: RentalStatus | None, new: RentalStatus, reason: str | None, words: str
    ) -> None:
        assert history_words(old, new, reason) == words

    def test_a_move_reason_in_words(self) -> None:
        assert dashed(reason_words(self.MOVE) or "") == (
            "from trailer Tue 15 - Thu 17 Dec 2026 to Fri 18 - Sun 20 Dec 2026"
        )
        assert reason_words("broken") == "broken"
        assert reason_words(None) is None
