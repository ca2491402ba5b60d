"""Time the panel model's full rolling-origin backtest: all councils, target years to 2025 (and 2026's forecast).

Run from the repository root with ``PYTHONPATH=src``. Prints seconds for loading inputs, the out-of-sample
forecasts (features and every fit), and the comparison with naive on the same rows.
"""

import time

from cscbook.models import annual, panelmodel


def main() -> None:
    t0 = time.perf_counter()
    inputs = panelmodel.load_inputs()
    t1 = time.perf_counter()
    oos = panelmodel.oos_forecasts(inputs)
    t2 = time.perf_counter()
    summary, detail = annual.backtest(oos=oos)
    c = annual.comparison(detail)
    t3 = time.perf_counter()
    print(f"load inputs            {t1 - t0:6.2f} s")
    print(f"panel backtest (fits)  {t2 - t1:6.2f} s   target <= 20 s")
    print(f"all methods + compare  {t3 - t2:6.2f} s")
    print(f"total                  {t3 - t0:6.2f} s")
    p = summary.set_index("model").loc["panel"]
    print(f"MASE panel {c['mase']:.4f}, naive {c['mase_naive']:.4f} on {c['n']} rows: ratio {c['ratio']:.4f}, "
          f"bootstrap 95% {c['bootstrap_95'][0]:.4f}-{c['bootstrap_95'][1]:.4f}; better in {c['years_better']} "
          f"of {c['years']} years (sign test p {c['sign_test_p']:.3f}, Wilcoxon p {c['wilcoxon_p']:.3f}); "
          f"coverage 80% {p['coverage_80']:.3f}, 95% {p['coverage_95']:.3f}")
    print(c["by_year"].round(4).to_string())
    print(c["by_period"].round(4).to_string())


if __name__ == "__main__":
    main()
