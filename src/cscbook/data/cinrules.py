"""The rules a CIN census episode must meet before it counts in the monthly series, and the problems found.

Each rule is a small function of one episode (:class:`Episode`) and its return (:class:`ReturnContext`) that
gives the :class:`Hit`\\ s it finds. Where DfE's CIN census validation has a rule for the same check, its code is
given (the definitions as Data to Insight's CIN validator, ``data-to-insight/csc-validator-be-cin``, states
them in ``cin_validator/rules/cin2022_23/rule_<code>.py``):

=====================  =====================================================================================
reason                 rule (DfE code)
=====================  =====================================================================================
``date_missing``       a date missing or not a date: ``CINreferralDate`` must be present (8600); every date
                       element must be a date (YYYY-MM-DD)
``date_order``         referral on or before assessment start (1103), initial conference (1104), plan start
                       (1105), section 47 start (2889) and closure (8630); assessment start on or before its
                       authorisation (8608); section 47 start on or before its conference (8615); plan start
                       on or before its end (8925); CIN plan start on or before its end (4011); closure on or
                       after every activity (8565)
``after_reference``    no event after the return's reference date: referral (8600), closure (8620),
                       assessment end (8696), conference (8715), plan start (8720) and end (8930), CIN plan
                       start (4010) and end (4013), assessment and section 47 start (8736, 8740)
``closure_before_year`` a closure before the collection year starts on 1 April (8620)
``duplicate_episode``  the same child's episode (same referral date) twice in one return (episodes of a
                       child may not overlap, 8820); the later one is excluded
``duplicate_child``    two ``Child`` records with the same ``LAchildID`` in one return (8510); their episodes
                       are kept (each is still a referral) and any repeated episode is a ``duplicate_episode``
``schema``             the episode does not match DfE's schema for the year (e.g. a code not in the code list)
=====================  =====================================================================================

DfE's rules 8696 and 8715 also ask that an assessment end and a conference fall *inside* the collection year;
only the upper bound is applied here, since a long episode held in two returns keeps its earlier events.

Privacy: a :class:`Problem`'s ``message``, ``element``, ``line`` and ``value`` never hold a child-level value.
A value is shown only for the elements in :data:`SHOWN_ELEMENTS` (code lists and header fields); identifiers,
names and every date of a child are withheld. ``child`` and ``raw`` (the child's ``LAchildID`` and the
withheld value) are filled only for the local validation report (``cscbook validate --output``), which is for
fixing records in the council's own system and is never written inside an edition.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Callable, Iterable, NamedTuple

from cscbook.core.memo import memo

#: A return is refused when more than this share of its episodes break a rule (and are excluded). The
#: reconciliation with DfE's table C1 warns at a 10% gap (:func:`cscbook.data.reconciliation.reconcile`); excluding more
#: than 10% of episodes would move the series by at least as much, so a return that bad is refused rather
#: than used. ``--strict`` refuses any error at all.
MAX_EXCLUDED_SHARE = 0.10

#: Elements whose values are shown in messages: code lists and header fields, never about one child.
SHOWN_ELEMENTS = frozenset({
    "Collection", "Year", "ReferenceDate", "SourceLevel", "LEA", "SoftwareCode", "Release", "SerialNo",
    "ReferralSource", "PrimaryNeedCode", "ReasonForClosure", "ReferralNFA", "ICPCnotRequired",
    "InitialCategoryOfAbuse", "LatestCategoryOfAbuse", "NumberOfPreviousCPP", "GenderCurrent", "Sex",
    "Ethnicity", "Disability", "AssessmentFactors", "UPNunknown",
})

#: The reasons an episode is excluded, in the order an episode with several is counted under (each excluded
#: episode is counted once, under its first reason), with the words the report uses.
REASONS = {
    "date_missing": "a date missing or not a date",
    "after_reference": "a date after the reference date",
    "closure_before_year": "closed before the collection year",
    "date_order": "dates out of order",
    "duplicate_episode": "the same episode twice in a return",
    "schema": "does not match DfE's schema",
}

#: event dates that must not be after the return's reference date, with DfE's rule code
AFTER_REFERENCE_CODES = {
    "CINreferralDate": "8600", "CINclosureDate": "8620", "AssessmentAuthorisationDate": "8696",
    "AssessmentActualStartDate": "8736", "S47ActualStartDate": "8740", "DateOfInitialCPC": "8715",
    "CPPstartDate": "8720", "CPPendDate": "8930", "CPPreviewDate": None, "CINPlanStartDate": "4010",
    "CINPlanEndDate": "4013",
}
CHECKED_DATES = frozenset(AFTER_REFERENCE_CODES)
#: dates that may not be before the referral, with DfE's rule code
AFTER_REFERRAL_CODES = {"AssessmentActualStartDate": "1103", "DateOfInitialCPC": "1104", "CPPstartDate": "1105",
                        "S47ActualStartDate": "2889", "CINclosureDate": "8630"}
#: activity a closure may not precede (DfE 8565)
BEFORE_CLOSURE = ("AssessmentActualStartDate", "AssessmentAuthorisationDate", "S47ActualStartDate",
                  "DateOfInitialCPC", "CPPendDate", "CINPlanStartDate", "CINPlanEndDate")
#: (group element, earlier date, later date, DfE code): order inside one group
GROUP_ORDER = (("Assessments", "AssessmentActualStartDate", "AssessmentAuthorisationDate", "8608"),
               ("Section47", "S47ActualStartDate", "DateOfInitialCPC", "8615"),
               ("ChildProtectionPlans", "CPPstartDate", "CPPendDate", "8925"),
               ("CINPlanDates", "CINPlanStartDate", "CINPlanEndDate", "4011"))


@dataclass(frozen=True)
class Problem:
    """One problem in a return: where, what, how to fix it (and, only in the local report, whose)."""

    file: str
    line: int | None
    element: str | None
    reason: str
    message: str
    fix: str
    code: str | None = None
    value: str | None = None
    severity: str = "error"  # "error" (excludes an episode, refused by --strict) or "warning"
    excluded: bool = False  # whether the episode it is in was excluded
    child: str | None = None  # the child's LAchildID: local report only
    raw: str | None = None  # the withheld value: local report only

    def text(self) -> str:
        """The problem on one line, without any child-level value."""
        where = self.file
        if self.line:
            where += f", line {self.line}"
        if self.element:
            where += f", element {self.element}"
        code = f" [DfE {self.code}]" if self.code else ""
        mark = "" if self.severity == "error" else "warning: "
        return f"{where}: {mark}{self.message}{code}; {self.fix}"

    def public(self) -> "Problem":
        """The problem without the child's ID or the withheld value."""
        return replace(self, child=None, raw=None) if self.child is not None or self.raw is not None else self


