"""Monthly contacts and referrals from the council's Ofsted Annex A workbook.

Councils keep Ofsted's ILACS "Annex A" data lists as an Excel workbook: List 1 is every contact, List 3
every referral. The CIN census has no contacts, so this is where the contact-to-referral conversion comes
from. :func:`read_annex_a` reads the workbook (openpyxl, read-only, values only) and returns one row per
month with

``contacts``            rows of List 1 by their contact date
``referrals``           rows of List 3 by their referral date
``nfa_referrals``       List 3 referrals whose "Referral NFA?" value means yes
``conversion``          referrals / contacts in the month (empty where there were no contacts)

Headings vary between councils, so they are matched the way liiatools' ``data-map.yml``
(``data/specs/annex_a/``) matches them: case, spaces and punctuation are ignored, and a sheet is found by its
list number ("List 1", "List_1 Contacts", "list 3 - referrals"). The date columns are the heading holding
both "date" and "contact" (List 1) or "date" and "referral" (List 3); the NFA column is data-map.yml's
``Referral NFA?`` heading and its values are mapped by data-map.yml's own patterns (``Y...``, ``a)...`` mean
yes). Headings may sit below title rows (the first 20 rows are searched).

Rows without a date are not counted; their number is in ``frame.attrs["undated"]``. Problems raise
:class:`~cscbook.core.errors.CSCBookError` with one line naming the file, sheet, row and heading; cell values
(child-level) never appear in messages.
"""

from __future__ import annotations

import re
import zipfile
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from cscbook.core import paths
from cscbook.core.errors import CSCBookError
from cscbook.core.memo import memo

MAX_BYTES = 200 * 1024 * 1024
HEADER_ROWS = 20


class AnnexAError(CSCBookError):
    """An Ofsted Annex A workbook that cannot be read; the message names the file, sheet or column and the fix."""


def _norm(text) -> str:
    return re.sub(r"[^a-z0-9]", "", str(text).lower()) if text is not None else ""


def _pattern(text: str) -> re.Pattern:
    """A data-map.yml pattern such as ``/.*fem.*/i`` as a compiled regular expression."""
    m = re.fullmatch(r"/(.*)/([a-z]*)", text.strip())
    if not m:
        return re.compile(re.escape(text))
    return re.compile(m.group(1), re.IGNORECASE if "i" in m.group(2) else 0)


