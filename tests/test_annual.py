"""annual.comparison on synthetic backtest rows (generated here, labelled synthetic)."""

import numpy as np
import pandas as pd
import pytest

from cscbook.models import annual, panelmodel


def _synthetic(ratio: float) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = []
    for code in [f"{i:03d}" for i in range(800, 860)]:
        for year in range(2017, 2026):
            actual = 1000.0
            err = rng.uniform(10, 100)
            for method, e in (("naive", err), ("panel", err * ratio)):
                rows.append(dict(old_la_code=code, year=year, method=method, actual=actual,
                                 forecast=actual + e, scale=50.0))
    return pd.DataFrame(rows)


def test_comparison_of_a_method_with_errors_a_fixed_share_of_naive():
    c = annual.comparison(_synthetic(0.9))
    assert c["ratio"] == pytest.approx(0.9)
    assert c["bootstrap_95"] == pytest.approx((0.9, 0.9))
    assert c["years_better"] == 9 and c["sign_test_p"] == pytest.approx(2 / 512)
    assert list(c["by_period"].index) == ["2017-2021", "2022-2025"]
    assert c["n"] == 60 * 9


def test_comparison_uses_only_rows_both_methods_have():
    d = _synthetic(1.2)
    d = d[~((d["method"] == "panel") & (d["year"] == 2017))]
    c = annual.comparison(d)
    assert c["n"] == 60 * 8 and 2017 not in c["by_year"].index
    assert c["ratio"] == pytest.approx(1.2) and c["years_better"] == 0


def test_naive_skips_flagged_years_and_stale_values():
    panel = pd.DataFrame({2019: [100.0, 100.0], 2020: [110.0, 500.0], 2021: [np.nan, 900.0]}, index=["a", "b"])
    flags = pd.DataFrame(False, index=panel.index, columns=panel.columns)
    flags.loc["b", [2020, 2021]] = True
    n = panelmodel.naive_forecast(panel, flags, 2022)
    assert n["a"] == 110.0 and np.isnan(n["b"])
