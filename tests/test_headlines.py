from cscbook.models import changeclaims

"""Headline claims for the default edition against the published figures; the peak claim on fixed cases."""

import numpy as np
import pandas as pd
import pytest
from conftest import synthetic_capacity_plan

from cscbook.build.context import make_edition
from cscbook.models.changeclaims import peak_claim
from cscbook.models.headlines import headlines


@pytest.fixture(scope="module")
def bucks():
    ed = make_edition("825", "2026Q1")
    return ed, {c.name: c for c in headlines(ed, include_forecast=False, holding_only=False)}


def test_recording_change_is_told_by_its_signal_against_england(bucks):
    """NFA is a signal against England's rate, not reassurance ("less than half"); 2014's equally high share
    with a usual count is named as not flagged; the forecast treatment agrees with the forecast page."""
    _, h = bucks
    c = h["recording_change"]
    assert c.value("nfa_2022") == pytest.approx(44.4) and c.value("nfa_2023") == pytest.approx(49.0)
    assert c.value("england_2022") == pytest.approx(7.6) and c.value("england_2023") == pytest.approx(7.1)
    assert ("the share of referrals ending in no further action ran at 5.8 and 6.9 times England's "
            "(44.4% and 49.0% against 7.6% and 7.1%)") in c.text
    assert "less than half" not in c.text and "left out of forecast training" not in c.text
    assert "the monthly forecast rescales the months before the level shift it finds (April 2023)" in c.text
    assert "44.4% in 2014 (England 14.1%)" in c.text and c.check()
    assert c.evidence()["source"].str.contains("dfe_cin_c1_referrals|computed").all()


def test_a_suppressed_latest_value_is_shown_as_suppressed_and_not_rated(bucks):
    """2025's two-year plans are 1 to 5 of 458 (at most 1.1%): no rating from 2024's 6.5%."""
    _, h = bucks
    c = h["scorecard"]
    assert c.text.startswith("Of 6 rated indicators, 0 are in England's best quarter and **3 in the worst quarter**: "
                             "Agency social workers, Social worker vacancies, Average caseload.")
    assert ("Not rated because the council's figure for the latest year is withheld: Plans lasting two years or more "
            "(2025 suppressed)") in c.text
    assert "cpp_2yrs_pct" not in c.evidence()["figure"].tolist() and c.check()


def test_referrals_headline_against_the_published_counts(bucks):
    _, h = bucks
    c = h["referrals"]
    assert c.value("referrals") == 5518 and c.value("previous") == 6620
    assert "down 17% on the year before" in c.text and c.check()


def _fc(means, half_width=100.0, start="2026-04"):
    idx = pd.period_range(start, periods=len(means), freq="M")
    m = np.asarray(means, dtype=float)
    return pd.DataFrame({"mean": m, "lower_80": m - half_width, "upper_80": m + half_width,
                         "lower_95": m - 1.5 * half_width, "upper_95": m + 1.5 * half_width}, index=idx)


def test_a_weak_peak_is_worded_as_weak_with_the_backtest_bias(bucks):
    ed, _ = bucks
    fc = _fc([450, 460, 470, 480, 490, 536, 500, 480, 470, 460, 450, 440])
    c = peak_claim(ed, fc, "2026-09", 0.15, "ets", 137.0, 460.0, True, "illustrative")
    assert c.text.startswith("**September 2026** is the likeliest peak month for referrals, but only about one "
                             "year in seven (15% of simulated years)")
    assert "ran high by about 137 referrals a month" in c.text and c.check()


def test_a_very_weak_peak_is_not_stated_as_the_peak(bucks):
    ed, _ = bucks
    c = peak_claim(ed, _fc([500] * 12), "2026-09", 0.10, "ets", 1.0, 460.0, False, "x")
    assert c.text.startswith("No month stands out as the likely peak") and "no material bias" in c.text
    assert c.check()


def test_a_peak_before_the_quarter_end_or_outside_its_interval_fails(bucks):
    ed, _ = bucks
    early = peak_claim(ed, _fc([500] * 12, start="2026-01"), "2026-03", 0.7, "ets", 0.0, 460.0, False, "x")
    assert any("is not after quarter_end" in p for p in early.problems())
    bad = _fc([500] * 12)
    bad["lower_80"] = 600.0
    assert any("does not contain mean" in p for p in
               peak_claim(ed, bad, "2026-09", 0.7, "ets", 0.0, 460.0, False, "x").problems())


