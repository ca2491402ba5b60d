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

from cscbook.models.indicators import comparator_panel, la_panel

NFA_MARGIN_PP = 25.0
LEVEL_RATIO = 1.25


def _flags(values: np.ndarray, nfa: np.ndarray, eng: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each year's count against the median of the council's other years, and whether the year is flagged."""
    # arrays, not a Series per year: the whole panel is checked for every build
    medians = np.array([np.median(np.delete(values, i)) if len(values) > 1 else np.nan for i in range(len(values))])
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = np.where(medians != 0, values / medians, np.nan)
    flagged = (nfa >= eng + NFA_MARGIN_PP) & (ratios >= LEVEL_RATIO)  # False wherever a value is missing
    return ratios, flagged


def _reason(value: float, ratio: float, nfa: float, eng: float) -> str:
    return (f"{value:,.0f} referrals, {ratio:.2f} times the council's median of other years, with "
            f"{nfa:.1f}% ending in no further action against {eng:.1f}% in England: likely a recording change")


def detect(referrals: pd.Series, nfa_pct: pd.Series, england_nfa_pct: pd.Series) -> pd.DataFrame:
    """Per year: referrals, nfa_pct, england_nfa_pct, level_ratio, flagged, reason."""
    counts = referrals.dropna()
    years = counts.index
    values = counts.to_numpy(dtype=float)
    nfa = nfa_pct.reindex(years).to_numpy(dtype=float)
    eng = england_nfa_pct.reindex(years).to_numpy(dtype=float)
    ratios, flagged = _flags(values, nfa, eng)
    reasons = [_reason(v, r, n, e) if f else "" for v, r, n, e, f in zip(values, ratios, nfa, eng, flagged)]
    out = pd.DataFrame({"year": years.astype(int), "referrals": values, "nfa_pct": nfa, "england_nfa_pct": eng,
                        "level_ratio": ratios, "flagged": flagged.astype(bool), "reason": reasons},
                       columns=["year", "referrals", "nfa_pct", "england_nfa_pct", "level_ratio", "flagged", "reason"])
    return out.set_index("year")


def detect_for(la: str, as_of=None) -> pd.DataFrame:
    """:func:`detect` for council ``la``: its referral counts and NFA percentages against England's, as published
    by the end of ``as_of`` (a Quarter; None: the latest data)."""
    panel = la_panel(as_of=as_of)
    if la not in panel.index.get_level_values(0):
        return detect(pd.Series(dtype=float), pd.Series(dtype=float), pd.Series(dtype=float))
    own = panel.xs(la, level="old_la_code")
    eng = comparator_panel("National", as_of=as_of)
    return detect(own["referrals"], own["nfa_pct"], eng["nfa_pct"])


def flagged_panel() -> pd.DataFrame:
    """All councils: index (old_la_code, year), column flagged (bool) and reason; :func:`detect` for each council,
    worked on the panel's arrays (the event study and the annual forecasts ask for it for every build)."""
    panel = la_panel()
    codes = panel.index.get_level_values("old_la_code").to_numpy()
    years = panel.index.get_level_values("year").to_numpy()
    referrals = panel["referrals"].to_numpy(dtype=float)
    nfa = panel["nfa_pct"].to_numpy(dtype=float)
    eng = comparator_panel("National")["nfa_pct"].reindex(years).to_numpy(dtype=float)
    order = np.argsort(codes, kind="stable")  # council by council, each council's years in the panel's order
    order = order[~np.isnan(referrals[order])]  # a year without a count is not checked
    flagged = np.zeros(len(order), dtype=bool)
    reasons = np.full(len(order), "", dtype=object)
    bounds = np.flatnonzero(np.r_[True, codes[order][1:] != codes[order][:-1], True])
    for start, end in zip(bounds[:-1], bounds[1:]):
        rows = order[start:end]
        ratios, flags = _flags(referrals[rows], nfa[rows], eng[rows])
        flagged[start:end] = flags
        for i in np.flatnonzero(flags):
            reasons[start + i] = _reason(referrals[rows[i]], ratios[i], nfa[rows[i]], eng[rows[i]])
    index = pd.MultiIndex.from_arrays([codes[order], years[order].astype(int)], names=["old_la_code", "year"])
    return pd.DataFrame({"flagged": flagged, "reason": pd.Series(reasons, index=index, dtype=object)}, index=index)


def flagged_years(la: str, as_of=None) -> list[int]:
    """The years of council ``la`` flagged as likely recording changes (:func:`detect_for`), oldest first: the
    years every chart of referrals shades. ``as_of``: as the data stood at the end of that quarter."""
    flags = detect_for(la, as_of)
    return [int(y) for y in flags.index[flags["flagged"]]]
