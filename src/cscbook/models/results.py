"""One entry point for an edition's results: every derived result the chapters, the headlines and the command line
read, each computed once per :class:`EditionResults` (:func:`functools.cached_property`) and, through the edition's
shared cache (:class:`cscbook.core.cache.SharedCache`), once per build.

    res = EditionResults(ed)
    res.series            # the monthly series (None when the history is too short: res.short_reason says why)
    res.monthly_forecast  # backtest, chosen model, forecast and the next twelve months
    res.capacity          # the staffing model and the base-case capacity plan
    res.scorecard         # the council against every council, at the scorecard's year

Nothing here computes anything new: each property calls the one function that owns the result
(:func:`cscbook.models.demand.monthly_series`, :func:`cscbook.models.history.monthly_forecast`,
:func:`cscbook.models.capacity.edition_capacity`, :mod:`cscbook.models.shared`), with the edition's cache.
"""

from __future__ import annotations

from functools import cached_property, partial

import pandas as pd

from cscbook.data.edition import Edition
from cscbook.data.releases import latest_year_published
from cscbook.data.tables import la_values
from cscbook.models import annual, capacity, demand, funnel, history, ledger, scenarios, shared
from cscbook.models.benchmark import SUPPRESSED


def scorecard_year(quarter) -> int | None:
    """The year the scorecard is drawn at for an edition at ``quarter``: the latest year of referrals published by
    the end of the quarter, or the workforce census's latest year where that is later (the workforce census is
    published before the children-in-need release of the same year). None when no referrals are published yet."""
    year = latest_year_published("referrals", quarter)
    if year is None:
        return None
    return max(year, latest_year_published("workforce", quarter) or year)


