"""Adding a new official release to ``data/official`` and reporting what is installed.

``cscbook data add FILE --table NAME [--published YYYY-MM-DD]`` checks a newly downloaded release (for
example DfE's time-series CSV from Explore Education Statistics) against what the table needs and against
the release already installed, reports the revisions it finds, and installs it beside the old releases
with an entry in ``data/official/manifest.yml``, ``data/official/PROVENANCE.md`` and, where the repository
has it, ``book/data_sources.md``. Nothing is installed unless every check passes; every file is written to
a temporary file first and moved into place at the end, the manifest last.

``cscbook data status`` lists each table, its years, its release date, the newest quarter an edition can
be built for, and releases that are probably due but not yet added (from ``data/curated/releases.csv``).

Tables that ``data add`` can take: the DfE children in need tables, children looked after (the EES file
from 2019), the workforce census and the population estimates (:data:`cscbook.data.tables.TABLES`), and Ofsted's
ILACS inspection history (``ofsted_ilacs_history``), as the CSV extract or as Ofsted's "Local authority
inspection outcomes" spreadsheet (ODS), whose sheet ``ILACS_inspection_history`` is extracted and which is
kept beside it. ``latest_quarter(root)`` is the newest quarter an edition can be built for.
"""

from __future__ import annotations

import difflib
import hashlib
import io
import os
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from cscbook.core import paths
from cscbook.core.csvfile import read_csv_checked
from cscbook.core.errors import CSCBookError
from cscbook.core.inputs import escape_markdown, excerpt, one_line
from cscbook.core.output import FORMATS, render
from cscbook.core.quarters import Quarter
from cscbook.data import manifest
from cscbook.data.ofsted import GRADES, ILACS_SUBS
from cscbook.data.register import register
from cscbook.data.releases import latest_quarter, releases
from cscbook.data.tables import TABLES, read_release

#: Ofsted's ILACS inspection history: a CSV extract, or the publisher's spreadsheet it is extracted from.
OFSTED_HISTORY = "ofsted_ilacs_history"
OFSTED_ORIGINAL = "ofsted_outcomes"
OFSTED_SHEET = "ILACS_inspection_history"
OFSTED_KEY = ["Local authority area code", "Inspection date"]
OFSTED_DATES = ["Inspection date", "Publication date"]
OFSTED_REQUIRED = ["Local authority area code", "Local authority name", "Inspection date", "Publication date",
                   "Inspection type", "Overall effectiveness"]
#: Columns whose values name the table a file holds (EES ``category``, ONS ``age_group``).
IDENTITY_COLUMNS = ("category", "age_group")
#: Largest revisions listed in a report.
TOP_REVISIONS = 5
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


@dataclass
class AddReport:
    """What ``data add`` found and installed."""

    table: str
    source: str
    file: str
    published: date
    years: tuple[int, int]
    new_years: list[int]
    sha256: str
    previous: str
    revised_cells: int
    revised_by_year: dict[int, int] = field(default_factory=dict)
    #: the largest revisions: year, geography, measure, old, new, change
    largest: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: rows added that the previous release did not have (Ofsted: inspections)
    new_records: int = 0
    #: the publisher's spreadsheet, kept beside the extract
    also_installed: str = ""

    def text(self) -> str:
        lines = [
            f"installed {self.source} as data/official/{self.file} (table {self.table}, published "
            f"{self.published.isoformat()}, years {self.years[0]}-{self.years[1]}, sha256 {self.sha256[:12]}...)",
            f"new years: {', '.join(map(str, self.new_years)) or 'none'}",
        ]
        if self.new_records:
            lines.append(f"new inspections: {self.new_records}")
        if self.also_installed:
            lines.append(f"the spreadsheet it was extracted from is kept as data/official/{self.also_installed}")
        if self.revised_cells:
            by_year = ", ".join(f"{y}: {n}" for y, n in sorted(self.revised_by_year.items()))
            cells = "cell" if self.revised_cells == 1 else "cells"
            lines.append(f"revisions against {self.previous}: {self.revised_cells} {cells} ({by_year})")
            lines.append("largest revisions:")
            for r in self.largest.itertuples(index=False):
                lines.append(f"  {r.year} {r.geography}: {r.measure} {_fmt(r.old)} -> {_fmt(r.new)}")
        else:
            lines.append(f"revisions against {self.previous}: none (earlier years unchanged)")
        lines.append(f"editions for {Quarter.of(self.published)} onwards show it; earlier editions keep "
                     f"{self.previous}; run 'cscbook data status' to see every table")
        return "\n".join(lines)


