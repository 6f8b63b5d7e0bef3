"""The pure rules of charges: a use's amount, the late-cancellation fee, periods (issue #22).

No database: :mod:`rentcal.core.charges` and :mod:`rentcal.core.statements`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rentcal.core.charges import (
    FREE,
    CancellationPolicy,
    Rates,
    check_policy,
    check_units,
    day_rate_of,
    late_fee,
    late_words,
    signed_amount,
    stored_policy,
    use_charge,
)
from rentcal.core.statements import (
    Charge,
    Statement,
    charge_words,
    charged_message,
    month_of,
    parse_period,
    totals_by_member,
)
from rentcal.core.types import ChargeKind
from rentcal.errors import ArgumentTypeError, InvalidRequest
from rentcal.frontend.charges_csv import CSV_COLUMNS, charges_csv

D = Decimal
JAN_1, JAN_3 = date(2030, 1, 1), date(2030, 1, 3)


class TestUseCharge:
    """days x day rate + units x unit rate, raised to the minimum, half up to the cent."""

    @pytest.mark.parametrize(
        ("rates", "units", "amount"),
        [
            pytest.param(Rates(D("120.00")), None, "360.00", id="days only"),
            pytest.param(Rates(D("120.00"), D("4.50")), D("10"), "405.00", id="with a meter"),
            pytest.param(Rates(D("120.00"), D("4.50")), None, "360.00", id="meter, no reading"),
            pytest.param(Rates(D("120.00")), D("10"), "360.00", id="units, no unit rate"),
            pytest.param(Rates(D("10.00"), None, D("50.00")), None, "50.00", id="minimum"),
            pytest.param(Rates(D("20.00"), None, D("50.00")), None, "60.00", id="above minimum"),
            pytest.param(Rates(D("0.00")), None, "0.00", id="free machine"),
            pytest.param(Rates(D("1.00"), D("0.01")), D("0.5"), "3.01", id="half a cent up"),
            pytest.param(Rates(D("1.00"), D("0.01")), D("0.499"), "3.00", id="below half"),
            pytest.param(Rates(D("1.00"), D("0.03")), D("0.333"), "3.01", id="0.00999"),
        ],
    )
    def test_amount(self, rates: Rates, units: Decimal | None, amount: str) -> None:
        charged = use_charge(JAN_1, JAN_3, rates, units=units)
        assert charged.amount == D(amount) and str(charged.amount) == amount
        assert charged.days == 3 and (charged.first_day, charged.last_day) == (JAN_1, JAN_3)

    def test_minimum_applied_only_when_it_raised_it(self) -> None:
        raised = use_charge(JAN_1, JAN_1, Rates(D("10.00"), None, D("50.00")))
        assert raised.minimum_applied and raised.subtotal == D("10.00")
        above = use_charge(JAN_1, JAN_3, Rates(D("20.00"), None, D("50.00")))
        assert not above.minimum_applied

    def test_ended_on_a_checkin_day(self) -> None:
        early = use_charge(JAN_1, JAN_3, Rates(D("100.00")), ended_on=JAN_1)
        late = use_charge(JAN_1, JAN_3, Rates(D("100.00")), ended_on=date(2030, 1, 5))
        assert (early.days, early.amount, early.last_day) == (1, D("100.00"), JAN_1)
        assert (late.days, late.amount) == (5, D("500.00"))

    def test_ended_before_it_began_is_refused(self) -> None:
        with pytest.raises(InvalidRequest, match="cannot end on 2029-12-31") as err:
            use_charge(JAN_1, JAN_3, Rates(D("1.00")), ended_on=date(2029, 12, 31))
        assert err.value.field == "ended_on"

    def test_too_large_is_refused(self) -> None:
        with pytest.raises(InvalidRequest, match="more than the largest amount"):
            use_charge(JAN_1, JAN_1, Rates(D("1.00"), D("9999999999.99")), units=D("2"))

    @pytest.mark.parametrize(
        ("value", "message"),
        [
            ("-1", "must be a number from 0"),
            ("1.2345", "more than 3 decimal places"),
            ("abc", "is not a number"),
            ("NaN", "must be a number from 0"),
        ],
    )
    def test_units_refused(self, value: str, message: str) -> None:
        with pytest.raises(InvalidRequest, match=message):
            check_units(value)

    def test_units_are_never_floats(self) -> None:
        with pytest.raises(ArgumentTypeError):
            check_units(1.5)
        assert check_units("12.5") == D("12.500")

    def test_day_rate_of_a_price(self) -> None:
        assert day_rate_of(D("360.00"), JAN_1, JAN_3) == D("120.00")
        assert day_rate_of(D("46.50"), JAN_1, JAN_3) == D("15.50")


class TestCancellationPolicy:
    """Free until N days before the start, then a fee or a share, never above the price."""

    FEE = CancellationPolicy(7, fee=D("25.00"))
    SHARE = CancellationPolicy(7, share=D("50"))
    START = date(2030, 1, 20)

    @pytest.mark.parametrize(
        ("today", "fee"),
        [
            (date(2030, 1, 12), None),  # 8 days before: free
            (date(2030, 1, 13), None),  # exactly 7 days before: still free
            (date(2030, 1, 14), D("25.00")),  # 6 days before: late
            (date(2030, 1, 20), D("25.00")),  # on the first day
            (date(2030, 1, 22), D("25.00")),  # under way
        ],
    )
    def test_fixed_fee_by_day(self, today: date, fee: Decimal | None) -> None:
        assert late_fee(self.FEE, self.START, today, D("300.00")) == fee

    def test_fixed_fee_never_above_the_price(self) -> None:
        assert late_fee(self.FEE, self.START, self.START, D("10.00")) == D("10.00")
        assert late_fee(self.FEE, self.START, self.START, D("0.00")) is None

    def test_share_half_up(self) -> None:
        assert late_fee(self.SHARE, self.START, self.START, D("300.00")) == D("150.00")
        assert late_fee(self.SHARE, self.START, self.START, D("0.01")) == D("0.01")
        third = CancellationPolicy(7, share=D("33.33"))
        assert late_fee(third, self.START, self.START, D("10.00")) == D("3.33")

    def test_no_policy_is_free(self) -> None:
        assert late_fee(FREE, self.START, self.START, D("300.00")) is None
        assert not FREE.active and FREE.words(None) == "cancelling is always free"

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            ((7, None, None), "give a fee"),
            ((7, "10", "50"), "not both"),
            ((None, "10", None), "a fee needs free_days"),
            ((0, "10", None), "from 1 to 365"),
            ((366, "10", None), "from 1 to 365"),
            ((7, "0", None), "charges nothing"),
            ((7, None, "0"), "above 0 and at most 100"),
            ((7, None, "100.01"), "above 0 and at most 100"),
            ((7, "-5", None), "is negative"),
        ],
    )
    def test_refused(self, args: tuple[object, object, object], message: str) -> None:
        with pytest.raises(InvalidRequest, match=message):
            check_policy(*args)

    def test_free_days_must_be_an_int(self) -> None:
        with pytest.raises(ArgumentTypeError):
            check_policy("7", "10")

    def test_stored_round_trip_and_garbage(self) -> None:
        for policy in (self.FEE, self.SHARE, FREE):
            assert stored_policy(policy.stored()) == policy
        assert stored_policy("not json") == FREE
        assert stored_policy('{"free_days": 7, "fee": "-3"}') == FREE
        assert stored_policy(None) == FREE

    def test_words(self) -> None:
        assert self.FEE.words("EUR") == "free until 7 days before the start, then a fee of €25.00"
        assert self.SHARE.words(None).endswith("then 50% of the booked price")
        assert late_words(self.FEE, self.START, date(2030, 1, 19), None).startswith(
            "cancelled 1 day before the start; "
        )
        assert late_words(self.FEE, self.START, self.START, None).startswith(
            "cancelled on or after the first day; "
        )


class TestSignedAmount:
    """A correction's amount: a debit or a credit, exact, never 0 nor a float."""

    @pytest.mark.parametrize(
        ("value", "amount"),
        [
            ("10", "10.00"),
            ("-10.5", "-10.50"),
            ("+3", "3.00"),
            (D("-2.25"), "-2.25"),
            (-4, "-4.00"),
        ],
    )
    def test_accepted(self, value: object, amount: str) -> None:
        assert str(signed_amount(value)) == amount

    @pytest.mark.parametrize("value", ["0", "-0.00", "1.234", "--1", "ten", "1e3x"])
    def test_refused(self, value: str) -> None:
        with pytest.raises(InvalidRequest):
            signed_amount(value)

    def test_float_refused(self) -> None:
        with pytest.raises(ArgumentTypeError):
            signed_amount(-1.5)


