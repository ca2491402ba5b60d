"""The start of a CIN census return: file checks, its header (collection year, reference date, council) and
DfE's schemas (one per collection year, ``data/specs/cin_census/``).

Part of the CIN census reader (:mod:`cscbook.data.cincensus` describes it whole). Every refusal raises one
:class:`CensusError` naming the file and, where it helps, the line and element; no value from the file is shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from lxml import etree

from cscbook.core import paths
from cscbook.core.errors import CSCBookError
from cscbook.core.memo import memo
from cscbook.core.quarters import year_ending_march
from cscbook.data import cinrules as rules

#: largest return read, in bytes
MAX_BYTES = 512 * 1024 * 1024
#: collection years with a DfE schema here (``CIN_schema_YEAR.xsd``)
SCHEMA_YEARS = tuple(range(2017, 2025))
_XS = "{http://www.w3.org/2001/XMLSchema}"
#: lxml parser options: no entities, no network, no DTD, no oversized nodes
PARSER_OPTIONS = dict(huge_tree=False, resolve_entities=False, no_network=True, load_dtd=False)
_MAGIC = ((b"PK\x03\x04", "a zip archive (an Excel .xlsx workbook is one)"),
          (b"\xd0\xcf\x11\xe0", "an Excel 97-2003 workbook"),
          (b"\x1f\x8b", "a gzip archive"),
          (b"%PDF", "a PDF document"))


class CensusError(CSCBookError):
    """A CIN census return that cannot be read; the message names the file (one line per problem)."""



@dataclass(frozen=True)
class Header:
    """A return's header: the file, its collection year (to 31 March), reference date, council code and the
    warnings about them."""

    path: Path
    year: int
    reference: date
    lea: str
    notes: tuple = ()  # warnings about the header (Problem)

    @property
    def in_year(self) -> bool:
        """An in-year extract: a reference date before the census date (31 March)."""
        return self.reference != date(self.year, 3, 31)


# ---------------------------------------------------------------------------------------------------
# Schemas


def schema_dir() -> Path:
    """The folder of DfE's CIN census schemas, ``data/specs/cin_census`` (one ``CIN_schema_YEAR.xsd`` a year)."""
    return paths.data_dir() / "specs" / "cin_census"


def schema_year_for(year: int) -> int:
    """The schema a collection year is checked against: its own, else the newest (or oldest) known."""
    return min(max(year, SCHEMA_YEARS[0]), SCHEMA_YEARS[-1])


@memo(maxsize=None)
def _schema(year: int, root: str) -> etree.XMLSchema:
    """DfE's schema for ``year`` with ``Header`` and ``Child`` also declared as top-level elements.

    The return is validated one ``Child`` at a time (so memory stays flat and errors carry line numbers);
    the ``Message``/``Header``/``Children`` frame around them is checked by the reader itself.
    """
    path = Path(root) / "data" / "specs" / "cin_census" / f"CIN_schema_{year}.xsd"
    doc = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
    for name, typ in (("Header", "headertype"), ("Child", "childtype")):
        el = etree.SubElement(doc.getroot(), _XS + "element")
        el.set("name", name)
        el.set("type", typ)
    return etree.XMLSchema(doc)


def schema_for(year: int) -> etree.XMLSchema:
    """DfE's schema for collection year ``year`` (give :func:`schema_year_for` of the return's year), read once
    per process, with ``Header`` and ``Child`` declared top-level so each can be validated on its own."""
    return _schema(year, str(paths.repo_root()))


@memo(maxsize=None)
def _known_elements(root: str) -> frozenset:
    """Every element name declared by any of the schemas here (2017 to the newest)."""
    names = set()
    for year in SCHEMA_YEARS:
        doc = etree.parse(str(Path(root) / "data" / "specs" / "cin_census" / f"CIN_schema_{year}.xsd"),
                          etree.XMLParser(resolve_entities=False, no_network=True))
        names |= {e.get("name") for e in doc.iter(_XS + "element") if e.get("name")}
    return frozenset(names)


def known_elements() -> frozenset:
    """Element names declared by the schemas here; a newer return's other elements are accepted with a warning."""
    return _known_elements(str(paths.repo_root()))


# ---------------------------------------------------------------------------------------------------
# Messages


def _scrub(message: str) -> str:
    """A parser or schema message without any value from the file (values may be child-level)."""
    return rules.scrub(message)


def fail(header_or_path, message: str, line: int | None = None, element: str | None = None) -> None:
    """Raise one :class:`CensusError` for a return: ``file[, line N][, element E]: message``.

    ``header_or_path`` is the return's :class:`Header` or path (only its file name is shown); ``message`` must hold
    no value from the file."""
    name = header_or_path.path.name if isinstance(header_or_path, Header) else Path(header_or_path).name
    where = ""
    if line:
        where += f", line {line}"
    if element:
        where += f", element {element}"
    raise CensusError(f"{name}{where}: {message}")


# ---------------------------------------------------------------------------------------------------
# Reading one return


