"""What a monthly history of a given length supports, and the forecast chain every reader of an edition uses.

A council's own data may hold anything from one year of months to many. The forecast uses what the history
supports and says which and why, in plain English:

=============  ==========================================================================================
months         forecast
=============  ==========================================================================================
48 or more     the seasonal models (:data:`cscbook.forecast.MODELS`), each tested a year ahead after three
               years of training (rolling origins); the best by MASE makes the forecast
36 to 47       the same models (each calendar month seen three times), tested after two years of training
24 to 35       methods without seasonality (:data:`SHORT_MODELS`: last month's value, the mean of the last
               twelve months, exponential smoothing with a damped trend), tested a year ahead after one year
12 to 23       no test is possible: the mean of the last twelve months, with their spread as its uncertainty
=============  ==========================================================================================

:func:`monthly_forecast` runs the chain (backtest, choice, forecast, the next twelve months) for the forecast
chapter, the headlines, the scenarios and the command line alike; :func:`next_year_sentences` words it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import forecast

#: months needed to test the seasonal models a year ahead after three years of training
SEASONAL_TESTED = 48
#: months for the seasonal models: every calendar month seen three times
SEASONAL_MIN = 36
#: months to test the non-seasonal methods a year ahead after a year of training
SHORT_TESTED = 24
#: the methods without seasonality for histories under :data:`SEASONAL_MIN` months
SHORT_MODELS = ("naive", "recent_mean", "ets_trend")
#: the months the mean of recent months averages
RECENT = 12

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
        """Keyword arguments of :func:`cscbook.forecast.backtest_errors` beyond the models (none for the standard
        seasonal backtest, so that its cached results keep their keys)."""
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


def fit_short(y: pd.Series, model: str, horizon: int) -> pd.DataFrame:
    """Forecast ``horizon`` months after ``y`` by a method without seasonality (``recent_mean`` or ``ets_trend``),
    as :func:`cscbook.forecast.fit_forecast` returns it.

    ``recent_mean``: the mean of the last :data:`RECENT` months (all, if fewer), the same for every month ahead;
    its interval is that of a new month drawn like those months (their standard deviation times
    sqrt(1 + 1/k), normal). ``ets_trend``: ETSModel with additive error and a damped additive trend, no
    seasonality, with its model-based intervals.
    """
    future = pd.period_range(y.index[-1] + 1, periods=horizon, freq="M")
    if model == "recent_mean":
        recent = y.iloc[-RECENT:]
        k = len(recent)
        sd = float(recent.std(ddof=1)) * math.sqrt(1 + 1 / k) if k > 1 else float("nan")
        return forecast._frame(future, np.repeat(float(recent.mean()), horizon), np.repeat(sd, horizon))
    if model == "ets_trend":
        import warnings

        ETSModel = forecast._statsmodels()[1]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = ETSModel(y, error="add", trend="add", damped_trend=True, initialization_method=forecast.ETS_INITIALIZATION).fit(
                disp=False, maxiter=1000, **forecast.ETS_TOLERANCE)  # as the seasonal ETS: the same on every machine
            pred = res.get_prediction(start=len(y), end=len(y) + horizon - 1)
            frames = {lv: pred.summary_frame(alpha=1 - lv / 100) for lv in forecast.LEVELS}
        return forecast._frame(future, frames[80]["mean"].to_numpy(),
                               lower={lv: f["pi_lower"] for lv, f in frames.items()},
                               upper={lv: f["pi_upper"] for lv, f in frames.items()})
    raise ValueError(f"unknown model {model!r}")


def naive_scale(train: pd.Series) -> float:
    """MASE denominator without seasonality: in-sample mean absolute error of last month's value (lag 1)."""
    return float(train.diff().dropna().abs().mean())


# ---------------------------------------------------------------------------------------------------
# The chain


@dataclass
class MonthlyForecast:
    """An edition's monthly forecast: what the history supports (``plan``), the backtest rows (``errors``,
    empty when none is possible) and their summary with why each method is there, the method used
    (``model``), its forecast from the month after the last complete month (``fc_all``) and the twelve months
    after the quarter (``fc``)."""

    plan: HistoryPlan
    errors: pd.DataFrame
    summary: pd.DataFrame
    model: str
    fc_all: pd.DataFrame
    fc: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    @property
    def tested(self) -> bool:
        return not self.errors.empty

    @property
    def method(self) -> str:
        """The method in plain English."""
        return METHOD_NAMES.get(self.model, self.model)

    @property
    def bias(self) -> float:
        """The method's mean backtest bias (forecast minus actual, referrals a month; NaN untested)."""
        if self.summary.empty:
            return float("nan")
        return float(self.summary.set_index("model").at[self.model, "bias"])