class TestPeriods:
    """A month or a year; months partition the year, across every boundary."""

    @pytest.mark.parametrize(
        ("text", "first", "last"),
        [
            ("2030-01", date(2030, 1, 1), date(2030, 1, 31)),
            ("2028-02", date(2028, 2, 1), date(2028, 2, 29)),
            ("2030-12", date(2030, 12, 1), date(2030, 12, 31)),
            ("2030", date(2030, 1, 1), date(2030, 12, 31)),
            (" 2030-06 ", date(2030, 6, 1), date(2030, 6, 30)),
        ],
    )
    def test_parsed(self, text: str, first: date, last: date) -> None:
        period = parse_period(text)
        assert (period.first, period.last) == (first, last)

    @pytest.mark.parametrize("text", ["2030-13", "2030-00", "30-01", "2030-1", "0000", "", "x"])
    def test_refused(self, text: str) -> None:
        with pytest.raises(InvalidRequest, match=r"is not a month .* or a year"):
            parse_period(text)

    @pytest.mark.parametrize("text", ["2030-13", "2030-00", "2030", "0000-01", "", "last"])
    def test_a_month_only_says_so(self, text: str) -> None:
        """A caller taking months alone (issuing invoices) never offers a year."""
        with pytest.raises(InvalidRequest) as info:
            parse_period(text, "month", years=False)
        assert info.value.message == f"month {text!r} is not a month (YYYY-MM, like 2030-01)"
        assert info.value.field == "month"
        assert parse_period(" 2030-02 ", "month", years=False).label == "2030-02"

    def test_words(self) -> None:
        assert parse_period("2030-01").words() == "January 2030"
        assert parse_period("2030").words() == "2030"
        assert month_of(date(2030, 12, 31)).label == "2030-12"

    @given(st.lists(st.dates(date(2029, 1, 1), date(2031, 12, 31)), max_size=60))
    def test_every_day_in_exactly_one_month_of_its_year(self, days: list[date]) -> None:
        year = parse_period("2030")
        months = year.months()
        assert len(months) == 12
        for day in days:
            holding = [m for m in months if m.holds(day)]
            assert len(holding) == (1 if year.holds(day) else 0)