def _fmt(v) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)) or v == "":
        return "(not published)"
    if isinstance(v, str):
        return repr(v)
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}"


def _official(root: Path) -> Path:
    return Path(root) / "data" / "official"


# ----------------------------------------------------------------------------------------- checks


def _check_table(table: str, tables: dict[str, manifest.TableEntry]) -> None:
    addable = sorted(t for t in [*TABLES, OFSTED_HISTORY] if t in tables)
    if table in addable:
        return
    if table in tables:
        raise CSCBookError(f"--table {table}: this file is kept as published and cannot be added with "
                           f"'cscbook data add'; tables it can add: {', '.join(addable)}")
    close = difflib.get_close_matches(table, addable, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise CSCBookError(f"--table {table!r} is not a table: {hint}choose one of {', '.join(addable)}")


def _sniff(path: Path) -> None:
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


def _which_table(columns: list[str]) -> str | None:
    cols = set(columns)
    return next((name for name in TABLES if set(_needed(name)) <= cols), None)


def _check_columns(frame: pd.DataFrame, table: str, name: str) -> None:
    needed = _needed(table)
    missing = [c for c in needed if c not in frame.columns]
    if not missing:
        return
    other = _which_table(list(frame.columns))
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


# ----------------------------------------------------------------------------------------- Ofsted


def _read_ofsted(file: Path) -> tuple[pd.DataFrame, int, Path | None]:
    """The ILACS history as text cells, the line (or sheet row) of its first data row, and the spreadsheet."""
    name = file.name
    if not file.read_bytes()[:4].startswith(b"PK\x03\x04"):
        _sniff(file)
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


def _check_ofsted(file: Path, installed: Path) -> _Checked:
    """Checks for a release of Ofsted's ILACS inspection history (CSV extract or the publisher's ODS)."""
    name = file.name
    frame, first, original = _read_ofsted(file)
    where = (lambda i: f"sheet {OFSTED_SHEET} row {first + i}") if original else (lambda i: f"line {first + i}")
    old = read_csv_checked(installed, OFSTED_REQUIRED)
    missing = [c for c in old.columns if c not in frame.columns]
    if missing:
        other = _which_table(list(frame.columns))
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
    return _Checked(content, int(len(frame)), (int(pub_years.min()), int(pub_years.max())),
                    sorted(set(int(y) for y in pub_years) - old_years), revisions,
                    new_records=len(new_keys - old_keys), original=original, sheet=OFSTED_SHEET if original else "")


def _original_name(original: Path, official: Path) -> str:
    stem = re.sub(r"[^A-Za-z0-9_]+", "_", original.stem).strip("_")
    name = (stem if stem.lower().startswith("ofsted") else f"ofsted_{stem}") + original.suffix.lower()
    if (official / name).exists():
        raise CSCBookError(f"data/official/{name} already exists; this spreadsheet seems to be installed already")
    return name


def _original_entry(rel: manifest.Release, extract: str) -> str:
    return "\n".join([
        f"## {rel.file}",
        "",
        f"- **Table:** `{rel.table}` (the publisher's spreadsheet)",
        f"- **Publisher:** {escape_markdown(rel.publisher)}",
        f"- **Title:** {escape_markdown(rel.title)}",
        *([f"- **Source:** {one_line(rel.url)}"] if rel.url else []),
        f"- **Published:** {rel.published.isoformat()}",
        f"- **Date added:** {rel.added.isoformat()} with `cscbook data add`",
        f"- **SHA-256:** `{rel.sha256}`",
        f"- **Notes / processing:** Original spreadsheet, unmodified. `{extract}` is extracted from its sheet "
        f"{OFSTED_SHEET} (header row found by its 'Local authority area code' cell; 'Web link' column dropped; "
        "dates as YYYY-MM-DD).",
        "",
    ])


# ----------------------------------------------------------------------------------------- install


def _target_name(previous: str, years: tuple[int, int], published: date, official: Path) -> str:
    stem, suffix = os.path.splitext(previous)
    m = re.fullmatch(r"(.*)_(\d{4})_(\d{4})", stem)
    name = f"{m.group(1)}_{years[0]}_{years[1]}{suffix}" if m else f"{stem}_{published.isoformat()}{suffix}"
    if (official / name).exists():
        name = f"{os.path.splitext(name)[0]}_published_{published.isoformat()}{suffix}"
    if (official / name).exists():
        raise CSCBookError(f"data/official/{name} already exists; this release seems to be installed already")
    return name


def _provenance_entry(rel: manifest.Release, source: str, rows: int, report: AddReport, entry_title: str) -> str:
    revisions = (f"{report.revised_cells} cell(s) of earlier years revised" if report.revised_cells
                 else "earlier years unchanged")
    return "\n".join([
        f"## {rel.file}",
        "",
        f"- **Table:** `{rel.table}` ({entry_title})",
        f"- **Publisher:** {escape_markdown(rel.publisher)}",
        f"- **Title:** {escape_markdown(rel.title)}",
        *([f"- **Source:** {one_line(rel.url)}"] if rel.url else []),
        f"- **Published:** {rel.published.isoformat()}",
        f"- **Date added:** {rel.added.isoformat()} with `cscbook data add` (downloaded file `{source}`)",
        f"- **Years covered:** {rel.years[0]}–{rel.years[1]}",
        f"- **SHA-256:** `{rel.sha256}`",
        f"- **Rows (excluding header):** {rows}",
        f"- **Notes / processing:** Unmodified copy. Follows `{report.previous}` (kept for earlier editions): "
        f"new years {', '.join(map(str, report.new_years)) or 'none'}; {revisions}.",
        "",
    ])


def _insert_provenance(text: str, section: str) -> str:
    marker = "\n## Searched for but NOT found"
    if marker in text:
        i = text.index(marker)
        return text[:i].rstrip("\n") + "\n\n" + section + text[i:]
    return text.rstrip("\n") + "\n\n" + section


def _insert_source_row(text: str, previous: str, row: str) -> str:
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line.startswith(f"| `{previous}` |"):
            lines.insert(i + 1, row)
            return "\n".join(lines)
    return text.rstrip("\n") + "\n\n" + row + "\n"


def _write_temp(folder: Path, data: bytes) -> Path:
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".adding-", suffix=".tmp")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return Path(tmp)