def why_kept_short(summary: pd.DataFrame) -> pd.DataFrame:
    """``summary`` of the methods without seasonality with a column ``why_kept`` (as
    :func:`cscbook.forecast.why_kept` does for the seasonal models; their MASE scale is last month's value)."""
    out = summary.copy()
    best = forecast.best_model(summary)
    plain = {"naive": "the simplest benchmark (MASE scale)", "recent_mean": "the average of the last twelve months",
             "ets_trend": "exponential smoothing with a damped trend, no seasonality"}
    out["why_kept"] = ["best in this backtest" if m == best else plain.get(m, m) for m in out["model"]]
    return out


def monthly_forecast(series, quarter, cache=None) -> MonthlyForecast:
    """The whole monthly chain for an edition's :class:`cscbook.demand.MonthlySeries` at ``quarter``.

    The history's length decides the methods (:func:`plan_for`); where a backtest is possible each method is
    tested and the best by MASE makes the forecast, else the plan's default method. The forecast runs from
    the month after the series' last (complete) month to twelve months after the quarter's end. ``cache``: the
    edition's :class:`cscbook.cache.SharedCache` (the chapters, headlines and build share one result), or None.
    """
    from .demand import horizon_for, next_year

    y = series.referrals
    plan = plan_for(len(y))
    if plan.min_train is not None:
        kwargs = plan.backtest_kwargs
        if cache is not None:
            errors = cache.monthly_backtest(y, models=plan.models, **kwargs)
        else:
            errors = forecast.backtest_errors(y, models=plan.models, **kwargs)
    else:
        errors = pd.DataFrame()
    if errors.empty:
        summary, model = pd.DataFrame(), plan.default_model
    else:
        raw = forecast.summarise(errors)
        summary = forecast.why_kept(raw) if plan.seasonal else why_kept_short(raw)
        model = forecast.best_model(summary)
    horizon = horizon_for(series, quarter)
    fit = cache.monthly_forecast if cache is not None else forecast.fit_forecast
    fc_all = fit(y, model, horizon)
    notes = [plan.sentence]
    return MonthlyForecast(plan, errors, summary, model, fc_all, next_year(fc_all, quarter), notes)


def next_year_sentences(result: MonthlyForecast) -> list[str]:
    """What the forecast page says about the next twelve months, in plain English (markdown bold).

    Seasonal: the likeliest peak month, how likely, the trough, the peak-to-trough ratio, and the backtest
    bias with the peak month corrected for it. Without seasonality: the expected monthly level over the year
    with its interval, and that the method does not say which month will peak.
    """
    fc = result.fc
    if result.plan.seasonal:
        pk = forecast.peaks(fc)
        st = forecast.peak_statement_inputs(fc, result.errors, result.model)
        out = [f"Likeliest peak month: **{pd.Period(st.peak_month, freq='M'):%B %Y}**, the highest month in "
               f"{st.peak_probability:.0%} of simulated years (next likeliest "
               f"{pd.Period(st.runner_up_month, freq='M'):%B %Y}, {st.runner_up_probability:.0%}); expected trough "
               f"{pd.Period(pk.trough_month, freq='M'):%B %Y}. The peak month is expected to have about "
               f"{pk.ratio:.2f} times the referrals of the quietest month (80% interval {pk.ratio_low:.2f} to "
               f"{pk.ratio_high:.2f})."]
        direction = "high" if st.bias_per_month > 0 else "low"
        out.append(f"In the backtest the {result.model} model ran {direction} by about {abs(st.bias_per_month):,.0f} "
                   f"referrals a month; with that bias taken off, the peak month would be about "
                   f"{st.adjusted_mean:,.0f} referrals (80% interval {st.adjusted_lower_80:,.0f} to "
                   f"{st.adjusted_upper_80:,.0f}) rather than {st.peak_mean:,.0f}.")
        return out
    level = fc["mean"].mean()
    lo, hi = fc["lower_80"].mean(), fc["upper_80"].mean()
    first, last = fc.index.min(), fc.index.max()
    out = [f"Forecast by {result.method}: about **{level:,.0f} referrals a month** from {first:%B %Y} to "
           f"{last:%B %Y} (80% interval {lo:,.0f} to {hi:,.0f} in a typical month), about {fc['mean'].sum():,.0f} "
           "in the twelve months. Without seasonality the forecast does not say which month will be busiest."]
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
