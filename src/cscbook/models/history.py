"""What a monthly history of a given length supports, and the forecast chain every reader of an edition uses.

A council's own data may hold anything from one year of months to many. The forecast uses what the history
supports and says which and why, in plain English:

=============  ==========================================================================================
months         forecast
=============  ==========================================================================================
48 or more     the seasonal models (:data:`cscbook.models.forecast.MODELS`), each tested a year ahead after three
               years of training (rolling origins); the best by MASE makes the forecast
36 to 47       the same models (each calendar month seen three times), tested after two years of training
24 to 35       methods without seasonality (:data:`SHORT_MODELS`: last month's value, the mean of the last
               twelve months, exponential smoothing with a damped trend), tested a year ahead after one year
12 to 23       no test is possible: the mean of the last twelve months, with their spread as its uncertainty
=============  ==========================================================================================

"A year ahead" above is the nearest a test goes: every test runs on the referrals on today's recording basis
and as far ahead as the edition publishes (horizons 13 to 24 where the data end a year before the quarter),
where the history leaves origins for it (:func:`backtest_spec`). Where it has enough origins at the published
horizons, the chosen model's own errors there calibrate its intervals and correct its bias
(:mod:`cscbook.models.calibration`); where it has not, or no test is possible, the intervals are the model's own and
the page says so in a sentence.

:func:`monthly_forecast` runs the chain (backtest, choice, forecast, calibration, the next twelve months) for the
forecast chapter, the headlines, the scenarios, the capacity plan and the command line alike; the build computes
its backtest into the shared cache beforehand; :func:`next_year_sentences` words it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

import pandas as pd

from cscbook.core.quarters import Quarter, financial_year_label
from cscbook.data.releases import latest_year_published
from cscbook.models import annual, backtest, forecast, peaks, shared
from cscbook.models.calibration import Calibration, basis, overall, published_horizons
from cscbook.models.demand import horizon_for, monthly_series, next_year

#: months needed to test the seasonal models a year ahead after three years of training
SEASONAL_TESTED = 48
#: months for the seasonal models: every calendar month seen three times
SEASONAL_MIN = 36
#: months to test the non-seasonal methods a year ahead after a year of training
SHORT_TESTED = 24
#: the methods without seasonality for histories under :data:`SEASONAL_MIN` months
SHORT_MODELS = ("naive", "recent_mean", "ets_trend")

#: each method in plain English, as the page names it
METHOD_NAMES = {
    "naive": "last month's value",
    "seasonal_naive": "the same month a year earlier (seasonal naive)",
    "ets": "exponential smoothing with a damped trend and seasonality (ETS)",
    "sarimax": "a seasonal ARIMA model with calendar effects (SARIMAX)",
    "stl": "a seasonal decomposition with an ARIMA trend (STL)",
    "recent_mean": "the average of the last twelve months",
    "ets_trend": "exponential smoothing with a damped trend, without seasonality",
}


@dataclass(frozen=True)
class HistoryPlan:
    """The forecast a history of ``months`` months supports: the methods compared (``models``), the training
    months of their backtest (``min_train``; None: no backtest is possible), whether they are seasonal, the
    method used when there is no backtest, and why, in a sentence for the page."""

    months: int
    seasonal: bool
    models: tuple[str, ...]
    min_train: int | None
    default_model: str
    sentence: str

    @property
    def backtest_kwargs(self) -> dict:
        """Keyword arguments of :func:`cscbook.models.backtest.backtest_errors` beyond the models and the horizon (none
        for the standard seasonal backtest; :func:`backtest_spec` adds the horizon)."""
        if self.min_train is None or (self.seasonal and self.min_train == 36):
            return {}
        return {"min_train": self.min_train, "seasonal": self.seasonal}


def plan_for(months: int) -> HistoryPlan:
    """The :class:`HistoryPlan` for a history of ``months`` consecutive months (12 or more)."""
    n = int(months)
    if n >= SEASONAL_TESTED:
        return HistoryPlan(n, True, forecast.MODELS, 36, "seasonal_naive", (
            f"{n} months of referrals are enough for the seasonal models (each calendar month seen at least three "
            "times) and to test each of them on the past: trained on three years or more and asked to forecast "
            "the year after. The model that did best in that test makes the forecast."))
    if n >= SEASONAL_MIN:
        return HistoryPlan(n, True, forecast.MODELS, 24, "seasonal_naive", (
            f"{n} months of referrals are enough to fit the seasonal models (each calendar month seen three times) "
            "but not to test them a year ahead after three years of training, so the test below trains them on "
            "two years only, a year less than the forecast uses. The model that did best in that test makes the "
            "forecast; with a year or more of further data the test will be on the full footing."))
    if n >= SHORT_TESTED:
        return HistoryPlan(n, False, SHORT_MODELS, 12, "recent_mean", (
            f"{n} months of referrals: each calendar month has been seen only twice, too few times to tell a "
            "seasonal pattern from chance, so the forecast uses methods without seasonality (last month's value, "
            "the average of the last twelve months, and exponential smoothing with a damped trend), each tested "
            "on the past a year ahead after one year of training. The one that did best makes the forecast. It "
            "gives the expected level of referrals, not the month of the peak; with three years of months the "
            "seasonal models take over."))
    return HistoryPlan(n, False, ("recent_mean",), None, "recent_mean", (
        f"{n} months of referrals: too few to see a seasonal pattern or to test any method on a year it had not "
        "seen, so the forecast is the simplest honest one, the average of the last twelve months, with the "
        "spread of those months as its uncertainty. It gives the expected level of referrals, not the month of "
        "the peak; with two years of months the book tests simple methods against each other, and with three it "
        "uses seasonal models."))


# ---------------------------------------------------------------------------------------------------
# The methods without seasonality (fit_forecast dispatches here)


# ---------------------------------------------------------------------------------------------------
# The chain


@dataclass(frozen=True)
class BacktestSpec:
    """The rolling-origin backtest an edition's forecast is chosen and calibrated on: the referrals on today's
    recording basis (``y``), the methods compared and the keyword arguments of
    :func:`cscbook.models.backtest.backtest_errors` (the horizon and, for a short history, the training months)."""

    y: pd.Series
    models: tuple[str, ...]
    kwargs: dict


def backtest_spec(series, quarter, models=None) -> BacktestSpec | None:
    """The backtest of an edition's monthly series at ``quarter`` (None: the history is too short for any).

    What the history supports decides the methods (:func:`plan_for` of the series' length; ``models`` narrows
    them) and the training months of the test: the models train on the referrals on today's recording basis
    (:func:`cscbook.models.calibration.basis`: after a level shift with three years or more after it, those months
    only), so the test trains as that series' length allows. The test runs as far ahead as the edition publishes
    (:func:`cscbook.models.demand.horizon_for`: horizons 13 to 24 where the data end a year before the quarter), or as
    far as the history leaves origins for (the calibration then says it cannot calibrate). The build computes
    this same backtest into the shared cache (:func:`cscbook.build.batch._edition_results`).
    """
    plan = plan_for(len(series.referrals))
    y = basis(series.referrals)
    test = plan_for(len(y))  # as long as the series or, after a shift, three years or more: the same kind
    if test.min_train is None:
        return None
    horizon = min(horizon_for(series, quarter), max(12, len(y) - test.min_train))
    return BacktestSpec(y, methods(plan, models), {"horizon": horizon, **test.backtest_kwargs})


def methods(plan: HistoryPlan, models=None) -> tuple[str, ...]:
    """The methods compared: the plan's, narrowed to ``models`` where given (the plan's if none of them fits the
    history)."""
    return tuple(m for m in plan.models if models is None or m in models) or plan.models


@dataclass
class MonthlyForecast:
    """An edition's monthly forecast: what the history supports (``plan``), the backtest rows (``errors``,
    every method compared, horizons 1 to the furthest tested, on today's recording basis; empty when no backtest
    is possible) and their summary at the horizons scored (:attr:`scored_horizons`) with why each method is
    there, the method used (``model``), its own forecast from the month after the last complete month
    (``fc_all``) and for the twelve months after the quarter (``fc``), and the calibration of its intervals and
    bias from its own backtest errors at the horizons the edition publishes (``horizons``): ``calibrated`` is
    ``fc_all`` calibrated, or the model's own where it cannot be (:attr:`calibrated_ok`), ``coverage`` the
    calibrated intervals' out-of-sample coverage by published horizon."""

    plan: HistoryPlan
    errors: pd.DataFrame
    summary: pd.DataFrame
    model: str
    fc_all: pd.DataFrame
    fc: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    series: object = None              # cscbook.models.demand.MonthlySeries
    basis: pd.Series | None = None     # referrals on today's recording basis (the backtest's and the staffing's)
    horizons: range = range(1, 13)     # the published horizons
    calibration: object = None         # cscbook.models.calibration.Calibration of the model's errors there
    calibrated: pd.DataFrame | None = None
    coverage: pd.DataFrame | None = None

    @property
    def tested(self) -> bool:
        """Whether a backtest was possible (it has at least one row)."""
        return not self.errors.empty

    @property
    def method(self) -> str:
        """The method in plain English."""
        return METHOD_NAMES.get(self.model, self.model)

    @property
    def bias(self) -> float:
        """The method's mean backtest bias at the horizons scored (forecast minus actual, referrals a month; NaN
        untested)."""
        if self.summary.empty:
            return float("nan")
        return float(self.summary.set_index("model").at[self.model, "bias"])

    @property
    def last_month(self) -> pd.Period:
        """The last month of the monthly series the forecast starts from."""
        return self.series.frame.index.max()

    @property
    def reaches_published(self) -> bool:
        """The backtest scores the horizons the edition publishes (else only nearer ones: the history is short)."""
        return self.tested and bool(self.errors["horizon"].isin(list(self.horizons)).any())

    @property
    def scored_errors(self) -> pd.DataFrame:
        """The backtest rows the methods are compared on: those at the published horizons where the backtest
        reaches them, else all of them."""
        if self.reaches_published:
            return self.errors[self.errors["horizon"].isin(list(self.horizons))]
        return self.errors

    @property
    def scored_horizons(self) -> list[int]:
        """The horizons (months ahead) of :attr:`scored_errors`, in order; empty when untested."""
        e = self.scored_errors
        return sorted(e["horizon"].unique().tolist()) if not e.empty else []

    @property
    def calibrated_ok(self) -> bool:
        """The intervals and the bias correction come from the model's own errors (enough backtest origins at
        the published horizons)."""
        return self.calibration is not None and self.calibration.usable

    @property
    def shown(self) -> pd.DataFrame:
        """The forecast the page shows and plans on, every month: calibrated where it can be, else the model's own
        (mean and bounds)."""
        return self.calibrated[["mean", "lower_80", "upper_80", "lower_95", "upper_95"]]

    @property
    def planned(self) -> pd.DataFrame:
        """:attr:`shown` for the twelve months after the quarter: the levels planned on."""
        return self.shown.loc[self.fc.index]

    def sentence(self) -> str:
        """How far ahead the edition forecasts and how its intervals were made, in plain words."""
        h0, h1 = self.horizons[0], self.horizons[-1]
        first = self.last_month + h0
        ahead = (f"The data end in {self.last_month:%B %Y}, so the twelve months planned for ({first:%B %Y} to "
                 f"{self.last_month + h1:%B %Y}) are {h0} to {h1} months ahead of the last month known")
        if not self.tested:
            return (ahead + ". No backtest is possible with a history this short, so the interval is the method's "
                    "own and no bias is taken off.")
        if not self.calibrated_ok:
            n = self.calibration.origins if self.calibration is not None else 0
            own = ("they are the model's own, which ran too narrow in past backtests" if self.plan.seasonal
                   else "they are the method's own")
            return (ahead + f". The backtest has {'no' if n == 0 else 'only ' + str(n)} forecast origin"
                    f"{'' if n == 1 else 's'} at those horizons, too few to calibrate the intervals: {own}, and no "
                    "bias is taken off.")
        o = overall(self.coverage)
        scored = (f"; scored on the backtest origins left out in turn, they held the actual month in "
                  f"{o['coverage_80']:.0%} of cases at 80% and {o['coverage_95']:.0%} at 95%, and the corrected "
                  f"forecast was off by {o['bias_pct']:+.0f}% of the level on average"
                  if o["n"] else "; too few origins are left to score them out of sample")
        return (ahead + f". Intervals and the bias correction come from the {self.model} model's own errors at "
                f"those horizons in the backtest ({self.calibration.origins} origins){scored}.")


