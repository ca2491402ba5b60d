"""Checks of a new release of Ofsted's ILACS inspection history, given as the CSV extract or as Ofsted's "Local
authority inspection outcomes" spreadsheet (ODS), whose sheet ``ILACS_inspection_history`` is extracted."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from cscbook.core.csvfile import read_csv_checked
from cscbook.core.errors import CSCBookError
from cscbook.data.ofsted import GRADES, ILACS_SUBS
from cscbook.data.releasecheck import Checked, sniff, which_table

#: Ofsted's ILACS inspection history: a CSV extract, or the publisher's spreadsheet it is extracted from.
OFSTED_HISTORY = "ofsted_ilacs_history"
OFSTED_ORIGINAL = "ofsted_outcomes"
OFSTED_SHEET = "ILACS_inspection_history"
OFSTED_KEY = ["Local authority area code", "Inspection date"]
OFSTED_DATES = ["Inspection date", "Publication date"]
OFSTED_REQUIRED = ["Local authority area code", "Local authority name", "Inspection date", "Publication date",
                   "Inspection type", "Overall effectiveness"]


def _read_ofsted(file: Path) -> tuple[pd.DataFrame, int, Path | None]:
    """The ILACS history as text cells, the line (or sheet row) of its first data row, and the spreadsheet."""
    name = file.name
    if not file.read_bytes()[:4].startswith(b"PK\x03\x04"):
        sniff(file)
        return read_csv_checked(file, []), 2, None
    try:
        book = pd.ExcelFile(file)
        sheets = book.sheet_names
        grid = pd.read_excel(book, OFSTED_SHEET, header=None, dtype=str) if OFSTED_SHEET in sheets else None
    except (ValueError, OSError, KeyError, zipfile.BadZipFile) as exc:
        raise CSCBookError(f"{name}: cannot be read as a spreadsheet ({' '.join(str(exc).split())}); "
                           "download it again") from None
    if grid is None:
        raise CSCBookError(f"{name}: has no sheet {OFSTED_SHEET!r} (it has {', '.join(sheets)}); give Ofsted's "
                           "'Local authority inspection outcomes' spreadsheet or the CSV of that sheet")
    header_rows = [i for i in range(min(len(grid), 20)) if "Local authority area code" in set(grid.iloc[i].astype(str))]
    if not header_rows:
        raise CSCBookError(f"{name}: sheet {OFSTED_SHEET} has no header row with 'Local authority area code' in its "
                           "first 20 rows; the publisher may have changed its layout")
    r = header_rows[0]
    body = grid.iloc[r + 1:].copy()
    body.columns = [str(h).strip() if isinstance(h, str) else "" for h in grid.iloc[r]]
    body = body.loc[:, [c for c in body.columns if c and c != "Web link"]].fillna("")
    body = body.apply(lambda col: col.astype(str).str.strip())
    for col in OFSTED_DATES:
        if col in body.columns:
            body[col] = body[col].str.replace(r"^(\d{4}-\d{2}-\d{2})[ T]00:00:00$", r"\1", regex=True)
    body = body[(body != "").any(axis=1)]
    body.index = range(len(body))
    return body, r + 2, file


def check_ofsted(file: Path, installed: Path) -> Checked:
    """Checks for a release of Ofsted's ILACS inspection history (CSV extract or the publisher's ODS)."""
    name = file.name
    frame, first, original = _read_ofsted(file)
    where = (lambda i: f"sheet {OFSTED_SHEET} row {first + i}") if original else (lambda i: f"line {first + i}")
    old = read_csv_checked(installed, OFSTED_REQUIRED)
    missing = [c for c in old.columns if c not in frame.columns]
    if missing:
        other = which_table(list(frame.columns))
        if other:
            raise CSCBookError(f"{name}: this file holds table {other!r}, not {OFSTED_HISTORY!r}; run "
                               f"'cscbook data add {name} --table {other}'")
        raise CSCBookError(f"{name}: column {missing[0]!r} is missing, so this is not Ofsted's ILACS inspection "
                           "history; download the 'Local authority inspection outcomes' spreadsheet again")
    frame = frame[list(old.columns)]
    if frame.empty:
        raise CSCBookError(f"{name}: has a header but no inspections; download the release again")

    def fail(bad: pd.Series, column: str, problem: str) -> None:
        if bad.any():
            i = int(bad[bad].index[0])
            raise CSCBookError(f"{name}: column {column!r} {where(i)}: {frame.at[i, column]!r} {problem}")

    fail(~frame["Local authority area code"].str.fullmatch(r"E\d{8}"), "Local authority area code",
         "is not a GSS council code (E and eight digits)")
    for col in OFSTED_DATES:
        parsed = pd.to_datetime(frame[col], format="%Y-%m-%d", errors="coerce")
        fail(parsed.isna(), col, "is not a date (YYYY-MM-DD)")
    judgements = [c for c in ("Overall effectiveness", *ILACS_SUBS) if c in frame.columns]
    for col in judgements:
        fail((frame[col] != "") & ~frame[col].str.lower().isin(GRADES), col,
             "is not an Ofsted judgement (Outstanding, Good, Requires improvement to be good, Inadequate or blank)")
    fail(frame.duplicated(OFSTED_KEY), "Inspection date", "is listed twice for the same council")
    new_keys = set(map(tuple, frame[OFSTED_KEY].values))
    old_keys = set(map(tuple, old[OFSTED_KEY].values))
    names = dict(zip(old["Local authority area code"], old["Local authority name"]))
    gone_councils = sorted(set(names) - set(frame["Local authority area code"]))
    if gone_councils:
        listed = ", ".join(f"{c} {names[c]}" for c in gone_councils[:3])
        more = f" and {len(gone_councils) - 3} more" if len(gone_councils) > 3 else ""
        raise CSCBookError(f"{name}: councils missing: {listed}{more} (the installed release {installed.name} has "
                           "their inspections); download the full inspection history")
    gone = sorted(old_keys - new_keys)
    if gone:
        more = f" and {len(gone) - 1} more" if len(gone) > 1 else ""
        raise CSCBookError(f"{name}: a shorter history than the installed release {installed.name}: the inspection of "
                           f"{gone[0][0]} {names.get(gone[0][0], '')} on {gone[0][1]}{more} is missing; "
                           "download the full inspection history")
    merged = old.merge(frame, on=OFSTED_KEY, suffixes=("_old", "_new"))
    revised = []
    for col in [c for c in old.columns if c not in OFSTED_KEY]:
        diff = merged[merged[f"{col}_old"].str.strip() != merged[f"{col}_new"].str.strip()]
        for code, when, before, after in zip(diff[OFSTED_KEY[0]], diff[OFSTED_KEY[1]], diff[f"{col}_old"],
                                             diff[f"{col}_new"]):
            revised.append({"year": int(when[:4]), "level": "Local authority", "key": code,
                            "geography": f"{code} {names.get(code, '')} inspected {when}", "measure": col,
                            "old": before, "new": after})
    revisions = pd.DataFrame(revised, columns=["year", "level", "key", "geography", "measure", "old", "new"])
    revisions["change"] = np.nan
    pub_years = pd.to_datetime(frame["Publication date"]).dt.year
    old_years = set(pd.to_datetime(old["Publication date"]).dt.year)
    if original is None:
        content = file.read_bytes()
    else:
        buf = io.StringIO()
        frame.to_csv(buf, index=False, lineterminator="\n")
        content = buf.getvalue().encode("utf-8")
    return Checked(content, int(len(frame)), (int(pub_years.min()), int(pub_years.max())),
                    sorted(set(int(y) for y in pub_years) - old_years), revisions,
                    new_records=len(new_keys - old_keys), original=original, sheet=OFSTED_SHEET if original else "")
