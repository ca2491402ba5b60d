"""Funnel plots: every council's rate against England's with 95% and 99.8% control limits that narrow as the
denominator grows, and whether a council lies significantly above or below England.

Rates per 10,000 children are counts out of the child population (Poisson limits); published percentages are
proportions of a count (binomial limits). Councils differ for reasons beyond chance, so by default the limits
are widened by an overdispersion factor estimated from winsorised z-scores (Spiegelhalter, Statistics in
Medicine 2005, 24:1185-1202); ``overdispersion=False`` gives the plain Poisson or binomial limits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from cscbook.models.indicators import BY_NAME, comparator_panel, la_panel

#: denominator of each percentage indicator (a count column of the panel)
PCT_DENOMINATORS = {"rereferral_pct": "referrals", "nfa_pct": "referrals", "cpp_repeat_pct": "cpp_starts",
                    "cpp_2yrs_pct": "cpp_at_31_march"}
LIMITS = {"95%": 0.95, "99.8%": 0.998}


def supported(indicator: str) -> bool:
    """Whether a funnel plot can be drawn (a rate per 10,000 or a percentage with a published denominator)."""
    ind = BY_NAME.get(indicator)
    return ind is not None and (ind.kind == "rate" or indicator in PCT_DENOMINATORS)


@dataclass(frozen=True)
class Funnel:
    """A funnel plot of one indicator in one year: England's value, the overdispersion and each council's value,
    denominator, z-score and band."""

    indicator: str
    year: int
    england: float          # target value, on the indicator's scale
    scale: float            # 10,000 for rates, 100 for percentages
    kind: str               # "poisson" or "binomial"
    phi: float              # overdispersion factor (1 = none)
    points: pd.DataFrame    # old_la_code, value, denominator, z, band
    #: councils with a value but no published denominator: ranked on the scorecard, not plotted
    unplotted: int = 0

    @property
    def with_value(self) -> int:
        """Councils with a value that year: the group the scorecard ranks (plotted or not)."""
        return len(self.points) + self.unplotted

    def limits(self, denominators: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper control limits at each denominator, on the indicator's scale."""
        n = np.asarray(denominators, dtype=float)
        p0 = self.england / self.scale
        z = stats.norm.ppf(0.5 + level / 2)
        if self.kind == "poisson":
            se = np.sqrt(p0 / n)
        else:
            se = np.sqrt(p0 * (1 - p0) / n)
        half = z * np.sqrt(self.phi) * se
        return (np.maximum(p0 - half, 0) * self.scale, (p0 + half) * self.scale)


def _z(value: pd.Series, n: pd.Series, p0: float, kind: str) -> pd.Series:
    p = value
    se = np.sqrt(p0 / n) if kind == "poisson" else np.sqrt(p0 * (1 - p0) / n)
    return (p - p0) / se


def funnel(indicator: str, year: int, overdispersion: bool = True, as_of=None) -> Funnel:
    """Every council's value and denominator for ``indicator`` in ``year`` with z-scores against England and
    the band each falls in: 'above 99.8%', 'above 95%', 'within', 'below 95%', 'below 99.8%'. ``as_of`` (a
    Quarter): the figures as published by its end (None: the latest)."""
    ind = BY_NAME[indicator]
    if not supported(indicator):
        raise ValueError(f"no funnel plot for {indicator!r}: it is neither a rate per 10,000 nor a percentage "
                         f"with a published denominator")
    panel = la_panel(as_of=as_of).xs(year, level="year")
    if ind.kind == "rate":
        scale, kind, den = 10_000.0, "poisson", panel["children_0_17"]
    else:
        scale, kind, den = 100.0, "binomial", panel[PCT_DENOMINATORS[indicator]]
    england = float(comparator_panel("National", as_of=as_of)[indicator].get(year, np.nan))
    pts = pd.DataFrame({"value": panel[indicator], "denominator": den})
    pts.index.name = "old_la_code"
    return from_points(indicator, year, pts.reset_index(), england, scale, kind, overdispersion)


def from_points(indicator: str, year: int, points: pd.DataFrame, england: float, scale: float, kind: str,
                overdispersion: bool = True) -> Funnel:
    """A funnel from a frame of old_la_code, value (on the indicator's scale) and denominator."""
    pts = points.dropna(subset=["value", "denominator"])
    pts = pts[pts["denominator"] > 0]
    unplotted = int(points["value"].notna().sum()) - len(pts)
    p0 = england / scale
    z = _z(pts["value"] / scale, pts["denominator"], p0, kind)
    phi = 1.0
    if overdispersion and len(z) >= 10:
        lo, hi = z.quantile([0.1, 0.9])
        phi = max(1.0, float((z.clip(lo, hi) ** 2).sum() / len(z)))
    zadj = z / np.sqrt(phi)
    z95, z998 = stats.norm.ppf(0.975), stats.norm.ppf(0.999)
    band = np.select([zadj > z998, zadj > z95, zadj < -z998, zadj < -z95],
                     ["above 99.8%", "above 95%", "below 99.8%", "below 95%"], "within")
    pts = pts.assign(z=zadj, band=band).reset_index(drop=True)
    return Funnel(indicator, int(year), england, scale, kind, phi, pts, unplotted)


