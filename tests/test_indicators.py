"""Indicators: published counts, and DfE's published rates reproduced from counts and population."""

import pandas as pd
import pytest

from cscbook.core import paths
from cscbook.models import indicators
from cscbook.models.indicators import indicators_for, rate_per_10k


def test_bucks_referrals_and_rates():
    df = indicators_for("Buckinghamshire").set_index("year")
    assert df.at[2013, "referrals"] == 4418
    assert df.at[2014, "referrals"] == 7317
    # 4418 / 116,? children: the rate uses the mid-2012 population for the year to March 2013
    assert df.at[2025, "referrals_rate_per_10k"] == pytest.approx(5518 / 130466 * 1e4)


def test_cla_rates_reproduce_dfe_published_rates():
    cla = pd.read_csv(paths.official_dir() / "dfe_cla_number_rate_2019_2025.csv", dtype=str)
    cla = cla[(cla["geographic_level"] == "Local authority")
              & (cla["population_type"] == "Children looked after on 31 March each year")
              & cla["rate_per_10000"].str.isdigit()]
    panel = indicators.la_panel()
    agree = total = 0
    for _, row in cla.iterrows():
        key = (row["old_la_code"], int(row["time_period"]))
        if key not in panel.index or pd.isna(panel.at[key, "cla_rate_per_10k"]):
            continue
        total += 1
        # DfE rounds half away from zero; compare the half-up rounding of the unrounded rate
        agree += int(panel.at[key, "cla_rate_per_10k"] + 0.5) == int(row["rate_per_10000"])
    assert total > 1000
    assert agree / total > 0.995


LAIT = {"CIN": "cin_rate_per_10k", "CPP_rate": "cpp_rate_per_10k", "Section_47": "s47_rate_per_10k",
        "CPP_Total_Rateper10,000": "referrals_rate_per_10k", "LAC": "cla_rate_per_10k"}


@pytest.mark.parametrize("code", ["825", "938", "301", "370", "873"])
def test_rates_match_lait(code):
    lait = pd.read_csv(paths.official_dir() / "dfe_lait_csc_indicators_2016_2025_long.csv", dtype=str)
    lait = lait[lait["LA Number"] == f"{code}.0"]
    panel = indicators.la_panel()
    checked = 0
    for short, col in LAIT.items():
        rows = lait[(lait["Short Desc"] == short) & lait["Years"].str.fullmatch(r"\d{4}")]
        if short == "LAC":
            # looked-after rates before 2019 were published on population estimates ONS has since revised
            rows = rows[rows["Years"].astype(int) >= 2019]
        for _, row in rows.iterrows():
            try:
                published = float(row["Values"])
            except ValueError:
                continue
            ours = panel.at[(code, int(row["Years"])), col]
            if pd.isna(ours):
                continue
            places = 0 if short == "LAC" else 1
            assert round(ours + 1e-9, places) == pytest.approx(published, abs=0.051 if places else 0.51), (short, row["Years"])
            checked += 1
    assert checked >= 30


def test_comparators_for_west_sussex():
    df = indicators_for("938").set_index("year")
    # England's referral count is published rounded to the nearest 10
    assert df.at[2025, "referrals_england"] == 632830
    assert df.at[2025, "agency_rate_pct_england"] == 13.0
    sn = ["916", "881", "850", "919", "937", "865", "802", "931", "803", "878"]
    panel = indicators.la_panel()
    vals = [panel.at[(c, 2025), "cla_rate_per_10k"] for c in sn]
    assert df.at[2025, "cla_rate_per_10k_sn_median"] == pytest.approx(pd.Series(vals).median())


def test_rate_helper():
    assert rate_per_10k(50, 100_000) == 5.0


def test_missing_population_gives_missing_rate_not_zero():
    df = indicators_for("825").set_index("year")
    assert pd.isna(df.at[2018, "cla_rate_per_10k"])  # the 2018 stock file is missing from the sources


def test_mask_unpublished_shows_only_what_was_published_by_the_quarter():
    """Buckinghamshire as a reader saw it at the end of 2019Q2 (June 2019) and at the end of 2026Q1."""
    from cscbook.core.quarters import Quarter
    from cscbook.models.indicators import INDICATORS, mask_unpublished

    full = indicators_for("825", [i.name for i in INDICATORS])
    then = mask_unpublished(full, Quarter(2019, 2)).set_index("year")
    now = mask_unpublished(full, Quarter(2026, 1)).set_index("year")
    # children in need for the year to March 2019 came out in autumn 2019: not yet known in June 2019
    assert then.index.max() == 2018 and now.index.max() == 2025
    assert 2019 in full["year"].values and full.set_index("year").at[2019, "referrals"] == 7640
    assert then.at[2018, "referrals"] == 10337 and now.at[2019, "referrals"] == 7640
    # comparators are masked with the council's own figures
    assert then.at[2018, "referrals_england"] == full.set_index("year").at[2018, "referrals_england"]
    assert not any(c.endswith(("_england", "_sn_median", "_region")) and then[c].loc[2019:].notna().any()
                   for c in then.columns)
    # rates need the population estimate: mid-2017 was the latest by June 2019, so 2018 rates are shown
    assert then.at[2018, "referrals_rate_per_10k"] == pytest.approx(now.at[2018, "referrals_rate_per_10k"])
    # and an earlier quarter shows less: at the end of 2014Q2 only the year to March 2013 was out
    early = mask_unpublished(full, Quarter(2014, 2)).set_index("year")
    assert list(early.index) == [2013] and early.at[2013, "referrals"] == 4418
