"""The improvement timeline: every curated quote is verbatim and states its date; official rows for all."""

import re

import pytest

from cscbook.cli import main
from cscbook.core.quarters import Quarter
from cscbook.data import sources, timeline

EVENTS = timeline.curated_events()
FIGURES = timeline.quoted_figures()


@pytest.mark.parametrize("row", EVENTS.to_dict("records"), ids=lambda r: f"{r['la_code']}-{r['date']}-{r['title'][:30]}")
def test_each_event_quote_is_verbatim_and_supports_its_date(row):
    assert sources.quote_in_source(row["quote"], row["source"]), "quote not found in its source"
    assert row["kind"] in timeline.KINDS
    assert row["precision"] in ("day", "month", "year")
    assert len(row["date"]) == {"day": 10, "month": 7, "year": 4}[row["precision"]]
    if row["date_basis"] == "quote":
        assert sources.date_supported(row["date"], row["precision"], row["quote"], row["source"])
        if row["end_date"]:
            prec = {10: "day", 7: "month", 4: "year"}[len(row["end_date"])]
            assert sources.date_supported(row["end_date"], prec, row["quote"], row["source"])
    else:
        assert row["date_basis"] == "document"
        assert row["date"] == sources.document_date(row["source"])


def test_the_checks_fail_on_a_tampered_quote_and_date():
    row = EVENTS[EVENTS["date"] == "2018-07-12"].iloc[0]
    assert sources.quote_in_source(row["quote"], row["source"])
    assert not sources.quote_in_source(row["quote"].replace("12 July", "14 July"), row["source"])
    assert not sources.date_supported("2018-07-14", "day", row["quote"], row["source"])
    assert not sources.date_supported("2018-08-12", "day", row["quote"], row["source"])
    assert not sources.date_supported("2019-07-12", "day", row["quote"], row["source"])


def test_coverage_of_the_two_councils():
    counts = EVENTS["la_code"].value_counts()
    assert counts["825"] >= 40 and counts["938"] >= 8
    kinds = set(EVENTS["kind"])
    for k in ("inspection", "judgement", "direction", "review", "board", "appointment", "funding", "plan", "visit",
              "committee"):
        assert k in kinds
    for source in sources.DOCUMENT_DATES:
        assert (EVENTS["source"] == source).any(), source


WORDS = {"three": 3}


@pytest.mark.parametrize("row", FIGURES.to_dict("records"), ids=lambda r: r["figure_id"])
def test_each_quoted_figure_is_in_its_quote_and_source(row):
    assert sources.quote_in_source(row["quote"], row["source"])
    value = float(row["value"])
    numbers = {float(n) for n in re.findall(r"\d+(?:\.\d+)?", row["quote"].replace(",", ""))}
    numbers |= {float(v) for w, v in WORDS.items() if w in row["quote"]}
    assert value in numbers


def test_official_timeline_for_every_council():
    from cscbook.data.ofsted import official_events
    from cscbook.data.register import register

    ev = official_events()
    current = register()
    current = current[current["last_year"] == 2025].index
    covered = set(ev["la_code"])
    assert len(set(current) - covered) == 0


def test_bucks_official_judgements():
    t = timeline.timeline("825")
    off = t[t["official"] & (t["kind"] == "judgement")].set_index("date")
    assert off.at["2014-08-08", "grade"] == "Inadequate"
    assert off.at["2018-01-29", "grade"] == "Inadequate"
    assert off.at["2022-02-11", "grade"] == "Requires improvement"
    wsx = timeline.timeline("West Sussex")
    w = wsx[wsx["official"] & (wsx["kind"] == "judgement")].set_index("date")
    assert w.at["2019-05-08", "grade"] == "Inadequate"
    assert "Inadequate" in w.at["2019-05-08", "quote"]


def test_as_at_a_quarter_shows_only_what_was_known():
    t = timeline.timeline("825", Quarter(2014, 3))
    assert t["sort_date"].max() <= Quarter(2014, 3).end
    assert (t["date"] == "2014-08-08").any()  # the official publication
    assert not (t["date"] == "2014-11-19").any()
    # the 2015 review is not known in 2014 even for events it dates in 2014
    assert not (t["source"] == "002_ed146779f1375d57.txt").any()


def test_timeline_cli(capsys):
    assert main(["timeline", "--la", "938", "--format", "csv"]) == 0
    out = capsys.readouterr().out
    header = out.splitlines()[0]
    assert header == "date,la_code,kind,title,source,quote,also_in"
    assert "2019-05-08,938,judgement" in out
    assert main(["timeline", "--la", "Barnsley", "--format", "json"]) == 0
    assert '"la_code": "370"' in capsys.readouterr().out
    assert main(["timeline", "--la", "825", "--until", "2019Q5"]) == 2
    err = capsys.readouterr().err
    assert "is not a calendar quarter" in err and len(err.strip().splitlines()) == 1
    assert main(["timeline", "--la", "Westt Sussex"]) == 2
    assert "did you mean 'West Sussex'" in capsys.readouterr().err


def test_quoted_figures_against_official_data():
    from cscbook.models.compare import quoted_vs_official

    cmp = quoted_vs_official("825").set_index("figure_id")
    row = cmp.loc["referrals_rise_2013_2014"]
    assert row["official_value"] == pytest.approx((7317 - 4418) / 4418 * 100)
    assert round(row["official_value"], 1) == 65.6
    assert row["agrees"] == "roughly"  # 70% quoted, 65.6% published