def why_kept_short(summary: pd.DataFrame) -> pd.DataFrame:
    """``summary`` of the methods without seasonality with a column ``why_kept`` (as
    :func:`cscbook.models.backtest.why_kept` does for the seasonal models; their MASE scale is last month's value)."""
    out = summary.copy()
    best = backtest.best_model(summary)
    plain = {"naive": "the simplest benchmark (MASE scale)", "recent_mean": "the average of the last twelve months",
             "ets_trend": "exponential smoothing with a damped trend, no seasonality"}
    out["why_kept"] = ["best in this backtest" if m == best else plain.get(m, m) for m in out["model"]]
    return out


def monthly_forecast(series, quarter, cache=None, models=None) -> MonthlyForecast:
    """The whole monthly chain for an edition's :class:`cscbook.models.demand.MonthlySeries` at ``quarter``: the one
    the forecast chapter, the headlines, the scenarios, the capacity plan and the command line read.

    The history's length decides the methods (:func:`plan_for`; ``models`` narrows them) and whether a backtest
    is possible (:func:`backtest_spec`). Where it is, each method is tested at the horizons the edition
    publishes (or, for a short history, as far as it allows) and the best by MASE there makes the forecast;
    else the plan's default method. The forecast runs from the month after the series' last (complete) month to
    twelve months after the quarter's end. Where the backtest has enough origins at the published horizons the
    model's own errors there calibrate its intervals and correct its bias (:mod:`cscbook.models.calibration`); else the
    intervals are the model's own, and :meth:`MonthlyForecast.sentence` says so. ``cache``: the edition's
    :class:`cscbook.core.cache.SharedCache` (the chapters, headlines and build share one result), or None.
    """
    y = series.referrals
    plan = plan_for(len(y))
    spec = backtest_spec(series, quarter, models)
    if spec is None:
        errors = pd.DataFrame()
    elif cache is not None:
        errors = shared.monthly_backtest(cache, spec.y, models=spec.models, **spec.kwargs)
    else:
        errors = backtest.backtest_errors(spec.y, models=spec.models, **spec.kwargs)
    last = series.frame.index.max()
    horizons = published_horizons(last, quarter)
    result = MonthlyForecast(plan, errors, pd.DataFrame(), plan.default_model, pd.DataFrame(), pd.DataFrame(),
                             [plan.sentence], series, basis(y), horizons)
    if not errors.empty:
        raw = backtest.summarise(result.scored_errors)
        result.summary = backtest.why_kept(raw) if plan.seasonal else why_kept_short(raw)
        result.model = backtest.best_model(result.summary)
    else:
        allowed = methods(plan, models)
        result.model = plan.default_model if plan.default_model in allowed else allowed[0]
    fit = partial(shared.monthly_forecast, cache) if cache is not None else forecast.fit_forecast
    result.fc_all = fit(y, result.model, horizon_for(series, quarter))
    result.fc = next_year(result.fc_all, quarter)
    # calibrated only where the backtest reaches the published horizons, with enough origins there
    cal = Calibration.from_backtest(errors if result.reaches_published else pd.DataFrame(), result.model)
    result.calibration = cal
    if cal.usable:
        result.calibrated = cal.apply(result.fc_all, last)
        coverage = cal.coverage(horizons)
        own = result.scored_errors[result.scored_errors["model"] == result.model]
        model_cov = own.groupby("horizon").apply(
            lambda g: backtest.coverage(g["actual"], g["lower_80"], g["upper_80"]), include_groups=False)
        coverage["model_coverage_80"] = coverage["horizon"].map(model_cov)
        result.coverage = coverage
    else:
        calibrated = result.fc_all.copy()
        calibrated.insert(0, "horizon", [(m - last).n for m in result.fc_all.index])
        calibrated.insert(1, "model_mean", result.fc_all["mean"])
        result.calibrated = calibrated
        result.coverage = pd.DataFrame(columns=["horizon", "coverage_80", "coverage_95", "bias", "level", "bias_pct",
                                                "n", "model_coverage_80"])
    return result


