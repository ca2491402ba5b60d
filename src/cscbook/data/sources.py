"""The source documents and checks that quotes are verbatim and dates are supported by their quotes."""

from __future__ import annotations

import re
from datetime import date

from cscbook.core import paths
from cscbook.core.memo import memo

MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december"]

#: Date of each source document, from data/sources/INDEX.md (precision day or month).
DOCUMENT_DATES = {
    "000_aae2f59dc3e5d6c7.txt": "2018-09-10",
    "001_7bb63c69319b4d04.txt": "2014-09-08",
    "002_ed146779f1375d57.txt": "2015-02",
    "003_abba65fc10130d3d.txt": "2019-01-15",
    "004_0e861a4f4565613d.txt": "2019-05-15",
}


def normalise(text: str) -> str:
    """Whitespace-normalised, with typographic quotes and dashes folded, for quote matching."""
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    text = text.replace("\u2013", "-").replace("\u2014", "-").replace("**", "")
    return re.sub(r"\s+", " ", text).strip()


@memo(maxsize=None)
def source_text(name: str, root: str | None = None) -> str:
    """The text of source document ``name`` in data/sources, normalised as :func:`normalise` does (read once;
    ``root`` is part of the cache key only)."""
    path = paths.sources_dir() / name
    return normalise(path.read_text(encoding="utf-8"))


def quote_in_source(quote: str, source: str) -> bool:
    """Whether ``quote`` appears in source document ``source``, both normalised by :func:`normalise` (spacing,
    typographic quotes and dashes folded; case kept)."""
    return normalise(quote) in source_text(source)


def date_supported(iso: str, precision: str, quote: str, source: str) -> bool:
    """Whether the quote states the date at its precision.

    The year may be omitted in the quote when it is the year of the source document (e.g. "by 21st November"
    in a September 2014 report). Two-digit financial years (2013/14) count for their years.
    """
    q = normalise(quote).lower()
    parts = iso.split("-")
    year = int(parts[0])
    doc_year = int(DOCUMENT_DATES[source][:4])
    years_in_quote = {int(y) for y in re.findall(r"\b((?:19|20)\d{2})\b", q)}
    for a, b in re.findall(r"\b((?:19|20)\d{2})/(\d{2})\b", q):
        years_in_quote |= {int(a), int(a[:2] + b)}
    if year not in years_in_quote and not (year == doc_year and not years_in_quote):
        return False
    if precision == "year":
        return True
    month = int(parts[1])
    name = MONTHS[month - 1]
    if not re.search(rf"\b({name}|{name[:3]})\b", q):
        return False
    if precision == "month":
        return True
    day = int(parts[2])
    return re.search(rf"(?<!\d){day}\s*(st|nd|rd|th)?\b", q) is not None


def document_date(source: str) -> str:
    """The publication date of source document ``source`` (ISO text, from :data:`DOCUMENT_DATES`)."""
    return DOCUMENT_DATES[source]


def as_date(iso: str) -> date:
    """A date from ISO text at year, month or day precision (``2014``, ``2014-09``, ``2014-09-21``); missing
    parts are the first month or day."""
    parts = [int(p) for p in iso.split("-")]
    while len(parts) < 3:
        parts.append(1)
    return date(*parts)
