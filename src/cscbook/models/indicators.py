"""Indicators per council and year, with rates per 10,000 children and peer comparisons.

Rates are computed the way DfE computes them: the count for the year ending 31 March divided by the ONS
mid-year estimate of children aged 0 to 17 for the previous calendar year (the latest available when the
statistics are compiled), times 10,000. ``tests/test_indicators.py`` reproduces DfE's published children
looked after rates and LAIT rates from counts and population this way.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from cscbook.core import paths
from cscbook.core.cache import open_cache
from cscbook.data.register import resolve
from cscbook.data.releases import latest_year_published
from cscbook.data.tables import load_table, release_for


@dataclass(frozen=True)
class Indicator:
    """One published indicator: its name, label, the DfE table and measure it comes from, its kind (count, rate
    per 10,000 children, published percentage or value), unit, polarity and description."""

    name: str
    label: str
    table: str
    measure: str
    kind: str  # "count", "rate" (per 10,000 children, computed), "pct" (published percentage), "value"
    unit: str
    #: +1 when higher is better, -1 when higher is worse, 0 when neither (context indicator)
    polarity: int = 0
    description: str = ""


INDICATORS: list[Indicator] = [
    Indicator("referrals", "Referrals", "referrals", "referral_count", "count", "referrals in the year",
              0, "Referrals to children's social care in the year to 31 March"),
    Indicator("referrals_rate_per_10k", "Referral rate", "referrals", "referral_count", "rate",
              "per 10,000 children", 0, "Referrals per 10,000 children aged 0 to 17"),
    Indicator("rereferral_pct", "Re-referrals within 12 months", "referrals", "rereferral_percent", "pct",
              "% of referrals", -1, "Referrals within 12 months of a previous referral"),
    Indicator("nfa_pct", "Referrals with no further action", "referrals", "no_further_action_percent", "pct",
              "% of referrals", 0, "Referrals that led to no further action"),
    Indicator("cin_rate_per_10k", "Children in need rate", "cin", "At31_episodes", "rate",
              "per 10,000 children", 0, "Children in need at 31 March per 10,000 children"),
    Indicator("s47_rate_per_10k", "Section 47 enquiry rate", "s47", "Section47", "rate",
              "per 10,000 children", 0, "Section 47 enquiries started in the year per 10,000 children"),
    Indicator("icpc_rate_per_10k", "Initial conference rate", "s47", "ICPC", "rate",
              "per 10,000 children", 0, "Initial child protection conferences per 10,000 children"),
    Indicator("cpp_rate_per_10k", "Child protection plan rate", "cpp_stock", "CPP_At31", "rate",
              "per 10,000 children", 0, "Children on a child protection plan at 31 March per 10,000 children"),
    Indicator("cpp_starts_rate_per_10k", "Child protection plans started, rate", "cpp_starts", "CPP_start", "rate",
              "per 10,000 children", 0, "Child protection plans started in the year per 10,000 children"),
    Indicator("cpp_repeat_pct", "Second or subsequent plans", "cpp_starts", "CPP_subsequent_percent", "pct",
              "% of plans started", -1, "Plans started that were a second or subsequent plan"),
    Indicator("cpp_2yrs_pct", "Plans lasting two years or more", "cpp_stock", "2_years_or_more_percent", "pct",
              "% of plans at 31 March", -1, "Plans open at 31 March for two years or more"),
    Indicator("cla_rate_per_10k", "Children looked after rate", "cla", "cla_at_31_march", "rate",
              "per 10,000 children", 0, "Children looked after at 31 March per 10,000 children"),
    Indicator("cla_starts_rate_per_10k", "Children starting care, rate", "cla", "cla_started", "rate",
              "per 10,000 children", 0, "Children starting to be looked after in the year per 10,000 children"),
    Indicator("cla_ceased_rate_per_10k", "Children leaving care, rate", "cla", "cla_ceased", "rate",
              "per 10,000 children", 0, "Children ceasing to be looked after in the year per 10,000 children"),
    Indicator("agency_rate_pct", "Agency social workers", "workforce", "agency_rate_fte", "pct",
              "% of FTE", -1, "Agency children's social workers as a share of all (FTE, 30 September)"),
    Indicator("turnover_pct", "Social worker turnover", "workforce", "turnover_rate_fte", "pct",
              "% of FTE", -1, "Leavers in the year as a share of social workers in post (FTE)"),
    Indicator("vacancy_pct", "Social worker vacancies", "workforce", "vacancy_rate_fte", "pct",
              "% of FTE posts", -1, "Vacant posts as a share of all posts (FTE, 30 September)"),
    Indicator("caseload_per_fte", "Average caseload", "workforce", "caseload_fte", "value",
              "cases per case-holding FTE", -1, "Cases per case-holding social worker (FTE, 30 September)"),
]

BY_NAME = {i.name: i for i in INDICATORS}
#: Extra count columns shown beside the indicators.
COUNTS = {
    "cin_at_31_march": ("cin", "At31_episodes"),
    "s47_enquiries": ("s47", "Section47"),
    "icpcs": ("s47", "ICPC"),
    "cpp_starts": ("cpp_starts", "CPP_start"),
    "cpp_at_31_march": ("cpp_stock", "CPP_At31"),
    "cla_at_31_march": ("cla", "cla_at_31_march"),
    "cla_started": ("cla", "cla_started"),
    "cla_ceased": ("cla", "cla_ceased"),
    "social_workers_fte": ("workforce", "inpost_fte"),
    "children_0_17": ("population", "population_estimate"),
}
CORE_COLUMNS = [
    "referrals", "referrals_rate_per_10k", "rereferral_pct", "nfa_pct", "cin_rate_per_10k", "s47_rate_per_10k",
    "cpp_rate_per_10k", "cla_rate_per_10k", "agency_rate_pct", "turnover_pct", "vacancy_pct", "caseload_per_fte",
]
FIRST_YEAR = 2013
SN_MIN = 3  # fewest neighbours with a value for a neighbour median


def rate_per_10k(count: pd.Series | float, population: pd.Series | float):
    """DfE's rate: count / population of children aged 0-17 * 10,000 (unrounded)."""
    return count / population * 10_000


