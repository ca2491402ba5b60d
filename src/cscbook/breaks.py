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

import numpy as np
import pandas as pd

NFA_MARGIN_PP = 25.0
LEVEL_RATIO = 1.25


def detect(referrals: pd.Series, nfa_pct: pd.Series, england_nfa_pct: pd.Series) -> pd.DataFrame:
    """Per year: referrals, nfa_pct, england_nfa_pct, level_ratio, flagged, reason."""
    counts = referrals.dropna()
    years = counts.index
    values = counts.to_numpy(dtype=float)
    nfa = nfa_pct.reindex(years).to_numpy(dtype=float)
    eng = england_nfa_pct.reindex(years).to_numpy(dtype=float)
    # each year against the median of the council's other years (arrays, not a Series per year: the whole
    # panel is checked for every build)
    medians = np.array([np.median(np.delete(values, i)) if len(values) > 1 else np.nan for i in range(len(values))])
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = np.where(medians != 0, values / medians, np.nan)
    flagged = (nfa >= eng + NFA_MARGIN_PP) & (ratios >= LEVEL_RATIO)  # False wherever a value is missing
    reasons = [
        f"{v:,.0f} referrals, {r:.2f} times the council's median of other years, with "
        f"{n:.1f}% ending in no further action against {e:.1f}% in England: likely a recording change"
        if f else "" for v, r, n, e, f in zip(values, ratios, nfa, eng, flagged)
    ]
    out = pd.DataFrame({"year": years.astype(int), "referrals": values, "nfa_pct": nfa, "england_nfa_pct": eng,
                        "level_ratio": ratios, "flagged": flagged.astype(bool), "reason": reasons},
                       columns=["year", "referrals", "nfa_pct", "england_nfa_pct", "level_ratio", "flagged", "reason"])
    return out.set_index("year")


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