def _charge(
    amount: str,
    on: date,
    kind: ChargeKind = ChargeKind.USE,
    member: str = "bob",
    **kw: object,
) -> Charge:
    values: dict[str, object] = {
        "id": 1,
        "kind": kind,
        "member": member,
        "member_name": member.title(),
        "rental_id": 5,
        "machine": "tractor",
        "machine_title": "Tractor 6120",
        "charged_at": datetime(on.year, on.month, on.day, 12, tzinfo=UTC),
        "charged_on": on,
        "first_day": JAN_1,
        "last_day": JAN_3,
        "days": 3,
        "units": None,
        "day_rate": D("120.00"),
        "unit_rate": None,
        "minimum_charge": None,
        "amount": D(amount),
        "reason": None,
        "created_by": None,
    }
    values.update(kw)
    return Charge(**values)  # type: ignore[arg-type]


class TestStatementWords:
    """Statements add up; lines and notifications say what was charged and why."""

    def test_total_is_exact(self) -> None:
        charges = [_charge("0.10", JAN_1)] * 3 + [_charge("-0.30", JAN_1)]
        found = Statement("bob", "Bob", parse_period("2030-01"), "EUR", tuple(charges))
        assert found.total == D("0.00") and found.as_dict()["total"] == "0.00"

    @given(
        st.lists(
            st.tuples(
                st.dates(date(2030, 1, 1), date(2030, 12, 31)),
                st.decimals("-500", "500", places=2, allow_nan=False, allow_infinity=False),
            ),
            max_size=40,
        )
    )
    def test_twelve_months_add_up_to_the_year(self, entries: list[tuple[date, Decimal]]) -> None:
        charges = [_charge(str(a), day) for day, a in entries]
        year = parse_period("2030")

        def total(period_text: str) -> Decimal:
            period = parse_period(period_text)
            held = tuple(c for c in charges if period.holds(c.charged_on))
            return Statement("bob", "Bob", period, None, held).total

        assert sum(total(m.label) for m in year.months()) == total("2030")

    def test_use_words_and_message(self) -> None:
        used = _charge(
            "405.00", JAN_3, units=D("10.000"), unit_rate=D("4.50"), minimum_charge=D("50.00")
        )
        assert charge_words(used, "EUR") == (
            "Tractor 6120 on Tue 1 – Thu 3 Jan 2030: 3 days × €120.00 + 10 units × €4.50"
        )
        least = _charge("500.00", JAN_3, minimum_charge=D("500.00"))
        assert charge_words(least, None).endswith(
            "3 days × 120.00, raised to the minimum of 500.00"
        )
        assert charged_message(used, "EUR") == (
            "You were charged €405.00 for Tractor 6120 on Tue 1 – Thu 3 Jan 2030: "
            "3 days × €120.00 + 10 units × €4.50 (rental 5)."
        )

    def test_correction_and_late_messages(self) -> None:
        credit = _charge(
            "-10.00",
            JAN_3,
            ChargeKind.CORRECTION,
            rental_id=None,
            machine=None,
            machine_title=None,
            first_day=None,
            last_day=None,
            reason="fuel he paid for",
        )
        assert charged_message(credit, "CHF") == "You were credited CHF 10.00: fuel he paid for."
        late = _charge("25.00", JAN_3, ChargeKind.LATE_CANCELLATION, reason="cancelled late")
        assert charged_message(late, None) == (
            "You were charged 25.00 for cancelling your booking of Tractor 6120 on "
            "Tue 1 – Thu 3 Jan 2030 late: cancelled late (rental 5)."
        )

    def test_totals_by_member(self) -> None:
        charges = [_charge("1.00", JAN_1), _charge("2.50", JAN_1, member="ann")]
        charges.append(_charge("-0.50", JAN_1))
        found = [t.as_dict() for t in totals_by_member(charges)]
        assert found == [
            {"member": "ann", "name": "Ann", "charges": 1, "total": "2.50"},
            {"member": "bob", "name": "Bob", "charges": 2, "total": "0.50"},
        ]


