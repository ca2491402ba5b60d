"""Capacity plan: FTE needed with its 80% band, probability of exceeding capacity, recruitment dates that never
fall before the end of the edition's quarter, and sentences that never state a shortfall without its probability.

Forecast frames and monthly series here are SYNTHETIC, generated in code, except where a test checks the
official figures the plan rests on."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from cscbook import capacity as C
from cscbook.quarters import Quarter
from cscbook.scenarios import Scenario

Q = Quarter(2026, 1)


def flat_fc(means, start="2026-04", half=20.0) -> pd.DataFrame:
    """SYNTHETIC forecast: symmetric 80% band of +-half, 95% band a little wider."""
    idx = pd.period_range(start, periods=len(means), freq="M")
    m = np.asarray(means, dtype=float)
    return pd.DataFrame({"mean": m, "lower_80": m - half, "upper_80": m + half, "lower_95": m - 1.5 * half,
                         "upper_95": m + 1.5 * half}, index=idx)


INPUTS = C.CapacityInputs(current_fte=50.0, monthly_referrals=100.0, conversion=0.8, caseload=20.0)


def test_fte_needed_band_shortfall_and_probability():
    fc = flat_fc([80, 100, 130])
    plan = C.plan_for(fc, INPUTS, Q)
    assert plan["fte_needed"].tolist() == [40.0, 50.0, 65.0]
    assert plan["fte_needed_lower_80"].tolist() == [30.0, 40.0, 55.0]
    assert plan["fte_needed_upper_80"].tolist() == [50.0, 60.0, 75.0]
    assert plan["shortfall"].tolist() == [0.0, 0.0, 15.0]
    assert plan["shortfall_lower_80"].tolist() == [0.0, 0.0, 5.0]
    assert plan["shortfall_upper_80"].tolist() == [0.0, 10.0, 25.0]
    p = plan["probability_over_capacity"]
    assert p.iloc[0] == pytest.approx(0.10)  # capacity exactly at the upper 80% bound: 10% above it
    assert p.iloc[1] == pytest.approx(0.50)  # capacity at the mean
    from scipy import stats
    assert p.iloc[2] == pytest.approx(stats.norm.cdf(30 / (20 / C.Z80)))  # 0.973: mean 30 above the threshold
    assert plan["at_risk"].tolist() == [False, True, True]


def test_lopsided_band_uses_its_own_side():
    fc = flat_fc([100])
    fc["upper_80"] = 200.0  # long upper tail
    p = C.probability_above(fc, 140.0).iloc[0]
    from scipy import stats
    assert p == pytest.approx(1 - stats.norm.cdf(40 / (100 / C.Z80)))
    fc0 = flat_fc([100], half=0.0)
    assert C.probability_above(fc0, 99.0).iloc[0] == 1.0 and C.probability_above(fc0, 101.0).iloc[0] == 0.0


@pytest.mark.parametrize("month,lead,quarter,expected", [
    ("2026-04", 26, Quarter(2026, 1), None),                 # 6 March 2026: before 31 March, so start now
    ("2026-04", 0, Quarter(2026, 1), date(2026, 4, 1)),
    ("2026-05", 31, Quarter(2026, 1), date(2026, 3, 31)),    # exactly the quarter's last day: allowed
    ("2026-05", 32, Quarter(2026, 1), None),                 # one day earlier: start now
    ("2027-01", 26, Quarter(2026, 4), None),                 # across the year end
    ("2027-02", 26, Quarter(2026, 4), date(2027, 1, 6)),
    ("2026-06", 365, Quarter(2026, 1), None),
])
def test_recruitment_date_never_before_the_quarter_end(month, lead, quarter, expected):
    got = C.recruitment_date(pd.Period(month, freq="M"), lead, quarter)
    assert got == expected
    if got is not None:
        assert got >= quarter.end


def test_the_2026_03_06_advice_becomes_start_now_naming_the_month():
    series = pd.DataFrame({"referrals": np.full(12, 100.0), "social_workers_fte": np.full(12, 50.0)},
                          index=pd.period_range("2025-01", periods=12, freq="M"))
    res = C.capacity_for(Q, "825", series, flat_fc([130] * 12))
    assert res.first_at_risk == pd.Period("2026-04", freq="M") and res.recruit_by is None
    assert res.recruitment.startswith("Base case: start recruiting now: April 2026")
    assert "2026-03-06" not in " ".join(res.sentences) and "6 March" not in " ".join(res.sentences)
    assert res.plan["recruit_by"].iloc[0] == "now"
    later = C.capacity_for(Q, "825", series, flat_fc([90, 90, 130] + [90] * 9))
    assert later.recruit_by == date(2026, 5, 6) and "by 6 May 2026" in later.recruitment


def test_months_before_the_quarter_end_are_not_planned():
    fc = flat_fc([130] * 24, start="2025-04")
    plan = C.plan_for(fc, INPUTS, Q)
    assert plan.index[0] == pd.Period("2026-04", freq="M") and len(plan) == 12


def test_starters_leavers_conversion_caseload_and_lead_time():
    fc = flat_fc([100] * 6)
    sc = Scenario("Mixed", conversion=0.4, caseload=40.0, lead_time_days=60,
                  starters={pd.Period("2026-05", freq="M"): 5.0}, leavers={pd.Period("2026-07", freq="M"): 2.0})
    plan = C.plan_for(fc, INPUTS, Q, sc)
    assert plan["fte_needed"].tolist() == [12.5] * 6  # half the conversion and twice the caseload: a quarter
    assert plan["capacity_fte"].tolist() == [50.0, 55.0, 55.0, 53.0, 53.0, 53.0]


@pytest.mark.parametrize("seed", range(20))
def test_probabilities_in_range_and_sentences_carry_probability(seed):
    rng = np.random.default_rng(seed)
    n = 12
    mean = rng.uniform(0, 300, n)
    fc = flat_fc(mean, half=0.0)
    fc["lower_80"] = (mean - rng.uniform(0, 150, n)).clip(0)
    fc["upper_80"] = mean + rng.uniform(0, 150, n)
    quarter = Quarter(int(rng.integers(2018, 2027)), int(rng.integers(1, 5)))
    fc.index = pd.period_range(pd.Period(quarter.end, freq="M") + 1, periods=n, freq="M")
    series = pd.DataFrame({"referrals": np.full(12, float(rng.uniform(50, 250))),
                           "social_workers_fte": np.full(12, float(rng.uniform(20, 90)))},
                          index=pd.period_range("2017-01", periods=12, freq="M"))
    res = C.capacity_for(quarter, "825", series, fc, Scenario("S", lead_time_days=int(rng.integers(0, 120))))
    p = res.plan["probability_over_capacity"]
    assert p.between(0, 1).all()
    dated = res.plan.loc[res.plan["recruit_by"].ne("") & res.plan["recruit_by"].ne("now"), "recruit_by"]
    assert all(date.fromisoformat(d) >= quarter.end for d in dated)
    if res.first_at_risk is not None:
        assert "probability" in res.recruitment and "shortfall" in res.recruitment
        assert res.first_at_risk > pd.Period(quarter.end, freq="M")
        assert (res.recruit_by is None) == ("start recruiting now" in res.recruitment)


def test_inputs_from_official_figures_for_buckinghamshire_2026q1():
    series = pd.DataFrame({"referrals": np.full(12, 460.0)}, index=pd.period_range("2024-04", periods=12, freq="M"))
    inp = C.capacity_inputs(Q, "825", series)
    # dfe_csww_indicators_2017_2025.csv, 825, 2025: case_holders_fte 150.4, caseload_fte 18.1
    assert inp.current_fte == 150.4 and inp.caseload == 18.1
    # dfe_cin_c1_referrals_rereferrals_2013_2025.csv, 825, 2025: no_further_action_percent 2.1
    assert inp.conversion == pytest.approx(0.979)
    assert inp.monthly_referrals == 460.0
    # an edition for 2025Q1 only sees the census for September 2024 (published March 2025)
    earlier = C.capacity_inputs(Quarter(2025, 1), "825", series)
    assert earlier.sources[1].endswith("30 September 2024 (DfE workforce census)")


def test_inputs_from_the_extract_when_it_has_them():
    idx = pd.period_range("2025-01", periods=12, freq="M")
    series = pd.DataFrame({"referrals": np.full(12, 200.0), "assessments": np.full(12, 150.0),
                           "open_cases": np.full(12, 1200.0), "social_workers_fte": np.full(12, 80.0)}, index=idx)
    inp = C.capacity_inputs(Q, "825", series)
    assert (inp.current_fte, inp.conversion, inp.caseload) == (80.0, 0.75, 15.0)
    assert all("extract" in s for s in inp.sources[1:])


def test_no_staffing_figure_means_no_plan_and_says_so():
    from cscbook.scenarios import compare_scenarios

    series = pd.DataFrame({"referrals": np.full(12, 100.0)}, index=pd.period_range("2016-01", periods=12, freq="M"))
    fc = flat_fc([100] * 12, start="2017-01")
    res = C.capacity_for(Quarter(2016, 4), "825", series, fc)  # the first workforce census was published in 2018
    assert res.plan.empty and res.sentences[0].startswith("No published case-holding social worker figure")
    cmp = compare_scenarios(Quarter(2016, 4), "825", series, fc, [Scenario("Up")])
    assert cmp.plans.empty and cmp.sentences == res.sentences[:1]