@memo(maxsize=None)
def _data_map(root: str) -> dict:
    import yaml

    with open(Path(root) / "data" / "specs" / "annex_a" / "data-map.yml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)["data_config"]


def nfa_patterns() -> list[tuple[str, list[re.Pattern]]]:
    """data-map.yml's List 3 ``Referral NFA?`` codes with their patterns, in order (first match wins)."""
    entries = _data_map(str(paths.repo_root()))["List 3"]["Referral NFA?"]
    return [(e["name"], [_pattern(p) for p in e["regex"]]) for e in entries]


def _is_yes(value, patterns) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    text = str(value).strip()
    for name, regexes in patterns:
        if any(r.match(text) for r in regexes):
            return name == "Yes"
    return False


def _find_sheet(wb, number: int, name: str):
    rx = re.compile(rf"^\s*list[\s_\-]*0?{number}(?!\d)", re.IGNORECASE)
    for ws in wb.worksheets:
        if rx.search(ws.title):
            return ws
    titles = ", ".join(ws.title for ws in wb.worksheets)[:200]
    raise AnnexAError(f"{name}: no sheet for List {number} (sheets: {titles}); name it 'List {number}' as in "
                      "Ofsted's Annex A template")


def _header(rows, name: str, sheet: str, date_words: tuple[str, str]) -> tuple[int, list[str], tuple]:
    for i, row in enumerate(rows, start=1):
        cells = [_norm(c) for c in row]
        if any(date_words[0] in c and date_words[1] in c for c in cells):
            return i, cells, row
        if i >= HEADER_ROWS:
            break
    raise AnnexAError(f"{name}, sheet {sheet!r}: no heading with '{date_words[0]}' and '{date_words[1]}' in the "
                      f"first {HEADER_ROWS} rows; the list needs a column such as 'Date of "
                      f"{date_words[1].capitalize()}'")


def _as_date(value, name: str, sheet: str, row: int, heading: str) -> date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y", "%Y-%m-%d %H:%M:%S"):
            try:
                return datetime.strptime(text, fmt).date()
            except ValueError:
                continue
    raise AnnexAError(f"{name}, sheet {sheet!r}, row {row}, column {heading!r}: not a date; format the column "
                      "as dates (dd/mm/yyyy)")


def _list_dates(wb, number: int, name: str, words: tuple[str, str], flag: str | None = None):
    ws = _find_sheet(wb, number, name)
    rows = ws.iter_rows(values_only=True)
    head_row, cells, raw = _header(rows, name, ws.title, words)
    col = next(i for i, c in enumerate(cells) if words[0] in c and words[1] in c)
    heading = str(raw[col]).strip()[:60]
    flag_col = None
    if flag is not None:
        flag_col = next((i for i, c in enumerate(cells) if c == _norm(flag)), None)
        if flag_col is None:
            flag_col = next((i for i, c in enumerate(cells) if "nfa" in c), None)
    patterns = nfa_patterns() if flag_col is not None else None
    dates, flags, undated = [], [], 0
    for r, row in enumerate(rows, start=head_row + 1):
        if row is None or all(c is None or (isinstance(c, str) and not c.strip()) for c in row):
            continue
        value = row[col] if col < len(row) else None
        d = _as_date(value, name, ws.title, r, heading)
        if d is None:
            undated += 1
            continue
        dates.append(d)
        if flag_col is not None:
            flags.append(_is_yes(row[flag_col] if flag_col < len(row) else None, patterns))
    return dates, (flags if flag_col is not None else None), undated


def read_annex_a(path: str | Path) -> pd.DataFrame:
    """Monthly ``contacts``, ``referrals``, ``nfa_referrals`` and ``conversion`` from an Annex A workbook.

    The index is a monthly PeriodIndex ``month`` from the first to the last month with a contact or a
    referral, with no gaps (a month with none counts 0).
    """
    from openpyxl import load_workbook

    path = Path(path)
    name = path.name
    if not path.is_file():
        raise AnnexAError(f"{path.name}: file not found; give the Annex A workbook (.xlsx)")
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise AnnexAError(f"{name}: {size} bytes is too large for an Annex A workbook (limit {MAX_BYTES})")
    if not zipfile.is_zipfile(path):
        raise AnnexAError(f"{name}: not an Excel workbook (.xlsx); save the Annex A lists as an Excel workbook")
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many types for a damaged archive
        raise AnnexAError(f"{name}: the workbook cannot be opened (damaged, or not .xlsx); re-save it from Excel") from None
    try:
        contacts, _, undated_c = _list_dates(wb, 1, name, ("date", "contact"))
        referrals, nfa, undated_r = _list_dates(wb, 3, name, ("date", "referral"), flag="Referral NFA?")
    finally:
        wb.close()
    if not contacts and not referrals:
        raise AnnexAError(f"{name}: List 1 and List 3 hold no dated rows")
    c = pd.Series(1, index=pd.PeriodIndex(contacts, freq="M")) if contacts else pd.Series(dtype=float)
    r = pd.Series(1, index=pd.PeriodIndex(referrals, freq="M")) if referrals else pd.Series(dtype=float)
    known = [s.index for s in (c, r) if len(s)]
    months = pd.period_range(min(i.min() for i in known), max(i.max() for i in known), freq="M")
    frame = pd.DataFrame(index=months)
    frame.index.name = "month"
    frame["contacts"] = c.groupby(level=0).sum().reindex(months, fill_value=0).astype(float) if len(c) else 0.0
    frame["referrals"] = r.groupby(level=0).sum().reindex(months, fill_value=0).astype(float) if len(r) else 0.0
    if nfa is not None and len(r):
        n = pd.Series(np.asarray(nfa, dtype=float), index=r.index)
        frame["nfa_referrals"] = n.groupby(level=0).sum().reindex(months, fill_value=0).astype(float)
    else:
        frame["nfa_referrals"] = np.nan
    frame["conversion"] = frame["referrals"] / frame["contacts"].where(frame["contacts"] > 0)
    frame.attrs["undated"] = {"List 1": undated_c, "List 3": undated_r}
    return frame


def add_contacts(monthly: pd.DataFrame, annex: pd.DataFrame) -> pd.DataFrame:
    """``monthly`` (e.g. from the CIN census) with ``contacts`` from Annex A for the months both cover.

    Months outside the workbook's range get an empty ``contacts`` (unknown, not zero).
    """
    out = monthly.copy()
    out["contacts"] = annex["contacts"].reindex(out.index)
    return out
