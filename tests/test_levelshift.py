"""Level shifts in a monthly series: found at the right month, and the models then train on the current level.

All series here are synthetic, generated in code.
"""

import numpy as np
import pandas as pd
import pytest

from cscbook.models import backtest as B
from cscbook.models import forecast as F
from cscbook.models import levelshift as L


def synthetic(n=96, level=400.0, step_at=None, ratio=1.0, seed=0, start="2016-04"):
    """Synthetic monthly counts: seasonal Poisson noise around ``level``, times ``ratio`` from month ``step_at``."""
    idx = pd.period_range(start, periods=n, freq="M")
    rng = np.random.default_rng(seed)
    mean = level * (1 + 0.15 * np.sin(2 * np.pi * np.arange(n) / 12))
    if step_at is not None:
        mean = mean * np.where(idx >= pd.Period(step_at, freq="M"), ratio, 1.0)
    return pd.Series(rng.poisson(mean).astype(float), index=idx)


@pytest.mark.parametrize("step_at,ratio", [("2021-07", 0.5), ("2019-11", 1.6), ("2022-04", 1.4)])
def test_shift_found_at_the_right_month_with_its_size(step_at, ratio):
    y = synthetic(step_at=step_at, ratio=ratio, seed=4)
    shifts = L.detect_shifts(y)
    assert [str(m) for m, _ in shifts] == [step_at]
    assert shifts[0][1] == pytest.approx(ratio, rel=0.05)


@pytest.mark.parametrize("seed", range(5))
def test_no_shift_in_a_stable_series_or_a_modest_trend(seed):
    y = synthetic(seed=seed)
    assert L.detect_shifts(y) == []
    trend = y * np.linspace(1.0, 1.3, len(y))  # 30% over eight years: a trend, not a shift
    assert L.detect_shifts(trend) == []
    assert L.prepare(y).action == "none"


def test_train_after_a_shift_with_three_years_after_it():
    y = synthetic(n=96, step_at="2019-04", ratio=0.5, seed=2)
    p = L.prepare(y)
    assert p.action == "train_after" and str(p.shift_month) == "2019-04"
    assert str(p.series.index[0]) == "2019-04" and len(p.series) == len(y[y.index >= p.shift_month])
    assert "2019-04" in p.sentence and "train only" in p.sentence


def test_adjust_a_recent_shift_to_the_level_after_it():
    y = synthetic(n=96, step_at="2022-01", ratio=0.5, seed=3)
    p = L.prepare(y)
    assert p.action == "adjust" and str(p.shift_month) == "2022-01"
    before = p.series[p.series.index < p.shift_month]
    after = p.series[p.series.index >= p.shift_month]
    # rescaled history sits at the post-shift level (about 200 a month), not the old 400
    assert before.mean() == pytest.approx(after.mean(), rel=0.08)
    assert "rescaled" in p.sentence


def test_forecast_after_a_shift_is_at_the_new_level_and_beats_ignoring_it():
    y = synthetic(n=96, step_at="2022-01", ratio=0.5, seed=5)
    train, test = y[:"2023-03"], y["2023-04":]
    with_shift = F.fit_forecast(train, "ets", 12)
    without = F.fit_forecast(train, "ets", 12, level_shifts=False)
    err_with = (with_shift["mean"] - test).abs().mean()
    err_without = (without["mean"] - test).abs().mean()
    assert err_with < err_without
    # and the interval is narrower: the break no longer inflates the model's variance
    assert (with_shift["upper_80"] - with_shift["lower_80"]).mean() < (without["upper_80"] - without["lower_80"]).mean()


def test_buckinghamshire_example_shift_at_april_2023():
    from cscbook.data import illustrative, monthly

    y = monthly.read_extract(illustrative.example_path())["referrals"].astype(float)
    p = L.prepare(y)
    assert str(p.shift_month) == "2023-04"  # the fall after the 2022 and 2023 recording change
    assert p.action == "adjust"
    # the forecast no longer trains on the break: September 2026's 80% interval is far narrower than 215-856
    fc = F.fit_forecast(y[:"2025-03"], "ets", 18)
    sep = fc.loc[pd.Period("2026-09", freq="M")]
    assert sep["upper_80"] - sep["lower_80"] < 400


def test_backtest_after_a_recent_shift_beats_seasonal_naive_only_with_the_shift_step():
    y = synthetic(n=96, step_at="2021-01", ratio=0.55, seed=11)  # every origin sees 12+ months after the step
    mase = {}
    for shifts in (True, False):
        errors = B.backtest_errors(y, models=("seasonal_naive", "ets"), step=6, last_n=12,
                                   level_shifts=shifts)
        mase[shifts] = B.summarise(errors).set_index("model")["mase"]
    assert mase[True]["ets"] < mase[True]["seasonal_naive"]
    assert mase[True]["ets"] < mase[False]["ets"]
    assert mase[False]["ets"] > mase[False]["seasonal_naive"]  # trained across the step, ETS loses to the baseline
