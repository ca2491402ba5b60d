"""What typically follows an inadequate judgement: an event study across England.

Treated councils: every council whose first overall 'Inadequate' judgement under the single inspection
framework (SIF, from 2014) or ILACS (from 2018) was published between April 2013 and March 2025. The event
year is the year ending 31 March in which the report was published; relative years run from ``-LEADS`` to
``+LAGS`` (earlier and later years are binned into the end points), with year -1 as the reference.
Comparison councils: those never judged inadequate under SIF or ILACS. The model is a two-way fixed-effects
regression (council and year fixed effects) estimated with statsmodels OLS, standard errors clustered by
council.

Limits, said in the book: judgements are not random (councils are inspected and judged because of what is
happening to them); with staggered timing, two-way fixed effects can mix effects across cohorts; breaks in
recording (flagged years are dropped) and reorganisations (councils that changed code leave the panel) add
noise. The estimates describe what typically followed, not what the judgement caused.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cscbook.core import quarters
from cscbook.data.ofsted import inadequate_publications
from cscbook.models.breaks import flagged_panel
from cscbook.models.indicators import la_panel

LEADS = 3
LAGS = 4
OUTCOMES = {
    "referrals_rate_per_10k": "Referrals per 10,000 children",
    "cla_rate_per_10k": "Children looked after per 10,000 children",
    "agency_rate_pct": "Agency social workers, % of FTE",
}


def year_ending_march(d: str) -> int:
    """The reporting year (ending 31 March) of a date written YYYY-MM-DD."""
    y, m, _ = (int(p) for p in d.split("-"))
    return quarters.year_ending_march(y, m)


def treated_councils(first_year: int = 2014, last_year: int = 2025) -> pd.DataFrame:
    """Councils whose first published inadequate judgement falls in a reporting year (ending 31 March) from
    ``first_year`` to ``last_year``: one row each, with ``la_code``, the publication's ``date`` and
    ``event_year``."""
    pubs = inadequate_publications()
    pubs["event_year"] = pubs["date"].map(year_ending_march)
    first = pubs.sort_values("date").groupby("la_code").first().reset_index()
    return first[(first["event_year"] >= first_year) & (first["event_year"] <= last_year)].reset_index(drop=True)


def design(outcome: str) -> pd.DataFrame:
    """The event study's panel for ``outcome`` (a column of the council panel): one row per council and year
    with ``y``, ``treated`` and one 0/1 column per year relative to the first inadequate judgement (``k_m3`` to
    ``k_p4``: :data:`LEADS` years before to :data:`LAGS` after, binned at the ends; year -1 left out as the
    reference). Councils judged inadequate outside the study years are left out; for referral outcomes, so are
    years flagged as recording breaks."""
    panel = la_panel()[[outcome]].reset_index().rename(columns={outcome: "y"})
    flags = flagged_panel()["flagged"]
    if outcome.startswith("referrals"):
        flagged = panel.set_index(["old_la_code", "year"]).index.map(lambda k: bool(flags.get(k, False)))
        panel = panel[~np.asarray(flagged)]
    treated = treated_councils()
    ever = set(inadequate_publications()["la_code"])
    event = dict(zip(treated["la_code"], treated["event_year"]))
    panel = panel[panel["old_la_code"].isin(set(event) | (set(panel["old_la_code"]) - ever))].dropna(subset=["y"])
    panel["treated"] = panel["old_la_code"].isin(event)
    rel = panel["year"] - panel["old_la_code"].map(event)
    panel["rel"] = rel.clip(-LEADS, LAGS)
    for k in range(-LEADS, LAGS + 1):
        if k == -1:
            continue
        name = f"k_m{-k}" if k < 0 else f"k_p{k}"
        panel[name] = ((panel["rel"] == k) & panel["treated"]).astype(float)
    return panel


def estimate(outcome: str) -> pd.DataFrame:
    """Coefficients for each relative year with 95% confidence intervals (reference year -1)."""
    panel = design(outcome)
    terms = [c for c in panel.columns if c.startswith("k_")]
    formula = "y ~ " + " + ".join(terms) + " + C(old_la_code) + C(year)"
    codes = pd.factorize(panel["old_la_code"])[0]
    import statsmodels.formula.api as smf  # imported when an estimate is made, not by every reader of the cache

    fit = smf.ols(formula, data=panel).fit(cov_type="cluster", cov_kwds={"groups": codes})
    ci = fit.conf_int()
    rows = []
    for term in terms:
        k = -int(term[3:]) if term.startswith("k_m") else int(term[3:])
        rows.append(dict(relative_year=k, estimate=fit.params[term], ci_low=ci.loc[term, 0], ci_high=ci.loc[term, 1],
                         p_value=fit.pvalues[term]))
    rows.append(dict(relative_year=-1, estimate=0.0, ci_low=0.0, ci_high=0.0, p_value=np.nan))
    out = pd.DataFrame(rows).sort_values("relative_year").reset_index(drop=True)
    out.attrs.update(n_obs=int(fit.nobs), n_councils=int(panel["old_la_code"].nunique()),
                     n_treated=int(panel.loc[panel["treated"], "old_la_code"].nunique()))
    return out