def test_a_failing_claim_never_reaches_the_headlines(bucks, monkeypatch):
    from cscbook.models import headlines as H
    from cscbook.models.claims import Claim, Figure, Wording

    ed, _ = bucks
    wrong = Claim("{w} of referrals", "demand", (Figure("p", 44.4, "f.csv", "r"),),
                  (Wording("w", "share", ("p",), "most"),), name="wrong")
    monkeypatch.setattr(changeclaims, "ofsted_headline", lambda ed: [wrong])
    assert "wrong" not in [c.name for c in H.headlines(ed, include_forecast=False)]
    assert "wrong" in [c.name for c in H.headlines(ed, include_forecast=False, holding_only=False)]


@pytest.mark.parametrize("la, quarter", [("825", "2026Q1"), ("938", "2019Q2"), ("873", "2024Q4")])
def test_peak_claims_of_real_editions_with_a_cheap_model_hold(la, quarter):
    from cscbook.models.changeclaims import forecast_headlines

    ed = make_edition(la, quarter)
    (c,) = forecast_headlines(ed, models=("seasonal_naive",))
    if c.figures and c.figures[0].name == "reason":  # too little history: said so
        return
    assert c.problems() == [], c.text
    assert pd.Period(c.value("peak_month"), freq="M").start_time.date() > ed.quarter.end
    assert c.value("lower_80") <= c.value("mean") <= c.value("upper_80")
    assert ("ran high" in c.text) == (c.value("bias") >= 0.05 * c.value("level"))


# ---------------------------------------------------------------------------------------------------------------
# The headline page in four parts


def test_the_headline_page_has_its_four_parts_in_order_then_the_chart():
    import json
    from pathlib import Path

    from cscbook.models.headlines import SECTIONS

    nb = json.loads((Path(__file__).parents[1] / "notebooks" / "summary.ipynb").read_text())
    headings = [line for c in nb["cells"] if c["cell_type"] == "markdown"
                for line in "".join(c["source"]).splitlines() if line.startswith("## ")]
    assert headings[:5] == ["## What to decide", "## What changed", "## What is at risk", "## What improved",
                            "## Key indicators"]
    assert [h for _, h in SECTIONS] == [h[3:] for h in headings[:4]]
    sources = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    order = [next(i for i, s in enumerate(sources) if f"part='{p}'" in s) for p in ("decide", "changed", "risk",
                                                                                     "improved")]
    assert order == sorted(order) and order[-1] < next(i for i, s in enumerate(sources) if "headline_multiples" in s)


def test_workforce_moves_of_buckinghamshire_are_those_of_the_workforce_table():
    """825 at 30 September 2024 and 2025 in DfE's workforce table (data/official/dfe_csww_indicators_2017_2025.csv):
    agency 31.3% -> 23.2%, turnover 20.9% -> 10.0%, vacancies 30.4% -> 25.4%, case-holding FTE 168.7 -> 150.4,
    caseload 16.8 -> 18.1 (the figures issue 29 quotes)."""
    from pathlib import Path

    from cscbook.models.headlines import workforce_claim

    ed = make_edition("825", "2026Q1")
    (c,) = workforce_claim(ed)
    raw = pd.read_csv(Path(__file__).parents[1] / "data" / "official" / "dfe_csww_indicators_2017_2025.csv",
                      dtype=str)
    raw = raw[raw["old_la_code"] == "825"].set_index("time_period")
    expected = {"agency": ("agency_rate_fte", 31.3, 23.2), "turnover": ("turnover_rate_fte", 20.9, 10.0),
                "vacancy": ("vacancy_rate_fte", 30.4, 25.4), "fte": ("case_holders_fte", 168.7, 150.4),
                "caseload": ("caseload_fte", 16.8, 18.1)}
    for name, (col, before, now) in expected.items():
        assert c.value(f"{name}_before") == pytest.approx(before) == float(raw.at["2024", col])
        assert c.value(f"{name}_now") == pytest.approx(now) == float(raw.at["2025", col])
    assert c.text == ("Social workers at 30 September 2025 (snapshot) against a year earlier: agency staff fell from "
                      "31.3% to 23.2%; turnover (year to 30 September) fell from 20.9% to 10.0%; vacancies fell from "
                      "30.4% to 25.4%; case-holding FTE fell from 168.7 to 150.4; caseload per FTE rose from 16.8 to "
                      "18.1.")
    ev = c.evidence().set_index("figure")
    assert "30 September 2025 (snapshot)" in ev.at["agency_now", "row"] and "csww" in ev.at["agency_now", "source"]
    assert "year to 30 September 2024" in ev.at["turnover_before", "row"] and c.check()