class TestExport:
    """The accounting CSV: stable columns, exact amounts, no formulas."""

    def test_columns_are_stable(self) -> None:
        assert CSV_COLUMNS == (
            "id", "charged_on", "charged_at", "member", "member_name", "kind", "rental_id",
            "machine", "first_day", "last_day", "days", "units", "day_rate", "unit_rate",
            "minimum_charge", "amount", "currency", "reason", "created_by",
        )  # fmt: skip

    def test_rows(self) -> None:
        text = charges_csv(
            [
                _charge("405.00", JAN_3, units=D("10.500"), unit_rate=D("4.50")),
                _charge("-1.00", JAN_3, ChargeKind.CORRECTION, reason="=HYPERLINK(1)"),
            ],
            "EUR",
        )
        lines = text.split("\r\n")
        assert lines[0] == ",".join(CSV_COLUMNS)
        assert lines[1].startswith("1,2030-01-03,2030-01-03T12:00:00+00:00,bob,Bob,use,5,")
        assert ",10.5,120.00,4.50,,405.00,EUR,," in lines[1]
        assert lines[2].endswith(",-1.00,EUR,'=HYPERLINK(1),")
        assert lines[3] == ""

    def test_empty(self) -> None:
        assert charges_csv([], None) == ",".join(CSV_COLUMNS) + "\r\n"


def test_charge_json_shape() -> None:
    shape = _charge("1.00", JAN_1, units=D("2.000")).as_dict()
    assert shape["units"] == "2.000" and shape["amount"] == "1.00"
    assert shape["charged_on"] == "2030-01-01" and shape["kind"] == "use"
    assert set(shape) == {
        "id", "kind", "member", "rental_id", "machine", "charged_on", "charged_at",
        "first_day", "last_day", "days", "units", "day_rate", "unit_rate",
        "minimum_charge", "amount", "reason", "created_by",
    }  # fmt: skip