@dataclass
class _Checked:
    """A checked release, ready to install."""

    content: bytes
    rows: int
    years: tuple[int, int]
    new_years: list[int]
    revisions: pd.DataFrame
    new_records: int = 0
    #: the publisher's spreadsheet the table was extracted from (kept beside it as a release of ``ofsted_outcomes``)
    original: Path | None = None
    sheet: str = ""


def _check_ees(file: Path, table: str, official: Path, prev: manifest.Release, curated: Path,
               accept_revision: bool = False) -> _Checked:
    """Checks for a DfE / ONS time-series CSV (Explore Education Statistics layout)."""
    name = file.name
    _sniff(file)
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
    return _Checked(file.read_bytes(), int(len(raw)), years, new_years, _revisions(new, old))


def add_release(file: Path, table: str, published: date | None, root: Path, *, title: str | None = None,
                publisher: str | None = None, url: str | None = None, today: date | None = None,
                accept_revision: bool = False) -> AddReport:
    """Check a downloaded release of ``table`` and install it in ``root``/data/official.

    ``published`` is the publisher's release date (default: ``today``, so no earlier edition sees it).
    Raises :class:`CSCBookError` with one line per problem, installing nothing, if the file is not a release of
    the table, does not continue the installed series, cannot be parsed, or holds impossible figures (negative or
    infinite values, council codes not in the register, a headline count moving beyond :data:`MOVE_FACTOR` in a
    year unless ``accept_revision``; see :func:`check_values`).
    """
    file, root = Path(file), Path(root)
    today = today or date.today()
    official, curated = _official(root), Path(root) / "data" / "curated"
    tables = manifest.read(official)
    _check_table(table, tables)
    if not file.is_file():
        raise CSCBookError(f"{file}: file not found or not a file; give the path of the downloaded file")
    entry = tables[table]
    prev = entry.newest
    name = file.name
    if table == OFSTED_HISTORY:
        checked = _check_ofsted(file, official / prev.file)
    else:
        checked = _check_ees(file, table, official, prev, curated, accept_revision)
    revisions = checked.revisions
    if not checked.new_years and not checked.new_records and revisions.empty:
        raise CSCBookError(f"{name}: same years and figures as the installed {table} release ({prev.file}); "
                           "nothing to add")
    published = published or today
    if published > today:
        raise CSCBookError(f"--published {published.isoformat()} is in the future; give the date the publisher "
                           "released the file")
    if prev.published is not None and published <= prev.published:
        raise CSCBookError(f"--published {published.isoformat()}: the installed {table} release ({prev.file}) was "
                           f"published on {prev.published.isoformat()}; a newer release must be published later")
    sha = hashlib.sha256(checked.content).hexdigest()
    same = [r.file for r in entry.releases if r.sha256 == sha]
    if same:
        raise CSCBookError(f"{name}: already installed as data/official/{same[0]}")
    years = checked.years
    target = _target_name(prev.file, years, published, official)
    rel = manifest.Release(
        table=table, file=target, publisher=publisher or prev.publisher,
        title=title or f"{entry.title}, {years[0]} to {years[1]} (downloaded as {name})",
        published=published, years=years, sha256=sha, added=today, url=url if url is not None else prev.url,
        note=f"extracted from {checked.original.name}, sheet {checked.sheet}" if checked.original else "",
    )
    by_year = revisions.groupby("year").size()
    report = AddReport(
        table=table, source=name, file=target, published=published, years=years, new_years=checked.new_years,
        sha256=sha, previous=prev.file, revised_cells=len(revisions),
        revised_by_year={int(y): int(n) for y, n in by_year.items()}, largest=revisions.head(TOP_REVISIONS),
        new_records=checked.new_records,
    )
    tables = dict(tables)
    tables[table] = manifest.TableEntry(entry.name, entry.title, entry.collection, (*entry.releases, rel))
    installs = [(rel, checked.content, prev.file)]
    sections = [_provenance_entry(rel, name, checked.rows, report, entry.title)]
    if checked.original is not None:
        orig_entry = tables[OFSTED_ORIGINAL]
        original = manifest.Release(
            table=OFSTED_ORIGINAL, file=_original_name(checked.original, official), publisher=rel.publisher,
            title=title or f"{orig_entry.title} (downloaded as {checked.original.name})", published=published,
            years=None, sha256=manifest.sha256_of(checked.original), added=today, url=rel.url,
            note=f"{target} is extracted from its sheet {checked.sheet}",
        )
        tables[OFSTED_ORIGINAL] = manifest.TableEntry(orig_entry.name, orig_entry.title, orig_entry.collection,
                                                      (*orig_entry.releases, original))
        installs.append((original, checked.original.read_bytes(), orig_entry.newest.file))
        sections.append(_original_entry(original, target))
        report.also_installed = original.file
    _install(root, tables, installs, sections, entry.title, today)
    return report


