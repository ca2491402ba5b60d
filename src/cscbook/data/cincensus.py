"""Read a council's Children in Need (CIN) census returns (DfE XML) into a monthly demand series.

Every English council sends DfE one CIN census return a year (collection year ``Y`` = the year ending
31 March ``Y``), listing every episode open at any time in that year with the dates of its referral,
assessments, section 47 enquiries, conferences and plans. :func:`read_returns` streams one or more returns
(``lxml.etree.iterparse``, each child cleared as soon as it is read, so memory does not grow with the file),
validates each against DfE's schema for its collection year (``data/specs/cin_census/``; a return for a
year after the newest known schema is checked against the newest, and the report says so), de-duplicates
episodes that appear in two consecutive returns and derives the monthly columns of the extract contract
(:mod:`cscbook.data.monthly`):

``referrals``        episodes by ``CINreferralDate`` (as DfE's table C1 counts referrals)
``rereferrals``      referrals within 12 months of the same child's previous referral: the previous
                     referral date is on or after the same day twelve calendar months earlier (DfE's C1
                     definition). Empty for the first 12 months covered, where earlier referrals are unknown.
``nfa_referrals``    referrals with ``ReferralNFA`` true (``true``/``TRUE``/``1``): no further action at the
                     referral stage. ``ReasonForClosure`` RC8 (closed after assessment, no further action)
                     is a closure after an assessment, not an NFA referral, and is not counted here.
``assessments``      ``Assessments/AssessmentActualStartDate``
``s47``              ``Section47/S47ActualStartDate``
``icpc``             initial child protection conferences: distinct dates of ``DateOfInitialCPC`` in an
                     episode (in ``Section47`` or directly in ``CINdetails``)
``cp_plans``         ``ChildProtectionPlans/CPPstartDate``
``open_cin``         episodes open at the month's last day: referred on or before it and not closed on or
                     before it
``share_school``     share of the month's referrals whose ``ReferralSource`` is ``2A`` (SCHOOLS). ``2B``
                     (EDUCATION SERVICES) is a separate DfE category and not counted, as in DfE's tables
                     and LAIT's ``RefBySource_Schl_%``.
``share_police``     ``ReferralSource`` ``6`` (POLICE)
``share_health``     ``ReferralSource`` ``3A`` to ``3F`` (HEALTH SERVICES: GP, health visitor, school nurse,
                     other primary health, A&E, other)

Several returns: an episode is identified by the child (``LAchildID``) and its referral date. Where two
returns hold the same episode, the later collection year wins; a *disagreement* is counted where the
earlier return's facts up to its own reference date (referral source, NFA flag, closure, event dates) differ
from the later return's. Episodes a return leaves open at its census date but the next return omits are
counted in the report (``missing_from_next_return``) and stay open in ``open_cin``.

Dates outside the collection year (1 April ``Y-1`` to the reference date): no date of an episode's events
(referral, closure, assessment start and authorisation, section 47 start, conference, plan start and end,
plan review, CIN plan dates) may be after the return's reference date, and a closure date may not be before
the start of the collection year (a return only holds episodes open during the year). Referral and other
event dates may precede the year, since long episodes stay open. ``InitialCPCtarget`` (a target, which can
fall after 31 March) and the child's identifiers are not checked.

Lenient by default, strict on request: every return is read whole and each episode is checked against DfE's
schema and the rules of :mod:`cscbook.data.cinrules` (dates missing, out of order, after the reference date, a
closure before the year, the same episode twice). An episode that breaks one is excluded and counted by reason
(:attr:`CensusResult.excluded`); the rest are used. A return is refused only when it cannot be read, is from
another council, or more than :data:`cscbook.data.cinrules.MAX_EXCLUDED_SHARE` of its episodes are excluded;
``strict`` refuses any error. The ``ReferenceDate`` governs the collection year (a warning names ``Year`` too
where they disagree); an in-year extract is read to its last complete month. In a return newer than the newest
schema here, elements no schema here declares (2025-26's ``Sex``, ``PreProceedingsandFGDM``) are accepted with
a warning naming them.

Privacy: child IDs and dates stay inside this module. The result, the report and every error message hold
only monthly aggregates, counts, file names, element names, codes and line numbers. Only
:func:`read_all` with ``keep_ids`` (for ``cscbook validate``'s local report) returns problems that name a child.

Every refusal raises one :class:`CensusError` (a :class:`~cscbook.core.errors.CSCBookError`) after every file has
been read, with one line per problem naming the file and, where it helps, the element and line.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from lxml import etree

from cscbook.core import paths
from cscbook.core.errors import CSCBookError
from cscbook.core.quarters import year_ending_march
from cscbook.data import cinrules as rules
from cscbook.data import monthly as contract
from cscbook.data import reconciliation
from cscbook.data.annexa import add_contacts, read_annex_a
from cscbook.data.register import resolve

MAX_BYTES = 512 * 1024 * 1024
SCHEMA_YEARS = tuple(range(2017, 2025))
SCHOOL_SOURCES = frozenset({"2A"})
POLICE_SOURCES = frozenset({"6"})
HEALTH_SOURCES = frozenset({"3A", "3B", "3C", "3D", "3E", "3F"})
TRUE_VALUES = frozenset({"true", "TRUE", "1"})
#: event dates that must not be after the return's reference date
CHECKED_DATES = rules.CHECKED_DATES
COLUMNS = ("referrals", "rereferrals", "nfa_referrals", "assessments", "s47", "icpc", "cp_plans", "open_cin",
           "share_school", "share_police", "share_health")
_XS = "{http://www.w3.org/2001/XMLSchema}"
_PARSER_OPTIONS = dict(huge_tree=False, resolve_entities=False, no_network=True, load_dtd=False)
_MAGIC = ((b"PK\x03\x04", "a zip archive (an Excel .xlsx workbook is one)"),
          (b"\xd0\xcf\x11\xe0", "an Excel 97-2003 workbook"),
          (b"\x1f\x8b", "a gzip archive"),
          (b"%PDF", "a PDF document"))


class CensusError(CSCBookError):
    """A CIN census return that cannot be read; the message names the file (one line per problem)."""


@dataclass
class CensusResult:
    """Monthly aggregates from a set of returns, and a report of how they were read (no child-level data).

    ``excluded`` counts the episodes left out, by reason (:data:`cscbook.data.cinrules.REASONS`); ``problems``
    lists every problem found (errors and warnings) without any child-level value.
    """

    monthly: pd.DataFrame
    report: dict = field(default_factory=dict)
    problems: list = field(default_factory=list)

    @property
    def excluded(self) -> dict[str, int]:
        """Episodes excluded, by reason: counts only, safe to publish (after disclosure control)."""
        return dict(self.report.get("excluded", {}))

    @property
    def warnings(self) -> list:
        return [p for p in self.problems if p.severity == "warning"]


@dataclass(frozen=True)
class _Header:
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
    return paths.data_dir() / "specs" / "cin_census"


def schema_year_for(year: int) -> int:
    """The schema a collection year is checked against: its own, else the newest (or oldest) known."""
    return min(max(year, SCHEMA_YEARS[0]), SCHEMA_YEARS[-1])


@lru_cache(maxsize=None)
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


def _schema_for(year: int) -> etree.XMLSchema:
    return _schema(year, str(paths.repo_root()))


@lru_cache(maxsize=None)
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


def _fail(header_or_path, message: str, line: int | None = None, element: str | None = None) -> None:
    name = header_or_path.path.name if isinstance(header_or_path, _Header) else Path(header_or_path).name
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
        _fail(path, "file not found; give the path of a CIN census return (.xml)")
    size = path.stat().st_size
    if size == 0:
        _fail(path, "the file is empty; give the CIN census return exported for DfE (.xml)")
    if size > MAX_BYTES:
        _fail(path, f"{size} bytes is larger than any CIN census return should be (limit {MAX_BYTES}); "
                    "give one council's annual return")
    with open(path, "rb") as fh:
        start = fh.read(65536)
    for magic, what in _MAGIC:
        if start.startswith(magic):
            _fail(path, f"this is {what}, not XML; give the CIN census return exported for DfE (.xml)")
    if b"\x00" in start and not start.startswith((b"\xff\xfe", b"\xfe\xff")):
        _fail(path, "the file holds binary data, not XML; give the CIN census return exported for DfE (.xml)")
    if b"<!DOCTYPE" in start or b"<!ENTITY" in start:
        _fail(path, "the file declares a DOCTYPE or entities, which a CIN census return never does; "
                    "give the return as exported for DfE")


def _syntax_error(path: Path, exc: etree.XMLSyntaxError) -> None:
    text = str(exc.msg or exc)
    if "Excessive depth" in text or "huge" in text.lower():
        _fail(path, "the XML is nested too deeply or holds an oversized text node (a CIN census return never "
                    "does); give the return as exported for DfE", exc.lineno or None)
    _fail(path, f"malformed XML ({_scrub(text)}); give the return as exported for DfE", exc.lineno or None)


def read_header(path: str | Path) -> _Header:
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
        for event, el in etree.iterparse(str(path), events=("start", "end"), **_PARSER_OPTIONS):
            if root_tag is None:
                root_tag = el.tag
                if root_tag != "Message":
                    shown = root_tag if isinstance(root_tag, str) else "?"
                    _fail(path, f"not a CIN census return (its root element is {shown[:60]}, expected Message)",
                          el.sourceline)
                continue
            if event == "start" and el.tag == "Children":
                break
            if event == "end" and el.tag == "Header":
                header = el
                break
    except etree.XMLSyntaxError as exc:
        _syntax_error(path, exc)
    if header is None:
        _fail(path, "no Header before Children: a CIN census return starts with Header/CollectionDetails "
                    "(Collection, Year, ReferenceDate) and Header/Source/LEA")
    collection = header.findtext("CollectionDetails/Collection")
    if collection is not None and collection.strip() != "CIN":
        _fail(path, "not a CIN census return (Header/CollectionDetails/Collection is not CIN)",
              header.find("CollectionDetails/Collection").sourceline, "Collection")
    year_el = header.find("CollectionDetails/Year")
    year_text = (year_el.text or "").strip() if year_el is not None else ""
    stated = int(year_text) if re.fullmatch(r"\d{4}", year_text) else None
    ref_el = header.find("CollectionDetails/ReferenceDate")
    notes = []
    if ref_el is not None:
        day = rules.parse_day(ref_el.text)
        if day is None:
            _fail(path, "ReferenceDate is not a date (YYYY-MM-DD); write the census date, e.g. 2024-03-31",
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
        _fail(path, "Header/CollectionDetails has neither a Year nor a ReferenceDate; give the census date as "
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
        _fail(path, "Header/Source/LEA is missing or not a three-digit council code",
              lea_el.sourceline if lea_el is not None else header.sourceline, "LEA")
    return _Header(path, year, reference, lea_el.text.strip(), tuple(notes))


def _text_line(node) -> int | None:
    """The line of the first non-blank text directly inside ``node`` (mixed content), counted from the file."""
    if node.text and node.text.strip():
        lead = node.text[: len(node.text) - len(node.text.lstrip())]
        return (node.sourceline or 0) + lead.count("\n")
    for child in node:
        tail = child.tail or ""
        if tail.strip():
            inner = etree.tostring(child, with_tail=False).count(b"\n")
            lead = tail[: len(tail) - len(tail.lstrip())]
            return (child.sourceline or 0) + inner + lead.count("\n")
    return node.sourceline


_PATH = re.compile(r"^/Child((?:/[A-Za-z_][\w.-]*(?:\[\d+\])?)*)$")


def _schema_problem(err, child, name: str, cid: str | None, year: int) -> tuple[rules.Problem, int | None]:
    """A schema error as a problem with no child-level value, and the (1-based) CINdetails it is in, if any."""
    m = _PATH.match(err.path or "")
    node = None
    if m:
        found = child.xpath("." + m.group(1)) if m.group(1) else [child]
        node = next((n for n in found if n.sourceline == err.line), found[0] if found else None)
    tag = node.tag if node is not None and isinstance(node.tag, str) else None
    if tag is None:
        head = re.match(r"Element '([A-Za-z_][\w.-]{0,80})'", err.message or "")
        tag = head.group(1) if head else None
    episode = None
    em = re.match(r"^/Child/CINdetails(?:\[(\d+)\])?", err.path or "")
    if em:
        episode = int(em.group(1) or 1)
    value = (node.text or "") if node is not None and len(node) == 0 else ""
    shown = tag in rules.SHOWN_ELEMENTS
    raw = value.strip() or None
    line = err.line or (node.sourceline if node is not None else None)
    kind = err.type_name or ""
    text = err.message or ""
    if kind == "SCHEMAV_CVC_ENUMERATION_VALID":
        allowed = re.findall(r"'([^'{}]*)'", text[text.rfind("{"):]) if "{" in text else []
        listing = ", ".join(allowed) if allowed else "see DfE's code set"
        what = f"the code '{rules.short(value)}' is not in DfE's code list" if shown else \
            "the value is not in DfE's code list (value withheld)"
        message, fix = f"{what}; allowed: {listing}", "use one of the allowed codes"
    elif kind.startswith("SCHEMAV_CVC_DATATYPE") or kind.startswith("SCHEMAV_CVC_PATTERN") \
            or "LENGTH" in kind or "INCLUSIVE" in kind or "EXCLUSIVE" in kind:
        tm = re.search(r"atomic type '([\w:.-]{1,60})'\.?$", text)
        typ = tm.group(1) if tm else "value"
        fix = "write the date as YYYY-MM-DD, e.g. 2024-01-31" if typ == "xs:date" else \
            f"give a valid {typ} as DfE's CIN census specification describes it"
        if kind.startswith("SCHEMAV_CVC_PATTERN") or "LENGTH" in kind:
            fix = "give a value in the format DfE's CIN census specification describes"
        message = (f"'{rules.short(value)}' is not a valid {typ}" if shown and typ != "value"
                   else f"not a valid {typ} (value withheld)" if typ != "value"
                   else "not a valid value (value withheld)")
    elif kind == "SCHEMAV_CVC_COMPLEX_TYPE_2_3":
        message, fix = "text where only elements are allowed (text withheld)", "remove the stray text"
        if node is not None:
            line = _text_line(node) or line
        raw = None
        if node is not None:
            raw = (node.text or "").strip() or next(((c.tail or "").strip() for c in node if (c.tail or "").strip()), None)
    else:
        secrets = [n.text for n in child.iter() if isinstance(n.tag, str) and n.tag not in rules.SHOWN_ELEMENTS
                   and n.text and n.text.strip()]
        body = re.sub(r"^Element '[^']{0,80}'(?:, attribute '[^']{0,80}')?: ", "", text.strip())
        message = rules.scrub(rules.withhold(body, secrets)).rstrip(".")
        fix = "arrange the elements as DfE's CIN census schema for the year sets out"
    problem = rules.Problem(name, line, tag, "schema", f"does not match DfE's CIN census schema {year}: {message}", fix,
                            value=rules.short(value) if shown and value.strip() else None, child=cid,
                            raw=None if shown else raw)
    return problem, episode


def _episode_dates(det) -> rules.Episode:
    """The dates of one ``CINdetails`` as the rules read them (one pass over its date elements)."""
    ep = rules.Episode(det.sourceline)
    dates = ep.dates
    parse = rules.parse_day
    Date = rules.Date
    groups: dict = {}  # the group element (lxml keeps one proxy while it is referenced) -> its dates
    for node in det.iter(*_DATE_TAGS):
        text = node.text or ""
        tag = node.tag
        d = Date(tag, parse(text), node.sourceline, text.strip())
        dates.append(d)
        if tag not in _DIRECT_TAGS or tag == "DateOfInitialCPC":
            parent = node.getparent()
            if parent.tag in _GROUP_TAGS:
                found = groups.get(parent)
                if found is None:
                    found = groups[parent] = {}
                    ep.groups.append((parent.tag, parent.sourceline, found))
                found.setdefault(tag, d)
    return ep


_DATE_TAGS = tuple(sorted(rules.CHECKED_DATES))
#: dates held directly in CINdetails; the others are inside its groups
_DIRECT_TAGS = ("CINreferralDate", "CINclosureDate", "DateOfInitialCPC")
_GROUP_TAGS = frozenset(g for g, *_ in rules.GROUP_ORDER)


def _record(det, ep: rules.Episode, year: int) -> tuple:
    """The aggregate-relevant facts of a valid episode (child-level; never leaves this module)."""
    referral = closure = None
    assessments, s47, icpc, cpp = [], [], set(), []
    for d in ep.dates:
        tag = d.tag
        if tag == "CINreferralDate":
            referral = d.day
        elif tag == "CINclosureDate":
            closure = d.day
        elif tag == "AssessmentActualStartDate":
            assessments.append(d.day)
        elif tag == "S47ActualStartDate":
            s47.append(d.day)
        elif tag == "DateOfInitialCPC":
            icpc.add(d.day)
        elif tag == "CPPstartDate":
            cpp.append(d.day)
    source = (det.findtext("ReferralSource") or "").strip()
    nfa = (det.findtext("ReferralNFA") or "").strip() in TRUE_VALUES
    return (referral, closure, nfa, source, tuple(sorted(assessments)), tuple(sorted(s47)),
            tuple(sorted(icpc)), tuple(sorted(cpp)), year)


def _aggregate_warnings(problems: list) -> list:
    """Warnings repeated child after child, as one line each with a count."""
    seen: dict = {}
    for p in problems:
        key = (p.reason, p.element, p.message)
        if key in seen:
            seen[key][1] += 1
        else:
            seen[key] = [p, 1]
    out = []
    for p, n in seen.values():
        out.append(p if n == 1 else replace(p, message=f"{p.message} ({n} times; first shown)"))
    return out


def _read_episodes(header: _Header, stats: dict, problems: list | None = None, keep_ids: bool = False) -> dict:
    """Episodes of one return that break no rule: {(child, referral ordinal): record}. Child-level; never
    leaves this module. Every problem found is appended to ``problems``; the counts go into ``stats``."""
    problems = [] if problems is None else problems
    year = header.year
    schema = _schema_for(schema_year_for(year))
    ctx = rules.ReturnContext(year, header.reference)
    newer = year > SCHEMA_YEARS[-1]
    known = known_elements() if newer else frozenset()
    episodes: dict = {}
    children = held = identical = 0
    excluded: dict[str, int] = {}
    seen_ids: dict[str, int] = {}
    newer_found: dict[tuple[str, str], list] = {}
    warnings: list = []
    seen_header = False
    path = header.path
    name = path.name
    try:
        context = etree.iterparse(str(path), events=("end",), tag=("Header", "Child"), **_PARSER_OPTIONS)
        for _, el in context:
            if el.tag == "Header":
                seen_header = True
                if not schema.validate(el):
                    for err in schema.error_log:
                        p, _ = _schema_problem(err, el, name, None, schema_year_for(year))
                        problems.append(replace(p, fix=p.fix + " (the Header: the episodes are used)"))
                continue
            parent = el.getparent()
            if not seen_header or parent is None or parent.tag != "Children" or parent.getparent() is None \
                    or parent.getparent().getparent() is not None:
                _fail(path, "Child is not inside Message/Children after the Header", el.sourceline, "Child")
            children += 1
            removed_from: set = set()
            if newer:
                gone: set = set()
                for node in list(el.iter()):
                    if isinstance(node.tag, str) and node.tag not in known:
                        owner = node.getparent()
                        gone.add(node)
                        if owner in gone:  # inside a newer element already taken out
                            continue
                        entry = newer_found.setdefault((node.tag, owner.tag), [node.sourceline, 0])
                        entry[1] += 1
                        removed_from.add(owner)
                        owner.remove(node)
            cid_text = el.findtext("ChildIdentifiers/LAchildID")
            cid = cid_text.strip() if cid_text and cid_text.strip() else None
            bad_episodes: dict[int, list] = {}
            child_excluded = False
            if not schema.validate(el):
                removed_paths = {el.getroottree().getpath(o) for o in removed_from}
                for err in schema.error_log:
                    p, index = _schema_problem(err, el, name, cid if keep_ids else None, schema_year_for(year))
                    if removed_from and err.type_name == "SCHEMAV_ELEMENT_CONTENT" and \
                            _relative(err.path) in {_relative(x) for x in removed_paths}:
                        warnings.append(replace(
                            p, reason="newer_element", severity="warning", child=None, raw=None,
                            message=f"differs from DfE's {SCHEMA_YEARS[-1]} schema where newer elements stand "
                                    f"({p.message.split(': ', 1)[-1]})",
                            fix="nothing to fix if the return follows a newer DfE specification"))
                        continue
                    if index is not None:
                        bad_episodes.setdefault(index, []).append(p)
                    elif p.element == "LAchildID" or (p.element == "ChildIdentifiers" and cid is None):
                        child_excluded = True
                        problems.append(replace(p, excluded=True))
                    else:
                        problems.append(replace(p, fix=p.fix + " (does not change the monthly series: the "
                                                               "child's episodes are used)"))
            if cid is not None:
                if cid in seen_ids:
                    problems.append(rules.Problem(
                        name, el.sourceline, "LAchildID", "duplicate_child",
                        f"the same LAchildID as the Child at line {seen_ids[cid]} (ID withheld)",
                        "give each child one Child record with all its episodes; the episodes are kept",
                        "8510", child=cid if keep_ids else None))
                else:
                    seen_ids[cid] = el.sourceline
            for index, det in enumerate(el.iterchildren("CINdetails"), start=1):
                held += 1
                ep = _episode_dates(det)
                found = [replace(p, excluded=True) for p in bad_episodes.get(index, ())]
                for hit in rules.check_episode(ep, ctx):
                    found.append(rules.Problem(name, hit.line, hit.element, hit.reason, hit.message, hit.fix,
                                               hit.code, excluded=True, child=cid if keep_ids else None,
                                               raw=hit.raw if keep_ids else None))
                if found and len(found) > len(bad_episodes.get(index, ())):
                    ruled = {(p.line, p.element) for p in found if p.reason != "schema"}
                    found = [p for p in found if p.reason != "schema" or (p.line, p.element) not in ruled]
                if child_excluded and not found:
                    excluded["schema"] = excluded.get("schema", 0) + 1
                    continue
                if found:
                    if not keep_ids:
                        found = [p.public() for p in found]
                    problems.extend(found)
                    reason = rules.first_reason(p.reason for p in found)
                    excluded[reason] = excluded.get(reason, 0) + 1
                    continue
                rec = _record(det, ep, year)
                key = (cid, rec[0])
                if key in episodes:
                    if episodes[key] == rec:
                        identical += 1
                        problems.append(rules.Problem(
                            name, det.sourceline, "CINdetails", "duplicate_episode",
                            "the same episode (same child and CINreferralDate) given twice, identical: counted once",
                            "give each episode once", "8820", severity="warning", child=cid if keep_ids else None))
                    else:
                        excluded["duplicate_episode"] = excluded.get("duplicate_episode", 0) + 1
                        problems.append(rules.Problem(
                            name, det.sourceline, "CINdetails", "duplicate_episode",
                            "a second episode of the same child with the same CINreferralDate, different from the "
                            "first: excluded (the first is used)", "give each episode once, with its own dates",
                            "8820", excluded=True, child=cid if keep_ids else None))
                    continue
                episodes[key] = rec
            parent.remove(el)
            el.clear()
        root = context.root
    except etree.XMLSyntaxError as exc:
        _syntax_error(path, exc)
    # the frame around the children: Message holds Header and Children only, Children only Child
    for part in root:
        if part.tag not in ("Header", "Children") or not isinstance(part.tag, str):
            _fail(path, "unexpected element in Message (expected Header and Children)", part.sourceline,
                  str(part.tag)[:40] if isinstance(part.tag, str) else None)
    frame = [p.tag for p in root]
    if frame.count("Children") != 1:
        _fail(path, "a CIN census return has exactly one Children element", root.sourceline, "Message")
    leftover = [p for p in root.find("Children")]
    if leftover:
        _fail(path, "unexpected element in Children (expected Child)", leftover[0].sourceline,
              str(leftover[0].tag)[:40])
    if children == 0:
        _fail(path, "the return holds no Child; export the full return", None, "Children")
    for (tag, owner), (line, count) in newer_found.items():
        problems.append(rules.Problem(
            name, line, tag, "newer_element",
            f"{tag} (in {owner}, {'once' if count == 1 else f'{count} times'}) is newer than the newest DfE schema here ({SCHEMA_YEARS[-1]}): "
            "accepted and not read", "nothing to fix", severity="warning"))
    problems.extend(_aggregate_warnings(warnings))
    stats.update(children=children, episodes=len(episodes), held=held, duplicates_within_return=identical,
                 excluded=excluded)
    return episodes


def _relative(xpath: str | None) -> str:
    """An element's path from its ``Child``, without positions (``/Child/ChildIdentifiers``)."""
    text = re.sub(r"\[\d+\]", "", xpath or "")
    m = re.search(r"/Child(?=/|$)", text)
    return text[m.start():] if m else text