class EditionResults:
    """Every derived result of one edition (:class:`cscbook.data.edition.Edition`), each computed on first read
    and kept: the chapters, the headlines, the scenarios and the ledger read the same objects.

    Results that need the monthly series are None when the history is too short for a forecast
    (:attr:`short_reason` then says why, in plain words). ``models`` narrows the monthly methods compared (default:
    what the history supports, :func:`cscbook.models.history.plan_for`).
    """

    def __init__(self, ed: Edition, models: tuple[str, ...] | None = None):
        self.ed = ed
        self.models = tuple(models) if models else None

    # -------------------------------------------------------------------------------------------------
    # The monthly chain

    @cached_property
    def _series_or_error(self):
        ed = self.ed
        try:
            return demand.monthly_series(ed.council.code, ed.quarter, str(ed.monthly) if ed.monthly else None,
                                         ed.cache), None
        except demand.ShortHistoryError as exc:
            return None, exc

    @property
    def series(self):
        """The edition's monthly series (:class:`cscbook.models.demand.MonthlySeries`: referrals a month, counts,
        complete months known by the end of the quarter; the council's own or the illustrative example), or None
        when the history is too short for a forecast."""
        return self._series_or_error[0]

    @property
    def short_error(self):
        """The :class:`cscbook.models.demand.ShortHistoryError` raised for a history too short, else None."""
        return self._series_or_error[1]

    @property
    def short_reason(self) -> str | None:
        """Why there is no monthly forecast, in plain words for a page (None when there is one)."""
        return self.short_error.plain if self.short_error is not None else None

    @property
    def illustrative(self) -> bool:
        """The monthly series is the illustrative example (modelled from annual totals), not the council's own."""
        return self.series is not None and bool(self.series.illustrative)

    @cached_property
    def monthly_forecast(self):
        """The edition's forecast chain (:class:`cscbook.models.history.MonthlyForecast`): the rolling-origin
        backtest of the methods the history supports (referrals a month), the method chosen by MASE, its forecast
        from the month after the last complete month (``fc_all``) and for the twelve months after the quarter
        (``fc``), calibrated where its backtest allows. None without a monthly series."""
        if self.series is None:
            return None
        return history.monthly_forecast(self.series, self.ed.quarter, self.ed.cache, self.models)

    @property
    def model(self) -> str | None:
        """The method that makes the monthly forecast (a key of :data:`cscbook.models.history.METHOD_NAMES`)."""
        return self.monthly_forecast.model if self.monthly_forecast is not None else None

    @cached_property
    def capacity(self):
        """The capacity inputs and base-case plan (:class:`cscbook.models.capacity.EditionCapacity`: staffing model
        from open cases, the open-case calibration, and the twelve-month plan in FTE social workers), from the
        monthly forecast. None without a monthly forecast."""
        if self.monthly_forecast is None:
            return None
        return capacity.edition_capacity(self.monthly_forecast, self.ed.quarter, self.ed.council.code)

    # -------------------------------------------------------------------------------------------------
    # Benchmarking

    @property
    def referrals_year(self) -> int | None:
        """The latest year to 31 March of referrals published by the end of the edition's quarter."""
        return latest_year_published("referrals", self.ed.quarter)

    @property
    def scorecard_year(self) -> int | None:
        """The year the scorecard is drawn at (:func:`scorecard_year`)."""
        return scorecard_year(self.ed.quarter)

    @cached_property
    def scorecard(self) -> pd.DataFrame:
        """The scorecard page's benchmark (:func:`cscbook.models.benchmark.benchmark` at :attr:`scorecard_year`, as
        known at the quarter): a row an indicator with the council's value in the indicator's units, its
        neighbours, region and England, rank and rating. Empty when no referrals are published yet."""
        year = self.scorecard_year
        if year is None:
            return pd.DataFrame()
        return shared.benchmark(self.ed.cache, self.ed.council.code, year, quarter=self.ed.quarter)

    @cached_property
    def headline_benchmark(self) -> pd.DataFrame:
        """The benchmark the headlines word (:func:`cscbook.models.benchmark.benchmark` at :attr:`referrals_year`),
        indexed by indicator; empty when no referrals are published yet."""
        year = self.referrals_year
        if year is None:
            return pd.DataFrame()
        bm = (self.scorecard if year == self.scorecard_year
              else shared.benchmark(self.ed.cache, self.ed.council.code, year, quarter=self.ed.quarter))
        return bm.set_index("indicator") if not bm.empty else bm

    @cached_property
    def flow(self) -> pd.DataFrame:
        """The front door's conversion rates (:func:`cscbook.models.benchmark.flow`, as known at the quarter): a row
        a rate and year, as a proportion (0 to 1), with the neighbours' median and England."""
        return shared.flow(self.ed.cache, self.ed.council.code, self.ed.quarter)

    # -------------------------------------------------------------------------------------------------
    # Every council: the event study, the annual forecasts and their backtest

    @cached_property
    def event_studies(self) -> dict:
        """Outcome name to :func:`cscbook.models.eventstudy.estimate`'s frame: the change in each outcome (in its
        own units, e.g. referrals per 10,000 children) relative to the year before an inadequate judgement."""
        return shared.event_studies(self.ed.cache)

    @cached_property
    def annual_forecasts(self) -> pd.DataFrame:
        """Every annual method's referral forecasts for every council and year to 31 March, with empirical 80% and
        95% intervals (referrals a year)."""
        return shared.annual_with_intervals(self.ed.cache)

    @cached_property
    def annual_backtest(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The annual methods' backtest over every council: (summary by method: MASE, bias in referrals a year,
        interval coverage; detail: a row a council, year and method)."""
        return shared.annual_backtest(self.ed.cache)

    @cached_property
    def council_annual_backtest(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """:attr:`annual_backtest` of the edition's council alone (summary, detail); empty when too few years."""
        return shared.annual_backtest(self.ed.cache, self.ed.council.code)

    @cached_property
    def annual_comparison(self) -> dict:
        """:func:`cscbook.models.annual.comparison` of the panel method with naive on the backtest's detail: the
        ratio of their MASEs, its 95% bootstrap interval, and the target years the panel method won."""
        return self.ed.cache.call(annual.comparison, self.annual_backtest[1])

    @cached_property
    def panel_oos(self) -> pd.DataFrame:
        """The panel model's out-of-sample annual forecasts, every council (referrals a year)."""
        return shared.panel_oos(self.ed.cache)

    @property
    def panel_fit(self):
        """The panel model's fit for a target year and penalty, through the cache (``fit(target, alpha)``), as
        :func:`cscbook.models.panelmodel.explain` takes it."""
        return partial(shared.panel_fit, self.ed.cache)

    @cached_property
    def panel_forecast(self) -> dict | None:
        """The council's annual referral forecast for the year after the latest published
        (:func:`cscbook.models.annual.council_forecast`: target year, panel forecast and 80% interval, naive), or
        None when no year is published yet."""
        last = self.referrals_year
        return annual.council_forecast(self.ed.council.code, last, self.panel_oos) if last else None

    @cached_property
    def funnels(self) -> dict:
        """Indicator to :class:`cscbook.models.funnel.Funnel`: the funnel plot of each scorecard indicator that
        funnels support and whose value is not suppressed, at the indicator's scorecard year."""
        card = self.scorecard
        if card.empty:
            return {}
        return {i: funnel.funnel(i, int(y), as_of=self.ed.quarter)
                for i, y, r in zip(card["indicator"], card["year"], card["rag"])
                if funnel.supported(i) and r != SUPPRESSED}

    # -------------------------------------------------------------------------------------------------
    # Track record and scenarios

    @cached_property
    def annual_track(self) -> pd.DataFrame:
        """The panel method's earlier annual referral forecasts of this council scored against the published counts
        known by the end of the quarter (:func:`cscbook.models.ledger.annual_track_record`)."""
        return ledger.annual_track_record(self.ed.council.code, "panel", as_of=self.ed.quarter.end,
                                          forecasts=self.annual_forecasts)

    @cached_property
    def earlier_editions_scored(self) -> pd.DataFrame | None:
        """The forecasts of this council's earlier editions (their ledgers in the editions folder) scored against
        what was known by the end of the quarter: the published annual referrals and, for the council's own monthly
        data, its months (:func:`cscbook.models.ledger.score`). None when no earlier edition has a ledger."""
        ed = self.ed
        earlier = ledger.read_ledgers(ed.editions_dir, ed.council.code, before=ed.quarter)
        if earlier.empty:
            return None
        obs = la_values("referrals", "referral_count", ed.quarter).xs(ed.council.code, level="old_la_code")
        monthly_obs = self.series.referrals if self.series is not None and not self.illustrative else None
        return ledger.score(earlier, monthly_obs, obs["value"].dropna(), ed.quarter.end)

    def scenarios(self) -> list:
        """The edition's what-if scenarios (:func:`cscbook.models.scenarios.for_edition`: its scenarios file or the
        default set); raises :class:`cscbook.core.errors.CSCBookError` for a scenario the edition cannot work out."""
        return scenarios.for_edition(self.ed)

    def compare(self, chosen: list):
        """The base case against each of ``chosen`` scenarios over the next twelve months
        (:class:`cscbook.models.scenarios.Comparison`), from the edition's forecast, staffing and calibrations."""
        ef, ec = self.monthly_forecast, self.capacity
        return scenarios.compare_scenarios(self.ed.quarter, self.ed.council.code, self.series.frame, ef.fc_all,
                                           chosen, ec.staffing, ef.calibration if ef.calibrated_ok else None,
                                           ec.stock_cal)
