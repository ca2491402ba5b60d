from cscbook.report import figures

"""Round 2 of the fact-check of the Buckinghamshire 2026Q1 edition (issue 28): each item's figures and sentences
recomputed from data/official, for the editions the fact-check read (Buckinghamshire 825 2026Q1, West Sussex
938 2019Q2)."""

import pandas as pd
import pytest

from cscbook.build.context import make_edition


@pytest.fixture(scope="module")
def bucks():
    return make_edition("825", "2026Q1")


@pytest.fixture(scope="module")
def bucks_card(bucks):
    from cscbook.models.benchmark import benchmark

    return benchmark("825", 2025, quarter=bucks.quarter).set_index("indicator")


# 1. a rating uses only the latest year -------------------------------------------------------------------------

def test_1_a_suppressed_latest_year_is_shown_as_suppressed_not_rated_on_an_older_one(bucks_card):
    from cscbook.models.indicators import la_panel

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
    from cscbook.models.indicators import BY_NAME

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
    from cscbook.report import charts

    seen = []
    monkeypatch.setattr(charts, "show", lambda fig, alt, caption=None, data=None: seen.append((alt, data or {})))
    return seen


def test_2_the_headline_chart_shades_the_recording_change_years(bucks, shown):
    from cscbook.data.ofsted import judgements_until
    from cscbook.models.breaks import flagged_years
    from cscbook.models.indicators import multiples_frames
    from cscbook.report import charts

    assert flagged_years("825") == [2022, 2023]
    frames = multiples_frames("825", bucks.council.neighbours, bucks.quarter, charts.HEADLINE_INDICATORS)
    charts.headline_multiples(frames, bucks, judgements_until("825", bucks.quarter), flagged_years("825"))
    alt, data = shown[-1]
    assert data["recording-changes"] == "2022,2023" and "years to March 2022, 2023" in alt


def test_2_the_timeline_rate_panel_shades_the_recording_change_years(bucks, shown):
    from cscbook.data.timeline import timeline
    from cscbook.models.breaks import flagged_years
    from cscbook.models.indicators import indicators_for, mask_unpublished
    from cscbook.report import charts

    rates = mask_unpublished(indicators_for("825", ["referrals_rate_per_10k", "cla_rate_per_10k"]), bucks.quarter)
    charts.timeline_chart(timeline("825", bucks.quarter), bucks, rates, flagged_years("825"))
    assert shown[-1][1]["recording-changes"] == "2022,2023"


def test_2_the_monthly_forecast_chart_shades_the_recording_change_years(bucks, shown):
    from cscbook.models.demand import monthly_series
    from cscbook.report import charts

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
    from cscbook.models.claims import source_of
    from cscbook.models.headlines import headlines
    from cscbook.models.indicators import period_label

    file, row = source_of("agency_rate_pct", 2025, "old_la_code=825")
    assert row == "old_la_code=825, 30 September 2025 (snapshot), agency_rate_fte" and "csww" in file
    assert source_of("nfa_pct", 2023, "England")[1] == "England, year to 31 March 2023, no_further_action_percent"
    assert period_label("turnover_pct", 2025) == "year to 30 September 2025"
    h = {c.name: c for c in headlines(bucks, include_forecast=False, holding_only=False)}
    ev = h["scorecard"].evidence().set_index("figure")
    assert "30 September 2025 (snapshot)" in ev.at["agency_rate_pct", "row"]
    assert not ev["row"].str.contains("year to 31 March 2025, (?:agency|vacancy|caseload)").any()
    assert h["new_statistics"].text == "New official statistics this quarter: workforce figures for 30 September 2025."


# 8, 9, 10: timeline events as events -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def bucks_timeline(bucks):
    from cscbook.data.timeline import timeline

    return timeline("825", bucks.quarter)


def test_8_a_year_only_date_shows_as_the_year(bucks_timeline):
    from cscbook.data.timeline import date_shown
    from cscbook.report.sourcepages import timeline_table

    assert date_shown("2014", "year") == "2014" and date_shown("2014-11", "month") == "Nov 2014"
    assert date_shown("2014-08-08", "day") == "08 Aug 2014"
    table = timeline_table(bucks_timeline)
    assert not table["when"].str.startswith("01 Jan").any()
    assert "Jan 2014" in set(table["when"]) and "01 Jan 2014" not in set(table["when"])
    # no inadequate judgement is dated before the June 2014 inspection
    j = bucks_timeline[bucks_timeline["kind"] == "judgement"]
    assert not ((j["sort_date"] < pd.Timestamp("2014-06-03").date()) & j["title"].str.contains("nadequate")).any()


