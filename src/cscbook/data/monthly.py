"""The council's monthly extract: the CSV contract, reading it with validation, and writing it.

Contract (one row per calendar month, no gaps, oldest first or in any order)::

    month,referrals,contacts,assessments,open_cases,social_workers_fte
    2019-04,612,2210,540,1480,96.5

``month`` (YYYY-MM) and ``referrals`` (whole number, 0 or more) are required. Optional columns, in the
order :data:`COLUMNS` writes them:

``rereferrals``          referrals within 12 months of the same child's previous referral (DfE's definition)
``nfa_referrals``        referrals that ended in no further action
``contacts``             contacts received (Ofsted Annex A List 1)
``assessments``          assessments started
``s47``                  section 47 enquiries started
``icpc``                 initial child protection conferences held
``cp_plans``             child protection plans started
``open_cin``             children in need episodes open at the month's end
``open_cases``           cases open at the month's end (the council's own definition)
``social_workers_fte``   case-holding social workers, full-time equivalent (may have decimals)
``share_school``         share of the month's referrals from schools (a fraction from 0 to 1)
``share_police``         share from the police (0 to 1)
``share_health``         share from health services (0 to 1)

Counts are whole numbers of 0 or more; an empty cell is a missing value (a share is empty in a month with
no referrals). Encoding UTF-8 (a byte-order mark is fine), comma-separated, a header row. At least
``MIN_MONTHS`` (12) consecutive months; what each length of history gives is in :mod:`cscbook.models.history`.

The file is read whole and every problem in it is reported at once, in one :class:`MonthlyDataError`: one line
per problem naming the file, line and column, the value and how to fix it (a file that cannot be read as CSV
at all stops at that).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from cscbook.core import atomic
from cscbook.core.errors import CSCBookError

REQUIRED = ("month", "referrals")
COUNT_COLUMNS = ("rereferrals", "nfa_referrals", "contacts", "assessments", "s47", "icpc", "cp_plans",
                 "open_cin", "open_cases")
SHARE_COLUMNS = ("share_school", "share_police", "share_health")
OPTIONAL = COUNT_COLUMNS + ("social_workers_fte",) + SHARE_COLUMNS
#: every column in the order the extract is written
COLUMNS = REQUIRED + OPTIONAL
INTEGER_COLUMNS = ("referrals",) + COUNT_COLUMNS
MIN_MONTHS = 12
MAX_BYTES = 5_000_000
MAX_LINE = 10_000
MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


class MonthlyDataError(CSCBookError):
    """A council's monthly extract that breaks the contract; the message names the file, line and column and
    how to fix it."""


def _month_hint(text: str) -> str:
    if re.fullmatch(r"\d{1,2}/\d{1,2}/\d{2,4}", text) or re.fullmatch(r"[A-Za-z]{3}-\d{2,4}", text) \
            or re.fullmatch(r"\d{4}-\d{2}-\d{2}.*", text) or re.fullmatch(r"\d{5}(\.0+)?", text):
        return " (it looks reformatted by a spreadsheet: format the column as text YYYY-MM, e.g. 2019-04)"
    return " (write YYYY-MM, e.g. 2019-04)"


_MONTH_NAMES = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                            "nov", "dec"), start=1)}


def _meant_month(text: str) -> str | None:
    """The month a cell written in another common form stands for (``2021-8``, ``01/08/2021`` in the UK order,
    ``Aug-21``, ``2021-08-01``), as YYYY-MM; None when it is not clear."""
    t = text.strip()
    m = re.fullmatch(r"(\d{4})-(\d{1,2})(?:-\d{1,2}.*)?", t)
    if m:
        year, month = int(m.group(1)), int(m.group(2))
    elif (m := re.fullmatch(r"\d{1,2}/(\d{1,2})/(\d{4})", t)):
        year, month = int(m.group(2)), int(m.group(1))
    elif (m := re.fullmatch(r"([A-Za-z]{3})[a-z]*[- ](\d{2}|\d{4})", t)) and m.group(1).lower() in _MONTH_NAMES:
        year = int(m.group(2)) + (2000 if len(m.group(2)) == 2 else 0)
        month = _MONTH_NAMES[m.group(1).lower()]
    else:
        return None
    return f"{year:04d}-{month:02d}" if 1 <= month <= 12 and 1900 <= year <= 2100 else None


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
    problems: list[str] = []
    unknown = [h for h in header if h not in REQUIRED + OPTIONAL]
    if unknown:
        if not all(re.fullmatch(r"[a-z][a-z0-9_ ]{0,39}", u) for u in unknown):  # not column names: never echo the file
            raise MonthlyDataError(f"{name}: line 1 is not a header of monthly columns (is this the monthly "
                                   f"extract?); the header is month,referrals and optional columns")
        listed = ", ".join(repr(h) for h in unknown)
        problems.append(f"{name}: line 1: unknown column{'s' if len(unknown) > 1 else ''} {listed}; allowed columns "
                        f"are {', '.join(REQUIRED + OPTIONAL)}")
    for col in REQUIRED:
        if col not in header:
            problems.append(f"{name}: line 1: required column {col!r} is missing (header must include "
                            "month,referrals)")
    for h in dict.fromkeys(h for h in header if header.count(h) > 1):
        problems.append(f"{name}: line 1: column {h!r} appears twice; keep one")
    if problems:  # without a sound header no row can be read
        raise MonthlyDataError(_problems(name, problems))
    records = []
    seen: dict[str, int] = {}
    meant: set[pd.Period] = set()  # months written in another form (2021-8): reported, not also called missing
    at = header.index("month")
    for lineno, row in enumerate(rows[1:], start=2):
        first = row[at].strip() if at < len(row) else ""
        if MONTH_RE.match(first) and first not in seen:
            seen[first] = lineno  # a row reported below still holds its month: it is not also called missing
            present = True
        else:
            present = False
        formula = next((c.strip() for c in row if c.strip()[:1] in ("=", "@") or c.strip()[:2] in ("+=", "-=")),
                       None)
        if formula is not None:
            problems.append(f"{name}: line {lineno}: {formula[:40]!r} is a formula, not a value; paste values only")
            continue
        if len(row) != len(header):
            problems.append(f"{name}: line {lineno} has {len(row)} fields, the header has {len(header)}; "
                            "give one value (or an empty cell) per column")
            continue
        rec = dict(zip(header, (c.strip() for c in row)))
        month = rec["month"]
        row_ok = True
        if not MONTH_RE.match(month):
            fixed = _meant_month(month)
            hint = _month_hint(month)
            if fixed is not None:
                meant.add(pd.Period(fixed, freq="M"))
                hint = hint.replace("e.g. 2019-04", f"here {fixed}") if "spreadsheet" in hint else f" (write {fixed})"
            problems.append(f"{name}: line {lineno}, column 'month': {month[:40]!r} is not a month in the form "
                            f"YYYY-MM{hint}")
            row_ok = False
        elif not present:
            problems.append(f"{name}: line {lineno}, column 'month': {month} already appears on line "
                            f"{seen[month]}; keep one row per month")
            row_ok = False
        out = {"month": month}
        for col in [h for h in header if h != "month"]:
            try:
                out[col] = _number(rec[col], col, lineno, name)
            except MonthlyDataError as exc:
                problems.append(str(exc))
                row_ok = False
                out[col] = float("nan")
        if row_ok:
            records.append(out)
    if not records and not problems:
        raise MonthlyDataError(f"{name}: no data rows after the header; add one row per month")
    known = pd.PeriodIndex(sorted({pd.Period(m, freq="M") for m in seen} | meant), freq="M")
    full = pd.period_range(known.min(), known.max(), freq="M") if len(known) else known
    gaps = full.difference(known)
    if len(gaps):
        listed = ", ".join(str(g) for g in gaps[:12]) + (f" and {len(gaps) - 12} more" if len(gaps) > 12 else "")
        word = "month" if len(gaps) == 1 else "months"
        problems.append(f"{name}: {word} {listed} {'is' if len(gaps) == 1 else 'are'} missing ({len(gaps)} "
                        "missing in all); the extract needs a row for every month between its first and last")
    frame = None
    if records:
        frame = pd.DataFrame(records)
        frame["month"] = pd.PeriodIndex(frame["month"], freq="M")
        frame = frame.sort_values("month").set_index("month")
        for m in frame.index[frame["referrals"].isna()]:
            problems.append(f"{name}: line {seen[str(m)]}, month {m}, column 'referrals' is empty; every month "
                            "needs a referral count")
    if len(full) < min_months and not problems:
        problems.append(f"{name}: {len(full)} months is too short a history; the forecast needs at least "
                        f"{min_months} consecutive months")
    if problems:
        raise MonthlyDataError(_problems(name, problems))
    return frame


#: problems listed in one message at most (the rest are counted)
MAX_PROBLEMS = 50


def _problems(name: str, problems: list[str]) -> str:
    """One line for one problem; for several, a first line counting them, then one line each."""
    if len(problems) == 1:
        return problems[0]
    shown = problems[:MAX_PROBLEMS]
    more = len(problems) - len(shown)
    head = f"{name}: {len(problems)} problems; fix each and run again:"
    return "\n".join([head] + [f"  {p}" for p in shown] + ([f"  ... and {more} more"] if more else []))


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
    if col in SHARE_COLUMNS and value > 1:
        raise MonthlyDataError(f"{name}: line {lineno}, column {col!r}: {text} is above 1; shares are fractions "
                               "from 0 to 1 (write 0.25, not 25)")
    if col in INTEGER_COLUMNS and value != int(value):
        raise MonthlyDataError(f"{name}: line {lineno}, column {col!r}: {text} is not a whole number; "
                               "counts are whole numbers")
    return value


def write_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write a monthly frame (PeriodIndex ``month``) as a contract CSV, atomically (temp file, then replace).

    Columns are written in :data:`COLUMNS` order; counts as whole numbers, shares with four decimals,
    missing values as empty cells. Unknown columns are an error, so nothing outside the contract is written.
    """
    path = Path(path)
    unknown = [c for c in frame.columns if c not in COLUMNS]
    if unknown:
        raise MonthlyDataError(f"{path.name}: column {unknown[0]!r} is not in the monthly extract contract")
    if "referrals" not in frame.columns:
        raise MonthlyDataError(f"{path.name}: a monthly extract needs a referrals column")
    out = pd.DataFrame({"month": [str(m) for m in frame.index]})
    for col in COLUMNS[1:]:
        if col not in frame.columns:
            continue
        values = frame[col].to_numpy(dtype=float)
        if col in INTEGER_COLUMNS:
            cells = ["" if np.isnan(v) else str(int(v)) for v in values]
        elif col in SHARE_COLUMNS:
            cells = ["" if np.isnan(v) else f"{v:.4f}" for v in values]
        else:
            cells = ["" if np.isnan(v) else f"{v:g}" for v in values]
        out[col] = cells
    return atomic.write_text(path, out.to_csv(index=False, lineterminator="\n"))