class Date(NamedTuple):
    """One date element of an episode: its tag, day (proleptic ordinal; None if not a date), line and text."""

    tag: str
    day: int | None
    line: int | None
    raw: str


@dataclass
class Episode:
    """The dates of one ``CINdetails`` (child-level; never leaves the reader)."""

    line: int | None
    dates: list[Date] = field(default_factory=list)
    #: (group element, line, {tag: Date}) for Assessments, Section47, ChildProtectionPlans, CINPlanDates
    groups: list[tuple[str, int | None, dict]] = field(default_factory=list)

    def first(self, tag: str) -> Date | None:
        """The first date of the episode with element name ``tag`` (e.g. ``CINreferralDate``), or None."""
        for d in self.dates:
            if d.tag == tag:
                return d
        return None


@dataclass(frozen=True)
class ReturnContext:
    """What the rules need to know about the return an episode is in."""

    year: int  # collection year (year ending 31 March)
    reference: date  # the return's reference date (31 March, or earlier for an in-year extract)

    @property
    def year_start(self) -> date:
        """The first day of the collection year: 1 April of the year before ``year``."""
        return date(self.year - 1, 4, 1)

    @property
    def limit(self) -> int:
        """The reference date's ordinal (computed once)."""
        return _ordinals(self.year, self.reference)[1]

    @property
    def start(self) -> int:
        """The first day of the collection year's ordinal (computed once)."""
        return _ordinals(self.year, self.reference)[0]


