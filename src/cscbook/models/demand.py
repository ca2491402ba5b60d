"""Glue between editions and the forecast models: the monthly series an edition may use, and its forecasts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from cscbook.core.errors import CSCBookError
from cscbook.core.quarters import Quarter
from cscbook.data.illustrative import example_extract, example_path
from cscbook.data.monthly import MIN_MONTHS, read_extract
from cscbook.data.releases import latest_year_published
from cscbook.models import levelshift, shared


class ShortHistoryError(CSCBookError):
    """Too few months for any forecast. ``str()`` is the line for the command line; ``plain`` is the same in
    words for a reader of the edition (no options, file names or program names)."""

    def __init__(self, message: str, plain: str):
        super().__init__(message)
        self.plain = plain


@dataclass
class MonthlySeries:
    """The months an edition may use. ``partial`` is a last month that had not ended when the data were read,
    left out of ``frame`` (the models never train on it; the forecast starts with it)."""

    frame: pd.DataFrame
    illustrative: bool
    source: str
    partial: pd.Period | None = None
    #: months of the extract after the edition's quarter (not used by this edition)
    after_quarter: int = 0

    @property
    def referrals(self) -> pd.Series:
        """Referrals a month (floats, monthly PeriodIndex) as the extract or the example gives them."""
        return self.frame["referrals"].astype(float)

    @property
    def prepared(self) -> levelshift.Prepared:
        """The level-shift step the models apply to these referrals: what it found and did, in a sentence."""
        return levelshift.prepare(self.referrals)

    @property
    def basis(self) -> str:
        """Where the monthly figures come from, in words: the council's extract or the illustrative example."""
        return "illustrative example (modelled from annual totals)" if self.illustrative else "council extract"

    @property
    def partial_sentence(self) -> str:
        """Says that a partial last month was left out ('' when there was none)."""
        if self.partial is None:
            return ""
        return (f"{self.partial:%B %Y} had not ended when the data were read, so its referrals are incomplete: it "
                f"is left out of the training, and the forecast starts with it.")

    @property
    def after_quarter_sentence(self) -> str:
        """Says how many months of the extract lie after the edition's quarter ('' when none)."""
        if not self.after_quarter:
            return ""
        n = self.after_quarter
        return (f"The monthly input has {n} later month{'s' if n > 1 else ''} after this edition's quarter, not used "
                "here: an edition shows what was known by the end of its quarter.")


def partial_last_month(index: pd.PeriodIndex, today: date | None = None) -> pd.Period | None:
    """The last month of ``index`` if it had not ended by ``today`` (default: the date of the run), else None.

    An analyst's extract runs to the end of the last complete month; one taken during a month holds only part
    of it, which would read as a sudden fall in demand."""
    if not len(index):
        return None
    today = today or date.today()
    last = index.max()
    return last if last.end_time.date() >= today else None


def monthly_series(code: str, quarter: Quarter, monthly: str | None = None, cache=None,
                   today: date | None = None) -> MonthlySeries:
    """Months known by the end of ``quarter``: the council's extract, or the illustrative example.

    ``code`` is the council's three-digit DfE code, already resolved (``Edition.council.code``); it is never
    resolved again here. The example is derived from annual totals, so it only has the years published by then.
    ``cache``: the edition's :class:`cscbook.core.cache.SharedCache`, where a council's generated example is made
    once for every reader of the edition (without it, the example is generated here). A last month of the
    extract that had not ended by ``today`` (default: the date of the run) is partial and left out
    (``MonthlySeries.partial``). Fewer than :data:`cscbook.data.monthly.MIN_MONTHS` months raise
    :class:`ShortHistoryError`.
    """
    partial, after_quarter = None, 0
    if monthly:
        frame = read_extract(monthly)
        source = "the council's monthly extract"  # never a path: this sentence can reach a page
        after_quarter = int((frame.index > pd.Period(quarter.end, freq="M")).sum())
        frame = frame[frame.index <= pd.Period(quarter.end, freq="M")]
        partial = partial_last_month(frame.index, today)
        if partial is not None:
            frame = frame[frame.index < partial]
        illustrative = False
        plain = f"the council's monthly input has {len(frame)} complete months by the end of {quarter}"
    else:
        if code == "825":
            frame = read_extract(example_path())
            source = str(example_path().name)
        else:
            try:
                frame = shared.example_extract(cache, code) if cache is not None else example_extract(code)
            except CSCBookError:  # no published annual total to split into months
                frame = pd.DataFrame({"referrals": []}, index=pd.PeriodIndex([], freq="M", name="month"))
            source = f"example_extract('{code}') (generated)"
        year = latest_year_published("referrals", quarter)
        cutoff = pd.Period(f"{year}-03", freq="M") if year else None
        frame = frame[frame.index <= cutoff] if cutoff is not None else frame.iloc[:0]
        illustrative = True
        years = len(frame) // 12
        plain = (f"DfE had published {years} year{'s' if years != 1 else ''} of this council's referrals by the end "
                 f"of {quarter}, {len(frame)} months for the illustrative monthly series")
    if len(frame) < MIN_MONTHS:
        raise ShortHistoryError(
            f"--quarter {quarter}: only {len(frame)} months of referrals are available by then "
            f"({'from ' + source}); a forecast needs {MIN_MONTHS}: choose a later quarter or a longer extract",
            f"{plain[0].upper() + plain[1:]}; a forecast needs at least {MIN_MONTHS} months of referrals.")
    return MonthlySeries(frame, illustrative, source, partial, after_quarter)


def horizon_for(series: MonthlySeries, quarter: Quarter) -> int:
    """Months to forecast: from the month after the data end to twelve months after the quarter's end."""
    last = series.frame.index.max()
    end = pd.Period(quarter.end, freq="M")
    return max(12, (end - last).n + 12)


def next_year(fc: pd.DataFrame, quarter: Quarter) -> pd.DataFrame:
    """The twelve forecast months after the quarter's end: what leaders plan for."""
    start = pd.Period(quarter.end, freq="M") + 1
    return fc[fc.index >= start].iloc[:12]


