"""Payments, allocations, open items and balances (issue #23): the pure rules."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rentcal.core.invoices import InvoiceKind
from rentcal.core.payments import (
    Allocation,
    PaymentEntry,
    Receivable,
    allocate,
    allocate_explicit,
    balance,
    check_payment,
    items,
    open_items,
)
from rentcal.errors import InvalidRequest

D = Decimal
JAN = date(2030, 1, 1)


def inv(number: str, gross: str, day: int) -> Receivable:
    issued = JAN + timedelta(days=day)
    return Receivable(number, InvoiceKind.INVOICE, issued, issued + timedelta(days=14), D(gross))


def credit(number: str, gross: str, refers_to: str) -> Receivable:
    return Receivable(number, InvoiceKind.CREDIT_NOTE, JAN, JAN, D(gross), refers_to)


def paid(amount: str, *parts: tuple[str, str]) -> PaymentEntry:
    return PaymentEntry(D(amount), JAN, tuple(Allocation(n, D(a)) for n, a in parts))


DOCS = [inv("3", "30.00", 3), inv("1", "100.00", 1), inv("2", "50.00", 2)]


class TestOldestFirst:
    """A payment settles the oldest open invoices first; the rest stays unallocated."""

    def test_spreads_over_the_oldest(self) -> None:
        open_ = open_items(DOCS, [])
        assert [i.number for i in open_] == ["1", "2", "3"]
        assert allocate(D("120.00"), open_) == (
            Allocation("1", D("100.00")),
            Allocation("2", D("20.00")),
        )

    def test_more_than_owed_leaves_a_credit(self) -> None:
        parts = allocate(D("200.00"), open_items(DOCS, []))
        payment = PaymentEntry(D("200.00"), JAN, parts)
        assert sum(p.amount for p in parts) == D("180.00")
        assert payment.unallocated == D("20.00")
        totals = balance(DOCS, [payment])
        assert (totals.balance, totals.unallocated) == (D("-20.00"), D("20.00"))
        assert open_items(DOCS, [payment]) == []

    def test_partly_paid_invoice_takes_only_its_rest(self) -> None:
        before = [paid("60.00", ("1", "60.00"))]
        assert allocate(D("50.00"), open_items(DOCS, before)) == (
            Allocation("1", D("40.00")),
            Allocation("2", D("10.00")),
        )

    def test_a_credit_note_reduces_its_invoice(self) -> None:
        docs = [*DOCS, credit("4", "-100.00", "1")]
        assert [i.number for i in open_items(docs, [])] == ["2", "3"]
        assert balance(docs, []).balance == D("80.00")


class TestRefunds:
    """A refund is a negative payment with a reason; it settles what the member is owed."""

    def test_credit_after_payment_is_owed_back_then_refunded(self) -> None:
        docs = [inv("1", "100.00", 1), credit("2", "-40.00", "1")]
        payments = [paid("100.00", ("1", "100.00"))]
        owed = open_items(docs, payments)
        assert [(i.number, i.open) for i in owed] == [("1", D("-40.00"))]
        assert balance(docs, payments).balance == D("-40.00")
        refund = allocate(D("-40.00"), owed)
        assert refund == (Allocation("1", D("-40.00")),)
        payments.append(PaymentEntry(D("-40.00"), JAN, refund))
        assert open_items(docs, payments) == []
        totals = balance(docs, payments)
        assert (totals.balance, totals.paid, totals.refunded) == (0, D("100.00"), D("-40.00"))

    def test_a_refund_never_settles_an_invoice_still_to_pay(self) -> None:
        assert allocate(D("-10.00"), open_items(DOCS, [])) == ()

    @pytest.mark.parametrize(
        ("amount", "reason", "words"),
        [
            pytest.param(D("-5.00"), None, "needs a reason", id="refund-without-reason"),
            pytest.param(D("0.00"), None, "not zero", id="zero"),
            pytest.param(D("1.005"), None, "2 places", id="mills"),
            pytest.param(1.5, None, "must be a Decimal", id="float"),
            pytest.param(D("1E+10"), None, "up to", id="too-large"),
            pytest.param(D("-5.00"), "  ", "needs a reason", id="blank-reason"),
        ],
    )
    def test_refused(self, amount: object, reason: object, words: str) -> None:
        with pytest.raises(InvalidRequest, match=words):
            check_payment(amount, reason)

    def test_accepted(self) -> None:
        assert check_payment(D("-5"), " returned deposit ") == (D("-5.00"), "returned deposit")
        assert check_payment(D("120"), None) == (D("120.00"), None)


class TestExplicit:
    """The admin may say which invoices a payment settles, within limits."""

    def test_as_asked(self) -> None:
        open_ = open_items(DOCS, [])
        wanted = [("3", D("30.00")), ("1", D("10.00"))]
        assert allocate_explicit(D("50.00"), wanted, open_) == (
            Allocation("3", D("30.00")),
            Allocation("1", D("10.00")),
        )

    @pytest.mark.parametrize(
        ("amount", "wanted", "reason"),
        [
            pytest.param("50.00", [("9", "10.00")], "not-open", id="unknown"),
            pytest.param("50.00", [("3", "30.01")], "over-allocated", id="over-open"),
            pytest.param(
                "50.00", [("1", "40.00"), ("2", "40.00")], "over-allocated", id="over-payment"
            ),
            pytest.param("50.00", [("1", "5.00"), ("1", "5.00")], "duplicate", id="twice"),
            pytest.param("50.00", [("1", "-5.00")], "bad-allocation", id="wrong-sign"),
            pytest.param("50.00", [("1", "0.00")], "bad-allocation", id="zero"),
            pytest.param("-5.00", [("1", "-5.00")], "over-allocated", id="refund-to-unpaid"),
        ],
    )
    def test_refused(self, amount: str, wanted: list[tuple[str, str]], reason: str) -> None:
        with pytest.raises(InvalidRequest) as info:
            allocate_explicit(D(amount), [(n, D(a)) for n, a in wanted], open_items(DOCS, []))
        assert info.value.reason == reason

    def test_unknown_invoice_in_the_account_is_refused(self) -> None:
        with pytest.raises(InvalidRequest, match="credit note 9 names invoice '7'"):
            items([*DOCS, credit("9", "-1.00", "7")], [])
        with pytest.raises(InvalidRequest, match="an allocation names invoice '7'"):
            items(DOCS, [paid("1.00", ("7", "1.00"))])


def test_overdue() -> None:
    item = open_items(DOCS, [])[0]
    assert not item.overdue(item.due_date)
    assert item.overdue(item.due_date + timedelta(days=1))


cents = st.integers(1, 100_000).map(lambda c: D(c) / 100)


@given(
    st.lists(cents, min_size=1, max_size=8),
    st.lists(st.integers(-50_000, 100_000).filter(bool).map(lambda c: D(c) / 100), max_size=8),
    st.dictionaries(st.integers(0, 7), cents, max_size=4),
)
def test_allocations_never_exceed_and_always_add_up(
    grosses: list[Decimal], amounts: list[Decimal], credits: dict[int, Decimal]
) -> None:
    """Whatever is paid, refunded and credited, in any order: no allocation takes more
    than its invoice's open amount or its payment, and the sums always agree."""
    docs = [inv(f"I{i}", str(g), i) for i, g in enumerate(grosses)]
    docs += [
        credit(f"C{i}", str(-min(c, grosses[i])), f"I{i}")
        for i, c in credits.items()
        if i < len(grosses)
    ]
    payments: list[PaymentEntry] = []
    for amount in amounts:
        open_ = open_items(docs, payments)
        before = {i.number: i.open for i in open_}
        parts = allocate(amount, open_)
        assert abs(sum((p.amount for p in parts), D(0))) <= abs(amount)
        for part in parts:
            assert part.amount != 0 and (part.amount > 0) == (amount > 0)
            assert abs(part.amount) <= abs(before[part.invoice])
            assert (before[part.invoice] > 0) == (part.amount > 0)
        payments.append(PaymentEntry(amount, JAN, parts))
    account = items(docs, payments)
    totals = balance(docs, payments)
    assert totals.balance == sum((i.open for i in account), D(0)) - totals.unallocated
    assert totals.balance == sum((d.gross for d in docs), D(0)) - sum(amounts, D(0))
    for payment in payments:
        assert payment.unallocated == 0 or (payment.unallocated > 0) == (payment.amount > 0)
    # a payment that could not be placed leaves no invoice it could have settled
    for index, payment in enumerate(payments):
        if payment.unallocated > 0:
            assert all(i.open <= 0 for i in open_items(docs, payments[: index + 1]))
