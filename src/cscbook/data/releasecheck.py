"""Checks of a newly downloaded release of an official table (DfE / ONS time-series CSV, Explore Education
Statistics layout) before ``cscbook data add`` installs it: is it a CSV of the right table, does it continue the
installed series, are its figures possible, and which figures of earlier years it revises.

Every check raises one :class:`~cscbook.core.errors.CSCBookError` naming the file (and council, year, measure)
and how to fix it; :func:`check_values` lists every problem at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cscbook.core.csvfile import read_csv_checked
from cscbook.core.errors import CSCBookError
from cscbook.core.inputs import excerpt
from cscbook.data import manifest
from cscbook.data.register import register
from cscbook.data.tables import TABLES, read_release

#: Columns whose values name the table a file holds (EES ``category``, ONS ``age_group``).
IDENTITY_COLUMNS = ("category", "age_group")


@dataclass
class Checked:
    """A checked release, ready to install: its bytes, rows (excluding the header), years covered (first, last),
    years it adds, the cells of earlier years it revises and, for Ofsted, the inspections it adds."""

    content: bytes
    rows: int
    years: tuple[int, int]
    new_years: list[int]
    revisions: pd.DataFrame
    new_records: int = 0
    #: the publisher's spreadsheet the table was extracted from (kept beside it as a release of ``ofsted_outcomes``)
    original: Path | None = None
    sheet: str = ""



def sniff(path: Path) -> None:
    """Refuse files that are plainly not a CSV: missing, empty, web pages, spreadsheets, binaries."""
    name = path.name
    if not path.is_file():
        raise CSCBookError(f"{path}: file not found or not a file; give the path of the downloaded CSV")
    head = path.read_bytes()[:4096]
    if not head.strip():
        raise CSCBookError(f"{name}: the file is empty; download the release again")
    text = head.lstrip(b"\xef\xbb\xbf").lstrip().lower()
    if text.startswith((b"<!doctype html", b"<html", b"<?xml", b"<head", b"<body")) or b"<html" in text[:512]:
        raise CSCBookError(f"{name}: this is a web page (HTML), not a CSV; the download probably failed or "
                           "needed a click-through: download the CSV file again")
    if head.startswith(b"PK\x03\x04"):
        raise CSCBookError(f"{name}: this is a spreadsheet or zip archive, not a CSV; download the data set as "
                           "CSV (or unzip it and give the CSV inside)")
    if b"\x00" in head:
        raise CSCBookError(f"{name}: this is a binary file, not a CSV; download the data set as CSV")


def _needed(table: str) -> list[str]:
    """Columns a file of ``table`` must have (children looked after: measures are rows, not columns)."""
    spec = TABLES[table]
    return [*spec.required, *(spec.measures if table != "cla" else ())]


def which_table(columns: list[str]) -> str | None:
    """The first table of :data:`~cscbook.data.tables.TABLES` whose needed columns are all in ``columns``, or
    None (to name the table a wrongly labelled file holds)."""
    cols = set(columns)
    return next((name for name in TABLES if set(_needed(name)) <= cols), None)


def _check_columns(frame: pd.DataFrame, table: str, name: str) -> None:
    needed = _needed(table)
    missing = [c for c in needed if c not in frame.columns]
    if not missing:
        return
    other = which_table(list(frame.columns))
    if other and other != table:
        raise CSCBookError(f"{name}: this file holds table {other!r}, not {table!r} (it has no column "
                           f"{missing[0]!r}); run 'cscbook data add {name} --table {other}'")
    raise CSCBookError(f"{name}: column {missing[0]!r} is missing, so this is not the {table} table "
                       f"(or the publisher changed its layout); download the {table} data set again")


def _check_identity(new: pd.DataFrame, old: pd.DataFrame, table: str, name: str, old_name: str) -> None:
    for col in IDENTITY_COLUMNS:
        if col in new.columns and col in old.columns:
            extra = sorted(set(new[col].str.strip()) - set(old[col].str.strip()))
            if extra:
                have = ", ".join(repr(v) for v in sorted(set(old[col].str.strip())))
                raise CSCBookError(f"{name}: column {col!r} holds {extra[0]!r} but the {table} table holds {have} "
                                   f"({old_name}); this is a different table with similar columns")


def _key(t: pd.DataFrame) -> pd.Series:
    return t["old_la_code"].where(t["level"] == "Local authority",
                                  t["region_name"].where(t["level"] == "Regional", "England"))


def _check_unique(t: pd.DataFrame, table: str, name: str) -> None:
    la = t[t["level"] == "Local authority"]
    dup = la.duplicated(["old_la_code", "year", "measure"])
    if dup.any():
        r = la[dup].iloc[0]
        raise CSCBookError(f"{name}: council {r['old_la_code']} ({r['la_name']}) has more than one row for "
                           f"{r['year']}; the file is broken down further than the {table} table "
                           "(a different table with a similar name?)")


def _councils(t: pd.DataFrame) -> dict[int, dict[str, str]]:
    la = t[t["level"] == "Local authority"]
    return {int(y): dict(zip(g["old_la_code"], g["la_name"])) for y, g in la.groupby("year")}


def _retired(curated: Path) -> dict[str, int]:
    """Councils abolished by a reorganisation: code -> last year it reported."""
    path = curated / "la_reorganisations.csv"
    if not path.exists():
        return {}
    reorg = read_csv_checked(path, ["predecessor_code", "successor_code", "last_year_of_predecessor"])
    out = {}
    for r in reorg.itertuples(index=False):
        if r.predecessor_code != r.successor_code and str(r.last_year_of_predecessor).strip():
            out[r.predecessor_code] = int(r.last_year_of_predecessor)
    return out


def _check_series(new: pd.DataFrame, old: pd.DataFrame, table: str, name: str, old_name: str,
                  curated: Path) -> list[int]:
    """The new file continues the installed series; returns the years it adds."""
    old_years, new_years = set(old["year"]), set(new["year"])
    lacking = sorted(old_years - new_years)
    if lacking:
        raise CSCBookError(
            f"{name}: covers {min(new_years)}-{max(new_years)} but the installed {table} release ({old_name}) covers "
            f"{min(old_years)}-{max(old_years)}: years {', '.join(map(str, lacking))} are missing; "
            "download the full time series")
    missing_levels = sorted(set(old["level"]) - set(new["level"]))
    if missing_levels:
        raise CSCBookError(f"{name}: has no {missing_levels[0]!r} rows, which the {table} table needs; "
                           "download the data set with every geographic level")
    old_la, new_la = _councils(old), _councils(new)
    retired = _retired(curated)
    last = max(old_years)
    for year in sorted(new_years):
        if year in old_la:
            expected = old_la[year]
        else:
            expected = {c: n for c, n in old_la[last].items() if retired.get(c, 9999) >= year}
        gone = [c for c in expected if c not in new_la.get(year, {})]
        if gone:
            listed = ", ".join(f"{c} {expected[c]}" for c in gone[:3])
            more = f" and {len(gone) - 3} more" if len(gone) > 3 else ""
            raise CSCBookError(f"{name}: councils missing for {year}: {listed}{more} (the installed {table} "
                               f"release has them); download the file with every local authority")
    return sorted(new_years - old_years)


#: a headline count (each table's first measure) that grows more than this factor in a year, or falls below its
#: inverse, is held back until ``--accept-revision`` says it is right. The shipped series' largest one-year moves
#: (councils with 100 or more the year before, 2013-2025) are 2.5 times and 0.28 times (referrals, table C1), so
#: every published year passes; a figure keyed wrong by orders of magnitude does not.
MOVE_FACTOR = 4.0
#: below this many the year before, a count is compared with this many instead (small counts swing)
MOVE_BASE = 100.0
#: problems listed before "and N more"
MAX_PROBLEMS = 20


def check_values(new: pd.DataFrame, table: str, name: str, known_codes, accept_revision: bool = False,
                 old: pd.DataFrame | None = None) -> list[str]:
    """Checks a release's figures like user input: one line per problem (empty: it passes).

    Every value is finite and 0 or more; percentages are at most 100; every council code is in the register;
    a headline count whose year-on-year move is beyond :data:`MOVE_FACTOR` needs ``accept_revision`` (with
    ``old``, the installed release, only where the later year's figure is new or revised).
    """
    problems: list[str] = []
    values = pd.to_numeric(new["value"], errors="coerce")
    where = lambda r: (f"{r['old_la_code']} {excerpt(str(r['la_name']), 30)}" if r["level"] == "Local authority"
                       else str(r["region_name"] or "England")[:40])
    bad = new[~np.isfinite(values) & values.notna()]
    for _, r in bad.head(MAX_PROBLEMS).iterrows():
        problems.append(f"{name}: {where(r)} {r['year']} {r['measure']}: {excerpt(r['value'])} is not a finite "
                        "number; download the release again")
    neg = new[values < 0]
    for _, r in neg.head(MAX_PROBLEMS).iterrows():
        problems.append(f"{name}: {where(r)} {r['year']} {r['measure']}: {excerpt(r['value'])} is negative; "
                        "counts and rates cannot be below 0")
    pct = new[new["measure"].str.endswith("_percent") & (values > 100) & np.isfinite(values)]
    for _, r in pct.head(MAX_PROBLEMS).iterrows():
        problems.append(f"{name}: {where(r)} {r['year']} {r['measure']}: {excerpt(r['value'])} is above 100 "
                        "per cent")
    la = new[new["level"] == "Local authority"]
    unknown = sorted(set(la["old_la_code"]) - set(known_codes))
    for code in unknown[:MAX_PROBLEMS]:
        r = la[la["old_la_code"] == code].iloc[0]
        problems.append(f"{name}: council code {excerpt(str(code), 12)} (named {excerpt(str(r['la_name']), 30)}) is "
                        "not in the register of councils; check the file, or add a reorganisation to "
                        "data/curated/la_reorganisations.csv first")
    headline = TABLES[table].measures[0] if table in TABLES else None
    if headline is not None and not accept_revision:
        h = new[(new["measure"] == headline)].assign(value=values)
        h = h[np.isfinite(h["value"]) & (h["value"] >= 0)]  # impossible values are reported above
        h = h.assign(key=_key(h)).drop_duplicates(["level", "key", "year"])
        wide = h.pivot(index=["level", "key"], columns="year", values="value").sort_index(axis=1)
        years = list(wide.columns)
        unchanged = set()
        if old is not None:
            o = old[old["measure"] == headline]
            o = o.assign(key=_key(o), value=pd.to_numeric(o["value"], errors="coerce"))
            same = h.merge(o, on=["level", "key", "year"], suffixes=("", "_old"))
            same = same[np.isclose(same["value"], same["value_old"], rtol=0, atol=1e-9)]
            unchanged = set(zip(same["level"], same["key"], same["year"]))
        moves = []
        for before, after in zip(years, years[1:]):
            a, b = wide[before], wide[after]
            base = a.clip(lower=MOVE_BASE)
            jump = (b > base * MOVE_FACTOR) | ((a >= MOVE_BASE) & (b < a / MOVE_FACTOR))
            for (level, key), ok in jump.items():
                if ok and (level, key, after) not in unchanged:
                    moves.append((after, level, key, a[(level, key)], b[(level, key)]))
        for year, level, key, a, b in sorted(moves, key=lambda m: -m[0])[:MAX_PROBLEMS]:
            problems.append(f"{name}: {excerpt(str(key), 30)} {headline} moves from {a:,.0f} in {year - 1} to "
                            f"{b:,.0f} in {year}, beyond {MOVE_FACTOR:g} times either way; check it with the "
                            "publisher, then add --accept-revision if it is right")
    if len(problems) > MAX_PROBLEMS:
        problems = problems[:MAX_PROBLEMS] + [f"{name}: and {len(problems) - MAX_PROBLEMS} more problems"]
    return problems


def _revisions(new: pd.DataFrame, old: pd.DataFrame) -> pd.DataFrame:
    """Cells of earlier years whose value or status changed: year, level, key, la_name, measure, old, new."""
    keys = ["level", "key", "year", "measure"]
    a = old.assign(key=_key(old)).drop_duplicates(keys)
    b = new.assign(key=_key(new)).drop_duplicates(keys)
    m = a.merge(b, on=keys, how="inner", suffixes=("_old", "_new"))
    same_value = np.isclose(m["value_old"], m["value_new"], rtol=0, atol=1e-9, equal_nan=True)
    changed = m[~same_value | (m["status_old"] != m["status_new"])]
    out = pd.DataFrame({
        "year": changed["year"], "level": changed["level"], "key": changed["key"],
        "geography": np.where(changed["level"] == "Local authority",
                              changed["key"] + " " + changed["la_name_new"], changed["key"]),
        "measure": changed["measure"], "old": changed["value_old"], "new": changed["value_new"],
    })
    out["change"] = (out["new"] - out["old"]).abs()
    return out.sort_values(["change", "year"], ascending=[False, True], na_position="last").reset_index(drop=True)


def check_ees(file: Path, table: str, official: Path, prev: manifest.Release, curated: Path,
               accept_revision: bool = False) -> Checked:
    """Checks for a DfE / ONS time-series CSV (Explore Education Statistics layout)."""
    name = file.name
    sniff(file)
    raw = read_csv_checked(file, [])
    _check_columns(raw, table, name)
    old_raw = read_csv_checked(official / prev.file, [])
    _check_identity(raw, old_raw, table, name, prev.file)
    new = read_release(table, file)
    if new.empty:
        raise CSCBookError(f"{name}: has a header but no rows; download the release again")
    _check_unique(new, table, name)
    old = read_release(table, official / prev.file)

    known = set(register().index) | set(old.loc[old["level"] == "Local authority", "old_la_code"])
    problems = check_values(new, table, name, known, accept_revision, old)
    if problems:
        raise CSCBookError("\n".join(problems))
    new_years = _check_series(new, old, table, name, prev.file, curated)
    years = (int(new["year"].min()), int(new["year"].max()))
    return Checked(file.read_bytes(), int(len(raw)), years, new_years, _revisions(new, old))
