"""Detect years where a council's referral count reflects a recording change rather than demand.

A year is flagged when two things happen together:

* the share of referrals closed with no further action (NFA) is at least ``NFA_MARGIN_PP`` percentage
  points above England's share that year: contacts that needed no social care are being counted as
  referrals; and
* the referral count is at least ``LEVEL_RATIO`` times the council's median over its other years: the
  extra NFA referrals lift the count well above the council's usual level.

Buckinghamshire's 13,087 and 12,157 referrals in 2022 and 2023 (NFA 44% and 49%, England 7-8%) against
6,620 in 2024 (NFA 2%) are the motivating case. Flagged years are excluded from forecast training and
marked on comparisons; the count itself is never altered.
"""

from __future__ import annotations

import pandas as pd

NFA_MARGIN_PP = 25.0
LEVEL_RATIO = 1.25


def detect(referrals: pd.Series, nfa_pct: pd.Series, england_nfa_pct: pd.Series) -> pd.DataFrame:
    """Per year: referrals, nfa_pct, england_nfa_pct, level_ratio, flagged, reason."""
    years = referrals.dropna().index
    rows = []
    for year in years:
        others = referrals.drop(year).dropna()
        median = others.median() if len(others) else float("nan")
        ratio = referrals[year] / median if median else float("nan")
        nfa = nfa_pct.get(year, float("nan"))
        eng = england_nfa_pct.get(year, float("nan"))
        high_nfa = pd.notna(nfa) and pd.notna(eng) and nfa >= eng + NFA_MARGIN_PP
        high_level = pd.notna(ratio) and ratio >= LEVEL_RATIO
        flagged = bool(high_nfa and high_level)
        reason = (
            f"{referrals[year]:,.0f} referrals, {ratio:.2f} times the council's median of other years, with "
            f"{nfa:.1f}% ending in no further action against {eng:.1f}% in England: likely a recording change"
            if flagged else ""
        )
        rows.append(dict(year=int(year), referrals=referrals[year], nfa_pct=nfa, england_nfa_pct=eng,
                         level_ratio=ratio, flagged=flagged, reason=reason))
    columns = ["year", "referrals", "nfa_pct", "england_nfa_pct", "level_ratio", "flagged", "reason"]
    return pd.DataFrame(rows, columns=columns).set_index("year")


def detect_for(la: str) -> pd.DataFrame:
    from .indicators import comparator_panel, la_panel

    panel = la_panel()
    if la not in panel.index.get_level_values(0):
        return detect(pd.Series(dtype=float), pd.Series(dtype=float), pd.Series(dtype=float))
    own = panel.xs(la, level="old_la_code")
    eng = comparator_panel("National")
    return detect(own["referrals"], own["nfa_pct"], eng["nfa_pct"])


def flagged_panel() -> pd.DataFrame:
    """All councils: index (old_la_code, year), column flagged (bool) and reason."""
    from .indicators import comparator_panel, la_panel

    panel = la_panel()
    eng = comparator_panel("National")["nfa_pct"]
    parts = []
    for code, own in panel.groupby(level="old_la_code"):
        own = own.droplevel(0)
        d = detect(own["referrals"], own["nfa_pct"], eng)
        d["old_la_code"] = code
        parts.append(d.reset_index())
    out = pd.concat(parts, ignore_index=True)
    return out.set_index(["old_la_code", "year"])[["flagged", "reason"]]