def _check_file(path: Path) -> None:
    if not path.is_file():
        fail(path, "file not found; give the path of a CIN census return (.xml)")
    size = path.stat().st_size
    if size == 0:
        fail(path, "the file is empty; give the CIN census return exported for DfE (.xml)")
    if size > MAX_BYTES:
        fail(path, f"{size} bytes is larger than any CIN census return should be (limit {MAX_BYTES}); "
                    "give one council's annual return")
    with open(path, "rb") as fh:
        start = fh.read(65536)
    for magic, what in _MAGIC:
        if start.startswith(magic):
            fail(path, f"this is {what}, not XML; give the CIN census return exported for DfE (.xml)")
    if b"\x00" in start and not start.startswith((b"\xff\xfe", b"\xfe\xff")):
        fail(path, "the file holds binary data, not XML; give the CIN census return exported for DfE (.xml)")
    if b"<!DOCTYPE" in start or b"<!ENTITY" in start:
        fail(path, "the file declares a DOCTYPE or entities, which a CIN census return never does; "
                    "give the return as exported for DfE")


def syntax_error(path: Path, exc: etree.XMLSyntaxError) -> None:
    """Raise one :class:`CensusError` for a return lxml cannot parse, naming the line and the parser's message
    with any value from the file removed."""
    text = str(exc.msg or exc)
    if "Excessive depth" in text or "huge" in text.lower():
        fail(path, "the XML is nested too deeply or holds an oversized text node (a CIN census return never "
                    "does); give the return as exported for DfE", exc.lineno or None)
    fail(path, f"malformed XML ({_scrub(text)}); give the return as exported for DfE", exc.lineno or None)


def read_header(path: str | Path) -> Header:
    """Collection year, reference date and council code from a return's header (reads only the start).

    The ``ReferenceDate`` governs: the collection year is the year to 31 March that holds it, so an in-year
    extract (e.g. ReferenceDate 2022-07-21, collection year 2023 so far) is accepted. Where ``Year`` says
    otherwise, a warning names both.
    """
    path = Path(path)
    _check_file(path)
    root_tag = None
    header = None
    try:
        for event, el in etree.iterparse(str(path), events=("start", "end"), **PARSER_OPTIONS):
            if root_tag is None:
                root_tag = el.tag
                if root_tag != "Message":
                    shown = root_tag if isinstance(root_tag, str) else "?"
                    fail(path, f"not a CIN census return (its root element is {shown[:60]}, expected Message)",
                          el.sourceline)
                continue
            if event == "start" and el.tag == "Children":
                break
            if event == "end" and el.tag == "Header":
                header = el
                break
    except etree.XMLSyntaxError as exc:
        syntax_error(path, exc)
    if header is None:
        fail(path, "no Header before Children: a CIN census return starts with Header/CollectionDetails "
                    "(Collection, Year, ReferenceDate) and Header/Source/LEA")
    collection = header.findtext("CollectionDetails/Collection")
    if collection is not None and collection.strip() != "CIN":
        fail(path, "not a CIN census return (Header/CollectionDetails/Collection is not CIN)",
              header.find("CollectionDetails/Collection").sourceline, "Collection")
    year_el = header.find("CollectionDetails/Year")
    year_text = (year_el.text or "").strip() if year_el is not None else ""
    stated = int(year_text) if re.fullmatch(r"\d{4}", year_text) else None
    ref_el = header.find("CollectionDetails/ReferenceDate")
    notes = []
    if ref_el is not None:
        day = rules.parse_day(ref_el.text)
        if day is None:
            fail(path, "ReferenceDate is not a date (YYYY-MM-DD); write the census date, e.g. 2024-03-31",
                  ref_el.sourceline, "ReferenceDate")
        reference = date.fromordinal(day)
        year = year_ending_march(reference.year, reference.month)
        if stated != year:
            said = f"Year {rules.short(year_text, 12)}" if year_text else "no Year"
            notes.append(rules.Problem(
                path.name, (year_el if year_el is not None else ref_el).sourceline, "Year", "year_reference",
                f"{said} and ReferenceDate {reference.isoformat()} disagree: the ReferenceDate governs, read as "
                f"collection year {year} (1 April {year - 1} to 31 March {year})",
                f"set Year to {year} to match the ReferenceDate", "100", severity="warning"))
    elif stated is not None:
        year, reference = stated, date(stated, 3, 31)
    else:
        fail(path, "Header/CollectionDetails has neither a Year nor a ReferenceDate; give the census date as "
                    "ReferenceDate (e.g. 2024-03-31)",
              year_el.sourceline if year_el is not None else header.sourceline, "Year")
    if reference != date(year, 3, 31):
        notes.append(rules.Problem(
            path.name, ref_el.sourceline, "ReferenceDate", "in_year",
            f"an in-year extract to {reference.isoformat()} (collection year {year} so far), not a census return "
            f"to 31 March {year}: read as such", "nothing to fix; give the full return when it is made",
            severity="warning"))
    lea_el = header.find("Source/LEA")
    if lea_el is None or not re.fullmatch(r"\d{3}", (lea_el.text or "").strip()):
        fail(path, "Header/Source/LEA is missing or not a three-digit council code",
              lea_el.sourceline if lea_el is not None else header.sourceline, "LEA")
    return Header(path, year, reference, lea_el.text.strip(), tuple(notes))
