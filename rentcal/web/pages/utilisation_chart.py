"""The admin page's utilisation charts: plain numbers and SVG geometry the template draws
(no JavaScript, no chart library, nothing loaded from elsewhere).

Two small charts scale with their ``viewBox`` from a 390 px phone up: the
share of bookable days booked per machine in the month (a bar a machine), and
every machine's share month by month (a bar a month). A table beside each
holds the same figures (the text alternative, for screen readers and
keyboards); the ``<desc>`` of each says what the chart shows in a sentence.
The figures come from ``Rentcal.utilisation`` (:mod:`rentcal.core.utilisation`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from rentcal.core.utilisation import MonthUse, UtilisationReport, month_key
from rentcal.errors import InvalidRequest
from rentcal.frontend.month import MONTH_NAMES, month_title, shift_month
from rentcal.frontend.utilisation import parse_month, share_text, units_text

#: The coordinate box's width of both charts.
WIDTH = 360
#: Machines chart: a row a machine; labels left of the bars, the share right of them.
ROW, BAR, LABEL_END, BAR_X, BAR_MAX, TOP = 22, 14, 116, 120, 190, 4
#: Months chart: the plot's top and height; month initials under it.
PLOT_TOP, PLOT_HEIGHT = 10, 64
#: Characters of a machine's title the chart shows (the table shows it whole).
LABEL_CHARS = 18


def short(text: str, most: int = LABEL_CHARS) -> str:
    """``text`` cut to ``most`` characters, an ellipsis marking the cut."""
    return text if len(text) <= most else text[: most - 1].rstrip() + "…"


@dataclass(frozen=True, slots=True)
class MachineBar:
    """One machine's row: its label, its bar's y and length, its share in words."""

    machine: str
    title: str
    label: str
    y: int
    length: float
    share: str
    use: MonthUse

    @property
    def units(self) -> str:
        """The units the meter counted, or a dash."""
        return units_text(self.use, "—")


@dataclass(frozen=True, slots=True)
class MonthBar:
    """One month's bar (every machine): its x and height, its initial and share."""

    key: str
    name: str
    #: "Feb 2030": the table's words for the month
    label: str
    initial: str
    x: float
    width: float
    height: float
    share: str
    use: MonthUse


@dataclass(frozen=True, slots=True)
class UtilisationChart:
    """What the admin page draws of a :class:`UtilisationReport`."""

    width: ClassVar[int] = WIDTH
    row: ClassVar[int] = ROW
    bar: ClassVar[int] = BAR
    label_end: ClassVar[int] = LABEL_END
    bar_x: ClassVar[int] = BAR_X
    bar_max: ClassVar[int] = BAR_MAX
    plot_height: ClassVar[int] = PLOT_HEIGHT

    report: UtilisationReport
    title: str
    machines: list[MachineBar]
    months: list[MonthBar]
    #: ``?month=`` of the months before and after (None: the calendar ends).
    previous: str | None
    following: str | None

    @property
    def height(self) -> int:
        """The machines chart's box height: the rows and the axis labels under them."""
        return TOP + ROW * len(self.machines) + 16

    @property
    def axis_y(self) -> int:
        """The y of the machines chart's scale labels (0 %, 50 %, 100 %)."""
        return self.height - 3

    @property
    def baseline(self) -> int:
        """The months chart's zero line."""
        return PLOT_TOP + PLOT_HEIGHT

    @property
    def machines_desc(self) -> str:
        """The machines chart in a sentence."""
        shares = "; ".join(f"{b.title} {b.share}" for b in self.machines)
        return (
            f"Share of bookable days booked in {self.title}, per machine: {shares}. "
            "The table beside it lists the days."
        )

    @property
    def months_desc(self) -> str:
        """The months chart in a sentence."""
        shares = "; ".join(f"{b.name} {b.share}" for b in self.months)
        return (
            f"Share of bookable days booked, every machine, month by month: {shares}. "
            "The table beside it lists the days."
        )


def _fraction(use: MonthUse) -> float:
    """Booked per bookable day, unrounded (0 when nothing was bookable)."""
    return use.booked_days / use.bookable_days if use.bookable_days else 0.0


def machine_bars(report: UtilisationReport) -> list[MachineBar]:
    """A bar a machine, in the report's order (by name)."""
    return [
        MachineBar(
            machine=m.machine,
            title=m.title,
            label=short(m.title),
            y=TOP + ROW * i,
            length=round(BAR_MAX * _fraction(m.current), 1),
            share=share_text(m.current.share, "none bookable"),
            use=m.current,
        )
        for i, m in enumerate(report.machines)
    ]


def month_bars(report: UtilisationReport) -> list[MonthBar]:
    """A bar a month, oldest first; a month with nothing bookable has none."""
    slot = WIDTH / len(report.totals)
    return [
        MonthBar(
            key=month_key(t.month),
            name=month_title(t.month),
            label=f"{MONTH_NAMES[t.month.month - 1][:3]} {t.month.year:04d}",
            initial=MONTH_NAMES[t.month.month - 1][0],
            x=round(slot * i + slot * 0.15, 1),
            width=round(slot * 0.7, 1),
            height=round(PLOT_HEIGHT * _fraction(t), 1),
            share=share_text(t.share, "none bookable"),
            use=t,
        )
        for i, t in enumerate(report.totals)
    ]


def report_month(text: str, today: date) -> tuple[date | None, str | None]:
    """``?month=`` of the admin page: (its first day, None), (None, None) when not
    given (this month), or (None, why not) for anything but a month."""
    if not text.strip():
        return None, None
    try:
        return parse_month(text[:40], today, "month"), None
    except InvalidRequest as err:
        return None, err.message


def _neighbour(first: date, months: int) -> str | None:
    other = shift_month(first, months)
    return None if other == first else month_key(other)


def chart(report: UtilisationReport) -> UtilisationChart:
    """The charts of ``report`` (from ``Rentcal.utilisation``)."""
    return UtilisationChart(
        report=report,
        title=month_title(report.month),
        machines=machine_bars(report),
        months=month_bars(report),
        previous=_neighbour(report.month, -1),
        following=_neighbour(report.month, 1),
    )


__all__ = ["MachineBar", "MonthBar", "UtilisationChart", "chart", "report_month", "short"]