def _install(root: Path, tables: dict[str, manifest.TableEntry],
             installs: list[tuple[manifest.Release, bytes, str]], sections: list[str], table_title: str,
             today: date) -> None:
    """Write the files, provenance, data sources row and manifest: temporary files first, then moved into
    place with the manifest last, so an interruption leaves at most an unlisted file that no edition reads."""
    official = _official(root)
    writes: list[tuple[Path, Path]] = []
    try:
        for rel, content, _ in installs:
            writes.append((_write_temp(official, content), official / rel.file))
        prov_path = official / "PROVENANCE.md"
        prov = prov_path.read_text(encoding="utf-8") if prov_path.exists() else "# Official data — provenance\n"
        for section in sections:
            prov = _insert_provenance(prov, section)
        writes.append((_write_temp(official, prov.encode("utf-8")), prov_path))
        sources = root / "book" / "data_sources.md"
        if sources.exists():
            text = sources.read_text(encoding="utf-8")
            for rel, _, previous in installs:
                years = f"{rel.years[0]}–{rel.years[1]}" if rel.years else ""
                row = (f"| `{rel.file}` | {escape_markdown(rel.publisher)}, added {today.isoformat()} | "
                       f"{tables[rel.table].title} (release published {rel.published.isoformat()}) | {years} |")
                text = _insert_source_row(text, previous, row)
            writes.append((_write_temp(sources.parent, text.encode("utf-8")), sources))
        writes.append((_write_temp(official, manifest.dump(tables).encode("utf-8")), official / manifest.MANIFEST))
    except BaseException:
        for tmp, _ in writes:
            tmp.unlink(missing_ok=True)
        raise
    for tmp, dest in writes:
        os.replace(tmp, dest)


# ----------------------------------------------------------------------------------------- status


