"""Honest rolling-origin backtests of the monthly models: forecast errors at each origin and horizon, their scaled
summaries (MASE, bias, interval coverage), the best model and why each model is in the table.

Every forecast in a backtest is made by :func:`cscbook.models.forecast.fit_forecast` from the months up to its
origin only, so it cannot see the months it is scored on.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cscbook.models import forecast
from cscbook.models.forecast import MODELS


def seasonal_scale(train: pd.Series, m: int = 12) -> float:
    """MASE denominator: in-sample mean absolute error of the seasonal naive forecast (lag m)."""
    d = (train - train.shift(m)).dropna().abs()
    return float(d.mean())


def mase(actual, forecast, scale: float) -> float:
    """Mean absolute scaled error: the mean absolute difference between ``actual`` and ``forecast`` (same units,
    e.g. referrals a month) over ``scale`` (:func:`seasonal_scale` or :func:`naive_scale` of the training data).
    Below 1 beats the in-sample benchmark."""
    e = np.abs(np.asarray(actual, dtype=float) - np.asarray(forecast, dtype=float))
    return float(e.mean() / scale)


def bias(actual, forecast) -> float:
    """Mean of ``forecast`` minus ``actual`` (in their units, e.g. referrals a month): positive means forecasts ran
    high."""
    return float(np.mean(np.asarray(forecast, dtype=float) - np.asarray(actual, dtype=float)))


def coverage(actual, lower, upper) -> float:
    """Share (0 to 1) of ``actual`` values inside their interval [``lower``, ``upper``], bounds included."""
    a = np.asarray(actual, dtype=float)
    return float(np.mean((a >= np.asarray(lower)) & (a <= np.asarray(upper))))


def naive_scale(train: pd.Series) -> float:
    """MASE denominator without seasonality: in-sample mean absolute error of last month's value (lag 1)."""
    return float(train.diff().dropna().abs().mean())


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
            fc = forecast.fit_forecast(train, model, horizon, level_shifts).reindex(test.index)
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
    """The backtest rows ``errors`` (:func:`backtest_errors`) scored per group of the columns ``by``: mase (the mean
    of each row's absolute error over its origin's scale), bias (mean of forecast minus actual, in the series' units,
    e.g. referrals a month), coverage_80 and coverage_95 (shares of actuals inside the intervals, 0 to 1) and n (rows).
    """
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
    """The model with the lowest MASE in ``summary`` (:func:`summarise`); the first listed on a tie."""
    return str(summary.sort_values("mase").iloc[0]["model"])


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