def next_year_sentences(result: MonthlyForecast) -> list[str]:
    """What the forecast page says about the next twelve months, in plain English (markdown bold).

    Seasonal: the likeliest peak month, how likely, the trough and the peak-to-trough ratio, from the model's own
    forecast (its calibrated errors are mostly of the level, shared by the months, so the shape is the model's);
    then, where the intervals are calibrated, the peak month's corrected forecast and interval, else the backtest
    bias with the peak month corrected for it. Without seasonality: the expected monthly level over the year with
    its interval (calibrated where it can be), and that the method does not say which month will peak.
    """
    fc = result.fc
    if result.plan.seasonal and result.tested:
        pk = peaks.peaks(fc)
        st = peaks.peak_statement_inputs(fc, result.scored_errors, result.model)
        peak = pd.Period(st.peak_month, freq="M")
        out = [f"Likeliest peak month: **{peak:%B %Y}**, the highest month in "
               f"{st.peak_probability:.0%} of simulated years (next likeliest "
               f"{pd.Period(st.runner_up_month, freq='M'):%B %Y}, {st.runner_up_probability:.0%}); expected trough "
               f"{pd.Period(pk.trough_month, freq='M'):%B %Y}. The peak month is expected to have about "
               f"{pk.ratio:.2f} times the referrals of the quietest month (80% interval {pk.ratio_low:.2f} to "
               f"{pk.ratio_high:.2f})."]
        if result.calibrated_ok:
            planned = result.planned
            out.append(f"The forecast shown is corrected: the {result.model} model's own forecast for {peak:%B %Y} was "
                       f"{st.peak_mean:,.0f} referrals; with its median error at that horizon in the backtest taken "
                       f"off it is {planned.at[peak, 'mean']:,.0f} (80% interval {planned.at[peak, 'lower_80']:,.0f} "
                       f"to {planned.at[peak, 'upper_80']:,.0f}).")
            return out
        direction = "high" if st.bias_per_month > 0 else "low"
        out.append(f"In the backtest the {result.model} model ran {direction} by about {abs(st.bias_per_month):,.0f} "
                   f"referrals a month; with that bias taken off, the peak month would be about "
                   f"{st.adjusted_mean:,.0f} referrals (80% interval {st.adjusted_lower_80:,.0f} to "
                   f"{st.adjusted_upper_80:,.0f}) rather than {st.peak_mean:,.0f}.")
        return out
    if result.plan.seasonal:  # not tested (no origin left by the months the models train on)
        pk = peaks.peaks(fc)
        return [f"Likeliest peak month: **{pd.Period(pk.peak_month, freq='M'):%B %Y}**, the highest month in "
                f"{pk.peak_probability:.0%} of simulated years; expected trough "
                f"{pd.Period(pk.trough_month, freq='M'):%B %Y}. The peak month is expected to have about "
                f"{pk.ratio:.2f} times the referrals of the quietest month (80% interval {pk.ratio_low:.2f} to "
                f"{pk.ratio_high:.2f}).",
                "No backtest was possible, so how well this model forecasts this council is not yet known."]
    planned = result.planned
    level = planned["mean"].mean()
    lo, hi = planned["lower_80"].mean(), planned["upper_80"].mean()
    first, last = planned.index.min(), planned.index.max()
    out = [f"Forecast by {result.method}: about **{level:,.0f} referrals a month** from {first:%B %Y} to "
           f"{last:%B %Y} (80% interval {lo:,.0f} to {hi:,.0f} in a typical month), about "
           f"{planned['mean'].sum():,.0f} in the twelve months. Without seasonality the forecast does not say which "
           "month will be busiest."]
    if result.tested:
        b = result.bias
        if round(abs(b)) == 0:
            out.append("In the backtest this method ran neither high nor low on average (within one referral a "
                       "month).")
        else:
            out.append(f"In the backtest this method ran {'high' if b > 0 else 'low'} by about {abs(b):,.0f} "
                       "referrals a month.")
    else:
        out.append("No backtest was possible, so how well this method forecasts this council is not yet known.")
    return out


