"""Forecast report for the cscbook project: calibrated coverage and bias against the targets, asserts nothing.

    .venv/bin/python scripts/forecast_report.py [--la 825] [--quarter 2026Q1] [--synthetic 20]

* the edition's monthly forecast (the default: Buckinghamshire, latest quarter, the illustrative series): the
  published horizons, the chosen model, the coverage of its calibrated 80% and 95% intervals and the bias left
  after correction, each measured on backtest origins left out in turn, overall and by horizon, beside the
  model's own interval coverage; the same for the open cases the staffing plan rests on;
* SYNTHETIC monthly series with a known truth (seasonal, lognormal noise, generated here), backtested as an
  edition is (twelve origins, horizons 13 to 24) with the seasonal naive model: the calibrated coverage a series
  of this length gives when nothing changes;
* the annual panel's interval coverage (all councils), from the shared results.

Targets (issue 30): 80% coverage 0.75 to 0.85 and |bias| at most 10% of the level.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

TARGET_80 = (0.75, 0.85)
TARGET_BIAS_PCT = 10.0


def verdict(o: dict) -> str:
    ok80 = TARGET_80[0] <= o["coverage_80"] <= TARGET_80[1]
    okb = abs(o["bias_pct"]) <= TARGET_BIAS_PCT
    return (f"80% coverage {o['coverage_80']:.3f} ({'meets' if ok80 else 'misses'} 0.75-0.85), 95% coverage "
            f"{o['coverage_95']:.3f}, bias {o['bias']:+.1f} = {o['bias_pct']:+.1f}% of the level "
            f"({'meets' if okb else 'misses'} 10%), n = {o['n']}")


def synthetic(seed: int, months: int = 156) -> pd.Series:
    """SYNTHETIC monthly referrals: a fixed seasonal pattern times lognormal noise around a steady level."""
    rng = np.random.default_rng(seed)
    idx = pd.period_range("2012-04", periods=months, freq="M")
    season = 1 + 0.15 * np.sin(2 * np.pi * (idx.month.to_numpy() - 3) / 12)
    return pd.Series(500 * season * np.exp(0.1 * rng.standard_normal(months)), index=idx).round()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--la", default="825")
    parser.add_argument("--quarter", default="")
    parser.add_argument("--synthetic", type=int, default=20, help="synthetic series to average over (default 20)")
    args = parser.parse_args()

    from cscbook.core.cache import open_cache
    from cscbook.core.quarters import Quarter
    from cscbook.data.releases import latest_quarter
    from cscbook.models import backtest, capacity, history, shared
    from cscbook.models import calibration as K
    from cscbook.models.demand import monthly_series

    pd.set_option("display.width", 200)
    quarter = Quarter.parse(args.quarter) if args.quarter else latest_quarter()
    cache = open_cache(None)
    series = monthly_series(args.la, quarter, None, cache)
    ef = history.monthly_forecast(series, quarter, cache)  # the edition's chain
    h0, h1 = ef.horizons[0], ef.horizons[-1]
    print(f"Edition {args.la} {quarter}: data end {ef.last_month}, published horizons {h0} to {h1}, chosen model "
          f"{ef.model} ({ef.calibration.origins} backtest origins)")
    own = ef.summary.set_index("model").loc[ef.model]
    print(f"  model's own intervals at those horizons: 80% coverage {own['coverage_80']:.3f}, 95% "
          f"{own['coverage_95']:.3f}, bias {own['bias']:+.1f}")
    print("  calibrated referrals: " + verdict(K.overall(ef.coverage)))
    print(ef.coverage.round(3).to_string(index=False))
    ec = capacity.edition_capacity(ef, quarter, args.la)
    if ec.stock_cal is not None and ec.stock_cal.usable:
        print("  calibrated open cases: " + verdict(K.overall(ec.coverage(ef.horizons))))
    if ec.staffing is not None:
        print(ec.staffing.check().to_string(index=False))
        print("  " + ec.result.recruitment)

    if args.synthetic:
        parts = []
        for seed in range(args.synthetic):
            y = synthetic(seed)
            rows = backtest.backtest_errors(y, models=("seasonal_naive",), horizon=24)
            parts.append(K.Calibration.from_backtest(rows, "seasonal_naive").coverage(range(13, 25)))
        cov = pd.concat(parts)
        print(f"SYNTHETIC series with a known truth ({args.synthetic} series, seasonal naive, horizons 13-24): "
              + verdict(K.overall(cov)))

    summary, _ = shared.annual_backtest(cache)
    print("Annual panel (all councils), model intervals from earlier years' errors:")
    print(summary[["model", "coverage_80", "coverage_95", "bias", "n"]].round(3).to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
