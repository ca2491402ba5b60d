"""Benchmarking on known inputs, the break detector, the front-door flow and the event study."""

import pandas as pd
import pytest

from cscbook.models import benchmark as B
from cscbook.models import breaks, eventstudy
from cscbook.models.indicators import la_panel


def test_quartiles_ranks_and_ratings_on_known_inputs():
    values = pd.Series([10.0, 20, 30, 40, 50, 60, 70, 80])
    assert B.quartile_band(values, 10) == 1 and B.quartile_band(values, 80) == 4
    assert B.quartile_band(values, 40) == 2 and B.quartile_band(values, 50) == 3
    assert B.quartile_band(values, float("nan")) is None
    assert B.rank_of(values, 80) == (1, 8) and B.rank_of(values, 10) == (8, 8)
    assert B.rag(1, -1) == "green" and B.rag(4, -1) == "red" and B.rag(2, -1) == "amber"
    assert B.rag(4, +1) == "green" and B.rag(1, +1) == "red"
    assert B.rag(4, 0) == "not rated" and B.rag(None, -1) == "no data"
    assert B.direction(100, 90, -1) == ("↓", "improving")
    assert B.direction(100, 110, -1) == ("↑", "worsening")
    assert B.direction(100, 101, -1) == ("→", "stable")
    assert B.direction(100, 120, 0) == ("↑", "up")


def test_bucks_scorecard_values_against_the_panel():
    card = B.benchmark("825", 2025).set_index("indicator")
    panel = la_panel()
    everyone = panel.xs(2025, level="year")["agency_rate_pct"].dropna()
    row = card.loc["agency_rate_pct"]
    assert row["value"] == pytest.approx(23.2)
    assert row["rank"] == int((everyone > 23.2).sum()) + 1
    assert row["councils"] == len(everyone)
    neighbours = ["931", "919", "869", "936", "873", "867", "823", "868", "358", "850"]
    assert row["sn_median"] == pytest.approx(everyone.reindex(neighbours).dropna().median())
    assert row["england"] == pytest.approx(13.0)
    assert row["quartile"] == 4 and row["rag"] == "red"
    assert card.at["referrals_rate_per_10k", "rag"] == "not rated"
    assert card.at["referrals", "previous"] == 6620 and card.at["referrals", "direction"] == "down"


def test_break_detector_flags_bucks_2022_2023_only():
    d = breaks.detect_for("825")
    assert d.index[d["flagged"]].tolist() == [2022, 2023]
    assert "44.4%" in d.at[2022, "reason"]


def test_the_all_council_flags_are_each_councils_own_detection():
    """flagged_panel works on the panel's arrays; council by council it says what detect_for says."""
    panel = breaks.flagged_panel()
    assert panel.index.names == ["old_la_code", "year"]
    assert panel["flagged"].sum() > 2
    for code in panel.index.get_level_values(0).unique():
        own = breaks.detect_for(code)
        got = panel.xs(code, level="old_la_code")
        assert got.index.tolist() == own.index.tolist(), code
        assert got["flagged"].tolist() == own["flagged"].tolist(), code
        assert got["reason"].tolist() == own["reason"].tolist(), code
    assert panel.loc[("825", 2022), "flagged"] and not panel.loc[("825", 2024), "flagged"]


def test_break_detector_leaves_west_sussex_alone():
    assert not breaks.detect_for("938")["flagged"].any()


def test_break_detector_on_a_synthetic_series():
    years = list(range(2013, 2021))
    refs = pd.Series([1000, 1020, 990, 2100, 1010, 1000, 980, 1005.0], index=years)
    nfa = pd.Series([5, 6, 5, 50, 6, 5, 4, 5.0], index=years)
    eng = pd.Series([8.0] * len(years), index=years)
    d = breaks.detect(refs, nfa, eng)
    assert d.index[d["flagged"]].tolist() == [2016]
    # a genuine rise in demand with a normal NFA share is not a recording change
    nfa2 = nfa.copy()
    nfa2[2016] = 7
    assert not breaks.detect(refs, nfa2, eng)["flagged"].any()


def test_flow_ratios_are_the_published_ratio():
    f = B.flow("938")
    row = f[(f["step"] == "s47_per_referral") & (f["year"] == 2025)].iloc[0]
    panel = la_panel()
    assert row["value"] == pytest.approx(panel.at[("938", 2025), "s47_enquiries"] / panel.at[("938", 2025), "referrals"])
    assert row["england"] == pytest.approx(230590 / 632830)


def test_event_study_design_and_estimates():
    treated = eventstudy.treated_councils().set_index("la_code")
    assert treated.at["825", "event_year"] == 2015  # SIF published 8 August 2014: year to March 2015
    assert treated.at["938", "event_year"] == 2020  # ILACS published 8 May 2019
    assert len(treated) >= 40
    res = eventstudy.estimate("agency_rate_pct").set_index("relative_year")
    assert res.at[-1, "estimate"] == 0.0
    assert list(res.index) == list(range(-eventstudy.LEADS, eventstudy.LAGS + 1))
    assert (res["ci_low"] <= res["estimate"]).all() and (res["estimate"] <= res["ci_high"]).all()
    assert res.attrs["n_treated"] == len(treated)
    design = eventstudy.design("agency_rate_pct")
    # comparison councils were never judged inadequate under SIF or ILACS
    from cscbook.data.ofsted import inadequate_publications

    controls = set(design.loc[~design["treated"], "old_la_code"])
    assert not controls & set(inadequate_publications()["la_code"])
