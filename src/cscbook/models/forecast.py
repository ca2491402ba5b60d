"""Monthly referral forecasts with statsmodels, honest rolling-origin backtests, seasonal peaks, capacity.

Models (all fitted only on data up to the forecast origin):

``naive``            last month's value
``seasonal_naive``   the value twelve months earlier
``ets``              ETSModel, additive error, damped additive trend, additive seasonality
``sarimax``          SARIMA(1,0,0)(0,1,1)12 with calendar regressors: working days, the share of working days
                     in (typical) school holidays, and the pandemic intervention (log of the
                     documented 2020-21 factor)
``stl``              STLForecast: STL seasonal decomposition, ARIMA(1,1,0) with drift on the adjusted series

Intervals: model-based for ets, sarimax and stl; for the naive models from the in-sample residuals,
normal, widening with the square root of the horizon (naive) or the number of seasons (seasonal naive).

Level shifts: before any model is fitted, :func:`prepare` looks for abrupt level shifts (recording changes,
new front doors) in the training series and either trains after the last one or rescales the months before
each shift to the level after it; :class:`Prepared` says which, in a sentence for the page.

SARIMAX is estimated on the seasonally differenced series with the scale concentrated out of the likelihood
and no parameter covariance (the forecast intervals come from the state-space filter, not from the
parameters' standard errors), then filtered once in its full form: the same estimates in about half the time
(see ``_fit_sarimax`` and ``scripts/bench_forecast.py``).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from cscbook.core.calendar_england import month_calendar
from cscbook.data.illustrative import pandemic_factors

MODELS = ("naive", "seasonal_naive", "ets", "sarimax", "stl")
LEVELS = (80, 95)
Z = {80: stats.norm.ppf(0.9), 95: stats.norm.ppf(0.975)}


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


# ---------------------------------------------------------------------------------------------------
# Level shifts

SHIFT_WINDOW = 12          # months each side of a candidate shift: one of each calendar month, so seasons cancel
SHIFT_MIN_RATIO = 1.25     # a shift is a step of at least 25% (the ratio cscbook.models.breaks uses for annual recording changes)
SHIFT_MIN_SE = 4.0         # ... and at least four standard errors of the step statistic
TRAIN_AFTER_MIN = 36       # months after the last shift needed to train on them alone (the seasonal models' minimum)


@dataclass(frozen=True)
class Prepared:
    """The series the models are fitted on, and what was done to the original to get it.

    ``action`` is ``"none"`` (no shift found), ``"train_after"`` (only the months from ``shift_month`` on are
    used) or ``"adjust"`` (the months before each shift rescaled by its estimated step, so that the whole
    history is at the level after the last shift). ``shifts`` maps each shift month to its step ratio (after /
    before); ``shift_month`` is the last one.
    """

    series: pd.Series
    shift_month: pd.Period | None
    action: str
    sentence: str
    shifts: tuple[tuple[pd.Period, float], ...] = ()


def _step_statistic(z: np.ndarray, w: int = SHIFT_WINDOW) -> np.ndarray:
    """D[k] = mean(z[k:k+w]) - mean(z[k-w:k]) for every k with w values each side (NaN elsewhere)."""
    n = len(z)
    c = np.concatenate([[0.0], np.cumsum(z)])
    d = np.full(n, np.nan)
    for k in range(w, n - w + 1):
        d[k] = (c[k + w] - c[k]) / w - (c[k] - c[k - w]) / w
    return d


def detect_shifts(y: pd.Series, w: int = SHIFT_WINDOW, min_ratio: float = SHIFT_MIN_RATIO,
                  min_se: float = SHIFT_MIN_SE) -> list[tuple[pd.Period, float]]:
    """Abrupt level shifts in a monthly count series: [(first month at the new level, ratio after/before)].

    Rule, on z = log(max(y, 1)): the step statistic D[k] is the mean of z over the ``w`` months from k less
    its mean over the ``w`` months before k (each window holds every calendar month once, so seasonality
    cancels). Shifts are taken greedily: the k with the largest |D[k]|, if |D[k]| is at least
    log(``min_ratio``) and at least ``min_se`` standard errors (sigma * sqrt(2 / w), sigma the robust
    spread of the year-on-year log changes over sqrt 2); then no other shift within ``w`` months of it; and
    so on. A shift can be seen once ``w`` months after it are known. A steady trend of 25% a year or more
    would also be read as shifts; a step that size in one month is almost always a change in recording.
    """
    z = np.log(np.maximum(y.to_numpy(dtype=float), 1.0))
    d = _step_statistic(z, w)
    if np.all(np.isnan(d)):
        return []
    yoy = z[12:] - z[:-12]
    sigma = 1.4826 * float(np.median(np.abs(yoy - np.median(yoy)))) / math.sqrt(2) if len(yoy) else 0.0
    threshold = max(math.log(min_ratio), min_se * sigma * math.sqrt(2 / w))
    free = ~np.isnan(d)
    found = []
    while free.any():
        k = int(np.nanargmax(np.where(free, np.abs(d), -np.inf)))
        if abs(d[k]) < threshold:
            break
        found.append((y.index[k], float(math.exp(d[k]))))
        free[max(0, k - w + 1): k + w] = False
    return sorted(found)


def prepare(y: pd.Series, min_train: int = TRAIN_AFTER_MIN) -> Prepared:
    """Detect level shifts in ``y`` (:func:`detect_shifts`) and make the series the models train on.

    If at least ``min_train`` months follow the last shift, train on those months only; otherwise rescale
    the months before each shift by 1 / its step ratio (a multiplicative step dummy with its size
    estimated by the step statistic), so every month is at the level after the last shift.
    """
    y = y.astype(float)
    shifts = detect_shifts(y)
    if not shifts:
        return Prepared(y, None, "none", "No level shift found in the monthly series; the models train on every month.")
    last, _ = shifts[-1]
    listed = ", ".join(f"{m} ({(r - 1) * 100:+.0f}%)" for m, r in shifts)
    word = "A level shift" if len(shifts) == 1 else "Level shifts"
    after = y[y.index >= last]
    if len(after) >= min_train:
        return Prepared(after, last, "train_after",
                        f"{word} found at {listed}; the models train only on the {len(after)} months from {last}.",
                        tuple(shifts))
    factor = pd.Series(1.0, index=y.index)
    for month, ratio in shifts:
        factor[factor.index < month] *= ratio
    return Prepared(y * factor, last, "adjust",
                    f"{word} found at {listed}; fewer than {min_train} months follow the last, so the months "
                    f"before each shift were rescaled to the level after it before the models were fitted.",
                    tuple(shifts))


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
    (the default) the model is fitted on :func:`prepare` (y).series.
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


# ---------------------------------------------------------------------------------------------------
# Metrics


def seasonal_scale(train: pd.Series, m: int = 12) -> float:
    """MASE denominator: in-sample mean absolute error of the seasonal naive forecast (lag m)."""
    d = (train - train.shift(m)).dropna().abs()
    return float(d.mean())


def mase(actual, forecast, scale: float) -> float:
    e = np.abs(np.asarray(actual, dtype=float) - np.asarray(forecast, dtype=float))
    return float(e.mean() / scale)


def bias(actual, forecast) -> float:
    """Mean of forecast minus actual: positive means forecasts ran high."""
    return float(np.mean(np.asarray(forecast, dtype=float) - np.asarray(actual, dtype=float)))


def coverage(actual, lower, upper) -> float:
    a = np.asarray(actual, dtype=float)
    return float(np.mean((a >= np.asarray(lower)) & (a <= np.asarray(upper))))


# ---------------------------------------------------------------------------------------------------
# Rolling-origin backtest


def origins(index: pd.PeriodIndex, min_train: int = 36, step: int = 3, horizon: int = 12,
            last_n: int | None = 36) -> list[pd.Period]:
    """Forecast origins (last month of training data), every ``step`` months, each leaving ``horizon`` to test."""
    candidates = [index[i] for i in range(min_train - 1, len(index) - horizon)]
    if last_n:
        first_allowed = index[-horizon - 1] - (last_n - 1)
        candidates = [o for o in candidates if o >= first_allowed]
    return candidates[::-1][::step][::-1]


def backtest_errors(y: pd.Series, models=MODELS, horizon: int = 12, step: int = 3, last_n: int | None = 36,
                    min_train: int = 36, level_shifts: bool = True, seasonal: bool = True) -> pd.DataFrame:
    """One row per (model, origin, horizon): actual, forecast, intervals, scale (from the training data: the
    seasonal naive's in-sample error, or with ``seasonal=False`` last month's value's, for short histories)."""
    rows = []
    for origin in origins(y.index, min_train, step, horizon, last_n):
        train = y[:origin]
        test = y[origin + 1: origin + horizon]
        if seasonal:
            scale = seasonal_scale(train)
        else:
            scale = naive_scale(train)
        for model in models:
            fc = fit_forecast(train, model, horizon, level_shifts).reindex(test.index)
            for i, month in enumerate(test.index, start=1):
                rows.append(dict(model=model, origin=str(origin), horizon=i, month=str(month),
                                 actual=float(test[month]), forecast=fc.at[month, "mean"],
                                 lower_80=fc.at[month, "lower_80"], upper_80=fc.at[month, "upper_80"],
                                 lower_95=fc.at[month, "lower_95"], upper_95=fc.at[month, "upper_95"],
                                 scale=scale))
    return pd.DataFrame(rows)


def join_backtests(parts: list[pd.DataFrame], models) -> pd.DataFrame:
    """The rows of :func:`backtest_errors` for each model of ``models`` (one frame each), in the order one call
    for all of them gives: by origin, then model, then horizon."""
    errors = pd.concat(parts, ignore_index=True)
    if errors.empty:
        return errors
    order = {m: i for i, m in enumerate(models)}
    errors = errors.assign(_m=errors["model"].map(order))
    return errors.sort_values(["origin", "_m", "horizon"], kind="stable").drop(columns="_m").reset_index(drop=True)


def summarise(errors: pd.DataFrame, by=("model",)) -> pd.DataFrame:
    """mase (mean absolute error over mean scale per origin), bias, coverage_80, coverage_95, n."""
    def agg(g):
        scaled = (g["forecast"] - g["actual"]).abs() / g["scale"]
        return pd.Series(dict(
            mase=float(scaled.mean()),
            bias=bias(g["actual"], g["forecast"]),
            coverage_80=coverage(g["actual"], g["lower_80"], g["upper_80"]),
            coverage_95=coverage(g["actual"], g["lower_95"], g["upper_95"]),
            n=int(len(g)),
        ))
    out = errors.groupby(list(by), sort=False)[["actual", "forecast", "lower_80", "upper_80", "lower_95",
                                                "upper_95", "scale"]].apply(agg)
    out["n"] = out["n"].astype(int)
    return out.reset_index()


def best_model(summary: pd.DataFrame) -> str:
    return str(summary.sort_values("mase").iloc[0]["model"])


# ---------------------------------------------------------------------------------------------------
# Seasonal peaks and capacity


@dataclass
class PeakSummary:
    """Peak and trough months with their probabilities, and the peak-to-trough ratio with its 80% interval.

    ``ratio`` is the median of the simulated ratio of the peak month's referrals to the trough month's (the
    two months named here), and ``ratio_low``/``ratio_high`` are the 10th and 90th percentiles of the same
    simulated ratio, so the interval always contains the estimate. ``ratio_of_means`` is the ratio of the two
    months' forecast means, for reference.
    """

    peak_month: str
    peak_probability: float
    trough_month: str
    trough_probability: float
    ratio: float
    ratio_low: float
    ratio_high: float
    ratio_of_means: float

    @property
    def ratio_mean(self) -> float:
        """The ratio's estimate (kept for existing callers; use ``ratio``)."""
        return self.ratio


def simulate_months(fc: pd.DataFrame, draws: int = 4000, seed: int = 1) -> np.ndarray:
    """Draws of each forecast month (rows: draws, columns: months), months independent.

    Each month is lognormal with its median at the forecast mean and its 90th percentile at the upper 80%
    bound (means and bounds floored at one referral). A count cannot fall below zero, so the symmetric lower
    bound of a normal approximation, which for a quiet month can reach zero and make any ratio to it
    explode, is replaced by the multiplicative mirror of the upper bound.
    """
    rng = np.random.default_rng(seed)
    mean = np.maximum(fc["mean"].to_numpy(dtype=float), 1.0)
    upper = np.maximum(fc["upper_80"].to_numpy(dtype=float), mean)
    sigma = np.log(upper / mean) / Z[80]
    return mean * np.exp(sigma * rng.standard_normal(size=(draws, len(fc))))


def peaks(fc: pd.DataFrame, draws: int = 4000, seed: int = 1) -> PeakSummary:
    """Peak and trough month of a 12-month forecast with their probabilities (the share of simulated years
    in which each month is highest or lowest, :func:`simulate_months`), and the peak-to-trough ratio: the
    median and 10th-90th percentiles of the simulated peak-month value over the simulated trough-month value."""
    sims = simulate_months(fc, draws, seed)
    months = [str(m) for m in fc.index]
    pk = np.bincount(sims.argmax(axis=1), minlength=len(fc)) / draws
    tr = np.bincount(sims.argmin(axis=1), minlength=len(fc)) / draws
    p, t = int(pk.argmax()), int(tr.argmax())
    ratio = sims[:, p] / sims[:, t]
    means = fc["mean"].clip(lower=1.0).to_numpy(dtype=float)
    low, mid, high = np.quantile(ratio, [0.1, 0.5, 0.9])
    return PeakSummary(months[p], float(pk[p]), months[t], float(tr[t]), float(mid), float(low), float(high),
                       float(means[p] / means[t]))


@dataclass(frozen=True)
class PeakStatementInputs:
    """What a sentence about the coming peak needs to be worded honestly.

    The peak month, how likely it is to be the highest month, its forecast and 80% interval; the chosen
    model's backtest bias (forecast minus actual, referrals a month: positive means it ran high) over all
    horizons and over backtest months in the peak's calendar month; and the forecast and interval with that
    bias taken off. ``runner_up`` is the next likeliest peak month and its probability.
    """

    model: str
    peak_month: str
    peak_probability: float
    runner_up_month: str
    runner_up_probability: float
    peak_mean: float
    peak_lower_80: float
    peak_upper_80: float
    bias_per_month: float
    bias_peak_calendar_month: float
    backtest_mase: float
    backtest_months: int
    adjusted_mean: float
    adjusted_lower_80: float
    adjusted_upper_80: float
    ratio: float
    ratio_low: float
    ratio_high: float


def peak_statement_inputs(fc: pd.DataFrame, errors: pd.DataFrame, model: str, draws: int = 4000,
                          seed: int = 1) -> PeakStatementInputs:
    """Inputs for a peak statement from a 12-month forecast ``fc`` of ``model`` and the backtest rows
    ``errors`` (:func:`backtest_errors`). The bias adjustment subtracts the model's mean backtest bias (all
    horizons) from the peak month's forecast and bounds, floored at zero."""
    pk = peaks(fc, draws, seed)
    sims = simulate_months(fc, draws, seed)
    share = np.bincount(sims.argmax(axis=1), minlength=len(fc)) / draws
    order = np.argsort(-share, kind="stable")
    second = int(order[1]) if len(order) > 1 else int(order[0])
    rows = errors[errors["model"] == model]
    if rows.empty:
        raise ValueError(f"no backtest rows for model {model!r}")
    b = bias(rows["actual"], rows["forecast"])
    cal = pd.Period(pk.peak_month, freq="M").month
    same = rows[[pd.Period(m, freq="M").month == cal for m in rows["month"]]]
    b_cal = bias(same["actual"], same["forecast"]) if len(same) else float("nan")
    scaled = ((rows["forecast"] - rows["actual"]).abs() / rows["scale"]).mean()
    r = fc.loc[pd.Period(pk.peak_month, freq="M")]
    return PeakStatementInputs(
        model=model, peak_month=pk.peak_month, peak_probability=pk.peak_probability,
        runner_up_month=str(fc.index[second]), runner_up_probability=float(share[second]),
        peak_mean=float(r["mean"]), peak_lower_80=float(r["lower_80"]), peak_upper_80=float(r["upper_80"]),
        bias_per_month=b, bias_peak_calendar_month=b_cal, backtest_mase=float(scaled), backtest_months=int(len(rows)),
        adjusted_mean=max(float(r["mean"]) - b, 0.0), adjusted_lower_80=max(float(r["lower_80"]) - b, 0.0),
        adjusted_upper_80=max(float(r["upper_80"]) - b, 0.0),
        ratio=pk.ratio, ratio_low=pk.ratio_low, ratio_high=pk.ratio_high,
    )


def exceedance_probability(fc: pd.DataFrame, threshold: float) -> pd.Series:
    """Probability that each month's referrals exceed ``threshold`` (normal approximation)."""
    sd = (fc["upper_80"] - fc["lower_80"]) / (2 * Z[80])
    return pd.Series(1 - stats.norm.cdf((threshold - fc["mean"]) / sd), index=fc.index)


# ---------------------------------------------------------------------------------------------------
# Why each model is in the table


def why_kept(summary: pd.DataFrame) -> pd.DataFrame:
    """``summary`` (:func:`summarise`) with a column ``why_kept``: a short reason for each model, per edition.

    The lowest MASE is "best in this backtest"; seasonal naive is "the baseline (MASE scale)"; naive is "the
    simplest benchmark"; other models say whether they beat seasonal naive here, and SARIMAX, when it does
    not win, that it is the one model using the calendar (working days, school holidays, lockdowns).
    """
    out = summary.copy()
    best = best_model(summary)
    base = summary.set_index("model")["mase"].get("seasonal_naive", np.nan)
    reasons = []
    for _, r in out.iterrows():
        m = r["model"]
        if m == best:
            reasons.append("best in this backtest")
        elif m == "seasonal_naive":
            reasons.append("the baseline (MASE scale)")
        elif m == "naive":
            reasons.append("the simplest benchmark")
        else:
            text = (f"beats seasonal naive here (MASE {r['mase']:.3f} against {base:.3f})" if r["mase"] < base
                    else f"does not beat seasonal naive here (MASE {r['mase']:.3f} against {base:.3f})")
            if m == "sarimax":
                text += "; the only model using the calendar (working days, school holidays, lockdowns)"
            reasons.append(text)
    out["why_kept"] = reasons
    return out


# ---------------------------------------------------------------------------------------------------
# Temporal coherence with the annual forecast


def combine_totals(monthly_total: float, monthly_sd: float, annual_mean: float, annual_lower_80: float,
                   annual_upper_80: float) -> tuple[float, float, float]:
    """Precision-weighted total of two forecasts of the same year, on the log scale.

    The annual forecast's log sd is its 80% interval's log width over 2 x 1.2816 (its intervals are
    empirical quantiles of log errors); the monthly total's is its sd over its total. Returns (total, log
    sd of the total, weight on the annual forecast).
    """
    m = math.log(max(monthly_total, 1.0))
    s_m = max(monthly_sd, 1e-9) / max(monthly_total, 1.0)
    a = math.log(annual_mean)
    s_a = (math.log(annual_upper_80) - math.log(annual_lower_80)) / (2 * Z[80])
    w_a = (1 / s_a ** 2) / (1 / s_a ** 2 + 1 / s_m ** 2)
    log_total = w_a * a + (1 - w_a) * m
    return math.exp(log_total), math.sqrt(1 / (1 / s_a ** 2 + 1 / s_m ** 2)), w_a


def reconcile_to_annual(fc_monthly: pd.DataFrame, annual_mean: float, annual_lower_80: float,
                        annual_upper_80: float) -> pd.DataFrame:
    """Scale a monthly forecast of one financial year so that its months add up to the combined total.

    The monthly path's own total is the sum of its means, with sd taken as the sum of the months' sds (from
    the 80% widths: monthly forecast errors share the level, so they are treated as fully correlated, the
    cautious choice that gives the monthly total the least weight). It is combined with the annual forecast
    by :func:`combine_totals`; every column (mean and bounds) is multiplied by combined / monthly total, so
    the seasonal shape and the relative widths are kept and the means sum exactly to the combined total.
    Where the annual forecast or its interval is missing or not positive, the frame is returned unchanged.
    ``attrs`` records monthly_total, annual_mean, combined_total, weight_annual and factor.
    """
    out = fc_monthly.copy()
    total = float(fc_monthly["mean"].sum())
    values = (annual_mean, annual_lower_80, annual_upper_80)
    if any(v is None or not np.isfinite(v) or v <= 0 for v in values) or total <= 0 \
            or not annual_lower_80 < annual_upper_80:
        out.attrs.update(monthly_total=total, reconciled=False)
        return out
    sd = float(((fc_monthly["upper_80"] - fc_monthly["lower_80"]) / (2 * Z[80])).sum())
    combined, _, w = combine_totals(total, sd, annual_mean, annual_lower_80, annual_upper_80)
    factor = combined / total
    for col in out.columns:
        out[col] = out[col] * factor
    out.attrs.update(monthly_total=total, annual_mean=float(annual_mean), combined_total=combined,
                     weight_annual=w, factor=factor, reconciled=True)
    return out


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


def naive_scale(train: pd.Series) -> float:
    """MASE denominator without seasonality: in-sample mean absolute error of last month's value (lag 1)."""
    return float(train.diff().dropna().abs().mean())
