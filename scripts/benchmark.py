"""Speed report for the cscbook project: prints times and ratios, asserts nothing.

    .venv/bin/python scripts/benchmark.py [--councils N] [--skip-build]

* forecasting: fit and backtest the annual panel for all councils; fit and backtest the monthly models for
  one council (the illustrative example);
* editions: cold build (empty cache), warm rebuild of the unchanged edition, time per chapter, and a batch of
  N councils for the same quarter (chapters cached per council; the book compiled for each).

Builds go to a temporary output folder, so the repository's editions are not touched.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--councils", type=int, default=3, help="councils in the batch build (default 3)")
    parser.add_argument("--skip-build", action="store_true", help="forecasting only")
    args = parser.parse_args()

    from cscbook import annual, build, forecast, monthly
    from cscbook.edition import make_edition

    rows = []
    t_annual, _ = timed(annual.backtest)
    rows.append(("annual panel: all forecasts and backtest, all councils", t_annual))
    y = monthly.read_extract(monthly.example_path())["referrals"].astype(float)
    t_fit = {}
    for model in forecast.MODELS:
        t_fit[model], _ = timed(forecast.fit_forecast, y, model)
        rows.append((f"monthly fit, {model}", t_fit[model]))
    t_bt, errors = timed(forecast.backtest_errors, y)
    rows.append((f"monthly backtest, {len(errors['origin'].unique())} origins x {len(forecast.MODELS)} models", t_bt))

    if not args.skip_build:
        with tempfile.TemporaryDirectory() as tmp:
            build.OUTPUT_ROOT = Path(tmp)
            ed = make_edition("825", None)
            t_cold, dest = timed(build.build, ed, log=lambda m: None)
            rows.append(("edition build, cold (empty cache)", t_cold))
            chapters = json.loads((dest / "timings.json").read_text())["chapters"]
            for name, seconds in chapters.items():
                rows.append((f"  chapter {name}", seconds))
            t_warm, _ = timed(build.build, ed, log=lambda m: None)
            rows.append(("edition rebuild, unchanged (warm)", t_warm))
            t_forced, _ = timed(build.build, ed, log=lambda m: None, force=True)
            rows.append(("edition rebuild, forced (chapters from cache, book recompiled)", t_forced))
            from cscbook.register import register

            reg = register()
            codes = [c for c in reg.index if reg.at[c, "last_year"] == 2025 and c != "825"][: args.councils]
            t_batch = 0.0
            for code in codes:
                t, _ = timed(build.build, make_edition(code, None), log=lambda m: None)
                t_batch += t
            rows.append((f"batch of {len(codes)} councils (cold each)", t_batch))
            build.OUTPUT_ROOT = None

    width = max(len(r[0]) for r in rows)
    for label, seconds in rows:
        print(f"{label.ljust(width)}  {seconds:8.2f} s")
    if not args.skip_build:
        print(f"\nwarm / cold rebuild ratio: {t_warm / t_cold:.3f}")
        print(f"forced (cached chapters) / cold ratio: {t_forced / t_cold:.3f}")
        if codes:
            print(f"batch time per council / cold build: {t_batch / len(codes) / t_cold:.2f}")
    slowest = max(t_fit, key=t_fit.get)
    print(f"slowest monthly model / seasonal naive: {t_fit[slowest] / max(t_fit['seasonal_naive'], 1e-6):.0f}x ({slowest})")
    print(f"monthly backtest / annual panel backtest: {t_bt / t_annual:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
