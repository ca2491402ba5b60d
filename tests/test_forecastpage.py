"""The forecast page's, the appendix's and the scorecard's words and tables (cscbook.report.forecastpage,
cscbook.report.scorecardpage): the wording, rounding and columns the chapters show."""

import pandas as pd
import pytest

from cscbook.build.context import make_edition
from cscbook.models import panelmodel
from cscbook.models.results import EditionResults
from cscbook.report import forecastpage, scorecardpage
from cscbook.report.notebook import ILLUSTRATIVE_NOTE


@pytest.fixture(scope="module")
def bucks():
    ed = make_edition("825", "2026Q1")
    return ed, EditionResults(ed, models=("seasonal_naive",))


def test_recent_months_are_the_last_twelve_flagged_illustrative(bucks):
    _, res = bucks
    t = forecastpage.recent_months_table(res.series)
    assert list(t["frame"].columns) == ["month", "referrals", "basis"]
    assert t["frame"]["month"].tolist()[-1] == "2025-03" and len(t["frame"]) == 12
    assert set(t["frame"]["basis"]) == {ILLUSTRATIVE_NOTE}
    assert t["counts"] == ["referrals"] and t["caption"] == "The last twelve months of the series (ILLUSTRATIVE)"


def test_the_capacity_plan_table_keeps_the_page_columns_and_flags_illustrative_demand(bucks):
    _, res = bucks
    t = forecastpage.capacity_plan_table(res.capacity.result, True)
    assert list(t["frame"].columns) == forecastpage.CAPACITY_COLUMNS + ["demand_basis"]
    assert t["frame"]["month"].iloc[0] == "2026-04" and int(t["frame"]["horizon"].iloc[0]) == 13
    assert t["caption"].endswith("(ILLUSTRATIVE demand)")
    assert t["places"]["probability_over_capacity"] == 2
    own = forecastpage.capacity_plan_table(res.capacity.result, False)
    assert "demand_basis" not in own["frame"].columns and "ILLUSTRATIVE" not in own["caption"]


def test_the_series_sentences_say_months_and_basis(bucks):
    _, res = bucks
    out = forecastpage.series_sentences(res.series)
    assert out[0].startswith("**" + ILLUSTRATIVE_NOTE + ".** No council publishes monthly referrals")
    assert out[1].startswith(f"Monthly referrals: {res.series.frame.index.min()} to 2025-03 (")
    assert forecastpage.no_forecast_sentence("Too short.") == ("**No monthly forecast in this edition.** Too short. "
                                                               "The annual forecasts below still apply.")
    assert forecastpage.no_forecast_sentence("Too short.", annual_follows=False).endswith("Too short.")


def test_the_annual_sentences_round_to_whole_referrals_and_reconcile_a_full_year(monkeypatch):
    monkeypatch.setattr(panelmodel, "explain", lambda *a, **k: ["(why)"])
    fc = {"target_year": 2026, "forecast": 5567.6, "lower_80": 4455.2, "upper_80": 6890.4, "naive": 5518.0}
    idx = pd.period_range("2025-04", "2026-03", freq="M")
    months = pd.DataFrame({"mean": 460.0, "lower_80": 400.0, "upper_80": 520.0, "lower_95": 380.0,
                           "upper_95": 540.0}, index=idx)
    out = forecastpage.annual_sentences("825", fc, None, None, months)
    assert out[0] == ("Referrals in the year to March 2026: the panel method expects about **5,568** (80% interval "
                      "4,455 to 6,890); naive (last year's figure) says 5,518.")
    assert out[1] == "(why)"
    assert out[2].startswith("The monthly model's twelve months of that year add up to 5,520 referrals.")
    assert len(forecastpage.annual_sentences("825", fc, None, None, months.iloc[:11])) == 2
    assert forecastpage.annual_sentences("825", None, None, None, None) == [
        "No annual panel forecast for this council at this quarter (too few recent years published)."]


def test_the_appendix_sentences():
    cmp = {"n": 1327, "ratio": 0.97912, "bootstrap_95": (0.9651, 0.9968), "years_better": 7, "years": 9}
    assert forecastpage.comparison_sentence(cmp) == (
        "On the same 1,327 council-years the panel method's MASE is **0.979 times naive's** (95% bootstrap interval "
        "over councils 0.965 to 0.997); it beat naive in 7 of 9 target years.")
    summary = pd.DataFrame({"model": ["naive", "panel"], "mase": [1.0, 0.98]})
    assert forecastpage.winner_sentence(summary) == "Across all councils the lowest MASE is **panel**."


def test_the_scorecard_table_joins_fields_for_the_page_and_keeps_them_apart_in_the_download(bucks):
    ed, res = bucks
    t = scorecardpage.scorecard_table(res.scorecard, res.funnels, ed)
    assert list(t["frame"].columns) == ["label", "period", "value", "sn_median", "sn_range", "region", "england",
                                        "rank", "rating", "travel", "significance"]
    row = t["frame"].iloc[0]
    assert row["label"] == "Referrals (referrals in the year)" and row["value"] == 5518
    assert row["sn_range"] == "1,532 to 41,142" and row["rank"] == "26 of 153"
    assert row["significance"] == "not tested"
    down = t["download"]
    assert list(down.columns)[3] == "Buckinghamshire" and list(down.columns)[7] == "South East"
    assert down.iloc[0]["Rank (1 = highest value)"] == 26 and down.iloc[0]["Councils ranked"] == 153
    assert t["caption"] == "Scorecard: Buckinghamshire, edition 2026Q1"
    words = set(t["frame"]["significance"])
    assert "not tested" in words and not any("England" in w for w in words)
