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
from 2019), the workforce census and the population estimates (:data:`cscbook.data.TABLES`).
"""

from __future__ import annotations

import difflib
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from . import manifest
from .data import TABLES, read_csv_checked, read_release
from .errors import CSCBookError
from .quarters import Quarter, latest_quarter, releases

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

    def text(self) -> str:
        lines = [
            f"installed {self.source} as data/official/{self.file} (table {self.table}, published "
            f"{self.published.isoformat()}, years {self.years[0]}-{self.years[1]}, sha256 {self.sha256[:12]}...)",
            f"new years: {', '.join(map(str, self.new_years)) or 'none'}",
        ]
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


def _fmt(v: float) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return "(not published)"
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}"


def _official(root: Path) -> Path:
    return Path(root) / "data" / "official"


# ----------------------------------------------------------------------------------------- checks


def _check_table(table: str, tables: dict[str, manifest.TableEntry]) -> None:
    if table in TABLES and table in tables:
        return
    addable = sorted(t for t in TABLES if t in tables)
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
        f"- **Publisher:** {rel.publisher}",
        f"- **Title:** {rel.title}",
        *([f"- **Source:** {rel.url}"] if rel.url else []),
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


def add_release(file: Path, table: str, published: date | None, root: Path, *, title: str | None = None,
                publisher: str | None = None, url: str | None = None, today: date | None = None) -> AddReport:
    """Check a downloaded release of ``table`` and install it in ``root``/data/official.

    ``published`` is the publisher's release date (default: ``today``, so no earlier edition sees it).
    Raises :class:`CSCBookError` with one line, installing nothing, if the file is not a release of the
    table, does not continue the installed series, or cannot be parsed.
    """
    file, root = Path(file), Path(root)
    today = today or date.today()
    official, curated = _official(root), Path(root) / "data" / "curated"
    tables = manifest.read(official)
    _check_table(table, tables)
    _sniff(file)
    entry = tables[table]
    prev = entry.newest
    name = file.name
    raw = read_csv_checked(file, [])
    _check_columns(raw, table, name)
    old_raw = read_csv_checked(official / prev.file, [])
    _check_identity(raw, old_raw, table, name, prev.file)
    new = read_release(table, file)
    if new.empty:
        raise CSCBookError(f"{name}: has a header but no rows; download the release again")
    _check_unique(new, table, name)
    old = read_release(table, official / prev.file)
    new_years = _check_series(new, old, table, name, prev.file, curated)
    revisions = _revisions(new, old)
    if not new_years and revisions.empty:
        raise CSCBookError(f"{name}: same years and figures as the installed {table} release ({prev.file}); "
                           "nothing to add")
    published = published or today
    if published > today:
        raise CSCBookError(f"--published {published.isoformat()} is in the future; give the date the publisher "
                           "released the file")
    if prev.published is not None and published <= prev.published:
        raise CSCBookError(f"--published {published.isoformat()}: the installed {table} release ({prev.file}) was "
                           f"published on {prev.published.isoformat()}; a newer release must be published later")
    sha = manifest.sha256_of(file)
    same = [r.file for r in entry.releases if r.sha256 == sha]
    if same:
        raise CSCBookError(f"{name}: already installed as data/official/{same[0]}")
    years = (int(new["year"].min()), int(new["year"].max()))
    target = _target_name(prev.file, years, published, official)
    rel = manifest.Release(
        table=table, file=target, publisher=publisher or prev.publisher,
        title=title or f"{entry.title}, {years[0]} to {years[1]} (downloaded as {name})",
        published=published, years=years, sha256=sha, added=today, url=url if url is not None else prev.url,
    )
    by_year = revisions.groupby("year").size()
    report = AddReport(
        table=table, source=name, file=target, published=published, years=years, new_years=new_years, sha256=sha,
        previous=prev.file, revised_cells=len(revisions), revised_by_year={int(y): int(n) for y, n in by_year.items()},
        largest=revisions.head(TOP_REVISIONS),
    )
    # Everything is prepared as temporary files first; the manifest is replaced last, so an interruption
    # leaves at most an unlisted file that no edition reads.
    tables = dict(tables)
    tables[table] = manifest.TableEntry(entry.name, entry.title, entry.collection, (*entry.releases, rel))
    rows = int(len(raw))
    writes: list[tuple[Path, Path]] = []
    try:
        fd, tmp_data = tempfile.mkstemp(dir=official, prefix=".adding-", suffix=".tmp")
        os.close(fd)
        shutil.copyfile(file, tmp_data)
        writes.append((Path(tmp_data), official / target))
        prov_path = official / "PROVENANCE.md"
        prov = prov_path.read_text(encoding="utf-8") if prov_path.exists() else "# Official data — provenance\n"
        prov = _insert_provenance(prov, _provenance_entry(rel, name, rows, report, entry.title))
        writes.append((_write_temp(official, prov.encode("utf-8")), prov_path))
        sources = root / "book" / "data_sources.md"
        if sources.exists():
            row = (f"| `{target}` | {rel.publisher}, added {today.isoformat()} | {entry.title} "
                   f"(release published {published.isoformat()}) | {years[0]}–{years[1]} |")
            text = _insert_source_row(sources.read_text(encoding="utf-8"), prev.file, row)
            fd, tmp = tempfile.mkstemp(dir=sources.parent, prefix=".adding-", suffix=".tmp")
            with os.fdopen(fd, "wb") as fh:
                fh.write(text.encode("utf-8"))
            writes.append((Path(tmp), sources))
        writes.append((_write_temp(official, manifest.dump(tables).encode("utf-8")), official / manifest.MANIFEST))
        if manifest.sha256_of(writes[0][0]) != sha:
            raise CSCBookError(f"{name}: changed while it was being installed; run the command again")
    except BaseException:
        for tmp, _ in writes:
            tmp.unlink(missing_ok=True)
        raise
    for tmp, dest in writes:
        os.replace(tmp, dest)
    return report


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
    from .output import render

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
    from . import paths

    published = None
    if args.published:
        try:
            published = date.fromisoformat(args.published)
        except ValueError:
            raise CSCBookError(f"--published {args.published!r} is not a date: write YYYY-MM-DD, "
                               "e.g. 2026-10-29") from None
    report = add_release(Path(args.file), args.table, published, paths.repo_root(), title=args.title,
                         publisher=args.publisher, url=args.url)
    return report.text()


def _cmd_status(args) -> str:
    from . import paths
    from .output import render

    if args.format == "table":
        return status(paths.repo_root())
    return render(status_frame(paths.repo_root()), args.format)


def register_cli(subparsers) -> None:
    """Add ``cscbook data add`` and ``cscbook data status`` to the command line's subparsers."""
    from .output import FORMATS

    p = subparsers.add_parser("data", help="official data: add a new release, list what is installed")
    sub = p.add_subparsers(dest="data_command", required=True, parser_class=type(p))
    a = sub.add_parser("add", help="check a downloaded release and install it beside the old ones")
    a.add_argument("file", help="the downloaded file (CSV)")
    a.add_argument("--table", required=True, help=f"the table it holds: {', '.join(TABLES)}")
    a.add_argument("--published", help="the publisher's release date YYYY-MM-DD (default: today)")
    a.add_argument("--title", help="the release's title (default: the table's title and years)")
    a.add_argument("--publisher", help="default: the publisher of the installed release")
    a.add_argument("--url", help="where it was downloaded from (default: that of the installed release)")
    a.set_defaults(func=_cmd_add)
    s = sub.add_parser("status", help="each table: years, release date, newest edition, releases due")
    s.add_argument("--format", choices=FORMATS, default="table")
    s.set_defaults(func=_cmd_status)
