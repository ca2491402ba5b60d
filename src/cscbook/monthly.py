"""The council's monthly extract: the CSV contract, its validation, and the shipped illustrative example.

Contract (one row per calendar month, no gaps, oldest first or in any order)::

    month,referrals,contacts,assessments,open_cases,social_workers_fte
    2019-04,612,2210,540,1480,96.5

``month`` (YYYY-MM) and ``referrals`` (whole number, 0 or more) are required; the other columns are
optional: ``contacts``, ``assessments`` and ``open_cases`` are whole numbers, ``social_workers_fte`` may
have decimals. Encoding UTF-8 (a byte-order mark is fine), comma-separated, a header row. At least
``MIN_MONTHS`` consecutive months are needed for the seasonal models.

Every problem raises :class:`MonthlyDataError` with one line naming the file, line and column and how to
fix it.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from . import paths
from .errors import CSCBookError

REQUIRED = ("month", "referrals")
OPTIONAL = ("contacts", "assessments", "open_cases", "social_workers_fte")
INTEGER_COLUMNS = ("referrals", "contacts", "assessments", "open_cases")
MIN_MONTHS = 36
MAX_BYTES = 5_000_000
MAX_LINE = 10_000
MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
ILLUSTRATIVE = "ILLUSTRATIVE: modelled monthly split of published annual totals, not real monthly data"


class MonthlyDataError(CSCBookError):
    pass


def _month_hint(text: str) -> str:
    if re.fullmatch(r"\d{1,2}/\d{1,2}/\d{2,4}", text) or re.fullmatch(r"[A-Za-z]{3}-\d{2,4}", text) \
            or re.fullmatch(r"\d{4}-\d{2}-\d{2}.*", text) or re.fullmatch(r"\d{5}(\.0+)?", text):
        return " (it looks reformatted by a spreadsheet: format the column as text YYYY-MM, e.g. 2019-04)"
    return " (write YYYY-MM, e.g. 2019-04)"


def read_extract(path: str | Path, min_months: int = MIN_MONTHS) -> pd.DataFrame:
    """Validate and load a monthly extract; index is a monthly PeriodIndex named ``month``."""
    path = Path(path)
    name = path.name
    if not path.is_file():
        raise MonthlyDataError(f"{path}: file not found; give the path of the monthly CSV extract")
    size = path.stat().st_size
    if size == 0:
        raise MonthlyDataError(f"{name}: the file is empty; export the header row and one row per month")
    if size > MAX_BYTES:
        raise MonthlyDataError(f"{name}: {size} bytes is too large for a monthly extract (limit {MAX_BYTES}); "
                               "export one row per month only")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise MonthlyDataError(f"{name}: line {line} is not UTF-8 text; re-save the file as CSV UTF-8") from None
    if "\x00" in text:
        raise MonthlyDataError(f"{name}: the file holds binary data (is it a spreadsheet?); save it as CSV UTF-8")
    lines = text.splitlines()
    for i, line in enumerate(lines, start=1):
        if len(line) > MAX_LINE:
            raise MonthlyDataError(f"{name}: line {i} is {len(line)} characters long; expected one short row per month")
    header_line = lines[0] if lines else ""
    if "," not in header_line:
        for delim in (";", "\t", "|"):
            if delim in header_line:
                shown = {"\t": "tab"}.get(delim, repr(delim))
                raise MonthlyDataError(f"{name}: line 1 is separated by {shown}, not commas; save it as CSV "
                                       "(comma-separated)")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise MonthlyDataError(f"{name}: line {reader.line_num} is not valid CSV ({exc}); re-save the file as CSV UTF-8") from None
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        raise MonthlyDataError(f"{name}: the file has no rows; export the header row and one row per month")
    header = [h.strip().lower() for h in rows[0]]
    unknown = [h for h in header if h not in REQUIRED + OPTIONAL]
    if unknown:
        raise MonthlyDataError(f"{name}: line 1: unknown column {unknown[0]!r}; allowed columns are "
                               f"{', '.join(REQUIRED + OPTIONAL)}")
    for col in REQUIRED:
        if col not in header:
            raise MonthlyDataError(f"{name}: line 1: required column {col!r} is missing (header must include "
                                   "month,referrals)")
    dup = [h for h in header if header.count(h) > 1]
    if dup:
        raise MonthlyDataError(f"{name}: line 1: column {dup[0]!r} appears twice")
    records = []
    seen: dict[str, int] = {}
    for lineno, row in enumerate(rows[1:], start=2):
        formula = next((c for c in row if c.strip()[:1] in ("=", "@") or c.strip()[:2] in ("+=", "-=")), None)
        if formula is not None:
            raise MonthlyDataError(f"{name}: line {lineno}: {formula.strip()[:40]!r} is a formula, not a value; "
                                   "paste values only")
        if len(row) != len(header):
            raise MonthlyDataError(f"{name}: line {lineno} has {len(row)} fields, the header has {len(header)}")
        rec = dict(zip(header, (c.strip() for c in row)))
        month = rec["month"]
        if not MONTH_RE.match(month):
            raise MonthlyDataError(f"{name}: line {lineno}, column 'month': {month[:40]!r} is not a month"
                                   + _month_hint(month))
        if month in seen:
            raise MonthlyDataError(f"{name}: line {lineno}, column 'month': {month} already appears on line "
                                   f"{seen[month]}; keep one row per month")
        seen[month] = lineno
        out = {"month": month}
        for col in header[1:] if header[0] == "month" else [h for h in header if h != "month"]:
            out[col] = _number(rec[col], col, lineno, name)
        records.append(out)
    if not records:
        raise MonthlyDataError(f"{name}: no data rows after the header; add one row per month")
    frame = pd.DataFrame(records)
    frame["month"] = pd.PeriodIndex(frame["month"], freq="M")
    frame = frame.sort_values("month").set_index("month")
    full = pd.period_range(frame.index.min(), frame.index.max(), freq="M")
    gaps = full.difference(frame.index)
    if len(gaps):
        raise MonthlyDataError(f"{name}: month {gaps[0]} is missing ({len(gaps)} missing in all); the extract "
                               "needs every month between its first and last")
    if frame["referrals"].isna().any():
        m = frame.index[frame["referrals"].isna()][0]
        raise MonthlyDataError(f"{name}: month {m}, column 'referrals' is empty; every month needs a referral count")
    if len(frame) < min_months:
        raise MonthlyDataError(f"{name}: {len(frame)} months is too short a history; the seasonal models need at "
                               f"least {min_months} consecutive months")
    return frame


def _number(text: str, col: str, lineno: int, name: str) -> float:
    if text == "":
        return float("nan")
    clean = text.replace(",", "")
    if clean[:1] in "=+@" or clean.lower().startswith(("-=", "-+")):
        raise MonthlyDataError(f"{name}: line {lineno}, column {col!r}: {text[:40]!r} is a formula, not a number; "
                               "paste values only")
    try:
        value = float(clean)
    except ValueError:
        raise MonthlyDataError(f"{name}: line {lineno}, column {col!r}: {text[:40]!r} is not a number") from None
    if not np.isfinite(value):
        raise MonthlyDataError(f"{name}: line {lineno}, column {col!r}: {text[:40]!r} is not a finite number")
    if value < 0:
        raise MonthlyDataError(f"{name}: line {lineno}, column {col!r}: {text} is negative; counts cannot be below 0")
    if col in INTEGER_COLUMNS and value != int(value):
        raise MonthlyDataError(f"{name}: line {lineno}, column {col!r}: {text} is not a whole number; "
                               "counts are whole numbers")
    return value


# ---------------------------------------------------------------------------------------------------
# The shipped example: published annual totals split into months by a transparent model.


def pandemic_factors() -> pd.Series:
    f = pd.read_csv(paths.curated_dir() / "pandemic_referral_factors.csv", dtype={"month": str})
    return pd.Series(f["factor"].values, index=pd.PeriodIndex(f["month"], freq="M"))


def school_referral_share(la: str) -> pd.Series:
    """Share of the council's referrals from schools by year (LAIT 'RefBySource_Schl_%', 2016 on, as a fraction).

    Years before the first published year take the first published value.
    """
    lait = pd.read_csv(paths.official_dir() / "dfe_lait_csc_indicators_2016_2025_long.csv", dtype=str)
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
    from .calendar_england import month_calendar

    cal = month_calendar(str(months.min() - 1), str(months.max()))
    fy = pd.Series([m.year + (m.month >= 4) for m in cal.index], index=cal.index)  # year ending 31 March
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
    from .data import la_values

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
    return paths.data_dir() / "examples" / EXAMPLE_FILE


def write_example(path: Path | None = None) -> Path:
    path = path or example_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = example_extract("825")
    out = frame.reset_index()
    out["month"] = out["month"].astype(str)
    tmp = path.with_suffix(".tmp")
    out.to_csv(tmp, index=False, lineterminator="\n")
    tmp.replace(path)
    return path


def load_monthly(monthly: str | Path | None) -> tuple[pd.DataFrame, bool]:
    """The council's extract if given, else the shipped example; returns (frame, illustrative)."""
    if monthly:
        return read_extract(monthly), False
    return read_extract(example_path()), True
