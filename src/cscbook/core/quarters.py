"""Calendar quarters ``YYYYQn`` and the financial and collection years they fall in (no data is read here:
what had been published by the end of a quarter is :mod:`cscbook.data.releases`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from cscbook.core.errors import CSCBookError

QUARTER_RE = re.compile(r"^(\d{4})Q([1-4])$")


def year_ending_march(year: int, month: int) -> int:
    """The DfE reporting year a calendar month falls in, named by the year it ends: April 2018 to March 2019 is
    2019 (the ``year`` column of the official tables)."""
    return year + (month >= 4)


def financial_year_label(start: int) -> str:
    """An English financial year (April to March) by the calendar year it starts in: 2019 gives '2019-20'."""
    return f"{start}-{str(start + 1)[-2:]}"


@dataclass(frozen=True, order=True)
class Quarter:
    """A calendar quarter (``year``, ``q`` from 1 to 4), written ``2025Q3``; an edition is made for one.
    Ordered in time."""

    year: int
    q: int

    @classmethod
    def parse(cls, text: str, parameter: str = "--quarter") -> "Quarter":
        """The quarter ``YYYYQn`` written in ``text`` (any case); anything else raises :class:`CSCBookError`
        naming ``parameter``."""
        m = QUARTER_RE.match(str(text).strip().upper())
        if not m:
            raise CSCBookError(
                f"{parameter} {text!r} is not a calendar quarter: write YYYYQn with n from 1 to 4, e.g. 2019Q2"
            )
        return cls(int(m.group(1)), int(m.group(2)))

    @classmethod
    def of(cls, d: date) -> "Quarter":
        """The calendar quarter holding the day ``d``."""
        return cls(d.year, (d.month - 1) // 3 + 1)

    def __str__(self) -> str:
        return f"{self.year}Q{self.q}"

    @property
    def start(self) -> date:
        """The quarter's first day."""
        return date(self.year, 3 * self.q - 2, 1)

    @property
    def end(self) -> date:
        """The quarter's last day."""
        nxt = self.next()
        return date.fromordinal(nxt.start.toordinal() - 1)

    def next(self) -> "Quarter":
        """The following quarter."""
        return Quarter(self.year + (self.q == 4), self.q % 4 + 1)

    def previous(self) -> "Quarter":
        """The quarter before."""
        return Quarter(self.year - (self.q == 1), (self.q - 2) % 4 + 1)

    @property
    def financial_year(self) -> str:
        """English financial year (April to March) of the quarter, e.g. 2019-20."""
        return financial_year_label(year_ending_march(self.year, 3 * self.q) - 1)

    @property
    def financial_quarter(self) -> str:
        """Quarter of the financial year: calendar Q2 (April-June) is financial Q1."""
        return f"{self.financial_year} Q{(self.q - 2) % 4 + 1}"
