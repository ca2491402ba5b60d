"""Tables for people, the timeline's judgements and source pages (synthetic frames are labelled synthetic)."""

import base64
import io
import re
from datetime import date

import pandas as pd

from cscbook.data.timeline import timeline
from cscbook.report import sourcepages
from cscbook.report.charts import graded_judgements
from cscbook.report.notebook import table_html


def _csv(html: str) -> pd.DataFrame:
    data = re.search(r'href="data:text/csv;charset=utf-8;base64,([^"]+)"', html).group(1)
    return pd.read_csv(io.StringIO(base64.b64decode(data).decode("utf-8")), dtype=str, keep_default_na=False)


def test_table_headings_in_words_counts_whole_rates_one_decimal_and_csv_matches():
    # synthetic frame
    frame = pd.DataFrame({"year": [2024, 2025], "referrals": [5518.0, 3.0], "rate": [422.94, 12.25]})
    html = table_html(frame, counts=["referrals"], derived={"rate": "referrals"},
                      labels={"year": "Year", "referrals": "Referrals", "rate": "Rate per 10,000"})
    assert '<th scope="col">Referrals</th>' in html and "referrals</th>" not in html
    assert "<td class=\"cscbook-col-referrals\">5,518</td>" in html and "5,518.0" not in html
    assert ">422.9<" in html
    csv = _csv(html)
    assert list(csv.columns) == ["Year", "Referrals", "Rate per 10,000"]
    # numbers as numbers (no thousands separators), rounded as shown; the small count and its rate hidden
    assert csv.values.tolist() == [["2024", "5518", "422.9"], ["2025", "c", "c"]]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", html)
    assert [c.replace(",", "") for c in cells] == [v for row in csv.values.tolist() for v in row]


def test_table_links_are_not_columns_and_escape():
    frame = pd.DataFrame({"source": ["A <paper>"], "link": ["../book/sources/x.html#quote-2"]})  # synthetic
    html = table_html(frame, hrefs={"source": "link"})
    assert '<a href="../book/sources/x.html#quote-2">A &lt;paper&gt;</a>' in html
    assert "link</th>" not in html and list(_csv(html).columns) == ["source"]


def test_every_official_judgement_of_buckinghamshire_is_graded_in_the_chart_data():
    events = timeline("825")
    g = graded_judgements(events)
    inadequate = g[g["grade"] == "Inadequate"]["date"].dt.year.tolist()
    assert inadequate == [2014, 2018]
    official = events[(events["kind"] == "judgement") & events["official"].astype(bool) & events["grade"].notna()]
    assert len(g) == len(official)


def test_sources_are_named_by_title_and_every_quote_is_highlighted():
    assert sourcepages.title("002_ed146779f1375d57.txt").endswith("February 2015")
    assert "txt" not in sourcepages.title("002_ed146779f1375d57.txt")
    for source, quotes in sourcepages.quotes_by_source().items():
        if sourcepages.page_name(source):
            assert set(sourcepages.quote_numbers(source)) == set(quotes), source
    page = sourcepages.page_markdown("001_7bb63c69319b4d04.txt")
    assert page.startswith("# Buckinghamshire County Council, Report to Cabinet") and '<mark id="quote-1">' in page


def test_highlight_spans_line_breaks_and_typographic_quotes():
    text = "Intro.\nThe council\u2019s plan was\n  agreed on 3 May.\nEnd."  # synthetic
    out, numbers = sourcepages.highlighted(text, ["The council's plan was agreed on 3 May."])
    assert numbers == {"The council's plan was agreed on 3 May.": 1}
    assert out.count("<mark") == 1 and "End." in out.split("</mark>")[1]


def test_small_multiples_show_what_was_published_by_the_quarter_and_draw_from_the_data_given(monkeypatch):
    from cscbook.build.context import make_edition
    from cscbook.models import indicators
    from cscbook.models.indicators import la_panel, multiples_frames
    from cscbook.report import charts, notebook

    ed = make_edition("825", "2019Q2")
    frames = multiples_frames(ed.council.code, ed.council.neighbours, ed.quarter, ["referrals_rate_per_10k"])
    frame = frames["referrals_rate_per_10k"]
    own = frame.dropna(subset=["referrals_rate_per_10k"])
    # by June 2019 the year to March 2018 was the latest published: the council's value is the panel's
    assert int(own["year"].max()) == 2018 and int(frame["year"].min()) == 2013
    assert own["referrals_rate_per_10k"].iloc[-1] == la_panel().loc[("825", 2018), "referrals_rate_per_10k"]
    later = multiples_frames("825", ed.council.neighbours, make_edition("825", "2026Q1").quarter, ["referrals_rate_per_10k"])
    assert int(later["referrals_rate_per_10k"].dropna(subset=["referrals_rate_per_10k"])["year"].max()) == 2025
    # the chart fetches nothing: it draws the frames it is given
    monkeypatch.setattr(indicators, "la_panel", lambda *a, **k: (_ for _ in ()).throw(AssertionError("fetched")))
    shown = []
    monkeypatch.setattr(charts, "show", lambda fig, alt, **k: shown.append(alt))
    judged = pd.DataFrame({"date": [date(2014, 10, 1)], "grade": ["Inadequate"]})  # synthetic
    charts.headline_multiples(frames, ed, judged)
    assert len(shown) == 1 and "1 Ofsted judgement." in shown[0]
    assert f"Referral rate {own['referrals_rate_per_10k'].iloc[-1]:,.1f} in the year to 31 March 2018" in shown[0]
    notebook.plt.close("all")
