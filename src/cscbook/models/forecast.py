"""Monthly referral forecasts with statsmodels: the models, fitted only on data up to the forecast origin.

``naive``            last month's value
``seasonal_naive``   the value twelve months earlier
``ets``              ETSModel, additive error, damped additive trend, additive seasonality
``sarimax``          SARIMA(1,0,0)(0,1,1)12 with calendar regressors: working days, the share of working days
                     in (typical) school holidays, and the pandemic intervention (log of the
                     documented 2020-21 factor)
``stl``              STLForecast: STL seasonal decomposition, ARIMA(1,1,0) with drift on the adjusted series

and, for short histories, two methods without seasonality (:func:`fit_short`): ``recent_mean`` and ``ets_trend``.

Intervals: model-based for ets, sarimax and stl; for the naive models from the in-sample residuals,
normal, widening with the square root of the horizon (naive) or the number of seasons (seasonal naive).

Level shifts: before any model is fitted, :func:`cscbook.models.levelshift.prepare` looks for abrupt level shifts
(recording changes, new front doors) in the training series and either trains after the last one or rescales the
months before each shift to the level after it.

SARIMAX is estimated on the seasonally differenced series with the scale concentrated out of the likelihood
and no parameter covariance (the forecast intervals come from the state-space filter, not from the
parameters' standard errors), then filtered once in its full form: the same estimates in about half the time
(see ``_fit_sarimax`` and ``scripts/bench_forecast.py``).

The backtests are in :mod:`cscbook.models.backtest`, seasonal peaks in :mod:`cscbook.models.peaks` and the
reconciliation with the annual forecast in :mod:`cscbook.models.reconcile`.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd

from cscbook.core.calendar_england import month_calendar
from cscbook.data.illustrative import pandemic_factors
from cscbook.models.levelshift import prepare
from cscbook.models.normal import Z

MODELS = ("naive", "seasonal_naive", "ets", "sarimax", "stl")
LEVELS = (80, 95)


def _exog(index: pd.PeriodIndex) -> pd.DataFrame:
    cal = month_calendar(str(index.min()), str(index.max())).reindex(index)
    pf = pandemic_factors().reindex(index).fillna(1.0)
    return pd.DataFrame(
        {"working_days": cal["working_days"].astype(float),
         "school_holiday_share": cal["school_holiday_share"].astype(float),
         "pandemic": np.log(pf.astype(float))},
        index=index,
    )


def _frame(index, mean, sd=None, lower=None, upper=None) -> pd.DataFrame:
    """Forecast frame; counts cannot be negative, so means and bounds are floored at zero."""
    out = pd.DataFrame({"mean": np.asarray(mean, dtype=float)}, index=index)
    for level in LEVELS:
        if sd is not None:
            out[f"lower_{level}"] = out["mean"] - Z[level] * np.asarray(sd)
            out[f"upper_{level}"] = out["mean"] + Z[level] * np.asarray(sd)
        else:
            out[f"lower_{level}"] = np.asarray(lower[level], dtype=float)
            out[f"upper_{level}"] = np.asarray(upper[level], dtype=float)
    return out.clip(lower=0.0)


SARIMAX_ORDER, SARIMAX_SEASONAL = (1, 0, 0), (0, 1, 1, 12)
#: ETS's starting states (level, trend, the twelve seasonal terms) from the data by the classical heuristic
#: (Hyndman et al. 2008), not estimated: the optimiser then fits the four smoothing and damping parameters only.
#: Estimated with the states, seventeen parameters on finite-difference gradients, the fit stopped at points that
#: moved with the last bits of the data (a change of one part in 10^12 moved the backtest's bias by 1.5 referrals a
#: month), so results depended on the machine's arithmetic; with these the published figures do not move.
ETS_INITIALIZATION = "heuristic"
#: L-BFGS-B run to a tight optimum (projected gradient 1e-9, relative improvement 10 machine epsilons), so that where
#: it stops does not depend on the path rounding takes
ETS_TOLERANCE = {"pgtol": 1e-9, "factr": 10}
#: SARIMAX's L-BFGS likewise run to a tight optimum: at the default tolerance the backtest's bias moved in its second
#: decimal with the last bits of the data
SARIMAX_TOLERANCE = {"pgtol": 1e-8, "factr": 100}


def _statsmodels():
    """The model classes, imported when a model is first fitted (a process that only summarises forecasts, such as
    a chapter's kernel reading them from the cache, never loads statsmodels). Called before any catch_warnings
    block: statsmodels installs an "always" filter for ConvergenceWarning when first imported, which the blocks
    must then override."""
    from statsmodels.tsa.arima.model import ARIMA
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel
    from statsmodels.tsa.forecasting.stl import STLForecast
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    return ARIMA, ETSModel, STLForecast, SARIMAX


def _fit_sarimax(y: pd.Series, x: pd.DataFrame):
    """SARIMAX fitted fast, with the same estimates as the plain fit.

    The parameters are estimated on the seasonally differenced series (``simple_differencing``: a smaller
    state vector) with the scale concentrated out, by L-BFGS, without their covariance matrix; then the full
    model (differencing inside the state, so forecasts and intervals are of referrals themselves) is run
    once through the Kalman filter with those parameters. Where that filter cannot be initialised (estimates
    at the edge of the stationary region, seen on short small-count series) the plain full fit is used instead.
    """
    SARIMAX = _statsmodels()[3]
    kwargs = dict(exog=x, order=SARIMAX_ORDER, seasonal_order=SARIMAX_SEASONAL, concentrate_scale=True)
    try:
        fast = SARIMAX(y, simple_differencing=True, **kwargs).fit(disp=False, method="lbfgs", maxiter=100, **SARIMAX_TOLERANCE,
                                                                  cov_type="none")
        return SARIMAX(y, **kwargs).filter(fast.params, cov_type="none")
    except np.linalg.LinAlgError:
        # estimates at the edge of the stationary region (short, small-count series): the plain full fit
        return SARIMAX(y, exog=x, order=SARIMAX_ORDER, seasonal_order=SARIMAX_SEASONAL).fit(disp=False, maxiter=200)


def fit_forecast(y: pd.Series, model: str, horizon: int = 12, level_shifts: bool = True) -> pd.DataFrame:
    """Forecast ``horizon`` months after the end of ``y`` (monthly PeriodIndex) with one model.

    Returns a frame indexed by month with mean, lower_80, upper_80, lower_95, upper_95. Uses nothing but
    ``y`` and the calendar, so a forecast made at an origin cannot see later data. With ``level_shifts``
    (the default) the model is fitted on :func:`cscbook.models.levelshift.prepare` (y).series.
    """
    y = y.astype(float)
    if level_shifts:
        y = prepare(y).series
    future = pd.period_range(y.index[-1] + 1, periods=horizon, freq="M")
    h = np.arange(1, horizon + 1)
    if model == "naive":
        resid = y.diff().dropna()
        sd = resid.std(ddof=1) * np.sqrt(h)
        return _frame(future, np.repeat(y.iloc[-1], horizon), sd)
    if model in ("recent_mean", "ets_trend"):  # the methods without seasonality, for short histories

        return fit_short(y, model, horizon)
    if model == "seasonal_naive":
        resid = (y - y.shift(12)).dropna()
        mean = [y.iloc[-12 + ((i - 1) % 12)] for i in h]
        sd = resid.std(ddof=1) * np.sqrt(np.floor((h - 1) / 12) + 1)
        return _frame(future, mean, sd)
    ARIMA, ETSModel, STLForecast, _ = _statsmodels()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if model == "ets":
            res = ETSModel(y, error="add", trend="add", damped_trend=True, seasonal="add", seasonal_periods=12,
                           initialization_method=ETS_INITIALIZATION).fit(disp=False, maxiter=1000, **ETS_TOLERANCE)
            pred = res.get_prediction(start=len(y), end=len(y) + horizon - 1)
            frames = {lv: pred.summary_frame(alpha=1 - lv / 100) for lv in LEVELS}
            mean = frames[80]["mean"].to_numpy()
            return _frame(future, mean, lower={lv: f["pi_lower"] for lv, f in frames.items()},
                          upper={lv: f["pi_upper"] for lv, f in frames.items()})
        if model == "sarimax":
            x = _exog(y.index)
            x = x.loc[:, (x != 0).any()]  # a regressor that is zero throughout (no lockdown months) is left out
            res = _fit_sarimax(y, x)
            fc = res.get_forecast(horizon, exog=_exog(future)[x.columns])
            bands = {lv: fc.conf_int(alpha=1 - lv / 100) for lv in LEVELS}
            return _frame(future, fc.predicted_mean, lower={lv: b.iloc[:, 0] for lv, b in bands.items()},
                          upper={lv: b.iloc[:, 1] for lv, b in bands.items()})
        if model == "stl":
            res = STLForecast(y, ARIMA, model_kwargs={"order": (1, 1, 0), "trend": "t"}, period=12,
                              robust=True).fit()
            pred = res.get_prediction(start=len(y), end=len(y) + horizon - 1)
            frames = {lv: pred.summary_frame(alpha=1 - lv / 100) for lv in LEVELS}
            return _frame(future, frames[80]["mean"], lower={lv: f["mean_ci_lower"] for lv, f in frames.items()},
                          upper={lv: f["mean_ci_upper"] for lv, f in frames.items()})
    raise ValueError(f"unknown model {model!r}; choose from {', '.join(MODELS)}")


#: the months the mean of recent months averages
RECENT = 12


def fit_short(y: pd.Series, model: str, horizon: int) -> pd.DataFrame:
    """Forecast ``horizon`` months after ``y`` by a method without seasonality (``recent_mean`` or ``ets_trend``),
    as :func:`cscbook.models.forecast.fit_forecast` returns it.

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
        return _frame(future, np.repeat(float(recent.mean()), horizon), np.repeat(sd, horizon))
    if model == "ets_trend":
        import warnings

        ETSModel = _statsmodels()[1]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = ETSModel(y, error="add", trend="add", damped_trend=True, initialization_method=ETS_INITIALIZATION).fit(
                disp=False, maxiter=1000, **ETS_TOLERANCE)  # as the seasonal ETS: the same on every machine
            pred = res.get_prediction(start=len(y), end=len(y) + horizon - 1)
            frames = {lv: pred.summary_frame(alpha=1 - lv / 100) for lv in LEVELS}
        return _frame(future, frames[80]["mean"].to_numpy(),
                               lower={lv: f["pi_lower"] for lv, f in frames.items()},
                               upper={lv: f["pi_upper"] for lv, f in frames.items()})
    raise ValueError(f"unknown model {model!r}")
