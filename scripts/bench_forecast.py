"""Speed and accuracy report for the monthly forecasts: prints times, ratios and MASE, asserts nothing.

    .venv/bin/python scripts/bench_forecast.py [--la 825] [--quarter 2026Q1]

* fit time per model over the backtest origins (mean and worst), and its ratio to seasonal naive;
* SARIMAX fitted the plain way (one full fit, parameter covariance computed) against the fast way the book
  uses (``forecast._fit_sarimax``), with their log-likelihoods;
* the full rolling-origin backtest time, and its MASE per model with and without the level-shift step;
* the 80% interval of the forecast peak month with and without the level-shift step;
* the backtest of reconciling the monthly forecast to the annual one.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--la", default="825", help="three-digit DfE council code (default 825)")
    parser.add_argument("--quarter", default="2026Q1", help="edition quarter (default 2026Q1)")
    args = parser.parse_args()

    import numpy as np
    import pandas as pd
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    from cscbook.core.quarters import Quarter
    from cscbook.models import annual
    from cscbook.models import backtest as B
    from cscbook.models import forecast as F
    from cscbook.models import levelshift as S
    from cscbook.models import peaks as P
    from cscbook.models.demand import horizon_for, monthly_series, next_year

    quarter = Quarter.parse(args.quarter)
    series = monthly_series(args.la, quarter)
    y = series.referrals
    print(f"council {args.la}, {y.index.min()} to {y.index.max()} ({len(y)} months), {series.basis}")
    print(S.prepare(y).sentence)

    origins = B.origins(y.index)
    print(f"\nfit time per model over {len(origins)} backtest origins (level-shift step included)")
    times = {}
    for model in F.MODELS:
        ts = []
        for o in origins:
            start = time.perf_counter()
            F.fit_forecast(y[:o], model, 12)
            ts.append(time.perf_counter() - start)
        times[model] = (float(np.mean(ts)), float(np.max(ts)))
    base = times["seasonal_naive"][0]
    for model, (mean, worst) in times.items():
        print(f"  {model:15s} mean {mean:7.3f} s  worst {worst:7.3f} s  ratio to seasonal naive {mean / base:8.0f}x")

    print("\nSARIMAX estimation, plain against fast (same training series)")
    plain_t, fast_t, llf = [], [], []
    for o in origins:
        train = S.prepare(y[:o]).series
        x = F._exog(train.index)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            start = time.perf_counter()
            plain = SARIMAX(train, exog=x, order=F.SARIMAX_ORDER, seasonal_order=F.SARIMAX_SEASONAL).fit(
                disp=False, maxiter=200)
            plain_t.append(time.perf_counter() - start)
            start = time.perf_counter()
            fast = F._fit_sarimax(train, x)
            fast_t.append(time.perf_counter() - start)
        llf.append(fast.llf - plain.llf)
    print(f"  plain fit mean {np.mean(plain_t):.3f} s (worst {np.max(plain_t):.3f}); fast fit mean "
          f"{np.mean(fast_t):.3f} s (worst {np.max(fast_t):.3f}); ratio {np.mean(plain_t) / np.mean(fast_t):.1f}x; "
          f"log-likelihood fast minus plain: mean {np.mean(llf):+.3f}, worst {np.min(llf):+.3f}")

    print("\nfull backtest and MASE (seasonal naive = the MASE scale)")
    results = {}
    for shifts in (False, True):
        start = time.perf_counter()
        errors = B.backtest_errors(y, level_shifts=shifts)
        elapsed = time.perf_counter() - start
        results[shifts] = B.summarise(errors).set_index("model")
        print(f"  level-shift step {'on ' if shifts else 'off'}: {elapsed:.2f} s for {len(origins)} origins x "
              f"{len(F.MODELS)} models")
    table = pd.DataFrame({"mase_without_shift_step": results[False]["mase"],
                          "mase_with_shift_step": results[True]["mase"],
                          "coverage_80_without": results[False]["coverage_80"],
                          "coverage_80_with": results[True]["coverage_80"]})
    print(table.round(3).to_string())
    print(B.why_kept(results[True].reset_index())[["model", "why_kept"]].to_string(index=False))

    print("\nforecast peak month, 80% interval")
    for model in dict.fromkeys(("ets", "sarimax", B.best_model(results[True].reset_index()))):
        for shifts in (False, True):
            fc = next_year(F.fit_forecast(y, model, horizon_for(series, quarter), level_shifts=shifts), quarter)
            pk = P.peaks(fc)
            r = fc.loc[pd.Period(pk.peak_month, freq="M")]
            print(f"  {model:8s} shift step {'on ' if shifts else 'off'}: peak {pk.peak_month} ({pk.peak_probability:.0%}) "
                  f"{r['mean']:.0f} (80% {r['lower_80']:.0f} to {r['upper_80']:.0f}, width {r['upper_80'] - r['lower_80']:.0f}); "
                  f"peak/trough {pk.ratio:.2f} ({pk.ratio_low:.2f} to {pk.ratio_high:.2f})")

    print("\nreconciling each financial year's months to the annual forecast (March origins)")
    start = time.perf_counter()
    fc_annual = annual.add_intervals(annual.all_forecasts())
    print(f"  annual forecasts: {time.perf_counter() - start:.2f} s")
    for method in ("naive", "shrink"):
        start = time.perf_counter()
        errors = annual.backtest_reconciled(y, args.la, method=method, annual_forecasts=fc_annual)
        elapsed = time.perf_counter() - start
        s = B.summarise(errors, by=("model", "reconciled"))
        wide = s.pivot(index="model", columns="reconciled", values="mase")
        used = errors[errors["reconciled"]].groupby("origin")["annual_used"].first()
        print(f"  annual method {method}: {elapsed:.2f} s; annual forecast available at {int(used.sum())} of {len(used)} origins")
        for model, r in wide.iterrows():
            print(f"    {model:15s} MASE alone {r[False]:.3f}  reconciled {r[True]:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