def _disagree(old: tuple, new: tuple, old_reference: int) -> bool:
    """Whether a later return contradicts what an earlier one said up to the earlier census date."""
    if old[2] != new[2] or old[3] != new[3]:
        return True
    if old[1] is not None and old[1] != new[1]:
        return True
    if old[1] is None and new[1] is not None and new[1] <= old_reference:
        return True
    for i in (4, 5, 6, 7):
        if tuple(d for d in old[i] if d <= old_reference) != tuple(d for d in new[i] if d <= old_reference):
            return True
    return False


# ---------------------------------------------------------------------------------------------------
# Several returns


def read_returns(files: list[Path], la: str | None = None, strict: bool = False) -> CensusResult:
    """Read, validate and aggregate annual CIN census returns into the monthly extract contract.

    ``la`` is the council's three-digit code; every return's ``LEA`` must match it (or, if ``None``, each
    other). Returns a :class:`CensusResult` whose ``monthly`` frame has a monthly PeriodIndex ``month``
    from April of the first collection year to March of the last (or, for an in-year extract, to the last
    complete month before its reference date) and the columns in :data:`COLUMNS`.

    Lenient by default: episodes that break a rule (:mod:`cscbook.data.cinrules`) are excluded and counted by
    reason (``result.excluded``), the rest used. A return is refused only when it cannot be read, is from
    another council, or more than :data:`~cscbook.data.cinrules.MAX_EXCLUDED_SHARE` of its episodes are excluded;
    ``strict`` refuses any error. Every file is read whole and every refusal is raised at once, as one
    :class:`CensusError` with one line per problem.
    """
    result, _ = read_all(files, la, strict)
    return result


