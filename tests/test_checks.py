"""rentcal.core.checks: pure argument checks that refuse and never convert."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime
from decimal import Decimal

import pytest

from rentcal.core import checks
from rentcal.core.types import MaintenanceStatus, RentalStatus
from rentcal.errors import ArgumentTypeError, InvalidRequest


class TestRefusals:
    """Each check refuses what is not exactly its type, naming the parameter."""

    @pytest.mark.parametrize(
        ("check", "value", "message"),
        [
            pytest.param(checks.flag, "no", "admin must be True or False, not str 'no'", id="flag"),
            pytest.param(checks.flag, 0, "admin must be True or False, not int 0", id="flag-0"),
            pytest.param(
                checks.day, "2030-01-10", "admin must be a datetime.date, not str", id="day"
            ),
            pytest.param(
                checks.day,
                datetime(2030, 1, 10),
                "admin datetime.datetime(2030, 1, 10, 0, 0) is a datetime; pass a date",
                id="datetime",
            ),
            pytest.param(checks.handle, 7, "admin must be a str (a handle", id="handle"),
            pytest.param(
                checks.whole_number, True, "admin must be an int, not bool True", id="bool"
            ),
            pytest.param(checks.iterable, "abc", "admin must be an iterable", id="str-iterable"),
            pytest.param(checks.callback, 3, "admin must be a callable or None", id="callback"),
        ],
    )
    def test_wrong_types(self, check: object, value: object, message: str) -> None:
        with pytest.raises(ArgumentTypeError) as info:
            check(value, "admin")  # type: ignore[operator]
        assert str(info.value).startswith(message)
        assert (info.value.field, info.value.value, info.value.reason) == (
            "admin",
            value,
            "wrong-type",
        )
        assert isinstance(info.value, TypeError) and isinstance(info.value, InvalidRequest)

    def test_long_values_are_shortened(self) -> None:
        with pytest.raises(ArgumentTypeError) as info:
            checks.flag("x" * 10_000, "admin")
        assert len(str(info.value)) < 120

    def test_other_enums_are_not_converted(self) -> None:
        with pytest.raises(ArgumentTypeError, match="status must be a MaintenanceStatus"):
            checks.choice(RentalStatus.CANCELLED, MaintenanceStatus, "status")
        assert (
            checks.choice("Cancelled", MaintenanceStatus, "status") is MaintenanceStatus.CANCELLED
        )
        assert checks.choices(None, MaintenanceStatus, "status") == []
        assert checks.choices(("done",), MaintenanceStatus, "status") == [MaintenanceStatus.DONE]

    def test_value_errors_name_the_parameter(self) -> None:
        with pytest.raises(InvalidRequest) as info:
            checks.handle("no spaces", "machine")
        assert (info.value.field, info.value.value) == ("machine", "no spaces")
        assert type(info.value) is InvalidRequest
        with pytest.raises(InvalidRequest) as too_small:
            checks.positive_int(0, "chunk")
        assert str(too_small.value) == "chunk 0 must be a whole number of at least 1"

    def test_good_values_pass_unchanged(self) -> None:
        assert checks.flag(False, "x") is False
        assert checks.day(date(2030, 1, 1), "x") == date(2030, 1, 1)
        assert checks.handle(" Tractor ", "x") == "tractor"
        assert checks.amount(7, "x", "daily price") == Decimal("7.00")
        assert checks.record_id(3, "rental_id", "rental") == 3
        assert checks.free_text("  hay  ", "purpose") == "hay"
        assert checks.title(None, "title") is None


def test_checks_import_without_sqlalchemy() -> None:
    code = (
        "import sys, rentcal.core.checks\n"
        "bad = [m for m in ('sqlalchemy', 'sqlmodel', 'icalendar') if m in sys.modules]\n"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
