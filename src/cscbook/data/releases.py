"""What official data had been published by the end of each calendar quarter.

An edition for quarter ``2014Q2`` shows only releases published by 30 June 2014. Two sources say when:
the publication date of each installed release (``data/official/manifest.yml``) and, for years first
published before the oldest installed release, the release calendar of each collection
(``data/curated/releases.csv``).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from cscbook.core import paths
from cscbook.core.csvfile import read_csv_checked
from cscbook.core.errors import CSCBookError
from cscbook.core.memo import memo
from cscbook.core.quarters import Quarter
from cscbook.data import manifest

RELEASE_COLUMNS = ("collection", "tables", "period_end_month", "publication_year_offset", "publication_month", "basis")


@memo(maxsize=8)
def _releases_parsed(path: str, content: bytes) -> pd.DataFrame:
    return read_csv_checked(Path(path), list(RELEASE_COLUMNS))


def releases(curated: Path | None = None) -> pd.DataFrame:
    """Release calendar per collection: collection, tables, period_end_month, publication_year_offset,
    publication_month, basis (from ``data/curated/releases.csv``, or the one in ``curated``). Parsed once per
    content of the file (every "as known at a quarter" question asks it)."""
    folder = Path(curated) if curated is not None else paths.curated_dir()
    path = folder / "releases.csv"
    try:
        content = path.read_bytes()
    except OSError:
        return read_csv_checked(path, list(RELEASE_COLUMNS))  # its clear message for a missing file
    return _releases_parsed(str(path), content).copy()


def publication_quarter(collection: str, year: int) -> Quarter:
    """Quarter in which the figures for ``year`` of a collection were published.

    ``year`` is the collection's own year: year ending 31 March for children in need and looked after,
    30 September snapshot year for the workforce census, mid-year for population.
    """
    rel = releases().set_index("collection")
    if collection not in rel.index:
        raise KeyError(collection)
    row = rel.loc[collection]
    offset = int(row["publication_year_offset"])
    month = int(row["publication_month"])
    return Quarter.of(date(year + offset, month, 1))


def table_collection(table: str) -> str:
    """The release-calendar collection (``data/curated/releases.csv``) that publishes ``table``; KeyError if none."""
    rel = releases()
    for _, row in rel.iterrows():
        if table in row["tables"].split():
            return row["collection"]
    raise KeyError(f"no release timing for table {table!r}")


def latest_year_published(table: str, quarter: Quarter) -> int | None:
    """Latest year of ``table`` published by the end of ``quarter`` (None if none yet).

    Once a release is installed with its publication date, that date decides: the newest release published
    by the end of the quarter gives its last year. For quarters before the oldest installed release, the
    release calendar says which of its years had been published then.
    """
    coll = table_collection(table)
    rel = manifest.release_as_of(paths.official_dir(), table, quarter.end)
    if rel.published is not None and rel.published <= quarter.end and rel.years is not None:
        return rel.years[1]
    year = quarter.year + 1
    while year > 1990:
        if publication_quarter(coll, year) <= quarter:
            return min(year, rel.years[1]) if rel.years is not None else year
        year -= 1
    return None


def latest_quarter(root: Path | None = None) -> Quarter:
    """The newest quarter an edition can be built for: the quarter of the newest installed release.

    Only tables with a release calendar (``releases.csv``) count; reference files such as the Ofsted
    outcomes do not move it. ``root`` is a repository root (default: this repository).
    """
    data = Path(root) / "data" if root is not None else paths.data_dir()
    official = data / "official"
    tables = manifest.read(official)
    calendar = calendar_tables(data / "curated")
    dated = [t.newest.published for name, t in tables.items()
             if name in calendar and t.newest.published is not None]
    if not dated:
        raise CSCBookError(f"{official / manifest.MANIFEST}: no dated release of any table; "
                           "add one with 'cscbook data add FILE --table NAME --published YYYY-MM-DD'")
    return Quarter.of(max(dated))


def calendar_tables(curated: Path | None = None) -> set[str]:
    """Tables that have a release calendar, i.e. that editions follow quarter by quarter."""
    return {t for tables in releases(curated)["tables"] for t in tables.split()}
