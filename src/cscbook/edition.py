"""Edition parameters: which council and quarter a book is built for, validated before anything runs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import CSCBookError
from .quarters import Quarter, latest_year_published, publication_quarter, table_collection
from .register import Council, resolve

DEFAULT_LA = "825"


def first_quarter() -> Quarter:
    """The first quarter with any referral data published (children in need year 2013)."""
    return publication_quarter(table_collection("referrals"), 2013)


def latest_quarter() -> Quarter:
    """The quarter of the newest official release in data/official."""
    from .data import load_table

    newest = []
    for table in ("referrals", "cla", "workforce", "population"):
        year = int(load_table(table)["year"].max())
        newest.append(publication_quarter(table_collection(table), year))
    return max(newest)


@dataclass(frozen=True)
class Edition:
    council: Council
    quarter: Quarter
    monthly: Path | None = None

    @property
    def slug(self) -> str:
        name = "".join(ch if ch.isalnum() else "-" for ch in self.council.name.lower()).strip("-")
        while "--" in name:
            name = name.replace("--", "-")
        return f"{self.council.code}-{name}-{self.quarter}"

    def data_year(self, table: str) -> int | None:
        return latest_year_published(table, self.quarter)

    def parameters(self) -> dict:
        return {
            "la": self.council.code,
            "quarter": str(self.quarter),
            "monthly": str(self.monthly) if self.monthly else "",
        }


def make_edition(la: str | None, quarter: str | None, monthly: str | None = None) -> Edition:
    """Validate parameters (council, quarter range, monthly file) and return the edition."""
    council = resolve(la if la is not None else DEFAULT_LA)
    last = latest_quarter()
    q = Quarter.parse(quarter) if quarter else last
    first = first_quarter()
    if q < first:
        raise CSCBookError(
            f"--quarter {q}: no data had been published by then; the first edition is {first} "
            f"(children in need figures for the year to March 2013)"
        )
    if q > last:
        raise CSCBookError(f"--quarter {q} is after the latest data in data/official (latest edition {last})")
    if q.year < council.first_year or (council.last_year < q.year - 1):
        raise CSCBookError(
            f"--la {council.name} ({council.code}) reported {council.first_year}-{council.last_year} only; "
            f"choose its successor council or an earlier quarter"
        )
    path = None
    if monthly:
        path = Path(monthly).resolve()
        if not path.is_file():
            raise CSCBookError(f"--monthly {monthly}: file not found or not a file; give the path of a CSV extract")
        try:
            with open(path, "rb") as fh:
                fh.read(1)
        except OSError as exc:
            raise CSCBookError(f"--monthly {monthly}: cannot be read ({exc.strerror})") from None
        from .monthly import read_extract

        read_extract(path)  # every problem in the file stops here, before any chapter runs
    return Edition(council, q, path)