def significance(f: Funnel, la: str) -> str:
    """Words for a council against England: e.g. 'significantly above England (99.8% limits)'."""
    row = f.points[f.points["old_la_code"] == la]
    if row.empty:
        return "not tested"
    band = row.iloc[0]["band"]
    if band == "within":
        return "not significantly different from England"
    side, level = band.split(" ")
    return f"significantly {side} England ({level} limits)"


#: the scorecard's ratings (cscbook.models.benchmark): an indicator rated one of these gets a funnel plot on the page
RATED = ("green", "amber", "red")
#: the share of councils the value axis is fitted to (the middle 98%): a handful of tiny councils with extreme
#: rates would otherwise squash everyone else into a line
AXIS_SHARE = 0.98


def rated(funnels: dict, card: pd.DataFrame) -> dict:
    """The funnels of ``funnels`` (indicator: :class:`Funnel`) whose indicator the scorecard ``card``
    (:func:`cscbook.models.benchmark.benchmark`) rates best, middle or worst quarter, in the card's order: the ones
    its page draws. Demand and activity rates are compared but not rated, so they get no plot."""
    rag = dict(zip(card["indicator"], card["rag"]))
    return {i: funnels[i] for i in card["indicator"] if i in funnels and rag.get(i) in RATED}


def axis_range(f: Funnel, la: str | None = None) -> tuple[float, float]:
    """The value axis of a funnel plot: the middle :data:`AXIS_SHARE` of councils, England's value and council
    ``la``'s own, with a margin of 5%; never below 0, nor above 100 for a percentage. Councils beyond it are
    drawn at its edge (:func:`funnel_chart`)."""
    v = f.points["value"].astype(float)
    tail = (1 - AXIS_SHARE) / 2
    # the nearest councils inside the share, never a point between them and an extreme one
    lo, hi = ((float(v.quantile(tail, interpolation="higher")), float(v.quantile(1 - tail, interpolation="lower")))
              if len(v) else (f.england, f.england))
    keep = [f.england] + ([float(x) for x in f.points.loc[f.points["old_la_code"] == la, "value"]] if la else [])
    lo, hi = min([lo, *keep]), max([hi, *keep])
    pad = 0.05 * (hi - lo) if hi > lo else max(abs(hi) * 0.05, 1.0)
    lo, hi = max(lo - pad, 0.0), hi + pad
    if f.kind == "binomial":
        hi = min(hi, 100.0)
    return lo, hi


def beyond_axis(f: Funnel, lo: float, hi: float) -> pd.DataFrame:
    """The councils of ``f`` whose value lies outside the axis ``lo`` to ``hi`` (:func:`axis_range`), with a
    column ``edge``: 'above' or 'below'."""
    pts = f.points
    out = pts[(pts["value"] > hi) | (pts["value"] < lo)].copy()
    out["edge"] = np.where(out["value"] > hi, "above", "below")
    return out.reset_index(drop=True)


def diagnostics(funnels: dict, la: str) -> pd.DataFrame:
    """One row per funnel of ``funnels`` (indicator: :class:`Funnel`) for the analysts' appendix: the year,
    England's value, the overdispersion factor the limits were widened by, the councils plotted, how many lie
    inside the 95% limits, above and below them, how many the page's axis leaves at its edge, and council
    ``la``'s value, adjusted z-score and band."""
    rows = []
    for name, f in funnels.items():
        bands = f.points["band"]
        own = f.points[f.points["old_la_code"] == la]
        lo, hi = axis_range(f, la)
        rows.append({"indicator": BY_NAME[name].label, "year": f.year, "england": f.england,
                     "overdispersion": f.phi, "plotted": len(f.points),
                     "within_95": int((bands == "within").sum()),
                     "above_95": int(bands.str.startswith("above").sum()),
                     "below_95": int(bands.str.startswith("below").sum()),
                     "beyond_axis": len(beyond_axis(f, lo, hi)),
                     "council_value": float(own["value"].iloc[0]) if len(own) else np.nan,
                     "council_z": float(own["z"].iloc[0]) if len(own) else np.nan,
                     "council_band": own["band"].iloc[0] if len(own) else "not plotted"})
    return pd.DataFrame(rows)