def _series(table: str, measure: str, as_of=None) -> pd.DataFrame:
    """value and status by (level, key, year) for one measure; key = old_la_code, region name or 'England'."""
    t = load_table(table, as_of)
    t = t[t["measure"] == measure].copy()
    t["key"] = np.select(
        [t["level"] == "Local authority", t["level"] == "Regional"],
        [t["old_la_code"], t["region_name"]],
        "England",
    )
    t = t.drop_duplicates(["level", "key", "year"], keep="first")
    return t.set_index(["level", "key", "year"])[["value", "status"]]


def _population_lagged(as_of=None) -> pd.Series:
    pop = _series("population", "population_estimate", as_of)["value"].reset_index()
    pop["year"] = pop["year"] + 1  # mid-year of the previous calendar year serves the year to 31 March
    return pop.set_index(["level", "key", "year"])["value"]


@lru_cache(maxsize=None)
def _long_cached(files: tuple, as_of=None) -> pd.DataFrame:
    """The panel from the releases ``files`` names (file and checksum per table) as of quarter ``as_of``: made
    once in the shared cache of this data and code version (reading and tidying the official tables was most of
    a kernel's start-up), then read from it once per process."""
    return open_cache().call(_long_panel, files, as_of)


def _long_panel(files: tuple, as_of=None) -> pd.DataFrame:
    """The panel from the releases ``files`` names (see :func:`_long_cached`)."""
    pop = _population_lagged(as_of)
    frames = []
    for ind in INDICATORS:
        s = _series(ind.table, ind.measure, as_of)
        if ind.kind == "rate":
            denom = pop.reindex(s.index)
            value = rate_per_10k(s["value"], denom)
            status = s["status"].where(denom.notna() | s["value"].isna(), "no population estimate")
            s = pd.DataFrame({"value": value, "status": status})
        s = s.assign(indicator=ind.name)
        frames.append(s)
    for name, (table, measure) in COUNTS.items():
        s = _series(table, measure, as_of).assign(indicator=name)
        if table == "population":
            s = s.reset_index()
            s["year"] += 1
            s = s.set_index(["level", "key", "year"])
        frames.append(s)
    out = pd.concat(frames).reset_index()
    return out[out["year"] >= FIRST_YEAR]


def long_panel(as_of=None) -> pd.DataFrame:
    """Every indicator for every geography and year: level, key, year, indicator, value, status.

    ``as_of`` (a Quarter): what was known at its end, from the releases current then (see data.load_table).
    """
    return _long_cached(_release_key(as_of), as_of).copy()


def _release_key(as_of=None) -> tuple:
    """The official data folder and the release (table, checksum) of each table current at ``as_of``."""
    tables = sorted({i.table for i in INDICATORS} | {t for t, _ in COUNTS.values()})
    return str(paths.official_dir()), tuple((t, release_for(t, as_of).sha256) for t in tables)