def read_all(files: list[Path], la: str | None = None, strict: bool = False, keep_ids: bool = False,
             refuse: bool = True) -> tuple[CensusResult | None, list]:
    """:func:`read_returns` with its problem list: ``(result, problems)``. With ``keep_ids`` the problems carry
    the child's ID and the withheld value (for the local validation report only). With ``refuse=False`` a
    refusal does not raise: the result is ``None`` and ``report``-like facts are in the problems."""
    if not files:
        raise CensusError("no CIN census return given; give one or more annual return files (.xml)")
    problems: list = []
    refusals: list[str] = []
    headers: list[_Header] = []
    for f in files:
        try:
            headers.append(read_header(Path(f)))
        except CensusError as exc:
            refusals.append(str(exc))
            problems.append(_refusal_problem(Path(f).name, str(exc)))
    expected = la if la is not None else (headers[0].lea if headers else None)
    usable: list[_Header] = []
    for h in headers:
        if h.lea != expected:
            whose = f"--la {la}" if la is not None else f"{headers[0].path.name} (LEA {expected})"
            msg = (f"{h.path.name}: the return is from council {h.lea} (Header/Source/LEA), not {whose}; "
                   "give that council's own returns")
            refusals.append(msg)
            problems.append(_refusal_problem(h.path.name, msg))
        else:
            usable.append(h)
    by_year: dict[int, _Header] = {}
    for h in usable:
        if h.year in by_year:
            msg = (f"{h.path.name}: collection year {h.year} is also given by {by_year[h.year].path.name}; "
                   "give one return per year")
            refusals.append(msg)
            problems.append(_refusal_problem(h.path.name, msg))
            continue
        by_year[h.year] = h
    years = sorted(by_year)
    if years:
        missing = sorted(set(range(years[0], years[-1] + 1)) - set(years))
        if missing:
            msg = (f"{by_year[years[-1]].path.name}: no return for collection year {missing[0]} between "
                   f"{years[0]} and {years[-1]}; give every year so the months have no gap")
            refusals.append(msg)
            problems.append(_refusal_problem(by_year[years[-1]].path.name, msg))
        for y in years[:-1]:
            if by_year[y].in_year:
                msg = (f"{by_year[y].path.name}: an in-year extract (ReferenceDate {by_year[y].reference}) is "
                       f"followed by the return for {years[-1]}; give the full return for {y}")
                refusals.append(msg)
                problems.append(_refusal_problem(by_year[y].path.name, msg))
    episodes: dict = {}
    report_files = []
    duplicates = disagreements = vanished = 0
    excluded_all: dict[str, int] = {}
    open_at_census: set = set()
    for year in years:
        h = by_year[year]
        stats: dict = {}
        found_problems: list = list(h.notes)
        try:
            found = _read_episodes(h, stats, found_problems, keep_ids)
        except CensusError as exc:
            refusals.append(str(exc))
            problems.append(_refusal_problem(h.path.name, str(exc)))
            continue
        problems.extend(found_problems)
        errors = [p for p in found_problems if p.severity == "error"]
        n_excluded = sum(stats["excluded"].values())
        share = n_excluded / stats["held"] if stats["held"] else 0.0
        if share > rules.MAX_EXCLUDED_SHARE or (strict and errors):
            why = (f"--strict refuses any error and it has {len(errors)}" if strict and share <= rules.MAX_EXCLUDED_SHARE
                   else f"{n_excluded} of its {stats['held']} episodes ({100 * share:.0f}%) break a rule, more than "
                        f"the {100 * rules.MAX_EXCLUDED_SHARE:.0f}% a return may have")
            lines = [p.text() for p in h.notes] + [p.public().text() for p in errors[:MAX_LISTED]]
            if len(errors) > MAX_LISTED:
                lines.append(f"{h.path.name}: ... and {len(errors) - MAX_LISTED} more problems (all listed by "
                             "'cscbook validate --output DIR')")
            msg = f"{h.path.name}: refused: {why}; fix the problems listed"
            refusals.extend(lines + [msg])
            problems.append(_refusal_problem(h.path.name, msg))
            continue
        schema_year = schema_year_for(year)
        report_files.append({
            "file": h.path.name, "collection_year": year, "lea": h.lea, "schema_year": schema_year,
            "reference_date": h.reference.isoformat(), "in_year": h.in_year,
            "newer_than_known": year > SCHEMA_YEARS[-1], "older_than_known": year < SCHEMA_YEARS[0],
            "errors": len(errors), "warnings": len(found_problems) - len(errors), **stats,
        })
        for reason, n in stats["excluded"].items():
            excluded_all[reason] = excluded_all.get(reason, 0) + n
        for key, rec in found.items():
            old = episodes.get(key)
            if old is not None:
                duplicates += 1
                if _disagree(old, rec, date(old[8], 3, 31).toordinal()):
                    disagreements += 1
            episodes[key] = rec
        # episodes the previous return left open at its census date must be in this one
        vanished += len(open_at_census - found.keys())
        open_at_census = {key for key, rec in found.items() if rec[1] is None}
        del found
    if refusals:
        if not refuse:
            return None, problems
        raise CensusError("\n".join(refusals))
    last = by_year[years[-1]].reference
    last_month = pd.Period(last, freq="M")
    if last != last_month.end_time.date():
        last_month -= 1  # an in-year extract: its last month is incomplete and left out
    months = pd.period_range(f"{years[0] - 1}-04", last_month, freq="M")
    if len(months) == 0:
        msg = (f"{by_year[years[-1]].path.name}: an in-year extract to {last} holds no complete month; give a "
               "later extract or the full return")
        if not refuse:
            return None, problems + [_refusal_problem(by_year[years[-1]].path.name, msg)]
        raise CensusError(msg)
    frame = _aggregate(episodes, months)
    report = {
        "lea": expected,
        "files": report_files,
        "episodes": len(episodes),
        "duplicates_removed": duplicates,
        "disagreements": disagreements,
        "missing_from_next_return": vanished,
        "months": [str(months[0]), str(months[-1])],
        "partial_month_left_out": str(pd.Period(last, freq="M")) if last_month != pd.Period(last, freq="M") else None,
        "rereferrals_from": str(months[min(12, len(months) - 1)]) if len(months) > 12 else None,
        "excluded": {r: excluded_all[r] for r in rules.REASONS if r in excluded_all},
        "errors": sum(f["errors"] for f in report_files),
        "warnings": sum(f["warnings"] for f in report_files),
    }
    return CensusResult(frame, report, [p.public() for p in problems]), problems