def test_no_decision_needed_when_capacity_holds_and_no_indicator_is_in_the_worst_quarter(bucks):
    from datetime import date

    from cscbook.models.capacity import CapacityResult
    from cscbook.models.claims import NO_DECISION
    from cscbook.models.headlines import _benchmark, decisions

    ed, _ = bucks
    bm = _benchmark(ed)
    assert (bm["rag"] == "red").sum() == 3  # Buckinghamshire has three: take them out to see the empty answer
    calm = bm.assign(rag=bm["rag"].replace("red", "amber"))
    holds = CapacityResult(synthetic_capacity_plan([0.2] * 11 + [0.3]))
    (c,) = decisions(ed, bm=calm, capacity=(holds, False))
    assert c.text == (f"{NO_DECISION}: Capacity is expected to hold: no month in the next 12 is more likely than not "
                      "to need more social workers than available (the highest chance is 30%, in March 2027). No "
                      "rated indicator is in England's worst quarter.")
    # the committee paper reads the same sentence back from the page
    from cscbook.report.papercover import decisions_sought

    page = f'<ul class="cscbook-headlines" data-part="decide"><li>{c.text}</li></ul>'
    assert decisions_sought({"summary": page}) == ([], c.text[len(NO_DECISION) + 2:])

    # the capacity advice says recruit: the decision is recruitment, by the plan's date, with the caveat
    at_risk = synthetic_capacity_plan([0.2, 0.3, 0.6] + [0.7] * 9)
    recruit = CapacityResult(at_risk, first_at_risk=pd.Period("2026-06", freq="M"), recruit_by=date(2026, 5, 2),
                             lead_time_days=30)
    cs = decisions(ed, bm=calm, capacity=(recruit, True))
    assert [x.name for x in cs] == ["decision_recruit"]
    assert cs[0].text.startswith("Agree that recruitment of case-holding social workers starts by **2 May 2026**: "
                                 "June 2026 is the first month more likely than not to need more social workers than "
                                 "available (60% chance; about 160.0 FTE needed against 150.4 available)")
    assert "illustrative monthly figures" in cs[0].text and cs[0].check()
    # with the three indicators in the worst quarter, both decisions
    cs = decisions(ed, bm=bm, capacity=(recruit, False))
    assert [x.name for x in cs] == ["decision_recruit", "decision_worst_quarter"]
    assert cs[1].text == ("Ask officers for a report, with actions, on the 3 indicators rated in England's worst "
                          "quarter: Agency social workers (23.2%), Social worker vacancies (25.4%) and Average "
                          "caseload (18.1).")
    # capacity holds, but the indicators call for a report: the decision, with a note on recruitment beside it
    cs = decisions(ed, bm=bm, capacity=(holds, True))
    assert [x.name for x in cs] == ["decision_no_recruitment", "decision_worst_quarter"]
    assert cs[0].text.startswith("No recruitment decision: Capacity is expected to hold on illustrative monthly "
                                 "figures modelled from annual totals: no month in the next 12")
    page = "".join(f"<li>{x.text}</li>" for x in cs)
    asks, note = decisions_sought({"summary": f'<ul class="cscbook-headlines" data-part="decide">{page}</ul>'})
    assert asks == [cs[1].text] and note == cs[0].text
    # a date before the quarter's end is a failing claim
    early = CapacityResult(at_risk, first_at_risk=pd.Period("2026-06", freq="M"), recruit_by=date(2026, 3, 1))
    assert decisions(ed, bm=calm, capacity=(early, False))[0].problems()