@memo(maxsize=64)
def _ordinals(year: int, reference: date) -> tuple[int, int]:
    return date(year - 1, 4, 1).toordinal(), reference.toordinal()


@dataclass(frozen=True)
class Hit:
    """A rule broken by an episode."""

    reason: str
    code: str | None
    element: str | None
    line: int | None
    message: str
    fix: str
    raw: str | None = None


def parse_day(text: str | None) -> int | None:
    """The proleptic ordinal of an ISO date (``YYYY-MM-DD``, a time zone after it ignored), else None."""
    text = (text or "").strip()
    if len(text) != 10 and not _ZONED.fullmatch(text):
        return None
    if text[4:5] != "-" or text[7:8] != "-" or not (text[:4] + text[5:7] + text[8:10]).isdigit():
        return None
    try:
        return date.fromisoformat(text[:10]).toordinal()
    except ValueError:
        return None


_ZONED = re.compile(r"\d{4}-\d{2}-\d{2}(Z|[+-]\d{2}:\d{2})")


def _show(day: int) -> str:
    return date.fromordinal(day).strftime("%-d %B %Y")


# ---------------------------------------------------------------------------------------------------
# The rules: each a function of one episode and its return


def missing_or_unparseable_dates(ep: Episode, ctx: ReturnContext) -> list[Hit]:
    """DfE 8600: every episode has a ``CINreferralDate``; every date element holds a date (YYYY-MM-DD)."""
    hits = []
    if ep.first("CINreferralDate") is None:
        hits.append(Hit("date_missing", "8600", "CINreferralDate", ep.line, "the episode has no CINreferralDate",
                        "add the date the referral was received"))
    for d in ep.dates:
        if d.day is None:
            hits.append(Hit("date_missing", "8600" if d.tag == "CINreferralDate" else None, d.tag, d.line,
                            "not a date (value withheld)", "write the date as YYYY-MM-DD, e.g. 2024-01-31", d.raw))
    return hits


def dates_after_reference(ep: Episode, ctx: ReturnContext) -> list[Hit]:
    """DfE 8600, 8620, 8696, 8715, 8720, 8930, 4010, 4013, 8736, 8740: no event after the reference date."""
    limit = ctx.limit
    return [Hit("after_reference", AFTER_REFERENCE_CODES[d.tag], d.tag, d.line,
                f"a date after the reference date {_show(limit)}",
                "a return holds events up to its reference date only: correct the date, or give the return that "
                "covers it", d.raw)
            for d in ep.dates if d.day is not None and d.tag in CHECKED_DATES and d.day > limit]


def closure_before_year(ep: Episode, ctx: ReturnContext) -> list[Hit]:
    """DfE 8620: a closure may not be before the collection year (a return holds episodes open during it)."""
    start = ctx.start
    return [Hit("closure_before_year", "8620", d.tag, d.line,
                f"a closure before the collection year {ctx.year} (1 April {ctx.year - 1} to 31 March {ctx.year})",
                "leave out episodes closed before the year, or correct the closure date", d.raw)
            for d in ep.dates if d.tag == "CINclosureDate" and d.day is not None and d.day < start]


def date_order(ep: Episode, ctx: ReturnContext) -> list[Hit]:
    """Dates in order: referral <= assessment start (1103), conference (1104), plan start (1105), section 47
    (2889) and closure (8630); each group's start <= its end (8608, 8615, 8925, 4011); closure >= activity (8565)."""
    hits = []
    referral = ep.first("CINreferralDate")
    closure = ep.first("CINclosureDate")
    if referral is not None and referral.day is not None:
        for d in ep.dates:
            code = AFTER_REFERRAL_CODES.get(d.tag)
            if code and d.day is not None and d.day < referral.day:
                hits.append(Hit("date_order", code, d.tag, d.line, f"{d.tag} is before the CINreferralDate",
                                f"correct {d.tag} or CINreferralDate (line {referral.line})", d.raw))
    for group, line, found in ep.groups:
        for g, early, late, code in GROUP_ORDER:
            a, b = found.get(early), found.get(late)
            if g == group and a and b and a.day is not None and b.day is not None and b.day < a.day:
                hits.append(Hit("date_order", code, late, b.line, f"{late} is before {early} in the same {group}",
                                f"correct {late} or {early} (line {a.line})", b.raw))
    if closure is not None and closure.day is not None:
        for d in ep.dates:
            if d.tag in BEFORE_CLOSURE and d.day is not None and d.day > closure.day:
                hits.append(Hit("date_order", "8565", d.tag, d.line, f"{d.tag} is after the CINclosureDate",
                                f"correct {d.tag} or CINclosureDate (line {closure.line})", d.raw))
    return hits


