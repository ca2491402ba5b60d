"""Calibrated intervals: quantiles of the model's own out-of-sample errors at each horizon, scored out of sample,
bias taken off the same way, and the horizons an edition publishes.

Every series and backtest here is SYNTHETIC, generated in code with a known truth."""

import numpy as np
import pandas as pd
import pytest

from cscbook.core.quarters import Quarter
from cscbook.models import calibration as K
from cscbook.models import history


def synthetic_backtest(origins=120, horizons=24, bias=0.2, sd=0.15, seed=5) -> pd.DataFrame:
    """SYNTHETIC backtest rows: forecasts that run exp(bias) high with lognormal errors of ``sd``, independent
    across origins (a known truth: the 10th to 90th percentiles of the error hold 80% of outcomes)."""
    rng = np.random.default_rng(seed)
    start = pd.Period("2000-01", freq="M")
    rows = []
    for i in range(origins):
        o = start + 4 * i  # four months apart, so no origin is a neighbour left out of another's calibration
        for h in range(1, horizons + 1):
            actual = float(rng.uniform(300, 600))
            rows.append(dict(model="m", origin=str(o), horizon=h, actual=actual,
                             forecast=actual * np.exp(bias - sd * rng.standard_normal())))
    return pd.DataFrame(rows)


def test_coverage_of_calibrated_intervals_lands_near_80_and_95_on_a_known_truth():
    cal = K.Calibration.from_backtest(synthetic_backtest(), "m")
    cov = cal.coverage(range(13, 25))
    o = K.overall(cov)
    assert 0.75 <= o["coverage_80"] <= 0.85
    assert 0.92 <= o["coverage_95"] <= 0.98
    assert (cov["coverage_80"].between(0.65, 0.95)).all() and (cov["n"] > 100).all()


def test_bias_is_taken_off_the_same_way():
    rows = synthetic_backtest(bias=0.25)
    raw = (rows["forecast"] - rows["actual"]).mean() / rows["actual"].mean()
    assert raw > 0.2  # the model runs about 28% high
    o = K.overall(K.Calibration.from_backtest(rows, "m").coverage(range(13, 25)))
    assert abs(o["bias_pct"]) < 3.0
    cal = K.Calibration.from_backtest(rows, "m")
    assert cal.correction(18) == pytest.approx(np.exp(-0.25), rel=0.05)


def test_the_model_own_too_narrow_errors_are_widened():
    rows = synthetic_backtest(bias=0.0, sd=0.3)
    cal = K.Calibration.from_backtest(rows, "m")
    fc = pd.DataFrame({"mean": [400.0], "lower_80": [390.0], "upper_80": [410.0], "lower_95": [380.0],
                       "upper_95": [420.0]}, index=pd.PeriodIndex(["2026-04"], freq="M"))
    out = cal.apply(fc, pd.Period("2025-03", freq="M"))
    assert out.at[pd.Period("2026-04", freq="M"), "horizon"] == 13
    lo, hi = out.iloc[0]["lower_80"], out.iloc[0]["upper_80"]
    # errors ln(actual / forecast) ~ N(0, 0.3): the 80% interval is about 400 x exp(+-1.28 x 0.3)
    assert lo == pytest.approx(400 * np.exp(-1.2816 * 0.3), rel=0.08)
    assert hi == pytest.approx(400 * np.exp(1.2816 * 0.3), rel=0.08)
    assert out.iloc[0]["lower_95"] < lo < out.iloc[0]["mean"] < hi < out.iloc[0]["upper_95"]


def test_probability_above_is_the_share_of_errors_that_would_have_put_it_above():
    rows = pd.DataFrame([dict(origin=f"2010-{i + 1:02d}", horizon=1, actual=1000.0 * r, forecast=1000.0)
                         for i, r in enumerate([0.8, 0.9, 1.0, 1.1, 1.2, 1.3])])
    cal = K.Calibration.from_backtest(rows, min_errors=6)
    assert cal.probability_above(1, 100.0, 105.0) == pytest.approx(3 / 6)
    assert cal.probability_above(1, 100.0, 125.0) == pytest.approx(1 / 6)
    assert cal.probability_above(1, 100.0, 50.0) == 1.0


def test_published_horizons():
    # the illustrative series ends in March 2025 and the plan covers April 2026 to March 2027
    assert K.published_horizons(pd.Period("2025-03", freq="M"), Quarter(2026, 1)) == range(13, 25)
    # a council's extract to the quarter's end: the next twelve months
    assert K.published_horizons(pd.Period("2026-03", freq="M"), Quarter(2026, 1)) == range(1, 13)


def test_too_few_origins_are_not_calibrated():
    rows = synthetic_backtest(origins=3)
    cal = K.Calibration.from_backtest(rows, "m")
    assert not cal.usable
    assert K.overall(cal.coverage(range(1, 13)))["n"] == 0


def test_conformal_quantiles_are_the_order_statistics_of_split_conformal_prediction():
    x = np.arange(1.0, 20.0)  # 19 errors: ceil(20 x 0.9) = 18th, floor(20 x 0.1) = 2nd
    assert K.conformal_quantile(x, 0.9) == 18.0 and K.conformal_quantile(x, 0.1) == 2.0
    assert K.conformal_quantile(x[:5], 0.975) == 5.0 and K.conformal_quantile(x[:5], 0.025) == 1.0
    # wider than the plain percentiles from few errors
    assert K.conformal_quantile(x, 0.9) > np.quantile(x, 0.9)


def test_a_history_too_short_for_the_published_horizons_is_not_calibrated_and_says_so():
    from cscbook.models.demand import MonthlySeries

    # SYNTHETIC: 50 months ending March 2025, an edition for 2026Q1 publishes horizons 13 to 24
    idx = pd.period_range("2021-02", "2025-03", freq="M")
    y = pd.Series(400 + 50 * np.sin(np.arange(len(idx)) / 2), index=idx).round()
    series = MonthlySeries(y.to_frame("referrals"), True, "synthetic")
    ef = history.monthly_forecast(series, Quarter(2026, 1), models=("seasonal_naive", "naive"))
    assert ef.horizons == range(13, 25) and ef.errors["horizon"].max() == 14  # 50 - 36 months of test at most
    assert not ef.calibrated_ok and ef.coverage.empty
    assert "too few to calibrate" in ef.sentence() and "13 to 24 months ahead" in ef.sentence()
    assert (ef.calibrated["mean"] == ef.fc_all["mean"]).all()  # nothing corrected
