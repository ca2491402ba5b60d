"""``cscbook data status``: each official table, its years, its newest release, the quarter editions show it
from, whether its file still matches the manifest, and releases the calendar says are due but not added."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from cscbook.core.output import render
from cscbook.core.quarters import Quarter
from cscbook.data import manifest
from cscbook.data.releases import latest_quarter, releases

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


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
    official, curated = root / "data" / "official", root / "data" / "curated"
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
