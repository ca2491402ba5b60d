"""Calibrated forecast intervals: each horizon's interval and bias correction from the model's own out-of-sample
errors at that horizon in the rolling-origin backtest.

The edition's forecast chain (:func:`cscbook.models.history.monthly_forecast`) applies it wherever the history supports a
backtest that reaches the published horizons with at least :data:`MIN_ORIGINS` origins; elsewhere the intervals
are the model's own and the page says so. The backtest (:func:`cscbook.models.history.backtest_spec`) is run on the
referrals on today's recording basis (:func:`basis`: the months before each level shift rescaled to the level
after it, as the models train on them), so a change in recording is not counted as a forecast error, over the
horizons the edition publishes (:func:`published_horizons`: 13 to 24 where the data end a year before the
quarter, 1 to 12 where they reach it). For every horizon h the errors are the logs of actual over forecast at the horizons within ``w`` of h
(w the smallest giving at least :data:`MIN_ERRORS` errors; 0 when one horizon has enough). Then

* the corrected forecast is the forecast times exp(median error): the bias is taken off the same way;
* the 80% interval is the forecast times exp(the conformal 10th and 90th percentiles of the errors), the 95%
  interval exp(2.5th and 97.5th): with n errors, the floor((n + 1) p)-th smallest for a lower bound and the
  ceil((n + 1) p)-th for an upper one (:func:`conformal_quantile`), a little wider than the plain percentiles so
  that the interval holds its share of new outcomes even when n is small;
* the probability that the quantity exceeds a threshold is the share of the errors that would have put it above.

Coverage is measured out of sample (:meth:`Calibration.coverage`): each origin's actuals are set against
intervals made from the other origins only, leaving out those within three months of it (their test months
are mostly the same), so a calibrated interval is never scored on the errors it was made from.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cscbook.models.levelshift import prepare

MIN_ERRORS = 30   # errors behind each horizon's quantiles (neighbouring horizons pooled until there are as many)
MIN_ORIGINS = 5   # backtest origins needed to calibrate at all
MAX_WINDOW = 6    # horizons pooled at most this far either side
GAP_MONTHS = 3    # coverage: origins within three months of the one scored (most test months shared) are left out
LEVELS = {80: (0.10, 0.90), 95: (0.025, 0.975)}


def basis(y: pd.Series) -> pd.Series:
    """Referrals on today's recording basis: the series the models train on (:func:`cscbook.models.levelshift.prepare`)."""
    return prepare(y.astype(float)).series


def published_horizons(last_month: pd.Period, quarter) -> range:
    """The forecast horizons (months after the data end) of the twelve months after the edition's quarter."""
    gap = (pd.Period(quarter.end, freq="M") - last_month).n
    first = max(gap, 0) + 1
    return range(first, first + 12)


def conformal_quantile(values, p: float) -> float:
    """The split-conformal quantile of ``values`` at ``p``: the ceil((n + 1) p)-th smallest of n for p above one
    half, the floor((n + 1) p)-th for p below (clipped to the smallest and largest)."""
    x = np.sort(np.asarray(values, dtype=float))
    n = len(x)
    if n == 0:
        return float("nan")
    k = int(np.ceil((n + 1) * p)) if p >= 0.5 else int(np.floor((n + 1) * p))
    return float(x[min(max(k, 1), n) - 1])


def log_errors(rows: pd.DataFrame) -> pd.Series:
    """ln(actual / forecast) per backtest row, both floored at one (a count of 0 is not a ratio)."""
    a = np.maximum(rows["actual"].to_numpy(dtype=float), 1.0)
    f = np.maximum(rows["forecast"].to_numpy(dtype=float), 1.0)
    return pd.Series(np.log(a / f), index=rows.index)


