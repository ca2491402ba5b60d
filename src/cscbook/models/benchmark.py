"""Benchmarking a council against its statistical neighbours, region and England.

For each indicator and year: the council's value, the neighbours' median and range, region and England,
the council's rank and quartile among all councils with a value, a polarity-aware RAG rating and the
direction of travel since the previous year.

Quartile bands are national (all councils with a value that year), as in DfE's LAIT. For indicators where
high is bad (``polarity`` -1), the lowest quarter is green, the middle half amber and the highest quarter
red; reversed where high is good. Context indicators (``polarity`` 0), such as demand rates, are not rated:
a high referral rate is not in itself good or bad. Neither is the share of referrals ending in no further action
(a high share can mean a front door letting through contacts that need no social care, a low one a threshold
set high), so it is compared but never rated.

A rating uses only the latest year. Where the council's value for the latest published year is withheld
(suppressed, ``c``), the indicator is shown for that year as suppressed: no value, rank, quartile, rating or
direction from an older year.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from cscbook.core.markers import MARKERS
from cscbook.data.register import resolve
from cscbook.data.releases import latest_year_published
from cscbook.data.tables import load_table
from cscbook.models.indicators import BY_NAME, INDICATORS, _release_key, comparator_panel, la_panel, period_label

STABLE_PCT = 2.0  # changes smaller than this share of last year's value count as stable


def quartile_band(values: pd.Series, value: float) -> int | None:
    """1 (lowest quarter) to 4 (highest quarter) of ``value`` among ``values``."""
    v = values.dropna()
    if pd.isna(value) or v.empty:
        return None
    q1, q2, q3 = np.quantile(v, [0.25, 0.5, 0.75])
    return 1 if value <= q1 else 2 if value <= q2 else 3 if value <= q3 else 4


def rank_of(values: pd.Series, value: float) -> tuple[int | None, int]:
    """Rank (1 = highest value) and number of councils with a value."""
    v = values.dropna()
    if pd.isna(value):
        return None, len(v)
    return int((v > value).sum()) + 1, len(v)


#: the rating of an indicator whose latest year is suppressed or otherwise unpublished
SUPPRESSED = "suppressed"


def rag(band: int | None, polarity: int) -> str:
    """'green', 'amber' or 'red' by England's quartile band and the indicator's polarity; 'not rated' for an
    indicator without a clear polarity; 'no data' without a band."""
    if band is None:
        return "no data"
    if polarity == 0:
        return "not rated"
    good = 1 if polarity < 0 else 4
    bad = 4 if polarity < 0 else 1
    return "green" if band == good else "red" if band == bad else "amber"


def direction(prev: float, now: float, polarity: int) -> tuple[str, str]:
    """Arrow and words for the change since last year."""
    if pd.isna(prev) or pd.isna(now):
        return "", "no comparison"
    if prev == 0 or abs(now - prev) / abs(prev) * 100 < STABLE_PCT:
        return "→", "stable"
    up = now > prev
    arrow = "↑" if up else "↓"
    if polarity == 0:
        return arrow, "up" if up else "down"
    better = up if polarity > 0 else not up
    return arrow, "improving" if better else "worsening"


def _marker_of(status: str) -> str:
    codes = [code for code, meaning in MARKERS.items() if meaning == status and code]
    return f" ({codes[0]})" if codes else ""


def latest_note(statuses: pd.Series, used: int, year: int) -> tuple[int, str]:
    """The latest year (at most ``year``) the council has a row for, and a note when the value used is older.

    ``statuses`` is the council's status per year for one indicator. When the latest row is unpublished (for
    example suppressed, ``c``), the note says so and names the year rated instead: "2025 suppressed (c); rated
    on 2024".
    """
    rows = statuses[(statuses.index <= year) & statuses.notna()]
    if rows.empty:
        return used, ""
    latest = int(rows.index.max())
    if latest <= used:
        return latest, ""
    return latest, f"{latest} {rows[latest]}{_marker_of(rows[latest])}; rated on {used}"


#: the columns of :func:`benchmark` (also when a council has no row)
COLUMNS = ["indicator", "label", "unit", "year", "value", "previous", "change", "sn_median", "sn_min", "sn_max",
           "sn_count", "region", "england", "rank", "councils", "quartile", "rag", "arrow", "direction", "polarity",
           "latest_year", "note"]


@lru_cache(maxsize=16)
def _panels(files: tuple, quarter) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """The council panel (values and statuses) of the releases ``files`` names as of ``quarter``, and its
    cross-section per year: made once per process (every council's scorecard reads them)."""
    panel = la_panel(as_of=quarter)
    years = {int(y): panel.xs(y, level="year") for y in panel.index.get_level_values("year").unique()}
    return panel, la_panel(statuses=True, as_of=quarter).astype(object), years


@lru_cache(maxsize=4096)
def _sorted_values(files: tuple, quarter, year: int, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Every council's value of ``name`` in ``year`` (no missing ones) and its quartiles, once per process."""
    v = _panels(files, quarter)[2][year][name].dropna().to_numpy(dtype=float)
    return v, (np.quantile(v, [0.25, 0.5, 0.75]) if len(v) else np.array([]))


def _placed(files: tuple, quarter, year: int, name: str, value: float) -> tuple[int | None, int | None, int]:
    """(quartile band, rank, councils with a value) of ``value``, as :func:`quartile_band` and :func:`rank_of`."""
    v, (q) = _sorted_values(files, quarter, year, name)
    if pd.isna(value) or not len(v):
        return None, None, len(v)
    q1, q2, q3 = q
    band = 1 if value <= q1 else 2 if value <= q2 else 3 if value <= q3 else 4
    return band, int((v > value).sum()) + 1, len(v)


@lru_cache(maxsize=512)
def _published(table: str, quarter) -> int | None:
    """:func:`cscbook.data.releases.latest_year_published`, once per table and quarter in a process."""
    return latest_year_published(table, quarter)


def benchmark(la: str, year: int, indicators: list[str] | None = None, quarter=None) -> pd.DataFrame:
    """One row per indicator for ``year`` (the latest year with a value, at most ``year``, per indicator).

    ``year`` is the year whose value is used; ``latest_year`` the latest year the council has a row for (at
    most ``year``); ``note`` says when they differ and why, e.g. "2025 suppressed (c); rated on 2024".
    With ``quarter`` (a :class:`~cscbook.core.quarters.Quarter`), each indicator stops at the last year of its table
    published by the end of that quarter, so neither values nor notes run ahead of the edition.
    """
    latest_year_published = _published
    c = resolve(la)
    # as known at the end of the quarter: the releases current then (revised figures appear only afterwards)
    files = _release_key(quarter)
    panel, statuses, years = _panels(files, quarter)
    region = comparator_panel("Regional", quarter)
    england = comparator_panel("National", quarter)
    rows = []
    if c.code not in panel.index.get_level_values(0):
        return pd.DataFrame(rows, columns=COLUMNS)
    own_all = panel.xs(c.code, level="old_la_code")
    status_all = statuses.xs(c.code, level="old_la_code")
    for name in indicators or [i.name for i in INDICATORS]:
        ind = BY_NAME[name]
        cap = year
        if quarter is not None:
            last = latest_year_published(ind.table, quarter)
            cap = min(cap, last if last is not None else -1)
            if ind.kind == "rate":
                pop = latest_year_published("population", quarter)
                cap = min(cap, pop + 1 if pop is not None else -1)
        own = own_all[name]
        own = own[own.index <= cap].dropna()
        if own.empty:
            continue
        y = int(own.index.max())
        value = own[y]
        st = status_all[name]
        known = st.index[(st.index <= cap) & st.notna().to_numpy()]
        latest = int(known.max()) if len(known) else y
        if latest > y and years[latest][name].notna().any():
            # the latest year is published, but not for this council (suppressed): shown as such, never rated on an
            # older year (a year no council has yet stays unpublished: the older year is the latest published)
            status = status_all[name].get(latest)
            rows.append(dict(
                indicator=name, label=ind.label, unit=ind.unit, year=latest, value=np.nan, previous=np.nan,
                change=np.nan, sn_median=np.nan, sn_min=np.nan, sn_max=np.nan, sn_count=0, region=np.nan,
                england=england[name].get(latest, np.nan), rank=None, councils=0, quartile=None, rag=SUPPRESSED,
                arrow="", direction="no comparison", polarity=ind.polarity, latest_year=latest,
                note=f"{latest} {status}{_marker_of(status)}: not rated",
            ))
            continue
        note = latest_note(st, y, cap)[1] if latest > y else ""
        latest = max(latest, y)
        everyone = years[y][name]
        sn = everyone.reindex(list(c.neighbours)).dropna()
        band, rank, n = _placed(files, quarter, y, name, float(value))
        prev = own.get(y - 1, np.nan)
        arrow, words = direction(prev, value, ind.polarity)
        reg_value = region[name].get((c.region, y), np.nan) if c.region in region.index.get_level_values(0) else np.nan
        rows.append(dict(
            indicator=name, label=ind.label, unit=ind.unit, year=y, value=value, previous=prev,
            change=value - prev if pd.notna(prev) else np.nan,
            sn_median=sn.median() if len(sn) >= 3 else np.nan, sn_min=sn.min() if len(sn) else np.nan,
            sn_max=sn.max() if len(sn) else np.nan, sn_count=len(sn), region=reg_value,
            england=england[name].get(y, np.nan), rank=rank, councils=n, quartile=band,
            rag=rag(band, ind.polarity), arrow=arrow, direction=words, polarity=ind.polarity,
            latest_year=latest, note=note,
        ))
    return pd.DataFrame(rows, columns=COLUMNS)


#: ratings in words, as the scorecard and its download show them (no symbols)
RATING_WORDS = {"green": "Best quarter (green)", "amber": "Middle half (amber)", "red": "Worst quarter (red)",
                SUPPRESSED: "Not rated: suppressed", "not rated": "Not rated", "no data": "No data"}


def scorecard_table(card: pd.DataFrame) -> pd.DataFrame:
    """The scorecard as the page and its CSV show it, one column per field: indicator, unit, period (as
    published: year ending 31 March or the 30 September snapshot), the value (a withheld one as its publisher's
    marker, ``c`` or ``x``) and its comparators as numbers (counts whole), the neighbours' lowest and highest,
    rank and the number of councils ranked, the rating and the direction of travel in words."""
    import re

    card = card.reset_index(drop=True)
    out = pd.DataFrame({
        "label": card["label"], "unit": card["unit"],
        "period": [period_label(i, y) for i, y in zip(card["indicator"], card["year"])],
    })
    for col in ["value", "sn_median", "sn_min", "sn_max", "region", "england"]:
        out[col] = pd.Series([int(round(float(v))) if BY_NAME[i].kind == "count" and pd.notna(v) else v
                              for i, v in zip(card["indicator"], card[col])], index=card.index, dtype=object)
    # a withheld value shows the publisher's marker (c: suppressed, x: not available), the suppression flag
    for k in card.index[card["rag"] == SUPPRESSED]:
        marker = re.search(r"\((\w+)\): not rated$", str(card.at[k, "note"]))
        out.at[k, "value"] = marker.group(1) if marker else ""
    out["rank"] = pd.array([int(r) if pd.notna(r) else None for r in card["rank"]], dtype="Int64")
    out["councils"] = pd.array([int(n) if pd.notna(r) else None for r, n in zip(card["rank"], card["councils"])],
                               dtype="Int64")
    out["rating"] = card["rag"].map(RATING_WORDS).fillna(card["rag"])
    out["travel"] = card["direction"]
    return out.reset_index(drop=True)


def scorecard_page(fields: pd.DataFrame) -> pd.DataFrame:
    """The scorecard as the page shows it for reading, from :func:`scorecard_table`: the unit beside the
    indicator's name, the neighbours' range and the rank among the councils ranked each in one cell (its download
    keeps them apart), and any other column (e.g. a significance test) as given."""
    def number(v, unit):
        return f"{v:,.0f}" if isinstance(v, int) else f"{v:,.1f}"

    out = pd.DataFrame({"label": fields["label"] + " (" + fields["unit"] + ")", "period": fields["period"]})
    for col in ["value", "sn_median"]:
        out[col] = fields[col]
    out["sn_range"] = [f"{number(lo, u)} to {number(hi, u)}" if pd.notna(lo) and pd.notna(hi) else ""
                       for lo, hi, u in zip(fields["sn_min"], fields["sn_max"], fields["unit"])]
    for col in ["region", "england"]:
        out[col] = fields[col]
    out["rank"] = [f"{int(r)} of {int(n)}" if pd.notna(r) else "" for r, n in zip(fields["rank"], fields["councils"])]
    rest = [c for c in fields.columns if c not in ("label", "unit", "period", "value", "sn_median", "sn_min", "sn_max",
                                                   "region", "england", "rank", "councils")]
    for col in rest:
        out[col] = fields[col]
    return out


FLOW = [
    ("assessments_per_referral", "Assessments per referral", "assessments", "Episodes_with_assessment_factor",
     "referrals", "referral_count"),
    ("s47_per_referral", "Section 47 enquiries per referral", "s47", "Section47", "referrals", "referral_count"),
    ("icpc_per_s47", "Initial conferences per section 47 enquiry", "s47", "ICPC", "s47", "Section47"),
    ("cpp_per_icpc", "Plans started per initial conference", "cpp_starts", "CPP_start", "s47", "ICPC"),
    ("care_starts_per_referral", "Children starting care per referral", "cla", "cla_started", "referrals",
     "referral_count"),
]


def flow(la: str, as_of=None) -> pd.DataFrame:
    """Conversion through the front door per year: the council, its neighbours' median and England (as known
    at the end of quarter ``as_of`` when given).

    Assessments are counted by DfE's 'episodes with assessment factors' (table C3, from 2018), the closest
    published proxy for completed assessments.
    """
    c = resolve(la)
    cache: dict[tuple[str, str], pd.DataFrame] = {}

    def series(table, measure):
        key = (table, measure)
        if key not in cache:
            t = load_table(table, as_of)
            cache[key] = t[t["measure"] == measure]
        return cache[key]

    rows = []
    for name, label, nt, nm, dt, dm in FLOW:
        num, den = series(nt, nm), series(dt, dm)
        la_num = num[num["level"] == "Local authority"].drop_duplicates(["old_la_code", "year"]).set_index(["old_la_code", "year"])["value"]
        la_den = den[den["level"] == "Local authority"].drop_duplicates(["old_la_code", "year"]).set_index(["old_la_code", "year"])["value"]
        ratio = (la_num / la_den).dropna()
        eng_num = num[num["level"] == "National"].drop_duplicates("year").set_index("year")["value"]
        eng_den = den[den["level"] == "National"].drop_duplicates("year").set_index("year")["value"]
        if ratio.empty:
            continue
        for year in sorted(set(ratio.index.get_level_values("year"))):
            own = ratio.get((c.code, year), np.nan)
            peers = pd.Series([ratio.get((s, year), np.nan) for s in c.neighbours]).dropna()
            rows.append(dict(step=name, label=label, year=year, value=own,
                             sn_median=peers.median() if len(peers) >= 3 else np.nan,
                             england=eng_num.get(year, np.nan) / eng_den.get(year, np.nan)))
    return pd.DataFrame(rows)
