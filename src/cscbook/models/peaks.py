"""Seasonal peaks of a 12-month referral forecast: which month is likeliest to be the highest and the lowest, the
peak-to-trough ratio with its interval, what a sentence about the coming peak needs, and the chance of each month
exceeding a threshold. Probabilities come from simulated years (:func:`simulate_months`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from cscbook.models.backtest import bias
from cscbook.models.normal import Z


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
    ``errors`` (:func:`cscbook.models.backtest.backtest_errors`). The bias adjustment subtracts the model's mean
    backtest bias (all horizons) from the peak month's forecast and bounds, floored at zero."""
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
