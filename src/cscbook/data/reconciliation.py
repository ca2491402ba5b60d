"""The council's monthly input against DfE's published referrals (table C1), and the months beyond them.

An analyst's extract runs to the end of the last complete month, so it nearly always holds months of a year DfE
has not published yet. Each complete year to 31 March that DfE had published by the edition's quarter is
compared with table C1; the months after the last published year are listed as the council's own figures,
not yet checked against a published total. Only yearly and monthly totals are handled here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cscbook.core.quarters import year_ending_march
from cscbook.data.releases import latest_year_published
from cscbook.data.tables import la_values

#: a complete year differing from table C1 by more than this (%) is flagged "check", and above WARN_PCT "warning"
CHECK_PCT, WARN_PCT = 2.0, 10.0
COLUMNS = ["year", "derived", "published", "difference", "percent", "flag"]


def reconcile(monthly: pd.DataFrame, la: str, as_of=None) -> pd.DataFrame:
    """Each complete year to 31 March of ``monthly`` (PeriodIndex, a ``referrals`` column) against table C1.

    Columns ``year``, ``derived``, ``published``, ``difference`` (derived - published), ``percent``
    (difference as a percentage of published) and ``flag``: ``ok`` within 2%, ``check`` above 2%, ``warning``
    above 10%, ``unpublished`` where DfE had no figure for the year by the end of quarter ``as_of``. The count
    columns are whole numbers (pandas ``Int64``), missing (``<NA>``) for an unpublished year.
    """
    published = la_values("referrals", "referral_count", as_of)
    codes = published.index.get_level_values("old_la_code")
    table = published[codes == la].droplevel("old_la_code")["value"] if la in set(codes) else pd.Series(dtype=float)
    ref = monthly["referrals"].dropna()
    fy = pd.Series([year_ending_march(m.year, m.month) for m in ref.index], index=ref.index)
    rows = []
    for year, part in ref.groupby(fy.values):
        if len(part) != 12:
            continue
        derived = int(part.sum())
        pub = table.get(year, np.nan)
        if pd.isna(pub):
            rows.append({"year": int(year), "derived": derived, "published": pd.NA, "difference": pd.NA,
                         "percent": np.nan, "flag": "unpublished"})
            continue
        diff = derived - int(pub)
        pct = 100.0 * diff / pub if pub else (0.0 if diff == 0 else np.inf)
        flag = "warning" if abs(pct) > WARN_PCT else "check" if abs(pct) > CHECK_PCT else "ok"
        rows.append({"year": int(year), "derived": derived, "published": int(pub), "difference": diff,
                     "percent": round(pct, 2), "flag": flag})
    out = pd.DataFrame(rows, columns=COLUMNS)
    for col in ("year", "derived", "published", "difference"):
        out[col] = out[col].astype("Int64")
    out["percent"] = out["percent"].astype(float)
    return out


@dataclass(frozen=True)
class Beyond:
    """The months of a monthly input after the last year DfE had published by the edition's quarter."""

    last_published: int | None   # the latest year to 31 March of table C1 published by then (None: none yet)
    first: pd.Period | None      # first month beyond it (None: no month is beyond)
    last: pd.Period | None
    months: int

    @property
    def sentence(self) -> str:
        """What the reader is told, in plain English ('' when every month is within the published years)."""
        if not self.months:
            return ""
        span = f"{self.first:%B %Y}" if self.first == self.last else f"{self.first:%B %Y} to {self.last:%B %Y}"
        months = "1 month" if self.months == 1 else f"{self.months} months"
        if self.last_published is None:
            return (f"None of the monthly input can be checked against DfE's published referrals yet: no year had "
                    f"been published by the end of this edition's quarter ({span}, {months}).")
        return (f"The months from {span} ({months}) are beyond DfE's published totals (the latest published year "
                f"ends March {self.last_published}): they are the council's own figures, not yet checked against "
                "table C1.")


def beyond_published(monthly: pd.DataFrame, quarter) -> Beyond:
    """The months of ``monthly`` after the last year of referrals published by the end of ``quarter``."""
    year = latest_year_published("referrals", quarter)
    index = monthly.index
    later = index[index > pd.Period(f"{year}-03", freq="M")] if year is not None else index
    if not len(later):
        return Beyond(year, None, None, 0)
    return Beyond(year, later.min(), later.max(), len(later))


def note(rec: pd.DataFrame) -> tuple[str, str]:
    """(level, sentence) for a :func:`reconcile` table: level ``warning`` when a year differs from table C1 by
    more than 10%, ``check`` above 2%, ``ok`` otherwise, ``none`` with nothing to compare."""
    compared = rec[rec["flag"] != "unpublished"]
    if compared.empty:
        return "none", ("No complete year of the monthly input has a published DfE figure to compare with, so it "
                        "could not be reconciled with table C1.")
    worst = compared.loc[compared["percent"].abs().idxmax()]
    years = len(compared)
    if (compared["flag"] == "warning").any():
        bad = compared[compared["flag"] == "warning"]
        listing = ", ".join(f"{int(r.year)} ({r.percent:+.1f}%)" for r in bad.itertuples())
        return "warning", (f"WARNING: the monthly input does not match what DfE published. Referrals differ from "
                           f"table C1 by more than 10% in {listing}. Forecasts, peaks and the capacity plan below are "
                           "built on figures that disagree with the official count: check the input before "
                           "relying on them.")
    if (compared["flag"] == "check").any():
        bad = compared[compared["flag"] == "check"]
        listing = ", ".join(f"{int(r.year)} ({r.percent:+.1f}%)" for r in bad.itertuples())
        return "check", (f"Check: referrals in the monthly input differ from DfE's table C1 by more than 2% in "
                         f"{listing}; the other years agree within 2%.")
    each = "the one complete year compared" if years == 1 else f"all {years} complete years compared"
    return "ok", (f"The monthly input agrees with DfE's published referrals (table C1) within 2% in {each} "
                  f"(largest gap {worst['percent']:+.1f}% in {int(worst['year'])}).")


def lines(rec: pd.DataFrame) -> list[str]:
    """One indented line per complete year of a :func:`reconcile` table, as the command line prints it."""
    out = []
    for r in rec.itertuples():
        if r.flag == "unpublished":
            out.append(f"  {int(r.year)}: derived {int(r.derived)}, not published by DfE")
            continue
        mark = {"ok": "ok", "check": "CHECK: more than 2% from DfE",
                "warning": "WARNING: more than 10% from DfE"}[r.flag]
        out.append(f"  {int(r.year)}: derived {int(r.derived)}, published {int(r.published)}, "
                   f"difference {int(r.difference):+d} ({r.percent:+.1f}%) {mark}")
    return out


def edition_lines(monthly: pd.DataFrame, la: str, quarter) -> list[str]:
    """What the build prints for a council's own monthly input: each complete year against table C1, then the
    months beyond the published totals (if any). Months after the quarter's end are not the edition's."""
    monthly = monthly[monthly.index <= pd.Period(quarter.end, freq="M")]
    out = lines(reconcile(monthly, la, quarter))
    beyond = beyond_published(monthly, quarter).sentence
    return out + ([f"  {beyond}"] if beyond else [])