def la_panel(statuses: bool = False, as_of=None) -> pd.DataFrame:
    """Local-authority indicators, index (old_la_code, year), one column per indicator."""
    return _wide(_release_key(as_of), as_of, "Local authority", "status" if statuses else "value").copy()


def comparator_panel(level: str, as_of=None) -> pd.DataFrame:
    """Regional (index region, year) or national (index year) indicators."""
    return _wide(_release_key(as_of), as_of, level, "value").copy()


@lru_cache(maxsize=None)
def _wide(files: tuple, as_of, level: str, col: str) -> pd.DataFrame:
    """One level of the panel of the releases ``files`` names, one column per indicator, pivoted once per process
    (chapters ask for it often): index (old_la_code, year) for councils, (key, year) for regions, year for
    England."""
    lp = _long_cached(files, as_of)
    lp = lp[lp["level"] == level]
    wide = lp.pivot_table(index=["key", "year"], columns="indicator", values=col, aggfunc="first")
    order = [i.name for i in INDICATORS] + list(COUNTS)
    wide = wide.reindex(columns=order)
    if level == "Local authority":
        wide.index.names = ["old_la_code", "year"]
    elif level == "National":
        wide = wide.droplevel("key")
    return wide


def neighbour_median(panel: pd.DataFrame, neighbours: tuple[str, ...], columns: list[str]) -> pd.DataFrame:
    """Median across statistical neighbours per year; NaN where fewer than SN_MIN neighbours have a value."""
    sub = panel[panel.index.get_level_values("old_la_code").isin(neighbours)][columns]
    grouped = sub.groupby(level="year")
    med = grouped.median()
    return med.where(grouped.count() >= SN_MIN)


def indicators_for(la: str | int, columns: list[str] | None = None, as_of=None) -> pd.DataFrame:
    """One row per year for a council with its indicators and their neighbour median, region and England.

    ``as_of`` (a Quarter): figures as known at its end (the releases current then, years published by then).
    """
    c = resolve(la)
    columns = columns or CORE_COLUMNS
    panel = la_panel(as_of=as_of)
    years = sorted(set(panel.index.get_level_values("year")))
    own = panel.xs(c.code, level="old_la_code").reindex(years)[columns] if c.code in panel.index.get_level_values(0) \
        else pd.DataFrame(index=years, columns=columns, dtype=float)
    own = own.dropna(how="all")
    years = list(own.index)
    out = own.copy()
    sn = neighbour_median(panel, c.neighbours, columns).reindex(years)
    reg = comparator_panel("Regional", as_of)
    reg = reg.xs(c.region, level="key").reindex(years)[columns] if c.region in reg.index.get_level_values(0) \
        else pd.DataFrame(index=years, columns=columns, dtype=float)
    eng = comparator_panel("National", as_of).reindex(years)[columns]
    for col in columns:
        out[f"{col}_sn_median"] = sn[col]
        out[f"{col}_region"] = reg[col]
        out[f"{col}_england"] = eng[col]
    out.index.name = "year"
    out = out.reset_index()
    out.insert(0, "old_la_code", c.code)
    out.insert(1, "la_name", c.name)
    return out


def period_label(name: str, year: int) -> str:
    """The period a figure covers, as its publisher labels it: "year to 31 March 2025" for the children in need
    and looked-after tables, "30 September 2025 (snapshot)" for the workforce census (turnover: "year to 30
    September 2025"), "mid-2024" for the population estimates. ``name`` is an indicator, a count column or a
    table name; the panel's ``children_0_17`` of year Y is ONS's mid-(Y-1) estimate."""
    year = int(year)
    if name == "children_0_17":
        return f"mid-{year - 1}"
    table = BY_NAME[name].table if name in BY_NAME else COUNTS[name][0] if name in COUNTS else name
    if name == "turnover_pct":
        return f"year to 30 September {year}"
    if table == "workforce":
        return f"30 September {year} (snapshot)"
    if table == "population":
        return f"mid-{year}"
    return f"year to 31 March {year}"


