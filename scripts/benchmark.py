"""Speed report for the cscbook project: prints times and ratios against the targets, asserts nothing.

    .venv/bin/python scripts/benchmark.py [--councils N] [--skip-build]

* forecasting: the annual panel (all councils), each monthly model's fit, each SARIMAX fit of the monthly
  backtest (one per origin) and the whole backtest, for the illustrative Buckinghamshire series;
* editions, through the command line as a user runs it, in a temporary output folder (the repository's
  editions are not touched): the cold default edition (empty caches), the no-op rebuild of the unchanged
  edition, a forced rebuild (chapters from the cache, the book compiled again), then a batch of N other
  councils built with ``--la`` as ``--all`` builds them and a batch of 2N more: the difference gives what each
  further council costs, and the first batch what is paid once (starting kernels and workers, the site at the
  end), so every council of the quarter is extrapolated as once + per council x councils (the first batch's
  plain average is shown too). The first batch is then compiled again with and without the committee paper,
  to show the paper's share.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {"cold": 20.0, "noop": 1.0, "all": 20 * 60.0, "sarimax": 0.2}


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result


def cscbook(*args, allow_failures: bool = False) -> float:
    """Wall clock of one ``cscbook`` command (a fresh process, as a user runs it)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "cscbook", *args, "--quiet"], capture_output=True, text=True,
                          env=env, cwd=ROOT)
    seconds = time.perf_counter() - start
    if proc.returncode != 0 and allow_failures:
        print(f"(some editions failed, timed all the same: {proc.stderr.strip().splitlines()[-1][:300]})")
    elif proc.returncode != 0:
        raise SystemExit(f"cscbook {' '.join(args)} failed: {proc.stderr.strip()[-500:]}")
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--councils", type=int, default=4, help="councils in the batch build (default 4)")
    parser.add_argument("--skip-build", action="store_true", help="forecasting only")
    args = parser.parse_args()

    from cscbook.data import illustrative, monthly
    from cscbook.models import annual, backtest, forecast

    rows = []
    t_annual, _ = timed(annual.backtest)
    rows.append(("annual panel: all forecasts and backtest, all councils", t_annual, None))
    from cscbook.models import panelmodel

    t_panel, _ = timed(lambda: panelmodel.oos_forecasts(panelmodel.load_inputs()))
    rows.append(("annual panel model: rolling-origin fits, all councils, target years to 2025", t_panel, 20.0))
    y = monthly.read_extract(illustrative.example_path())["referrals"].astype(float)
    t_fit = {}
    for model in forecast.MODELS:
        t_fit[model], _ = timed(forecast.fit_forecast, y, model)
        rows.append((f"monthly fit, {model} (full series)", t_fit[model], None))
    sarimax = []
    for origin in backtest.origins(y.index):
        t, _ = timed(forecast.fit_forecast, y[:origin], "sarimax", 12)
        sarimax.append(t)
    t_sarimax = sum(sarimax) / len(sarimax)
    rows.append((f"each SARIMAX fit in the backtest (mean of {len(sarimax)}, max {max(sarimax):.2f} s)",
                 t_sarimax, TARGETS["sarimax"]))
    t_bt, errors = timed(backtest.backtest_errors, y)
    rows.append((f"monthly backtest, {errors['origin'].nunique()} origins x {len(forecast.MODELS)} models", t_bt, None))

    if not args.skip_build:
        from cscbook.cli import _batch_councils, build_parser

        with tempfile.TemporaryDirectory(prefix="cscbook-bench-") as tmp:
            out = str(Path(tmp) / "out")
            t_cold = cscbook("build", "--output", out)
            rows.append(("default edition, cold (empty caches), wall clock", t_cold, TARGETS["cold"]))
            dest = next((Path(out) / "editions").glob("825-*"))
            for name, seconds in json.loads((dest / "timings.json").read_text())["chapters"].items():
                rows.append((f"  chapter {name}", seconds, None))
            t_noop = cscbook("build", "--output", out)
            rows.append(("default edition again, unchanged (no-op)", t_noop, TARGETS["noop"]))
            t_forced = cscbook("build", "--output", out, "--force")
            rows.append(("default edition, forced (chapters from cache, book compiled)", t_forced, None))
            every = _batch_councils(build_parser().parse_args(["build", "--all"]))
            others = [c for c in every if c != "825"]
            spread = others[:: max(1, len(others) // max(3 * args.councils, 1))]  # spread over the list
            batch, more = spread[: args.councils], spread[args.councils: 3 * args.councils]
            t_batch = cscbook("build", "--la", *batch, "--output", out, allow_failures=True) if batch else 0.0
            rows.append((f"batch of {len(batch)} councils with --la (shared all-council results cached)", t_batch, None))
            per = t_batch / max(len(batch), 1)
            rows.append((f"  all {len(every)} councils at the batch's average ({per:.1f} s per council, its start "
                         "and end included)", per * len(every), None))
            if len(more) > len(batch):
                # a batch twice the size, in an output folder of its own (the site published at the end copies
                # every edition of the folder) sharing the shared results: what each further council adds
                out2 = str(Path(tmp) / "out2")
                t_more = cscbook("build", "--la", *more, "--output", out2, "--shared-cache",
                                 str(Path(out) / "editions" / ".cache"), allow_failures=True)
                rows.append((f"batch of {len(more)} other councils", t_more, None))
                marginal = (t_more - t_batch) / (len(more) - len(batch))
                fixed = max(t_batch - marginal * len(batch), 0.0)  # noisy timings could make it negative
                t_all = fixed + marginal * len(every)
                rows.append((f"all {len(every)} councils with --all, extrapolated ({fixed:.1f} s once, then "
                             f"{marginal:.1f} s per council)", t_all, TARGETS["all"]))
            else:
                t_all, marginal, fixed = per * len(every), per, 0.0
                rows.append((f"all {len(every)} councils with --all, extrapolated at the batch's average", t_all,
                             TARGETS["all"]))
            if batch:  # the first batch again without the committee paper (chapters from the cache)
                t_forced_batch = cscbook("build", "--la", *batch, "--output", out, "--force", allow_failures=True)
                t_nopaper = cscbook("build", "--la", *batch, "--output", out, "--force", "--no-paper",
                                    allow_failures=True)
                rows.append(("  the first batch again, forced (chapters from cache, books compiled, papers printed)",
                             t_forced_batch, None))
                rows.append(("  the first batch again, forced, with --no-paper", t_nopaper, None))
                # the paper's share per council (its browser, started once per batch, shared among the batch)
                paper_share = (t_forced_batch - t_nopaper) / max(len(batch), 1)
                rows.append((f"all {len(every)} councils with --all --no-paper, extrapolated "
                             f"({marginal - paper_share:.1f} s per council)",
                             fixed + (marginal - paper_share) * len(every), TARGETS["all"]))

    width = max(len(r[0]) for r in rows)
    print(f"{'measure'.ljust(width)}  {'seconds':>9}  {'target':>8}  ratio")
    for label, seconds, target in rows:
        tail = f"  {target:8.1f}  {seconds / target:5.2f}" if target else ""
        print(f"{label.ljust(width)}  {seconds:9.2f}{tail}")
    print()
    if not args.skip_build:
        print(f"no-op / cold: {t_noop / t_cold:.3f}; forced / cold: {t_forced / t_cold:.3f}; "
              f"each further council in a batch / cold: {marginal / t_cold:.2f}")
    slowest = max(t_fit, key=t_fit.get)
    print(f"slowest monthly model / seasonal naive: {t_fit[slowest] / max(t_fit['seasonal_naive'], 1e-6):.0f}x ({slowest})")
    print(f"SARIMAX fits / whole monthly backtest: {sum(sarimax) / t_bt:.2f}")
    print(f"monthly backtest / annual panel backtest: {t_bt / t_annual:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
