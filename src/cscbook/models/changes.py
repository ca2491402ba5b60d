"""What changed since the previous edition: new releases, revised figures, quartile bands crossed and Ofsted
judgements published, computed from the data as known at the end of the previous quarter (its vintage) and at
the end of this one."""

from __future__ import annotations

import pandas as pd

from cscbook.core.quarters import Quarter
from cscbook.data.ofsted import judgements_until
from cscbook.data.releases import latest_year_published, releases
from cscbook.models.benchmark import benchmark
from cscbook.models.indicators import BY_NAME, la_panel, period_label

COLUMNS = ["change", "what", "before", "now"]
#: values closer than this are the same figure (rates recomputed from the same counts differ in the last digits)
TOLERANCE = 1e-6


def _scorecard(code: str, quarter: Quarter) -> pd.DataFrame:
    year = latest_year_published("referrals", quarter)
    if year is None:
        return pd.DataFrame(columns=["indicator", "label", "year", "value", "quartile"])
    year = max(year, latest_year_published("workforce", quarter) or year)
    return benchmark(code, year, quarter=quarter)


def new_releases(quarter: Quarter) -> list[tuple[str, int]]:
    """(collection, year) of each release calendar table whose latest published year moved this quarter."""
    out = []
    for _, r in releases().iterrows():
        table = r["tables"].split()[0]
        now, before = latest_year_published(table, quarter), latest_year_published(table, quarter.previous())
        if now is not None and now != before:
            out.append((r["collection"], now))
    return out


def release_period(collection: str, year: int) -> str:
    """The period a release covers, as published: "the year to 31 March 2025", "30 September 2025" (the
    workforce census's snapshot), "mid-2024" (population)."""
    r = releases()
    row = r[r["collection"] == collection]
    table = row.iloc[0]["tables"].split()[0] if len(row) else collection
    label = period_label(table, year).removesuffix(" (snapshot)")
    return "the " + label if label.startswith("year") else label


def revised_figures(code: str, quarter: Quarter) -> pd.DataFrame:
    """The council's figures for a year both vintages hold whose value differs: indicator, year, before, now."""
    before = la_panel(as_of=quarter.previous())
    now = la_panel(as_of=quarter)
    if code not in before.index.get_level_values(0) or code not in now.index.get_level_values(0):
        return pd.DataFrame(columns=["indicator", "year", "before", "now"])
    b, n = before.xs(code, level="old_la_code"), now.xs(code, level="old_la_code")
    years = b.index.intersection(n.index)
    rows = []
    for col in b.columns.intersection(n.columns):
        for year in years:
            x, y = b.at[year, col], n.at[year, col]
            if pd.notna(x) and pd.notna(y) and abs(float(x) - float(y)) > TOLERANCE * max(1.0, abs(float(x))):
                rows.append(dict(indicator=BY_NAME[col].label if col in BY_NAME else col, year=int(year),
                                 before=float(x), now=float(y)))
    return pd.DataFrame(rows, columns=["indicator", "year", "before", "now"])


def since_previous(code: str, quarter: Quarter) -> pd.DataFrame:
    """Every change since the previous quarter's edition of council ``code``: change, what, before, now."""
    rows = [dict(change="New release", what=f"{name.replace('_', ' ')} figures for {release_period(name, year)}",
                 before="", now="published")
            for name, year in new_releases(quarter)]
    for r in revised_figures(code, quarter).itertuples():
        rows.append(dict(change="Revised figure", what=f"{r.indicator}, {r.year}", before=f"{r.before:,.1f}",
                         now=f"{r.now:,.1f}"))
    prev, cur = _scorecard(code, quarter.previous()), _scorecard(code, quarter)
    if len(prev) and len(cur):
        both = prev[["indicator", "label", "quartile", "year"]].merge(
            cur[["indicator", "quartile", "year"]], on="indicator", suffixes=("", "_now"))
        for _, r in both.iterrows():
            if pd.notna(r["quartile"]) and pd.notna(r["quartile_now"]) and r["quartile"] != r["quartile_now"]:
                rows.append(dict(change="Quartile band crossed", what=r["label"],
                                 before=f"England quartile {int(r['quartile'])} ({int(r['year'])})",
                                 now=f"England quartile {int(r['quartile_now'])} ({int(r['year_now'])})"))
    seen = set(judgements_until(code, quarter.previous())["date"])
    for j in judgements_until(code, quarter).itertuples():
        if j.date not in seen:
            rows.append(dict(change="Ofsted judgement published", what=f"{j.framework}, {j.date}", before="",
                             now=str(j.grade)))
    return pd.DataFrame(rows, columns=COLUMNS)
