"""Issue 21, what the booking page says without JavaScript: the machine being chosen,
whole prices, past days, and a refusal said once without a stale price."""

from __future__ import annotations

import re

import pytest

import rentcal
from tests.conftest import d
from tests.test_pages import Pages, text_of

FORM = {"machine": "tractor", "start": "2030-01-15", "end": "2030-01-17", "purpose": ""}


@pytest.fixture
def pages(seeded: rentcal.Rentcal) -> Pages:
    seeded.add_machine(
        "loader",
        daily_price="80.5",
        title="Loader 3",
        description="80 hp, front loader",
        acting="ada",
    )
    return Pages(seeded)


class TestChoosingAMachine:
    """The select lists each machine with its whole price; the chosen one is described."""

    def test_options_show_whole_prices(self, pages: Pages) -> None:
        page = pages.as_("bob").get("/").text
        options = re.findall(r'<option value="loader"[^>]*>\s*([^<]*?)</option>', page)
        assert options == ["Loader 3 — 80.50 a day"]
        assert 'data-price="80.50"' in page
        assert text_of(page, "machine-facts") == ""  # "All machines": nothing to describe

    def test_the_chosen_machine_is_described(self, pages: Pages) -> None:
        page = pages.as_("bob").get("/?machine=loader").text
        assert text_of(page, "machine-facts") == "Loader 3: 80 hp, front loader. 80.50 a day."
        plain = pages.as_("bob").get("/?machine=tractor").text
        assert text_of(plain, "machine-facts") == "Tractor 6120. 120.00 a day."


class TestPastDays:
    """Days before today are marked in the grid, in words too."""

    def test_past_cells_are_marked(self, pages: Pages) -> None:
        page = pages.as_("bob").get("/?machine=tractor&month=2030-01").text
        cells = dict(re.findall(r'<td data-date="(\d{4}-\d\d-\d\d)"([^>]*)>', page))
        assert 'data-past="yes"' in cells["2030-01-08"] and "past" in cells["2030-01-08"]
        assert "past" not in cells["2030-01-09"]  # today can be booked
        assert "(passed)" in text_of(page, "fallback-grid")


class TestRefusal:
    """A refused booking names each conflict once, with no price for the refused days."""

    def test_conflict_once_and_no_price(self, pages: Pages) -> None:
        taken = pages.cal.book("tractor", d(16), d(16), member="dan")
        answer = pages.as_("bob").post("/", data=FORM)
        assert answer.status_code == 409
        box = text_of(answer.text, "availability")
        assert box.count(f"rental {taken.id}") == 1, box
        assert ".." not in box  # the library's one-line message is not repeated
        assert text_of(answer.text, "quote") == ""

    def test_check_that_finds_a_conflict_shows_no_price(self, pages: Pages) -> None:
        pages.cal.book("tractor", d(16), d(16), member="dan")
        page = pages.as_("bob").get("/?machine=tractor&start=2030-01-15&end=2030-01-17").text
        assert text_of(page, "availability").startswith("Not available.")
        assert text_of(page, "quote") == ""
