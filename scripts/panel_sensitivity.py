"""A pre-declared sensitivity study of the panel model: three variants, each run once, reported as they come out.

Run from the repository root with ``PYTHONPATH=src``; ``--format json`` prints the same results as JSON.

The variants below were written into this script before any of them was run, and none is added, dropped or
changed after seeing the numbers. They are not a search for the best score: the book's method stays variant A
whatever B and C show.

A  "as built": :func:`cscbook.models.panelmodel.oos_forecasts` with its defaults, the method described in
   ``book/methods.md`` (all 14 features; penalty ``alpha`` and shrink weight ``w`` chosen inside each origin
   from earlier target years only).
B  "the specification": the brief for the panel model describes the independent study that
   reached about 0.97 as "a median (least-absolute-deviation) regression of log growth on these features,
   pooled across councils and halved towards naive". Its features are the front-door mix the year before
   (re-referral %, no-further-action % against England's, not-in-need %, children in need per referral),
   recent Ofsted events (an inadequate judgement in the last two years, an inspection published in the last
   year), the council's own reversal of recent growth (``growth_1``) and the workforce (vacancy and agency
   rates). "Halved towards naive" is ``w`` fixed at 0.5. The brief names no penalty, so ``alpha`` is chosen
   inside each origin as in A.
C  B's features with ``w`` and ``alpha`` both chosen inside each origin as in A: separates the effect of the
   smaller feature set from that of fixing ``w``.

Everything else (training rows, winsorising, weights, intervals, the rows scored, the bootstrap) is the
method's own and the same for all three. Each variant is compared with naive on the same rows by
:func:`cscbook.models.annual.comparison`.
"""

import argparse
import json
import time

import numpy as np

from cscbook.models import annual, panelmodel

BRIEF_FEATURES = ("rereferral_pct", "nfa_gap_pp", "not_in_need_pct", "log_cin_per_referral", "growth_1",
                  "inadequate_2y", "inspected_1y", "vacancy_pct", "agency_pct")

VARIANTS = {
    "A": dict(label="as built", params={}),
    "B": dict(label="the brief's specification", params=dict(feature_names=BRIEF_FEATURES, w=0.5)),
    "C": dict(label="the brief's features, w and alpha chosen", params=dict(feature_names=BRIEF_FEATURES)),
}


def run(inputs, params: dict) -> dict:
    oos = panelmodel.oos_forecasts(inputs, **params)
    summary, detail = annual.backtest(oos=oos)
    c = annual.comparison(detail)
    p = summary.set_index("model").loc["panel"]
    scored = oos[oos["year"].between(annual.BACKTEST_FROM, int(c["by_year"].index.max()))]
    chosen = scored.groupby("year")[["alpha", "w"]].first()
    return dict(
        n=c["n"], mase=c["mase"], mase_naive=c["mase_naive"], ratio=c["ratio"],
        bootstrap_95=list(c["bootstrap_95"]), years_better=c["years_better"], years=c["years"],
        ratio_2017_2021=float(c["by_period"].loc["2017-2021", "ratio"]),
        ratio_2022_2025=float(c["by_period"].loc["2022-2025", "ratio"]),
        coverage_80=float(p["coverage_80"]), coverage_95=float(p["coverage_95"]),
        ratio_by_year={int(y): float(r) for y, r in c["by_year"]["ratio"].items()},
        w_by_year={int(y): float(v) for y, v in chosen["w"].items()},
        alpha_by_year={int(y): float(v) for y, v in chosen["alpha"].items()},
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--format", choices=("table", "json"), default="table")
    args = ap.parse_args()
    t0 = time.perf_counter()
    inputs = panelmodel.load_inputs()
    results = {}
    for key, v in VARIANTS.items():
        results[key] = dict(label=v["label"], params={k: list(x) if isinstance(x, tuple) else x
                                                     for k, x in v["params"].items()},
                            **run(inputs, v["params"]))
    seconds = time.perf_counter() - t0
    if args.format == "json":
        print(json.dumps(dict(variants=results, seconds=round(seconds, 1)), indent=2))
        return
    head = (f"{'variant':<42} {'n':>5} {'MASE':>6} {'naive':>6} {'ratio':>6} {'bootstrap 95%':>13} "
            f"{'better':>6} {'17-21':>6} {'22-25':>6} {'cov80':>6} {'cov95':>6}")
    print(head)
    print("-" * len(head))
    for key, r in results.items():
        lo, hi = r["bootstrap_95"]
        print(f"{key + ' ' + r['label']:<42} {r['n']:>5} {r['mase']:>6.4f} {r['mase_naive']:>6.4f} "
              f"{r['ratio']:>6.4f} {lo:>6.4f}-{hi:<6.4f} {r['years_better']:>2} of {r['years']} "
              f"{r['ratio_2017_2021']:>6.4f} {r['ratio_2022_2025']:>6.4f} {r['coverage_80']:>6.3f} "
              f"{r['coverage_95']:>6.3f}")
    print()
    years = sorted(results["A"]["ratio_by_year"])
    print("ratio by year " + " ".join(f"{y:>6}" for y in years))
    for key, r in results.items():
        print(f"{key:<13} " + " ".join(f"{r['ratio_by_year'].get(y, np.nan):>6.4f}" for y in years))
    print("w chosen      " + " | ".join(f"{k}: {sorted(set(r['w_by_year'].values()))}" for k, r in results.items()))
    print("alpha chosen  " + " | ".join(f"{k}: {sorted(set(r['alpha_by_year'].values()))}" for k, r in results.items()))
    print(f"\n{seconds:.1f} s")


if __name__ == "__main__":
    main()