def test_9_one_row_per_judgement_carrying_every_source_that_mentions_it(bucks_timeline):
    j = bucks_timeline[bucks_timeline["kind"] == "judgement"].set_index("date")
    assert list(j.index) == ["2011-01-24", "2014-08-08", "2018-01-29", "2022-02-11", "2025-05-14"]
    assert j.at["2014-08-08", "official"] and j.at["2014-08-08", "grade"] == "Inadequate"
    assert set(j.at["2014-08-08", "sources"][1:]) == {"000_aae2f59dc3e5d6c7.txt", "001_7bb63c69319b4d04.txt",
                                                      "002_ed146779f1375d57.txt"}
    assert set(j.at["2018-01-29", "sources"][1:]) == {"000_aae2f59dc3e5d6c7.txt", "003_abba65fc10130d3d.txt"}
    assert len(j.at["2014-08-08", "quotes"]) == 4
    assert "The final report was published on 8 August 2014." in j.at["2014-08-08", "quotes"]


def test_10_planned_items_are_a_kind_of_their_own_in_the_future_tense(bucks_timeline):
    from cscbook.data.sources import quote_in_source

    planned = bucks_timeline[bucks_timeline["kind"] == "planned"].set_index("title")
    assert {"Improvement plan to be produced within 70 working days of the report",
            "First phase of the independent review to be completed",
            "A new retention package for social workers will be implemented",
            "Challenge and support phase to be completed"} <= set(planned.index)
    for title, row in planned.iterrows():
        assert quote_in_source(row["quote"], row["source"])
        assert any(w in title for w in (" to be ", " to receive ", " will ", "likely")), title
    titles = set(bucks_timeline["title"])
    assert not {"Improvement plan due within 70 working days of the report", "New retention package for social workers",
                "Deadline for the first phase of the independent review", "End of the challenge and support phase"} & titles


# 12. an edition shows only documents about its own council --------------------------------------------------------

def test_12_buckinghamshire_shows_no_west_sussex_paper(bucks, tmp_path):
    from cscbook.report.sourcepages import sources_for, write_source_pages

    assert "004_0e861a4f4565613d.txt" not in sources_for("825")
    assert sources_for("938") == ["004_0e861a4f4565613d.txt"] and sources_for("370") == []
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: intro\nparts: []\n")
    pages = write_source_pages(tmp_path, bucks)
    assert sorted(p.stem for p in pages) == ["000_aae2f59dc3e5d6c7", "001_7bb63c69319b4d04", "002_ed146779f1375d57",
                                             "003_abba65fc10130d3d"]
    assert "004_0e861a4f4565613d" not in (tmp_path / "_toc.yml").read_text()


# 15. the 2010 SLAC judgement as the framework graded it ---------------------------------------------------------

def test_15_a_slac_middle_grade_is_adequate_not_requires_improvement():
    from cscbook.data.ofsted import official_events

    ev = official_events()
    slac = ev[ev["framework"].str.startswith("SLAC")]
    assert "Requires improvement" not in set(slac["grade"]) and "Adequate" in set(slac["grade"])
    assert ev[ev["framework"].str.startswith("SIF")]["grade"].eq("Requires improvement").any()


# 16. downloads a statistician would accept; 15. years never printed as 2,022 ------------------------------------

def _download(html, kind="text/csv"):
    import base64
    import re

    data = re.search(rf'href="data:{kind};charset=utf-8;base64,([^"]+)"', html).group(1)
    return base64.b64decode(data).decode("utf-8")


def test_16_csv_downloads_hold_numbers_as_numbers_with_a_sidecar(bucks):
    import io
    import json

    from cscbook.report import notebook as nb

    nb._EDITION_NOTE = nb.download_note(bucks)
    # synthetic frame
    frame = pd.DataFrame({"year": [2024, 2025], "referrals": [5518.0, 1532.0], "rate": [422.94, 41142.0]})
    html = nb.table_html(frame, counts=["referrals"], labels={"year": "Year", "referrals": "Referrals", "rate": "Rate"},
                         caption="Synthetic referrals")
    csv = pd.read_csv(io.StringIO(_download(html)))
    assert csv["Referrals"].tolist() == [5518, 1532] and csv["Rate"].tolist() == [422.9, 41142.0]
    about = json.loads(_download(html, "application/json"))
    assert about["cscbook:edition"] == "Buckinghamshire (825), 2026Q1"
    assert about["cscbook:licence"].startswith("Open Government Licence v3.0")
    assert about["cscbook:figures_as_at"] == "2026-03-31" and about["cscbook:published"] <= "2026-03-31"
    assert [c["datatype"] for c in about["tableSchema"]["columns"]] == ["number", "number", "number"]