#: warnings printed by :func:`summary`
MAX_WARNINGS_PRINTED = 20
#: problems listed in a refusal message, per file (all of them are in the validation report)
MAX_LISTED = 50


def _refusal_problem(name: str, message: str) -> rules.Problem:
    text = message.removeprefix(name).lstrip(":, ")
    return rules.Problem(name, None, None, "refused", text, "see the message", severity="error")


def _month_index(ordinals: np.ndarray) -> np.ndarray:
    """Months since year 0 (year * 12 + month - 1) of proleptic Gregorian ordinals."""
    days = ordinals.astype("int64") - date(1970, 1, 1).toordinal()
    d64 = days.astype("datetime64[D]")
    return d64.astype("datetime64[M]").astype("int64") + 1970 * 12


def _aggregate(episodes: dict, months: pd.PeriodIndex) -> pd.DataFrame:
    first = months[0].year * 12 + months[0].month - 1
    n = len(months)
    keys = list(episodes)
    recs = [episodes[k] for k in keys]
    referral = np.fromiter((r[0] for r in recs), dtype="int64", count=len(recs))
    closure = np.fromiter((r[1] if r[1] is not None else 2**40 for r in recs), dtype="int64", count=len(recs))
    nfa = np.fromiter((r[2] for r in recs), dtype=bool, count=len(recs))
    source = np.array([r[3] for r in recs], dtype=object)

    def by_month(ordinals: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        if len(ordinals) == 0:
            return np.zeros(n)
        idx = _month_index(ordinals) - first
        ok = (idx >= 0) & (idx < n)
        return np.bincount(idx[ok], weights=None if weights is None else weights[ok], minlength=n)[:n].astype(float)

    out = pd.DataFrame(index=months)
    out.index.name = "month"
    out["referrals"] = by_month(referral)
    # re-referrals: previous referral of the same child on or after the same day twelve months earlier
    child = np.array([k[0] for k in keys], dtype=object)
    order = np.lexsort((referral, pd.factorize(child)[0]))
    codes = pd.factorize(child)[0][order]
    ref_sorted = referral[order]
    same = np.zeros(len(order), dtype=bool)
    same[1:] = codes[1:] == codes[:-1]
    prev = np.empty(len(order), dtype="int64")
    prev[1:] = ref_sorted[:-1]
    prev[0] = 0
    year_ago = np.fromiter((_year_earlier(o) for o in ref_sorted), dtype="int64", count=len(ref_sorted))
    rerefer = same & (prev >= year_ago)
    rr = by_month(ref_sorted, rerefer.astype(float))
    rr[: min(12, n)] = np.nan
    out["rereferrals"] = rr
    out["nfa_referrals"] = by_month(referral, nfa.astype(float))
    for col, pos in (("assessments", 4), ("s47", 5), ("icpc", 6), ("cp_plans", 7)):
        flat = np.fromiter((d for r in recs for d in r[pos]), dtype="int64")
        out[col] = by_month(flat)
    # open at each month end: referred on or before the last day, not closed on or before it
    ends = np.array([(m.end_time.normalize().date()).toordinal() for m in months], dtype="int64")
    ref_sorted_all = np.sort(referral)
    close_sorted = np.sort(closure)
    out["open_cin"] = (np.searchsorted(ref_sorted_all, ends, side="right")
                       - np.searchsorted(close_sorted, ends, side="right")).astype(float)
    for col, codes_set in (("share_school", SCHOOL_SOURCES), ("share_police", POLICE_SOURCES),
                           ("share_health", HEALTH_SOURCES)):
        hit = np.fromiter((s in codes_set for s in source), dtype=bool, count=len(source))
        counts = by_month(referral, hit.astype(float))
        with np.errstate(invalid="ignore", divide="ignore"):
            out[col] = np.where(out["referrals"].to_numpy() > 0, counts / out["referrals"].to_numpy(), np.nan)
    return out[list(COLUMNS)]


def _year_earlier(ordinal: int) -> int:
    d = date.fromordinal(int(ordinal))
    try:
        return d.replace(year=d.year - 1).toordinal()
    except ValueError:  # 29 February
        return date(d.year - 1, 2, 28).toordinal()


# ---------------------------------------------------------------------------------------------------
# Writing, reconciling, the command


def digest(files: list[Path]) -> str:
    """A SHA-256 of the returns' contents (not their paths), the same whatever order they are given in.

    For cache keys: it changes when any byte of any return changes, and reveals nothing about the contents.
    """
    parts = []
    for f in files:
        h = hashlib.sha256()
        with open(f, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        parts.append(h.hexdigest())
    return hashlib.sha256("\n".join(sorted(parts)).encode()).hexdigest()


#: beside a content-keyed monthly aggregate made from CIN census returns: the episodes the reader left out, by
#: reason (counts only; see :func:`cscbook.build.context.materialise_monthly`)
EXCLUSIONS_SUFFIX = ".exclusions.json"


def excluded_episodes(aggregate: str | Path | None) -> pd.DataFrame | None:
    """The episodes left out of an edition's monthly aggregate (made from CIN census returns), one row per reason
    in words with its count (``Episodes excluded``; suppress counts of 1 to 5 when publishing), or None when the
    aggregate is not from returns or nothing was left out."""
    import json

    if not aggregate:
        return None
    side = Path(aggregate).with_name(Path(aggregate).stem + EXCLUSIONS_SUFFIX)
    if not side.is_file():
        return None
    counts = json.loads(side.read_text(encoding="utf-8")).get("excluded", {})
    rows = [(label, int(counts[reason])) for reason, label in rules.REASONS.items() if counts.get(reason)]
    return pd.DataFrame(rows, columns=["Reason", "Episodes excluded"]) if rows else None


def write_extract(result: CensusResult, path: str | Path) -> Path:
    """Write the monthly series as a contract CSV, atomically (nothing partial on failure)."""
    return contract.write_csv(result.monthly, path)


def summary(result: CensusResult, reconciliation_table: pd.DataFrame | None = None) -> str:
    """The text the command line prints: what was read, how, and how it compares with DfE."""
    rep = result.report
    lines = []
    for f in rep["files"]:
        note = ""
        if f["newer_than_known"]:
            note = f"; year {f['collection_year']} is newer than the newest known schema, checked against {f['schema_year']}"
        elif f["older_than_known"]:
            note = f"; year {f['collection_year']} is older than the oldest known schema, checked against {f['schema_year']}"
        if f.get("in_year"):
            note += f"; an in-year extract to {f['reference_date']}"
        lines.append(f"{f['file']}: CIN census {f['collection_year']}, council {f['lea']}, checked against DfE schema "
                     f"{f['schema_year']}{note}; {f['children']} children, {f['episodes']} episodes")
        if f.get("excluded"):
            lines.append(f"  excluded {sum(f['excluded'].values())} of {f['held']} episodes: " + ", ".join(
                f"{label} {f['excluded'][r]}" for r, label in rules.REASONS.items() if r in f["excluded"]))
    warnings = result.warnings
    for p in warnings[:MAX_WARNINGS_PRINTED]:
        lines.append("  " + p.text())
    if len(warnings) > MAX_WARNINGS_PRINTED:
        lines.append(f"  ... and {len(warnings) - MAX_WARNINGS_PRINTED} more warnings ('cscbook validate' lists them)")
    if rep.get("partial_month_left_out"):
        lines.append(f"{rep['partial_month_left_out']} is incomplete (the extract ends on its reference date) and is "
                     "left out")
    lines.append(f"months {rep['months'][0]} to {rep['months'][1]}: {rep['episodes']} episodes after removing "
                 f"{rep['duplicates_removed']} held in two returns ({rep['disagreements']} where the later return "
                 "disagreed and was used)")
    if rep.get("missing_from_next_return"):
        lines.append(f"CHECK: {rep['missing_from_next_return']} episodes open at a census date are missing from the "
                     "next year's return (counted as still open)")
    if rep.get("rereferrals_from"):
        lines.append(f"re-referrals from {rep['rereferrals_from']} (earlier months lack the previous year's referrals)")
    if reconciliation_table is not None and len(reconciliation_table):
        lines.append("referrals against DfE table C1:")
        lines += reconciliation.lines(reconciliation_table)
    return "\n".join(lines)


def exclusion_lines(result: CensusResult) -> list[str]:
    """What the lenient reader left out and warned about, as the build prints it (counts, no child-level data)."""
    lines = []
    for f in result.report["files"]:
        if f.get("excluded"):
            lines.append(f"{f['file']}: excluded {sum(f['excluded'].values())} of {f['held']} episodes: " + ", ".join(
                f"{label} {f['excluded'][r]}" for r, label in rules.REASONS.items() if r in f["excluded"])
                + " ('cscbook validate --output DIR' lists each)")
    warnings = result.warnings
    lines += [p.text() for p in warnings[:MAX_WARNINGS_PRINTED]]
    if len(warnings) > MAX_WARNINGS_PRINTED:
        lines.append(f"... and {len(warnings) - MAX_WARNINGS_PRINTED} more warnings ('cscbook validate' lists them)")
    return lines


def extract_command(files: list[str], la: str | None, output: str, annex_a: str | None = None,
                    strict: bool = False) -> str:
    """``cscbook extract --cin-census FILE... [--la X] [--annex-a WORKBOOK] [--strict] --output monthly.csv``: read,
    write, summarise. With Ofsted's Annex A workbook, its monthly contacts join the series (the census has none).
    ``strict`` refuses a return with any error (default: episodes that break a rule are excluded and counted)."""
    code = None
    if la is not None:
        code = resolve(la).code
    result = read_returns([Path(f) for f in files], code, strict)
    code = code or result.report["lea"]
    table = reconciliation.reconcile(result.monthly, code)
    note = ""
    if annex_a:
        from dataclasses import replace

        annex = read_annex_a(annex_a)
        result = replace(result, monthly=add_contacts(result.monthly, annex))
        known = int(result.monthly["contacts"].notna().sum())
        note = f"\ncontacts from Annex A for {known} of {len(result.monthly)} months"
    path = write_extract(result, output)
    return summary(result, table) + note + f"\nwritten {len(result.monthly)} months to {path.name}"