def _due(collection_row, newest_year: int, today: date) -> str:
    """'' or the release of the next year, if the calendar says it should be out by ``today``."""
    year = newest_year + 1
    pub_year = year + int(collection_row["publication_year_offset"])
    month = int(collection_row["publication_month"])
    due_from = date(pub_year + (month == 12), month % 12 + 1, 1)  # the month after the expected one
    if today >= due_from:
        return f"{year} expected {MONTHS[month - 1]} {pub_year}"
    return ""


def status_frame(root: Path, today: date | None = None) -> pd.DataFrame:
    """One row per official table: table, years, published, releases, file, editions_to, checksum, due.

    ``editions_to`` is the quarter of the table's newest release (editions from then on show it);
    ``checksum`` says whether the file still matches the manifest; ``due`` names the next release the
    calendar (``data/curated/releases.csv``) says should have been published by ``today`` but is not added.
    """
    root = Path(root)
    today = today or date.today()
    official, curated = _official(root), root / "data" / "curated"
    cal = releases(curated)
    by_table = {t: row for _, row in cal.iterrows() for t in row["tables"].split()}
    rows = []
    for name, entry in manifest.read(official).items():
        rel = entry.newest
        path = official / rel.file
        check = ("missing" if not path.exists() else "ok" if manifest.sha256_of(path) == rel.sha256 else "changed")
        due = _due(by_table[name], rel.years[1], today) if name in by_table and rel.years else ""
        rows.append({
            "table": name,
            "years": f"{rel.years[0]}-{rel.years[1]}" if rel.years else "",
            "published": rel.published.isoformat() if rel.published else "",
            "releases": len(entry.releases),
            "file": rel.file,
            "editions_from": str(Quarter.of(rel.published)) if rel.published and name in by_table else "",
            "checksum": check,
            "due": due,
        })
    return pd.DataFrame(rows)


def status(root: Path, today: date | None = None) -> str:
    """The text ``cscbook data status`` prints."""
    frame = status_frame(root, today)
    lines = [render(frame, "table"), "", f"newest edition: {latest_quarter(root)} "
             "(the quarter of the newest release of a table with a release calendar)"]
    due = frame[frame["due"] != ""]
    if len(due):
        lines.append("probably due but not added (data/curated/releases.csv): " + "; ".join(
            f"{r.table} {r.due}" for r in due.itertuples(index=False)))
    changed = frame[frame["checksum"] != "ok"]
    if len(changed):
        lines.append("files that no longer match their checksum: " + ", ".join(
            f"{r.file} ({r.checksum})" for r in changed.itertuples(index=False))
            + "; restore them with git checkout -- data/official")
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------- command line


def _cmd_add(args) -> str:
    published = None
    if args.published:
        try:
            published = date.fromisoformat(args.published)
        except ValueError:
            raise CSCBookError(f"--published {args.published!r} is not a date: write YYYY-MM-DD, "
                               "e.g. 2026-10-29") from None
    report = add_release(Path(args.file), args.table, published, paths.repo_root(), title=args.title,
                         publisher=args.publisher, url=args.url, accept_revision=args.accept_revision)
    return report.text()


def _cmd_status(args) -> str:
    if args.format == "table":
        return status(paths.repo_root())
    return render(status_frame(paths.repo_root()), args.format)


def register_cli(subparsers) -> None:
    """Add ``cscbook data add`` and ``cscbook data status`` to the command line's subparsers."""
    p = subparsers.add_parser("data", help="official data: add a new release, list what is installed")
    sub = p.add_subparsers(dest="data_command", required=True, parser_class=type(p))
    a = sub.add_parser("add", help="check a downloaded release and install it beside the old ones")
    a.add_argument("file", help="the downloaded file (CSV)")
    a.add_argument("--table", required=True, help=f"the table it holds: {', '.join(TABLES)}")
    a.add_argument("--published", help="the publisher's release date YYYY-MM-DD (default: today)")
    a.add_argument("--title", help="the release's title (default: the table's title and years)")
    a.add_argument("--publisher", help="default: the publisher of the installed release")
    a.add_argument("--url", help="where it was downloaded from (default: that of the installed release)")
    a.add_argument("--accept-revision", action="store_true",
                   help=f"install even if a headline count moves more than {MOVE_FACTOR:g} times in a year "
                        "(after checking it with the publisher)")
    a.set_defaults(func=_cmd_add)
    s = sub.add_parser("status", help="each table: years, release date, newest edition, releases due")
    s.add_argument("--format", choices=FORMATS, default="table")
    s.set_defaults(func=_cmd_status)
