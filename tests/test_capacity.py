"""Capacity plan: FTE needed with its 80% band, probability of exceeding capacity, recruitment dates that never
fall before the end of the edition's quarter, and sentences that never state a shortfall without its probability.

Forecast frames and monthly series here are SYNTHETIC, generated in code, except where a test checks the
official figures the plan rests on."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from cscbook.core.quarters import Quarter
from cscbook.models import capacity as C
from cscbook.models import staffing as St
from cscbook.models.scenariofile import Scenario

Q = Quarter(2026, 1)


def flat_fc(means, start="2026-04", half=20.0) -> pd.DataFrame:
    """SYNTHETIC forecast: symmetric 80% band of +-half, 95% band a little wider."""
    idx = pd.period_range(start, periods=len(means), freq="M")
    m = np.asarray(means, dtype=float)
    return pd.DataFrame({"mean": m, "lower_80": m - half, "upper_80": m + half, "lower_95": m - 1.5 * half,
                         "upper_95": m + 1.5 * half}, index=idx)


INPUTS = St.CapacityInputs(current_fte=50.0, monthly_referrals=100.0, conversion=0.8, caseload=20.0)


def staffing(mean_months=3.0, level=100.0, start="2025-01", n=15, inputs=INPUTS, as_at=None) -> St.Staffing:
    """SYNTHETIC staffing model: steady referrals at ``level`` to the month before 2026-04 (by default)."""
    history = pd.Series(level, index=pd.period_range(start, periods=n, freq="M"))
    if as_at is not None:
        inputs = St.CapacityInputs(inputs.current_fte, inputs.monthly_referrals, inputs.conversion, inputs.caseload,
                                  (), pd.Period(as_at, freq="M"))
    return St.staffing_model(Q, "825", history.to_frame("referrals"), history, inputs, St.Survival(mean_months))


def test_a_known_survival_curve_reproduces_a_hand_computed_stock():
    # S = 1, 0.5, 0.25; months before the first at the first year's average (25)
    got = St.open_cases([10, 20, 30, 40], [1.0, 0.5, 0.25], conversion=0.5)
    assert got.tolist() == pytest.approx([0.5 * (10 + 12.5 + 6.25), 0.5 * (20 + 5 + 6.25), 0.5 * (30 + 10 + 2.5),
                                          0.5 * (40 + 15 + 5)])
    curve = St.Survival(4.0).curve()
    assert curve[:3].tolist() == pytest.approx([1.0, 0.75, 0.5625]) and curve.sum() == pytest.approx(4.0, abs=1e-3)
    # Little's law: steady referrals R give a stock of R x conversion x the mean duration
    assert St.open_cases(np.full(200, 100.0), St.Survival(10.0), 0.8)[-1] == pytest.approx(800.0, rel=1e-3)


def test_a_steady_state_gives_back_todays_fte():
    st = staffing(mean_months=9.7, start="2022-04", n=48)
    plan = C.plan_for(flat_fc([100] * 12), st, Q)
    assert plan["fte_needed"].to_numpy() == pytest.approx(np.full(12, 50.0))
    assert st.check().set_index("figure").loc["FTE in post x average caseload", "value"] == 1000.0
    # calibrated at a census month inside the data, too
    st = staffing(mean_months=9.7, start="2022-04", n=48, as_at="2025-09")
    assert C.plan_for(flat_fc([100] * 12), st, Q)["fte_needed"].to_numpy() == \
        pytest.approx(np.full(12, 50.0))


def test_a_one_month_spike_raises_fte_needed_far_less_than_proportionally_and_decays():
    d = 6.0
    st = staffing(mean_months=d)
    means = [100.0] * 12
    means[2] = 150.0  # June 2026: referrals up 50%
    plan = C.plan_for(flat_fc(means), st, Q)
    fte = plan["fte_needed"].to_numpy()
    curve = St.Survival(d).curve()
    # the stock gains 50 x S(k) cases k months on, against a steady 100 x sum(S): FTE up 50 x S(k) / (100 x D)
    expected = 50.0 + 50.0 * np.array([0, 0] + [50 * curve[k] / (100 * curve.sum()) for k in range(10)])
    assert fte == pytest.approx(expected)
    assert fte[2] - 50.0 < 0.25 * (50.0 * 0.5)  # far less than the 25 FTE a proportional model would add
    assert all(a > b for a, b in zip(fte[2:], fte[3:])) and fte[-1] > 50.0


def test_calibration_check_reproduces_the_workforce_census_for_buckinghamshire_2026q1():
    from cscbook.models.demand import monthly_series

    series = monthly_series("825", Q)
    st = St.staffing_model(Q, "825", series.frame)
    check = st.check().set_index("figure")["value"]
    # dfe_csww_indicators_2017_2025.csv, 825, 2025: case_holders_fte 150.4, caseload_fte 18.1, cases 2720
    assert check["FTE in post x average caseload"] == pytest.approx(150.4 * 18.1)
    assert check["Cases held, workforce census"] == 2720.0
    calibrated = [v for k, v in check.items() if k.startswith("Modelled open cases") and k.endswith("calibrated")]
    assert calibrated == [pytest.approx(150.4 * 18.1)]
    # dfe_cin_b1_children_in_need_2013_2025.csv, 825, 2025: At31_episodes 3189, Started_episodes 3945
    assert st.survival.mean_months == pytest.approx(12 * 3189 / 3945)
    assert "table B1" in st.survival.source and "assumption" in st.survival.source
    assert st.conversion == pytest.approx(4309 / 5518)


def test_advice_only_when_a_shortfall_is_at_least_as_likely_as_not():
    st = staffing(mean_months=1.0)
    hold = C.capacity_for(Q, "825", st.history.to_frame("referrals"), flat_fc([95] * 12), staffing=st)
    assert hold.first_at_risk is None and hold.recruit_by is None
    assert "capacity is expected to hold" in hold.recruitment and "highest chance is" in hold.recruitment
    assert (hold.plan["recruit_by"] == "").all() and "recruit" not in " ".join(hold.plan["recruit_by"])
    short = C.capacity_for(Q, "825", st.history.to_frame("referrals"), flat_fc([95] * 5 + [130] * 7), staffing=st)
    assert short.first_at_risk == pd.Period("2026-09", freq="M") and "recruitment must start by" in short.recruitment
    assert short.plan.loc[short.plan["recruit_by"] != "", "probability_over_capacity"].min() >= 0.5


def test_fte_needed_band_shortfall_and_probability_without_a_backtest():
    st = staffing(mean_months=1.0)  # cases close within the month: FTE follows the month's referrals
    plan = C.plan_for(flat_fc([80, 100, 130]), st, Q)
    assert plan["fte_needed"].tolist() == pytest.approx([40.0, 50.0, 65.0])
    assert plan["fte_needed_lower_80"].tolist() == pytest.approx([30.0, 40.0, 55.0], abs=0.2)
    assert plan["fte_needed_upper_80"].tolist() == pytest.approx([50.0, 60.0, 75.0], abs=0.2)
    assert plan["shortfall"].tolist() == pytest.approx([0.0, 0.0, 15.0])
    p = plan["probability_over_capacity"]
    assert p.iloc[0] == pytest.approx(0.10, abs=0.01) and p.iloc[1] == pytest.approx(0.5, abs=0.01)
    assert p.iloc[2] > 0.95 and plan["at_risk"].tolist() == [False, True, True]


def test_probability_over_capacity_comes_from_the_calibrated_errors():
    from cscbook.models.calibration import Calibration

    st = staffing(mean_months=1.0)
    # SYNTHETIC backtest errors in open cases: the forecast ran 10% high at every horizon, errors spread evenly
    e = np.log(np.linspace(0.7, 1.1, 41))
    rows = pd.DataFrame([dict(origin=f"20{10 + i // 12:02d}-{i % 12 + 1:02d}", horizon=h,
                              actual=1000 * float(np.exp(x)), forecast=1000.0)
                         for i, x in enumerate(e) for h in range(1, 25)])
    cal = Calibration.from_backtest(rows)
    plan = C.plan_for(flat_fc([110] * 12), st, Q, stock_cal=cal)
    # corrected: 110 x median(0.7..1.1) = 110 x 0.9 = 99 referrals' worth of cases, 49.5 FTE
    assert plan["fte_needed"].to_numpy() == pytest.approx(np.full(12, 49.5))
    # over capacity (50 FTE: 1,000 cases, 1,250 referrals' worth) when 110 x r > 100, r > 0.909: 19 of 41
    share = float(np.mean(110 * np.exp(e) * 0.8 * st.factor > 1000.0))
    assert plan["probability_over_capacity"].to_numpy() == pytest.approx(np.full(12, share))


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
    st = staffing(mean_months=1.0)  # cases close within the month, so FTE follows the month's referrals
    series = st.history.to_frame("referrals")
    res = C.capacity_for(Q, "825", series, flat_fc([130] * 12), staffing=st)
    assert res.first_at_risk == pd.Period("2026-04", freq="M") and res.recruit_by is None
    assert res.recruitment.startswith("Base case: start recruiting now: April 2026")
    assert "2026-03-06" not in " ".join(res.sentences) and "6 March" not in " ".join(res.sentences)
    assert res.plan["recruit_by"].iloc[0] == "now"
    later = C.capacity_for(Q, "825", series, flat_fc([90, 90, 130] + [90] * 9), staffing=st)
    assert later.recruit_by == date(2026, 5, 6) and "by 6 May 2026" in later.recruitment


def test_months_before_the_quarter_end_are_not_planned():
    fc = flat_fc([130] * 24, start="2025-04")
    plan = C.plan_for(fc, staffing(n=3), Q)
    assert plan.index[0] == pd.Period("2026-04", freq="M") and len(plan) == 12


def test_starters_leavers_conversion_caseload_and_lead_time():
    fc = flat_fc([100] * 6)
    sc = Scenario("Mixed", conversion=0.4, caseload=40.0, lead_time_days=60,
                  starters={pd.Period("2026-05", freq="M"): 5.0}, leavers={pd.Period("2026-07", freq="M"): 2.0})
    plan = C.plan_for(fc, staffing(mean_months=1.0), Q, sc)
    assert plan["fte_needed"].tolist() == [12.5] * 6  # half the conversion and twice the caseload: a quarter
    # with cases open for months, a new conversion reaches the stock only as new referrals come in
    slow = C.plan_for(fc, staffing(mean_months=6.0), Q, sc)["fte_needed"].to_numpy()
    assert 25.0 > slow[0] > slow[1] > slow[-1] > 12.5
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
    inp = St.capacity_inputs(Q, "825", series)
    # dfe_csww_indicators_2017_2025.csv, 825, 2025: case_holders_fte 150.4, caseload_fte 18.1
    assert inp.current_fte == 150.4 and inp.caseload == 18.1
    # assessments per referral as the demand page shows it: dfe_cin_c3_assessment_factors_2018_2025.csv, 825,
    # 2025: Episodes_with_assessment_factor 4309, over dfe_cin_c1_referrals_rereferrals_2013_2025.csv: 5518
    assert inp.conversion == pytest.approx(4309 / 5518) and round(inp.conversion, 3) == 0.781
    assert not any("no further action" in s for s in inp.sources)
    assert inp.as_at == pd.Period("2025-09", freq="M") and inp.census_cases == 2720.0
    assert inp.monthly_referrals == 460.0
    # an edition for 2025Q1 only sees the census for September 2024 (published March 2025)
    earlier = St.capacity_inputs(Quarter(2025, 1), "825", series)
    assert earlier.sources[1].endswith("30 September 2024 (DfE workforce census)")


def test_inputs_from_the_extract_when_it_has_them():
    idx = pd.period_range("2025-01", periods=12, freq="M")
    series = pd.DataFrame({"referrals": np.full(12, 200.0), "assessments": np.full(12, 150.0),
                           "open_cases": np.full(12, 1200.0), "social_workers_fte": np.full(12, 80.0)}, index=idx)
    inp = St.capacity_inputs(Q, "825", series)
    assert (inp.current_fte, inp.conversion, inp.caseload) == (80.0, 0.75, 15.0)
    assert all("extract" in s for s in inp.sources[1:])


def test_no_staffing_figure_means_no_plan_and_says_so():
    from cscbook.models.scenarios import compare_scenarios

    series = pd.DataFrame({"referrals": np.full(12, 100.0)}, index=pd.period_range("2016-01", periods=12, freq="M"))
    fc = flat_fc([100] * 12, start="2017-01")
    res = C.capacity_for(Quarter(2016, 4), "825", series, fc)  # the first workforce census was published in 2018
    assert res.plan.empty and res.sentences[0].startswith("No published case-holding social worker figure")
    cmp = compare_scenarios(Quarter(2016, 4), "825", series, fc, [Scenario("Up")])
    assert cmp.plans.empty and cmp.sentences == res.sentences[:1]


def test_the_survival_curve_comes_from_the_council_own_open_episodes_where_given():
    rng = np.random.default_rng(7)
    idx = pd.period_range("2021-04", periods=48, freq="M")
    referrals = pd.Series(rng.uniform(300, 500, 48).round(), index=idx)
    # SYNTHETIC returns: 60% of referrals open an episode, which stays open 5 months on average (geometric)
    open_cin = pd.Series(St.open_cases(referrals.to_numpy(), St.Survival(5.0), 0.6).round(), index=idx)
    d, scale = St.fit_duration(referrals, open_cin)
    assert d == pytest.approx(5.0, abs=0.15) and scale == pytest.approx(0.6, rel=0.03)
    frame = pd.DataFrame({"referrals": referrals, "open_cin": open_cin})
    s = St.survival_for(Q, "825", frame)
    assert s.mean_months == pytest.approx(5.0, abs=0.15) and "council's own returns" in s.source
    # too few months of open episodes: DfE's children in need table B1 instead
    short = frame.assign(open_cin=frame["open_cin"].where(frame.index >= idx[30]))
    assert "table B1" in St.survival_for(Q, "825", short).source


def test_backtest_errors_in_open_cases_run_through_the_same_survival_curve():
    st = staffing(mean_months=4.0, start="2020-01", n=75)
    rows = []
    for i, origin in enumerate(pd.period_range("2022-01", periods=8, freq="3M")):
        for h in range(1, 13):
            rows.append(dict(model="m", origin=str(origin), horizon=h, actual=100.0, forecast=110.0 if i % 2 else 100.0))
    cal = C.stock_calibration(st, pd.DataFrame(rows), "m")
    assert cal.usable and cal.origins == 8
    e = cal.errors.set_index(["origin", "horizon"])["log_error"]
    assert e.xs("2022-01", level="origin").abs().max() < 1e-12  # a perfect forecast: no error in open cases
    ran_high = e.xs("2022-04", level="origin").to_numpy()
    # a forecast 10% high builds up in open cases as the months pass, towards ln(100 / 110)
    assert all(a > b for a, b in zip(ran_high, ran_high[1:])) and ran_high[-1] > np.log(100 / 110) - 1e-9
    assert ran_high[0] == pytest.approx(np.log(400 / 410), rel=1e-3)  # steady 100 x 4 months open, one month 10 high