#: the episode rules, in the order they are applied
EPISODE_RULES: tuple[Callable[[Episode, ReturnContext], list[Hit]], ...] = (
    missing_or_unparseable_dates, dates_after_reference, closure_before_year, date_order)


def clearly_fine(ep: Episode, ctx: ReturnContext) -> bool:
    """A quick test that an episode breaks none of :data:`EPISODE_RULES` (most do not): one referral and at most
    one closure, every date a date, none before the referral, after the reference date or after the closure, a
    closure in the year, each group in order. ``False`` means only that the rules must be run to find out."""
    referral = closure = None
    lo = hi = None
    for d in ep.dates:
        day = d.day
        if day is None:
            return False
        if d.tag == "CINreferralDate":
            if referral is not None:
                return False
            referral = day
        elif d.tag == "CINclosureDate":
            if closure is not None:
                return False
            closure = day
        if lo is None or day < lo:
            lo = day
        if hi is None or day > hi:
            hi = day
    if referral is None or hi > ctx.limit or lo < referral:
        return False
    if closure is not None and (closure < ctx.start or closure < hi):
        return False
    for group, _, found in ep.groups:
        for g, early, late, _ in GROUP_ORDER:
            if g == group:
                a, b = found.get(early), found.get(late)
                if a is not None and b is not None and b.day < a.day:
                    return False
    return True


def check_episode(ep: Episode, ctx: ReturnContext) -> list[Hit]:
    """Every rule broken by one episode."""
    if clearly_fine(ep, ctx):
        return []
    hits = []
    for rule in EPISODE_RULES:
        hits += rule(ep, ctx)
    return hits


def first_reason(reasons: Iterable[str]) -> str:
    """The reason an excluded episode is counted under: the first of :data:`REASONS` among its problems."""
    found = set(reasons)
    return next(r for r in REASONS if r in found)


# ---------------------------------------------------------------------------------------------------
# Messages without child-level values


def withhold(message: str, secrets: Iterable[str]) -> str:
    """``message`` with every occurrence of each secret replaced (a literal match: quotes cannot defeat it)."""
    for s in sorted({s for s in secrets if s and s.strip()}, key=len, reverse=True):
        message = message.replace(s, "[withheld]")
        if s.strip() != s:
            message = message.replace(s.strip(), "[withheld]")
    return message


def scrub(message: str) -> str:
    """A parser message with no value from the file: everything between its first and last quote after the
    ``Element 'X':`` prefix is removed (an apostrophe inside a value cannot re-open the text), as is anything
    that looks like a date or a long run of digits."""
    message = message.strip().rstrip(".")
    head = re.match(r"Element '([A-Za-z_][\w.-]{0,80})'(?:, attribute '[\w.-]{0,80}')?: ", message)
    prefix, rest = ("", message)
    if head:
        prefix, rest = message[: head.end()], message[head.end():]
    tail = ""
    m = re.search(r" of the atomic type '(xs:\w+)'$", rest)
    if m:
        rest, tail = rest[: m.start()], f" of the atomic type {m.group(1)}"
    rest = re.sub(r"'.*'", "a value", rest, flags=re.S)
    rest = re.sub(r"\d{2,4}[-/.]\d{1,2}[-/.]\d{1,4}", "a value", rest)
    rest = re.sub(r"\w*\d{5,}\w*", "a value", rest)
    return prefix + rest + tail


def short(value: str, limit: int = 40) -> str:
    """A value as a message may show it: one line, printable, at most ``limit`` characters."""
    value = re.sub(r"\s+", " ", value or "").strip()
    value = "".join(c if c.isprintable() else "?" for c in value)
    return value if len(value) <= limit else value[: limit - 1] + "…"