def forecast_table(code: str, quarter: Quarter, monthly: str | None = None, models=None) -> pd.DataFrame:
    """Rows: period, model, mean, lower_80, upper_80, lower_95, upper_95, basis, for council ``code`` (resolved).
    ``models``: default, the methods the history supports (:func:`cscbook.models.history.plan_for`)."""
    series = monthly_series(code, quarter, monthly)
    models = models or plan_for(len(series.referrals)).models
    rows = []
    horizon = horizon_for(series, quarter)
    for model in models:
        fc = forecast.fit_forecast(series.referrals, model, horizon)
        for month, r in fc.iterrows():
            rows.append(dict(period=str(month), model=model, **{k: float(r[k]) for k in fc.columns},
                             basis=series.basis))
    last = latest_year_published("referrals", quarter)
    fc_all = annual.add_intervals(annual.all_forecasts(last_target=last))
    target = fc_all[(fc_all["old_la_code"] == code) & (fc_all["year"] == last + 1)]
    for _, r in target.iterrows():
        if pd.isna(r["forecast"]):
            continue
        rows.append(dict(period=financial_year_label(last), model=f"annual_{r['method']}",
                         mean=r["forecast"], lower_80=r["lower_80"], upper_80=r["upper_80"],
                         lower_95=r["lower_95"], upper_95=r["upper_95"], basis="official annual panel"))
    return pd.DataFrame(rows)