def test_15_a_year_column_named_in_words_prints_years_without_separators():
    from cscbook.report.notebook import table_html

    frame = pd.DataFrame({"Year to 31 March": [2022, 2023], "Referrals": [13087.0, 12157.0]})  # synthetic
    html = table_html(frame, counts=["Referrals"])
    assert ">2022<" in html and "2,022" not in html and ">13,087<" in html
    assert _download(html).splitlines()[1] == "2022,13087"


# 13, 14 -----------------------------------------------------------------------------------------------------------

def test_14_the_funnel_counts_the_group_the_scorecard_ranks(monkeypatch):
    from cscbook.models import funnel as F
    from cscbook.models.benchmark import benchmark

    row = benchmark("825", 2024).set_index("indicator").loc["cpp_2yrs_pct"]
    assert (row["rank"], row["councils"]) == (11, 100)
    f = F.funnel("cpp_2yrs_pct", 2024)
    assert len(f.points) == 99 and f.unplotted == 1 and f.with_value == row["councils"]
    seen = []
    monkeypatch.setattr("cscbook.report.notebook.show", lambda fig, alt, caption=None, data=None: seen.append((alt, data)))
    figures.funnel_chart(f, make_edition("825", "2025Q1"))
    alt, data = seen[-1]
    assert "for 99 of the 100 councils with a value (1 without a published denominator" in alt
    assert data["councils"] == 100 and data["plotted"] == 99


def test_16_the_scorecard_download_has_one_column_per_field_and_words(bucks_card):
    from cscbook.models.benchmark import scorecard_table

    t = scorecard_table(bucks_card.reset_index()).set_index("label")
    assert list(t.columns) == ["unit", "period", "value", "sn_median", "sn_min", "sn_max", "region",
                               "england", "rank", "councils", "rating", "travel"]
    assert t.at["Referrals", "value"] == 5518 and t.at["Referrals", "rank"] == 26 and t.at["Referrals", "councils"] == 153
    assert t.at["Agency social workers", "rating"] == "Worst quarter (red)"
    assert t.at["Agency social workers", "period"] == "30 September 2025 (snapshot)"
    p = t.loc["Plans lasting two years or more"]
    assert p["value"] == "c" and p["rating"] == "Not rated: suppressed" and p["period"] == "year to 31 March 2025"
    assert pd.isna(p["rank"])
    text = t.astype(str).to_string()
    assert not any(sym in text for sym in "▲●▼↑↓→")


def test_13_the_about_page_names_the_data_packs_sheets(bucks, tmp_path):
    from cscbook.build import pages as build_pages
    from cscbook.report.datapack import SHEETS, tables

    (tmp_path / "book").mkdir()
    meta = {"council": "Buckinghamshire", "la": "825", "quarter": "2026Q1", "financial_quarter": "2025-26 Q4",
            "paper": False}
    build_pages.write_edition_page(tmp_path, [], meta)
    text = (tmp_path / "book" / "this_edition.md").read_text()
    assert "every table of the edition" not in text
    assert ("indicators by year, the scorecard, the recording-change check and the timeline, one sheet each" in
            text.replace("\n  ", " "))
    assert len(SHEETS) == len(tables(bucks))


def test_16_the_scorecard_page_joins_for_reading_and_its_download_keeps_fields_apart(bucks_card):
    import io

    from cscbook.models.benchmark import scorecard_page, scorecard_table
    from cscbook.report.notebook import table_html

    fields = scorecard_table(bucks_card.reset_index())
    page = scorecard_page(fields).set_index("label")
    assert page.at["Referrals (referrals in the year)", "sn_range"] == "1,532 to 41,142"
    assert page.at["Referrals (referrals in the year)", "rank"] == "26 of 153"
    html = table_html(scorecard_page(fields), download=fields.rename(columns={"sn_min": "Neighbours (lowest)",
                                                                              "sn_max": "Neighbours (highest)"}))
    assert 'data-fields="split"' in html
    csv = pd.read_csv(io.StringIO(_download(html)), keep_default_na=False, dtype=str).set_index("label")
    assert csv.at["Referrals", "Neighbours (lowest)"] == "1532" and csv.at["Referrals", "Neighbours (highest)"] == "41142"
    assert csv.at["Referrals", "rank"] == "26" and csv.at["Referrals", "councils"] == "153"
    assert csv.at["Referrals", "value"] == "5518" and csv.at["Plans lasting two years or more", "value"] == "c"
