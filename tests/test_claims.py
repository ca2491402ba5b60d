"""Wording rules at their edges, claim checks, and property tests over a spread of councils and quarters."""

import random

import pytest

from cscbook.core.errors import CSCBookError
from cscbook.models import claims as C
from cscbook.models.claims import After, Claim, Figure, Interval, Wording


def test_share_words_at_their_edges():
    tol = C.ABOUT_HALF_PP
    assert C.share(44.4) == C.share(49.0) == "less than half"
    assert C.share(44.4, 49.0) == "less than half"
    assert C.share(50 - tol - 0.01) == "less than half"
    assert C.share(50 - tol) == C.share(50.0) == C.share(50 + tol) == "about half"
    assert C.share(50 + tol + 0.01) == "most"
    assert C.share(40.0, 60.0) == "less than half then most"


def test_change_follows_the_sign_and_rounding():
    assert C.change(100, 101) == "rose" and C.change(100, 99) == "fell"
    assert C.change(100, 100) == "unchanged"
    assert C.change(1000, 1004) == "unchanged"  # +0.4% rounds to 0%
    assert C.change(1000, 1004, places=1) == "rose"
    assert C.change(6620, 5518, style="up") == "down" and C.change(100, 120, style="up") == "up"
    assert C.change(0, 0) == "unchanged" and C.change(0, 5) == "rose"


def test_agreement_and_likelihood_and_bias_edges():
    assert C.agreement(14, 15.0) == "agrees" and C.agreement(14, 15.01) == "roughly agrees"
    assert C.agreement(14, 19.0) == "roughly agrees" and C.agreement(14, 25.6) == "does not agree"
    assert C.likelihood(0.9) == "almost certainly" and C.likelihood(0.89) == "likely"
    assert C.likelihood(2 / 3) == "likely" and C.likelihood(0.51) == "more likely than not"
    assert C.likelihood(0.5) == "only about one year in two"
    assert C.likelihood(1 / 6) == "only about one year in six"
    assert C.likelihood(0.15) == "only about one year in seven"
    assert C.bias_words(137, 460, unit="referrals") == "ran high by about 137 referrals a month"
    assert C.bias_words(-40, 460) == "ran low by about 40 a month"
    assert C.bias_words(22.9, 460) == "showed no material bias"  # under 5% of the level
    assert C.bias_words(23.0, 460) == "ran high by about 23 a month"


def _claim(words="less than half", lo=10.0, est=20.0, hi=30.0, when="2026-04", bound="2026-03-31"):
    figs = (Figure("nfa", 49.0, "f.csv", "row 1", "{:.1f}%"), Figure("lo", lo, "f"), Figure("est", est, "f"),
            Figure("hi", hi, "f"), Figure("when", when, "f"), Figure("end", bound, "edition"))
    return Claim("{w} ({nfa})", "demand", figs, (Wording("w", "share", ("nfa",), words),),
                 (Interval("est", "lo", "hi"),), (After("when", "end"),), name="t")


def test_a_claim_holds_only_when_its_words_interval_and_dates_agree():
    assert _claim().check() and _claim().text == "less than half (49.0%)"
    with pytest.raises(CSCBookError, match="says 'most', rule share gives 'less than half'"):
        _claim(words="most").check()
    # an interval that does not contain its estimate (the peak-to-trough 1.58 in 4.43 to 945.66 kind)
    assert "does not contain" in _claim(lo=4.43, est=1.58, hi=945.66).problems()[0]
    # advice dated before the edition's quarter end (recruitment by 2026-03-06 in a 2026Q1 edition)
    assert "is not after" in _claim(when="2026-03-06").problems()[0]
    assert "is not after" in _claim(when="2026-03-31").problems()[0]
    assert _claim(when="2026-04-01").problems() == []
    table = C.fact_check_table([_claim(), _claim(words="most")])
    assert list(table["check"].unique()) == ["holds", "fails: w: says 'most', rule share gives 'less than half'"]
    assert set(table["source"]) == {"f.csv", "f", "edition"}


def test_sources_name_the_official_file_and_row():
    file, row = C.source_of("nfa_pct", 2023, "old_la_code=825")
    assert file == "data/official/dfe_cin_c1_referrals_rereferrals_2013_2025.csv"
    assert row == "old_la_code=825, year to 31 March 2023, no_further_action_percent"
    assert C.source_of("cla_started", 2014, "x")[0].endswith("dfe_cla_legacy_sfr_by_la_2010_2018.csv")
    assert "ons_population" in C.source_of("referrals_rate_per_10k", 2025, "England")[0]


# ---------------------------------------------------------------------------------------------------
# Property tests over real editions (the monthly forecast claims are tested on fixed cases in test_headlines)


def _spread(n_councils=20, n_quarters=4, seed=17):
    from cscbook.build.context import make_edition
    from cscbook.data.edition import first_quarter, latest_quarter
    from cscbook.data.register import register

    rng = random.Random(seed)
    codes = sorted(register().index)
    quarters = []
    q, last = first_quarter(), latest_quarter()
    while q <= last:
        quarters.append(q)
        q = q.next()
    editions = []
    for code in rng.sample(codes, n_councils):
        got = 0
        for q in rng.sample(quarters, len(quarters)):
            try:
                editions.append(make_edition(code, str(q)))
            except CSCBookError:
                continue
            got += 1
            if got == n_quarters:
                break
    return editions


def test_every_claim_in_a_spread_of_editions_agrees_with_its_figures():
    from cscbook.models.headlines import headlines

    editions = _spread()
    assert len(editions) >= 60
    n = 0
    for ed in editions:
        for c in headlines(ed, include_forecast=False, holding_only=False):
            assert c.problems() == [], (ed.slug, c.text)
            c.text  # renders: every placeholder has a figure or wording
            for w in c.wordings:
                assert w.words in c.text
            for i in c.intervals:
                assert c.value(i.lower) <= c.value(i.estimate) <= c.value(i.upper)
            # shares are never "most" at or under 50%
            for w in c.wordings:
                if w.rule == "share":
                    assert ("most" in w.words) == any(c.value(f) > 50 for f in w.figures)
            # no rating from an older year
            if c.name == "scorecard":
                assert "rated on" not in c.text
            n += 1
    assert n >= 4 * len(editions)
