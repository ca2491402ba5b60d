"""Adding a new official release to ``data/official`` and reporting what is installed.

``cscbook data add FILE --table NAME [--published YYYY-MM-DD]`` checks a newly downloaded release (for
example DfE's time-series CSV from Explore Education Statistics) against what the table needs and against
the release already installed, reports the revisions it finds, and installs it beside the old releases
with an entry in ``data/official/manifest.yml``, ``data/official/PROVENANCE.md`` and, where the repository
has it, ``book/data_sources.md``. Nothing is installed unless every check passes; every file is written to
a temporary file first and moved into place at the end, the manifest last.

The checks are in :mod:`cscbook.data.releasecheck` (DfE / ONS tables) and :mod:`cscbook.data.ofstedcheck`
(Ofsted); ``cscbook data status`` is :mod:`cscbook.data.datastatus`; the command line, :mod:`cscbook.data.installcli`.

Tables that ``data add`` can take: the DfE children in need tables, children looked after (the EES file
from 2019), the workforce census and the population estimates (:data:`cscbook.data.tables.TABLES`), and Ofsted's
ILACS inspection history (``ofsted_ilacs_history``), as the CSV extract or as Ofsted's "Local authority
inspection outcomes" spreadsheet (ODS), whose sheet ``ILACS_inspection_history`` is extracted and which is
kept beside it.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import re
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from cscbook.core.errors import CSCBookError
from cscbook.core.inputs import escape_markdown, one_line
from cscbook.core.quarters import Quarter
from cscbook.data import manifest
from cscbook.data.ofstedcheck import OFSTED_HISTORY, OFSTED_ORIGINAL, OFSTED_SHEET, check_ofsted
from cscbook.data.releasecheck import check_ees
from cscbook.data.tables import TABLES

#: Largest revisions listed in a report.
TOP_REVISIONS = 5


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
        """The report ``cscbook data add`` prints: the file installed, its years, new years or inspections, the
        revisions of earlier years (cells, by year, the largest) and which editions show it."""
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


def add_release(file: Path, table: str, published: date | None, root: Path, *, title: str | None = None,
                publisher: str | None = None, url: str | None = None, today: date | None = None,
                accept_revision: bool = False) -> AddReport:
    """Check a downloaded release of ``table`` and install it in ``root``/data/official.

    ``published`` is the publisher's release date (default: ``today``, so no earlier edition sees it).
    Raises :class:`CSCBookError` with one line per problem, installing nothing, if the file is not a release of
    the table, does not continue the installed series, cannot be parsed, or holds impossible figures (negative or
    infinite values, council codes not in the register, a headline count moving beyond
    :data:`~cscbook.data.releasecheck.MOVE_FACTOR` in a year unless ``accept_revision``; see
    :func:`~cscbook.data.releasecheck.check_values`).
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
        checked = check_ofsted(file, official / prev.file)
    else:
        checked = check_ees(file, table, official, prev, curated, accept_revision)
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