@dataclass
class Calibration:
    """Out-of-sample log errors of one model by origin and horizon, and what follows from them.

    ``errors``: one row per (origin, horizon) with ``actual``, ``forecast`` and ``log_error``.
    """

    errors: pd.DataFrame
    model: str = ""
    min_errors: int = MIN_ERRORS
    _cache: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_backtest(cls, rows: pd.DataFrame, model: str | None = None, min_errors: int = MIN_ERRORS
                      ) -> "Calibration":
        """From :func:`cscbook.models.backtest.backtest_errors` rows (of ``model`` where given)."""
        if model is not None and "model" in rows.columns:
            rows = rows[rows["model"] == model]
        if rows.empty:
            rows = pd.DataFrame(columns=["origin", "horizon", "actual", "forecast"])
        out = rows[["origin", "horizon", "actual", "forecast"]].copy()
        out["origin"] = out["origin"].astype(str)
        out["horizon"] = out["horizon"].astype(int)
        out["log_error"] = log_errors(out)
        return cls(out.reset_index(drop=True), model or "", min_errors)

    @property
    def origins(self) -> int:
        """The number of backtest origins the errors come from."""
        return int(self.errors["origin"].nunique())

    @property
    def usable(self) -> bool:
        """Enough origins to calibrate from (:data:`MIN_ORIGINS`)."""
        return self.origins >= MIN_ORIGINS

    @property
    def horizons(self) -> list[int]:
        """The horizons (months ahead) with errors, in order."""
        return sorted(self.errors["horizon"].unique().tolist())

    def _pooled(self, errors: pd.DataFrame, h: int) -> np.ndarray:
        by_h = errors.groupby("horizon")["log_error"]
        groups = {k: v.to_numpy() for k, v in by_h}
        if not groups:
            return np.array([])
        h = min(max(h, min(groups)), max(groups))  # beyond the backtest's horizons: its nearest
        for w in range(MAX_WINDOW + 1):
            got = np.concatenate([groups[k] for k in range(h - w, h + w + 1) if k in groups])
            if len(got) >= self.min_errors:
                return got
        return got

    def sample(self, h: int) -> np.ndarray:
        """The log errors behind horizon ``h`` (its own and its neighbours', see the module's docstring)."""
        if h not in self._cache:
            self._cache[h] = self._pooled(self.errors, h)
        return self._cache[h]

    def quantiles(self, h: int, probs) -> np.ndarray:
        """Conformal quantiles (:func:`conformal_quantile`) of the errors behind horizon ``h``."""
        e = self.sample(h)
        return np.array([conformal_quantile(e, p) for p in probs])

    def correction(self, h: int) -> float:
        """Multiplicative bias correction at horizon ``h``: exp(median log error)."""
        return float(np.exp(np.median(self.sample(h))))

    def apply(self, fc: pd.DataFrame, last_month: pd.Period) -> pd.DataFrame:
        """``fc`` (mean and bounds, PeriodIndex) calibrated: ``model_mean`` the model's own mean, ``mean`` the
        corrected forecast, the bounds from the errors at each month's horizon (months after ``last_month``)."""
        out = pd.DataFrame(index=fc.index)
        out["horizon"] = [(m - last_month).n for m in fc.index]
        out["model_mean"] = fc["mean"].astype(float)
        base = np.maximum(out["model_mean"].to_numpy(), 0.0)
        out["mean"] = base * np.array([self.correction(h) for h in out["horizon"]])
        for level, (lo, hi) in LEVELS.items():
            q = np.array([self.quantiles(h, [lo, hi]) for h in out["horizon"]])
            out[f"lower_{level}"] = base * np.exp(q[:, 0])
            out[f"upper_{level}"] = base * np.exp(q[:, 1])
        return out

    def probability_above(self, h: int, forecast: float, threshold: float, add: float = 0.0,
                          add_sd: float = 0.0, scale: float = 1.0) -> float:
        """Probability that the quantity at horizon ``h`` exceeds ``threshold``, from the calibrated distribution
        scale x forecast x exp(error) + add (plus a normal of sd ``add_sd``, an independent uncertainty)."""
        x = scale * max(forecast, 0.0) * np.exp(self.sample(h)) + add
        if add_sd > 0:
            from scipy import stats

            return float(np.mean(stats.norm.sf((threshold - x) / add_sd)))
        return float(np.mean(x > threshold))

    def coverage(self, horizons=None, gap: int = GAP_MONTHS) -> pd.DataFrame:
        """Out-of-sample coverage and bias by horizon.

        Each origin is scored with intervals and a correction made from the other origins only, leaving out
        those within ``gap`` months of it; origins with fewer than :data:`MIN_ORIGINS` others left are not
        scored. Columns: horizon, coverage_80, coverage_95, bias (mean corrected forecast minus actual),
        level (mean actual), bias_pct (bias over level, %), model_coverage_80 is added by the caller if wanted,
        n (origins scored).
        """
        e = self.errors
        horizons = list(horizons) if horizons is not None else self.horizons
        origins = sorted(e["origin"].unique(), key=lambda o: pd.Period(o, freq="M"))
        when = {o: pd.Period(o, freq="M") for o in origins}
        hits = {h: {80: [], 95: [], "err": [], "act": []} for h in horizons}
        for o in origins:
            others = [p for p in origins if abs((when[p] - when[o]).n) > gap]
            if len(others) < MIN_ORIGINS:
                continue
            cal = Calibration(e[e["origin"].isin(others)], self.model, self.min_errors)
            mine = e[(e["origin"] == o) & e["horizon"].isin(horizons)]
            for r in mine.itertuples():
                f = max(float(r.forecast), 1.0)
                corrected = f * cal.correction(r.horizon)
                hits[r.horizon]["err"].append(corrected - r.actual)
                hits[r.horizon]["act"].append(r.actual)
                for level, (lo, hi) in LEVELS.items():
                    ql, qh = cal.quantiles(r.horizon, [lo, hi])
                    hits[r.horizon][level].append(f * np.exp(ql) <= r.actual <= f * np.exp(qh))
        rows = []
        for h in horizons:
            d = hits[h]
            n = len(d["act"])
            level = float(np.mean(d["act"])) if n else np.nan
            b = float(np.mean(d["err"])) if n else np.nan
            rows.append(dict(horizon=h, coverage_80=float(np.mean(d[80])) if n else np.nan,
                             coverage_95=float(np.mean(d[95])) if n else np.nan, bias=b, level=level,
                             bias_pct=100 * b / level if n and level else np.nan, n=n))
        return pd.DataFrame(rows)


def overall(coverage: pd.DataFrame) -> dict:
    """Coverage and bias over every scored (origin, horizon) of :meth:`Calibration.coverage`, weighted by n."""
    c = coverage.dropna(subset=["coverage_80"])
    if c.empty or c["n"].sum() == 0:
        return dict(coverage_80=np.nan, coverage_95=np.nan, bias=np.nan, level=np.nan, bias_pct=np.nan, n=0)
    w = c["n"] / c["n"].sum()
    bias = float((c["bias"] * w).sum())
    level = float((c["level"] * w).sum())
    return dict(coverage_80=float((c["coverage_80"] * w).sum()), coverage_95=float((c["coverage_95"] * w).sum()),
                bias=bias, level=level, bias_pct=100 * bias / level if level else np.nan, n=int(c["n"].sum()))