#: headings of the comparison columns (suffix of the column name -> words)
_COMPARATORS = {"_sn_median": "statistical neighbours' median", "_region": "region", "_england": "England"}
#: units and labels of the count columns
COUNT_LABELS = {
    "cin_at_31_march": ("Children in need at 31 March", "children"),
    "s47_enquiries": ("Section 47 enquiries", "enquiries in the year"),
    "icpcs": ("Initial child protection conferences", "conferences in the year"),
    "cpp_starts": ("Child protection plans started", "plans started in the year"),
    "cpp_at_31_march": ("Child protection plans at 31 March", "plans"),
    "cla_at_31_march": ("Children looked after at 31 March", "children"),
    "cla_started": ("Children starting to be looked after", "children in the year"),
    "cla_ceased": ("Children ceasing to be looked after", "children in the year"),
    "social_workers_fte": ("Social workers in post (FTE, 30 September)", "FTE"),
    "children_0_17": ("Children aged 0 to 17 (ONS mid-year estimate of the year before)", "children"),
}


def heading(column: str) -> tuple[str, str]:
    """(heading in words, unit) of an indicator column or its neighbours' median, region or England variant,
    e.g. ("Referral rate: statistical neighbours' median", "per 10,000 children")."""
    base, suffix = column, ""
    for sfx in _COMPARATORS:
        if column.endswith(sfx):
            base, suffix = column.removesuffix(sfx), sfx
    if base in BY_NAME:
        label, unit = BY_NAME[base].label, BY_NAME[base].unit
        if BY_NAME[base].table == "workforce":
            label += " (30 September)"
    elif base in COUNT_LABELS:
        label, unit = COUNT_LABELS[base]
    else:
        return column, ""
    return (f"{label}: {_COMPARATORS[suffix]}" if suffix else label), unit


def rounding(column: str) -> int:
    """Decimal places for display: counts whole, rates and percentages to one place."""
    base = column.split("_sn_median")[0].split("_region")[0].split("_england")[0]
    if base in COUNTS or base == "referrals" or base == "year":
        return 0
    return 1


def table_of(column: str) -> str | None:
    """The official table behind an indicator column (also for its _sn_median/_region/_england variants)."""
    base = column
    for suffix in ("_sn_median", "_region", "_england"):
        base = base.removesuffix(suffix)
    if base in BY_NAME:
        return BY_NAME[base].table
    if base in COUNTS:
        return COUNTS[base][0]
    return None


def mask_unpublished(frame: pd.DataFrame, quarter, year_column: str = "year") -> pd.DataFrame:
    """Blank every value not yet published by the end of ``quarter``; drop years left empty.

    Rates also need the population estimate, published in the summer after its mid-year.
    """
    out = frame.copy()
    years = out[year_column] if year_column in out.columns else pd.Series(out.index, index=out.index)
    pop_year = latest_year_published("population", quarter)
    for col in out.columns:
        table = table_of(col)
        if table is None:
            continue
        last = latest_year_published(table, quarter)
        hide = years > (last if last is not None else -1)
        base = col.split("_sn_median")[0].split("_region")[0].split("_england")[0]
        if base in BY_NAME and BY_NAME[base].kind == "rate":
            hide |= years > ((pop_year + 1) if pop_year is not None else -1)
        out.loc[hide, col] = np.nan
    value_cols = [c for c in out.columns if table_of(c) is not None]
    return out.dropna(how="all", subset=value_cols)


def multiples_frames(code: str, neighbours: list[str], quarter, names: list[str], since: int = 2013) -> dict:
    """For each indicator of ``names``, one frame by year (from ``since``) of what the small multiples show: the
    council (column ``name``), England (``name_england``), England's quartiles (``name_q1``, ``name_q3``) and the
    neighbours' range and median (``name_lo``, ``name_hi``, ``name_sn_median``), as published by the end of
    ``quarter``."""
    panel = la_panel(as_of=quarter)
    eng = comparator_panel("National", as_of=quarter)
    sn = list(neighbours)
    frames = {}
    for name in names:
        wide = panel[name].unstack("old_la_code")
        frame = pd.DataFrame({"year": wide.index, name: wide.get(code), f"{name}_england": eng[name].reindex(wide.index),
                              f"{name}_q1": wide.quantile(0.25, axis=1), f"{name}_q3": wide.quantile(0.75, axis=1),
                              f"{name}_lo": wide.reindex(columns=sn).min(axis=1),
                              f"{name}_hi": wide.reindex(columns=sn).max(axis=1),
                              f"{name}_sn_median": wide.reindex(columns=sn).median(axis=1)}).reset_index(drop=True)
        frame = mask_unpublished(frame, quarter)
        frames[name] = frame[frame["year"] >= since].reset_index(drop=True)
    return frames
