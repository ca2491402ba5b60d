"""Episodes of CIN census returns counted by month: the columns of the monthly extract contract
(:mod:`cscbook.data.monthly`) as :mod:`cscbook.data.cincensus` defines them.

Input: ``{(child, referral ordinal): record}`` as :func:`cscbook.data.cinepisodes.read_episodes` makes them
(child-level, never leaving the reader); output: one row per month, counts and shares only.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

#: ``ReferralSource`` codes counted as schools (2A), police (6) and health (3A to 3F)
SCHOOL_SOURCES = frozenset({"2A"})
POLICE_SOURCES = frozenset({"6"})
HEALTH_SOURCES = frozenset({"3A", "3B", "3C", "3D", "3E", "3F"})
#: the monthly columns the reader makes, in order
COLUMNS = ("referrals", "rereferrals", "nfa_referrals", "assessments", "s47", "icpc", "cp_plans", "open_cin",
           "share_school", "share_police", "share_health")


def _month_index(ordinals: np.ndarray) -> np.ndarray:
    """Months since year 0 (year * 12 + month - 1) of proleptic Gregorian ordinals."""
    days = ordinals.astype("int64") - date(1970, 1, 1).toordinal()
    d64 = days.astype("datetime64[D]")
    return d64.astype("datetime64[M]").astype("int64") + 1970 * 12


def aggregate(episodes: dict, months: pd.PeriodIndex) -> pd.DataFrame:
    """The monthly series of ``episodes`` over ``months``: counts of referrals, re-referrals, NFA referrals,
    assessments, section 47 enquiries, initial conferences and plans starting in each month, episodes open at
    its last day, and the shares (fractions 0 to 1) of its referrals from schools, police and health.

    ``episodes`` maps (child, referral date ordinal) to the record :func:`cscbook.data.cinepisodes.read_episodes`
    makes; ``months`` is a monthly PeriodIndex. Re-referrals are NaN for the first 12 months (earlier referrals
    unknown); a share is NaN in a month with no referrals. Columns :data:`COLUMNS`, index ``month``."""
    first = months[0].year * 12 + months[0].month - 1
    n = len(months)
    keys = list(episodes)
    recs = [episodes[k] for k in keys]
    referral = np.fromiter((r[0] for r in recs), dtype="int64", count=len(recs))
    closure = np.fromiter((r[1] if r[1] is not None else 2**40 for r in recs), dtype="int64", count=len(recs))
    nfa = np.fromiter((r[2] for r in recs), dtype=bool, count=len(recs))
    source = np.array([r[3] for r in recs], dtype=object)

    def by_month(ordinals: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        if len(ordinals) == 0:
            return np.zeros(n)
        idx = _month_index(ordinals) - first
        ok = (idx >= 0) & (idx < n)
        return np.bincount(idx[ok], weights=None if weights is None else weights[ok], minlength=n)[:n].astype(float)

    out = pd.DataFrame(index=months)
    out.index.name = "month"
    out["referrals"] = by_month(referral)
    # re-referrals: previous referral of the same child on or after the same day twelve months earlier
    child = np.array([k[0] for k in keys], dtype=object)
    order = np.lexsort((referral, pd.factorize(child)[0]))
    codes = pd.factorize(child)[0][order]
    ref_sorted = referral[order]
    same = np.zeros(len(order), dtype=bool)
    same[1:] = codes[1:] == codes[:-1]
    prev = np.empty(len(order), dtype="int64")
    prev[1:] = ref_sorted[:-1]
    prev[0] = 0
    year_ago = np.fromiter((_year_earlier(o) for o in ref_sorted), dtype="int64", count=len(ref_sorted))
    rerefer = same & (prev >= year_ago)
    rr = by_month(ref_sorted, rerefer.astype(float))
    rr[: min(12, n)] = np.nan
    out["rereferrals"] = rr
    out["nfa_referrals"] = by_month(referral, nfa.astype(float))
    for col, pos in (("assessments", 4), ("s47", 5), ("icpc", 6), ("cp_plans", 7)):
        flat = np.fromiter((d for r in recs for d in r[pos]), dtype="int64")
        out[col] = by_month(flat)
    # open at each month end: referred on or before the last day, not closed on or before it
    ends = np.array([(m.end_time.normalize().date()).toordinal() for m in months], dtype="int64")
    ref_sorted_all = np.sort(referral)
    close_sorted = np.sort(closure)
    out["open_cin"] = (np.searchsorted(ref_sorted_all, ends, side="right")
                       - np.searchsorted(close_sorted, ends, side="right")).astype(float)
    for col, codes_set in (("share_school", SCHOOL_SOURCES), ("share_police", POLICE_SOURCES),
                           ("share_health", HEALTH_SOURCES)):
        hit = np.fromiter((s in codes_set for s in source), dtype=bool, count=len(source))
        counts = by_month(referral, hit.astype(float))
        with np.errstate(invalid="ignore", divide="ignore"):
            out[col] = np.where(out["referrals"].to_numpy() > 0, counts / out["referrals"].to_numpy(), np.nan)
    return out[list(COLUMNS)]


def _year_earlier(ordinal: int) -> int:
    d = date.fromordinal(int(ordinal))
    try:
        return d.replace(year=d.year - 1).toordinal()
    except ValueError:  # 29 February
        return date(d.year - 1, 2, 28).toordinal()
