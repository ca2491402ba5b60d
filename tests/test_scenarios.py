from cscbook.report import figures

"""What-if scenarios: validation (one line per problem), demand changes with their intervals, the default set
grounded in the event study, and a scenario with no changes reproducing the base case exactly.

Forecast frames here are SYNTHETIC, generated in code."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cscbook.core.errors import CSCBookError
from cscbook.core.quarters import Quarter
from cscbook.models import normal
from cscbook.models import scenarios as S
from cscbook.models.capacity import plan_for
from cscbook.models.staffing import CapacityInputs, Survival, staffing_model

HOSTILE = Path(__file__).parent / "hostile_scenarios"
Q = Quarter(2026, 1)


def synthetic_fc(seed: int = 3, start: str = "2026-04", n: int = 12) -> pd.DataFrame:
    """SYNTHETIC monthly forecast frame with lopsided bands (as after flooring at zero)."""
    rng = np.random.default_rng(seed)
    idx = pd.period_range(start, periods=n, freq="M")
    mean = rng.uniform(300, 600, n)
    lo80, hi80 = mean - rng.uniform(50, 200, n), mean + rng.uniform(50, 250, n)
    lo95, hi95 = lo80 - rng.uniform(10, 80, n), hi80 + rng.uniform(10, 80, n)
    return pd.DataFrame({"mean": mean, "lower_80": lo80.clip(0), "upper_80": hi80, "lower_95": lo95.clip(0),
                         "upper_95": hi95}, index=idx)


INPUTS = CapacityInputs(current_fte=150.4, monthly_referrals=460.0, conversion=0.979, caseload=18.1)
_HISTORY = pd.Series(460.0, index=pd.period_range("2023-04", "2026-03", freq="M"))
#: SYNTHETIC staffing model: steady referrals, cases open 9.7 months on average
STAFF = staffing_model(Q, "825", _HISTORY.to_frame("referrals"), _HISTORY, INPUTS, Survival(9.7))


def write(tmp_path, text: str) -> Path:
    p = tmp_path / "s.yml"
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize("text", [
    "scenarios:\n  - name: Nothing\n",
    "scenarios:\n  - name: Explicit zeros\n    demand: {change_pct: 0}\n    conversion: 0.979\n    caseload: 18.1\n"
    "    starters: {2026-06: 0}\n    leavers: {2026-07: 0}\n",
    "scenarios:\n  - name: Zero step\n    demand: {step: 0, from: 2026-05}\n",
])
def test_a_scenario_with_no_changes_reproduces_the_base_case_exactly(tmp_path, text):
    fc = synthetic_fc()
    (sc,) = S.load_scenarios(write(tmp_path, text), Q)
    base = plan_for(fc, STAFF, Q)
    pd.testing.assert_frame_equal(plan_for(fc, STAFF, Q, sc), base, check_exact=True)
    pd.testing.assert_frame_equal(sc.apply(fc), fc, check_exact=True)


def test_percentage_change_scales_the_mean_and_every_bound_from_its_month(tmp_path):
    fc = synthetic_fc()
    text = "scenarios:\n  - name: Up\n    demand: {change_pct: 10, from: 2026-07}\n"
    (sc,) = S.load_scenarios(write(tmp_path, text), Q)
    out = sc.apply(fc)
    before, after = fc.index < pd.Period("2026-07", freq="M"), fc.index >= pd.Period("2026-07", freq="M")
    pd.testing.assert_frame_equal(out[before], fc[before])
    np.testing.assert_allclose(out[after].to_numpy(), fc[after].to_numpy() * 1.1)
    plan, base = plan_for(fc, STAFF, Q, sc), plan_for(fc, STAFF, Q)
    assert (plan.loc[after, "fte_needed"] > base.loc[after, "fte_needed"]).all()
    assert (plan.loc[after, "probability_over_capacity"] >= base.loc[after, "probability_over_capacity"]).all()


def test_a_step_with_an_interval_shifts_the_mean_and_widens_the_bands(tmp_path):
    fc = synthetic_fc()
    text = "scenarios:\n  - name: Step\n    demand: {step: 90, step_low: 50, step_high: 130}\n"
    (sc,) = S.load_scenarios(write(tmp_path, text), Q)
    out = sc.apply(fc)
    np.testing.assert_allclose(out["mean"], fc["mean"] + 90)
    for lv in (80, 95):
        assert ((out[f"upper_{lv}"] - out["mean"]) > (fc[f"upper_{lv}"] - fc["mean"])).all()
        assert (out[f"lower_{lv}"] <= out["mean"]).all() and (out[f"upper_{lv}"] >= out["mean"]).all()
    # the widening is the step's own standard error added in quadrature
    se = 80 / (2 * normal.Z95)
    expect = np.sqrt((fc["upper_80"] - fc["mean"]) ** 2 + (normal.Z[80] * se) ** 2)
    np.testing.assert_allclose(out["upper_80"] - out["mean"], expect)


def test_the_default_set_is_labelled_and_grounded_in_the_event_study():
    from cscbook.data.tables import la_values
    from cscbook.models.eventstudy import estimate

    scs = S.default_scenarios("825", Q)
    assert [s.name for s in scs] == ["Demand 10% higher", "Demand 10% lower", "An inadequate judgement"]
    assert all(s.description for s in scs)
    assert [s.demand.value for s in scs[:2]] == [10.0, -10.0]
    inad = scs[2].demand
    est = estimate("referrals_rate_per_10k").set_index("relative_year").loc[0]
    pop = la_values("population", "population_estimate").loc[("825", 2024), "value"]  # mid-2024, published July 2025
    assert inad.value == pytest.approx(est["estimate"] * pop / 10_000 / 12)
    assert inad.low == pytest.approx(est["ci_low"] * pop / 10_000 / 12)
    assert inad.high == pytest.approx(est["ci_high"] * pop / 10_000 / 12)
    assert 0 < inad.low < inad.value < inad.high
    assert "per 10,000 children" in inad.source
    # the shipped file types no numbers for this scenario
    assert "85" not in S.default_path().read_text()


def test_comparison_gives_one_recruitment_sentence_per_scenario_with_probabilities(tmp_path):
    fc = synthetic_fc()
    series = pd.DataFrame({"referrals": np.full(12, 460.0), "social_workers_fte": np.full(12, 150.4)},
                          index=pd.period_range("2025-01", periods=12, freq="M"))
    text = ("scenarios:\n  - name: Up\n    demand: {change_pct: 10}\n  - name: Slow hiring\n    lead_time_days: 90\n"
            "  - name: Hires\n    starters: {2026-04: 30}\n")
    scs = S.load_scenarios(write(tmp_path, text), Q)
    cmp = S.compare_scenarios(Q, "825", series, fc, scs)
    assert list(cmp.summary["scenario"]) == ["Base case", "Up", "Slow hiring", "Hires"]
    assert len(cmp.sentences) == 4
    assert all(s.startswith(n + ":") for s, n in zip(cmp.sentences, cmp.summary["scenario"]))
    assert cmp.plans["probability_over_capacity"].between(0, 1).all()
    hires = cmp.plans[cmp.plans["scenario"] == "Hires"]
    assert (hires["capacity_fte"] == 150.4 + 30).all()
    assert cmp.summary.set_index("scenario").at["Up", "change_from_base"] > 0
    assert cmp.summary.set_index("scenario").at["Hires", "months_at_risk"] <= cmp.summary.at[0, "months_at_risk"]


EXPECTED = {
    "unknown_key.yml": (1, "unknown key 'demnad'"),
    "percent_1000.yml": (1, "outside -100 to +100"),
    "month_outside_horizon.yml": (1, "outside the forecast horizon 2026-04 to 2027-03"),
    "wrong_types.yml": (2, "caseload 'sixteen'"),
    "duplicate_names.yml": (1, "used twice"),
    "not_yaml.yml": (1, "not valid YAML"),
    "empty.yml": (1, "the file is empty"),
    "not_a_list.yml": (1, "must be a non-empty list"),
    "no_name.yml": (1, "needs a name"),
    "two_demand_kinds.yml": (1, "exactly one of change_pct, step or event_study"),
    "bad_month.yml": (1, "is not a month; write YYYY-MM"),
    "several_problems.yml": (3, "conversion 1.5"),
    "top_level_key.yml": (1, "unknown top-level key 'version'"),
    "latin1.yml": (1, "not UTF-8"),
    "alias_bomb.yml": (1, "refused: more than 100,000 values once aliases are expanded"),
    "recursive_alias.yml": (1, "refused: an alias refers to the list or mapping that holds it"),
    "deep_nesting.yml": (1, "refused: nested more than 20 levels deep"),
    "step_1e300.yml": (1, "demand step 1e+300 is more referrals a month than England receives"),
    "caseload_tiny.yml": (1, "caseload 1e-300 must be cases per social worker from 1 to 100"),
}


def test_every_hostile_file_is_listed():
    assert sorted(p.name for p in HOSTILE.glob("*.yml")) == sorted([*EXPECTED, "hostile_names.yml"])


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_bad_scenario_file_fails_cleanly_one_line_per_problem(name):
    lines, phrase = EXPECTED[name]
    with pytest.raises(CSCBookError) as info:
        S.load_scenarios(HOSTILE / name, Q)
    message = str(info.value).splitlines()
    assert len(message) == lines, message
    assert phrase in str(info.value)
    assert all(line.startswith(f"--scenarios {HOSTILE / name}") for line in message)
    assert "Traceback" not in str(info.value)


def test_missing_file_and_folder_fail_cleanly(tmp_path):
    with pytest.raises(CSCBookError, match="file not found"):
        S.load_scenarios(tmp_path / "nope.yml")
    with pytest.raises(CSCBookError, match="is a folder"):
        S.load_scenarios(tmp_path)


def test_months_are_checked_only_against_a_known_horizon(tmp_path):
    p = write(tmp_path, "scenarios:\n  - name: Late\n    leavers: {2028-01: 1}\n")
    assert S.load_scenarios(p)[0].leavers == {pd.Period("2028-01", freq="M"): 1.0}
    with pytest.raises(CSCBookError, match="outside the forecast horizon"):
        S.load_scenarios(p, Quarter(2026, 1))
    assert S.load_scenarios(p, Quarter(2027, 3))  # horizon 2027-10 to 2028-09


def test_percent_limits_at_the_edges(tmp_path):
    for pct, ok in ((100, True), (-99.9, True), (-100, False), (100.1, False), (True, False)):
        p = write(tmp_path, f"scenarios:\n  - name: Edge\n    demand: {{change_pct: {str(pct).lower()}}}\n")
        if ok:
            assert S.load_scenarios(p, Q)[0].demand.value == pct
        else:
            with pytest.raises(CSCBookError):
                S.load_scenarios(p, Q)


def test_describe_says_what_changes(tmp_path):
    p = write(tmp_path, "scenarios:\n  - name: A\n    demand: {step: 40, from: 2026-07}\n    caseload: 16\n"
                        "    starters: {2026-06: 5}\n")
    (sc,) = S.load_scenarios(p, Q)
    assert S.describe(sc) == ("+40 referrals a month from July 2026; caseload 16 per social worker; "
                              "starters 5 FTE in Jun 2026")
    assert S.describe(S.Scenario("Nothing")) == "no change from the base case"


def test_scenario_chart_titles_labels_and_alt_text(monkeypatch, tmp_path):
    import cscbook.report.notebook as nb

    shown = {}
    monkeypatch.setattr(nb, "show", lambda fig, alt, caption=None: shown.update(fig=fig, alt=alt))
    series = pd.DataFrame({"referrals": np.full(12, 460.0), "social_workers_fte": np.full(12, 150.4)},
                          index=pd.period_range("2025-01", periods=12, freq="M"))
    (sc,) = S.load_scenarios(write(tmp_path, "scenarios:\n  - name: Hires\n    starters: {2026-06: 10}\n"), Q)
    cmp = S.compare_scenarios(Q, "825", series, synthetic_fc(), [sc])
    figures.scenario_chart(cmp, "Buckinghamshire")
    ax = shown["fig"].axes[0]
    assert ax.get_ylabel() == "Case-holding social workers (FTE)" and "Buckinghamshire" in ax.get_title()
    assert "Hires averages" in shown["alt"] and "Base case averages" in shown["alt"]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "Hires: FTE available" in labels and "Base case: FTE available" in labels


def test_for_edition_uses_the_file_or_the_default(tmp_path):
    from types import SimpleNamespace

    p = write(tmp_path, "scenarios:\n  - name: Only this\n    demand: {change_pct: 5}\n")
    ed = SimpleNamespace(council=SimpleNamespace(code="825"), quarter=Q, scenarios=p)
    assert [s.name for s in S.for_edition(ed)] == ["Only this"]
