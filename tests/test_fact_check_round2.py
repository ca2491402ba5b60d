"""Round 2 of the fact-check of the Buckinghamshire 2026Q1 edition (issue 28): each item's figures and sentences
recomputed from data/official, for the editions the fact-check read (Buckinghamshire 825 2026Q1, West Sussex
938 2019Q2)."""

import pandas as pd
import pytest

from cscbook.edition import make_edition


@pytest.fixture(scope="module")
def bucks():
    return make_edition("825", "2026Q1")


@pytest.fixture(scope="module")
def bucks_card(bucks):
    from cscbook.benchmark import benchmark

    return benchmark("825", 2025, quarter=bucks.quarter).set_index("indicator")


# 1. a rating uses only the latest year -------------------------------------------------------------------------

def test_1_a_suppressed_latest_year_is_shown_as_suppressed_not_rated_on_an_older_one(bucks_card):
    from cscbook.indicators import la_panel

    row = bucks_card.loc["cpp_2yrs_pct"]
    assert la_panel(statuses=True).at[("825", 2025), "cpp_2yrs_pct"] == "suppressed"
    assert row["year"] == 2025 and pd.isna(row["value"]) and row["rag"] == "suppressed"
    assert row["arrow"] == "" and row["direction"] == "no comparison" and pd.isna(row["quartile"])
    assert row["note"] == "2025 suppressed (c): not rated"
    # the rated indicators of the edition: three in England's worst quarter, all from 2025
    red = bucks_card[bucks_card["rag"] == "red"]
    assert sorted(red.index) == ["agency_rate_pct", "caseload_per_fte", "vacancy_pct"]
    assert set(bucks_card.loc[bucks_card["rag"].isin(["green", "amber", "red"]), "year"]) == {2025}


# 11. indicators without a clear polarity are never rated --------------------------------------------------------

def test_11_no_further_action_is_compared_but_never_rated(bucks_card):
    from cscbook.indicators import BY_NAME

    row = bucks_card.loc["nfa_pct"]
    assert row["value"] == pytest.approx(2.1) and row["previous"] == pytest.approx(1.7)
    assert row["rag"] == "not rated" and row["direction"] == "up"  # not "amber", not "worsening"
    unpolar = [n for n, i in BY_NAME.items() if i.polarity == 0]
    assert "nfa_pct" in unpolar
    assert set(bucks_card.loc[unpolar, "rag"]) <= {"not rated", "no data", "suppressed"}
    assert not bucks_card.loc[unpolar, "direction"].isin(["improving", "worsening"]).any()


# 2. recording-change years marked on every chart that shows them ------------------------------------------------

@pytest.fixture
def shown(monkeypatch):
    from cscbook import charts

    seen = []
    monkeypatch.setattr(charts, "show", lambda fig, alt, caption=None, data=None: seen.append((alt, data or {})))
    return seen


def test_2_the_headline_chart_shades_the_recording_change_years(bucks, shown):
    from cscbook import charts
    from cscbook.breaks import flagged_years
    from cscbook.indicators import multiples_frames
    from cscbook.ofsted import judgements_until

    assert flagged_years("825") == [2022, 2023]
    frames = multiples_frames("825", bucks.council.neighbours, bucks.quarter, charts.HEADLINE_INDICATORS)
    charts.headline_multiples(frames, bucks, judgements_until("825", bucks.quarter), flagged_years("825"))
    alt, data = shown[-1]
    assert data["recording-changes"] == "2022,2023" and "years to March 2022, 2023" in alt


def test_2_the_timeline_rate_panel_shades_the_recording_change_years(bucks, shown):
    from cscbook import charts
    from cscbook.breaks import flagged_years
    from cscbook.indicators import indicators_for, mask_unpublished
    from cscbook.timeline import timeline

    rates = mask_unpublished(indicators_for("825", ["referrals_rate_per_10k", "cla_rate_per_10k"]), bucks.quarter)
    charts.timeline_chart(timeline("825", bucks.quarter), bucks, rates, flagged_years("825"))
    assert shown[-1][1]["recording-changes"] == "2022,2023"


def test_2_the_monthly_forecast_chart_shades_the_recording_change_years(bucks, shown):
    from cscbook import charts
    from cscbook.demand import monthly_series

    series = monthly_series("825", bucks.quarter, None, bucks.cache)
    idx = pd.period_range(series.referrals.index[-1] + 1, periods=12, freq="M")
    fc = pd.DataFrame({k: 500.0 for k in ("mean", "lower_80", "upper_80", "lower_95", "upper_95")}, index=idx)
    charts.forecast_chart(series, fc, "ets", bucks, pd.DataFrame(columns=["date", "grade", "framework"]), [2014, 2022, 2023])
    alt, data = shown[-1]
    # the chart shows the last 48 months: 2014 is off the axis, 2022 and 2023 on it
    assert series.referrals.index[-48] <= pd.Period("2022-03", freq="M")
    assert data["recording-changes"] == "2022,2023"


# 6. every period labelled as published ---------------------------------------------------------------------------

def test_6_workforce_figures_are_dated_by_their_30_september_snapshot(bucks):
    from cscbook.claims import source_of
    from cscbook.headlines import headlines
    from cscbook.indicators import period_label

    file, row = source_of("agency_rate_pct", 2025, "old_la_code=825")
    assert row == "old_la_code=825, 30 September 2025 (snapshot), agency_rate_fte" and "csww" in file
    assert source_of("nfa_pct", 2023, "England")[1] == "England, year to 31 March 2023, no_further_action_percent"
    assert period_label("turnover_pct", 2025) == "year to 30 September 2025"
    h = {c.name: c for c in headlines(bucks, include_forecast=False, holding_only=False)}
    ev = h["scorecard"].evidence().set_index("figure")
    assert "30 September 2025 (snapshot)" in ev.at["agency_rate_pct", "row"]
    assert not ev["row"].str.contains("year to 31 March 2025, (?:agency|vacancy|caseload)").any()
    assert h["new_statistics"].text == "New official statistics this quarter: workforce figures for 30 September 2025."
