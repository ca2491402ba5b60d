"""The shipped ILLUSTRATIVE monthly example: published annual totals split into months by a transparent model.

No English council publishes monthly referrals, so when a council gives no extract (and no CIN census returns)
the book uses this example. It follows the monthly extract contract (:mod:`cscbook.data.monthly`); the model is
described in ``data/examples/README.md``. Regenerate the shipped file with :func:`write_example`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from cscbook.core import atomic, paths
from cscbook.core.calendar_england import month_calendar
from cscbook.core.errors import CSCBookError
from cscbook.core.quarters import year_ending_march
from cscbook.data import manifest
from cscbook.data.tables import la_values


def pandemic_factors() -> pd.Series:
    """Multiplicative factors on expected referrals per month in the pandemic (1 = no effect), by month
    (PeriodIndex), from ``data/curated/pandemic_referral_factors.csv``; months not listed have none."""
    f = pd.read_csv(paths.curated_dir() / "pandemic_referral_factors.csv", dtype={"month": str})
    return pd.Series(f["factor"].values, index=pd.PeriodIndex(f["month"], freq="M"))


def school_referral_share(la: str) -> pd.Series:
    """Share of the council's referrals from schools by year (LAIT 'RefBySource_Schl_%', 2016 on, as a fraction).

    Years before the first published year take the first published value.
    """
    lait = pd.read_csv(manifest.current_path(paths.official_dir(), "lait"), dtype=str)
    rows = lait[(lait["Short Desc"] == "RefBySource_Schl_%") & (lait["LA Number"] == f"{int(la)}.0")
                & lait["Years"].str.fullmatch(r"\d{4}")]
    values = pd.to_numeric(rows["Values"], errors="coerce")
    share = pd.Series(values.values / 100, index=rows["Years"].astype(int)).dropna().sort_index()
    if share.empty:
        raise CSCBookError(f"no published share of referrals from schools for council {la}")
    return share


def seasonal_weights(months: pd.PeriodIndex, school_share: pd.Series, catch_up: float) -> pd.Series:
    """Relative expected referrals per month.

    working days x (1 - s x school-holiday share) x pandemic factor, plus a catch-up in the month after a
    holiday of ``catch_up`` times the school referrals the holiday held back. ``s`` is the council's share
    of referrals from schools in that year.
    """
    cal = month_calendar(str(months.min() - 1), str(months.max()))
    fy = pd.Series([year_ending_march(m.year, m.month) for m in cal.index], index=cal.index)
    s = fy.map(lambda y: school_share.get(y, school_share.iloc[0] if y < school_share.index[0] else school_share.iloc[-1]))
    lost = cal["working_days"] * s * cal["school_holiday_share"]
    weights = cal["working_days"] - lost + catch_up * lost.shift(1).fillna(0)
    weights = weights * pandemic_factors().reindex(cal.index).fillna(1.0)
    return weights.reindex(months)


def _largest_remainder(values: np.ndarray, total: int) -> np.ndarray:
    scaled = values / values.sum() * total
    base = np.floor(scaled).astype(int)
    short = total - base.sum()
    order = np.argsort(-(scaled - base), kind="stable")
    base[order[:short]] += 1
    return base


def calibrate_catch_up(la_share_year: int = 2019) -> float:
    """Catch-up after holidays, from Shropshire's published months (Apr, Jun and Sep 2018; see PROVENANCE).

    The one value that makes the model's September-to-spring ratio equal Shropshire's
    151 / mean(127, 137); clipped to [0, 1]. A rough anchor from one council's three months, said so in the book.
    """
    frag = pd.read_csv(paths.monthly_dir() / "shropshire_csc_referrals_fragments.csv", dtype={"month": str})
    v = dict(zip(frag["month"], frag["value"]))
    target = v["2018-09"] / ((v["2018-04"] + v["2018-06"]) / 2)
    share = school_referral_share("893")  # Shropshire
    months = pd.PeriodIndex(["2018-04", "2018-06", "2018-09"], freq="M")

    def ratio(c):
        w = seasonal_weights(months, share, c)
        return w.iloc[2] / ((w.iloc[0] + w.iloc[1]) / 2)

    lo, hi = 0.0, 1.0
    if ratio(lo) >= target:
        return 0.0
    if ratio(hi) <= target:
        return 1.0
    for _ in range(40):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if ratio(mid) < target else (lo, mid)
    return round((lo + hi) / 2, 3)


def example_extract(la: str = "825", seed: int = 20140901) -> pd.DataFrame:
    """An ILLUSTRATIVE monthly referral series whose months sum exactly to DfE's annual totals.

    For each year to 31 March with a published total: expected months from :func:`seasonal_weights`,
    Poisson variation drawn with a fixed seed, then scaled back to the published total by largest
    remainders. Years whose total is not published are left out (the series stops before them).
    """
    totals = la_values("referrals", "referral_count").xs(la, level="old_la_code")["value"].dropna().astype(int)
    if totals.empty:
        raise CSCBookError(f"council {la} has no published annual referral totals to build an example from")
    share = school_referral_share(la)
    catch_up = calibrate_catch_up()
    rng = np.random.default_rng(seed)
    parts = []
    for year, total in totals.items():
        months = pd.period_range(f"{year - 1}-04", f"{year}-03", freq="M")
        w = seasonal_weights(months, share, catch_up).to_numpy()
        expected = w / w.sum() * total
        draw = rng.poisson(expected).astype(float)
        counts = _largest_remainder(np.maximum(draw, 0.5), int(total))
        parts.append(pd.Series(counts, index=months))
    series = pd.concat(parts)
    # keep the longest run of consecutive months ending at the latest
    full = pd.period_range(series.index.min(), series.index.max(), freq="M")
    missing = full.difference(series.index)
    if len(missing):
        series = series[series.index > missing.max()]
    frame = series.rename("referrals").to_frame()
    frame.index.name = "month"
    return frame


EXAMPLE_FILE = "example_monthly_referrals_825.csv"


def example_path() -> Path:
    """Where the shipped ILLUSTRATIVE monthly extract for Buckinghamshire (825) lives, in ``data/examples``."""
    return paths.data_dir() / "examples" / EXAMPLE_FILE


def write_example(path: Path | None = None) -> Path:
    """Write the ILLUSTRATIVE monthly extract for Buckinghamshire (825) as a contract CSV to ``path`` (default
    :func:`example_path`) through a temporary file; returns the path."""
    path = path or example_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = example_extract("825")
    out = frame.reset_index()
    out["month"] = out["month"].astype(str)
    atomic.write_text(path, out.to_csv(index=False, lineterminator="\n"))
    return path
