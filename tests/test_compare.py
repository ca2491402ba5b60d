"""Quoted figures are compared with the official measure that matches the quote's meaning."""

import pandas as pd
import pytest

from cscbook.core.errors import CSCBookError
from cscbook.models.compare import agreement, check_measures, measure_for_quote, quoted_vs_official


def test_coming_into_care_is_compared_with_children_starting_care():
    cmp = quoted_vs_official("825").set_index("figure_id")
    row = cmp.loc["cla_rise_2013_2014"]
    assert row["official_measure"] == "cla_started"
    assert row["official_value"] == pytest.approx((162 - 129) / 129 * 100)
    assert round(row["official_value"], 1) == 25.6
    assert row["agrees"] == "no"  # "about 14%" against +25.6%


def test_one_quoted_figure_one_verdict_against_the_basis_its_source_states():
    """The 2015 review's "looked after children by 14%" restates the 2014 Cabinet report's figure (it cites the
    task and finish group): one row, judged against children starting care, listing both sources (issue 28, 7)."""
    cmp = quoted_vs_official("825").set_index("figure_id")
    assert "cla_rise_2013_2014_review" not in cmp.index and "referrals_rise_2013_2014_review" not in cmp.index
    row = cmp.loc["cla_rise_2013_2014"]
    assert row["agrees"] == "no" and row["also_in"] == "002_ed146779f1375d57.txt"
    assert (cmp["quoted_value"] == 14).sum() == 1


def test_a_restatement_compared_on_another_basis_fails_with_its_line():
    rows = pd.concat([_row(figure_id="a"), _row(figure_id="b", quote="the number of looked after children", cites="a",
                                                official_measure="cla_at_31_march",
                                                official_comparison="cla_at_31_march:2013:2014")], ignore_index=True)
    rows.loc[0, "cites"] = ""
    with pytest.raises(CSCBookError, match=r"line 3 \(b\): it cites a but is compared with cla_at_31_march"):
        check_measures(rows)
    rows.loc[1, ["official_measure", "official_comparison"]] = ["cla_started", "cla_started:2013:2014"]
    check_measures(rows)  # the restatement takes the cited quote's basis


def test_quote_meanings():
    assert measure_for_quote("young people coming into the care of the authority") == "cla_started"
    assert measure_for_quote("children entering care") == "cla_started"
    assert measure_for_quote("the number of looked after children") == "cla_at_31_march"
    assert measure_for_quote("children in care") == "cla_at_31_march"
    assert measure_for_quote("a 70% increase in referrals") == "referrals"
    assert measure_for_quote("the contingency of up to £1m") is None


def _row(**kw):
    base = dict(figure_id="x", quote="young people coming into the care of the authority",
                official_measure="cla_started", official_comparison="cla_started:2013:2014", cites="")
    base.update(kw)
    return pd.DataFrame([base])


def test_a_row_compared_with_the_wrong_measure_fails_with_its_line():
    check_measures(_row())
    with pytest.raises(CSCBookError, match=r"line 2 \(x\).*set official_measure to cla_started"):
        check_measures(_row(official_measure="cla_at_31_march", official_comparison="cla_at_31_march:2013:2014"))
    with pytest.raises(CSCBookError, match="differs from official_comparison"):
        check_measures(_row(official_comparison="cla_at_31_march:2013:2014"))


def test_agreement_edges():
    assert agreement(14, 15.0) == "yes" and agreement(14, 15.01) == "roughly"
    assert agreement(14, 19.0) == "roughly" and agreement(14, 19.01) == "no"
