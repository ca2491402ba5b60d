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

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from cscbook.data import cinrules as rules
from cscbook.data.cinepisodes import read_episodes
from cscbook.data.cinheader import SCHEMA_YEARS, CensusError, Header, read_header, schema_year_for
from cscbook.data.cinmonthly import aggregate


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
        """The problems that are warnings (the episodes concerned are used), without child-level values."""
        return [p for p in self.problems if p.severity == "warning"]



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
    headers: list[Header] = []
    for f in files:
        try:
            headers.append(read_header(Path(f)))
        except CensusError as exc:
            refusals.append(str(exc))
            problems.append(_refusal_problem(Path(f).name, str(exc)))
    expected = la if la is not None else (headers[0].lea if headers else None)
    usable: list[Header] = []
    for h in headers:
        if h.lea != expected:
            whose = f"--la {la}" if la is not None else f"{headers[0].path.name} (LEA {expected})"
            msg = (f"{h.path.name}: the return is from council {h.lea} (Header/Source/LEA), not {whose}; "
                   "give that council's own returns")
            refusals.append(msg)
            problems.append(_refusal_problem(h.path.name, msg))
        else:
            usable.append(h)
    by_year: dict[int, Header] = {}
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
            found = read_episodes(h, stats, found_problems, keep_ids)
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
    frame = aggregate(episodes, months)
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



#: beside a content-keyed monthly aggregate made from CIN census returns: the episodes the reader left out, by
#: reason (counts only; see :func:`cscbook.build.context.materialise_monthly`)
EXCLUSIONS_SUFFIX = ".exclusions.json"


def excluded_episodes(aggregate: str | Path | None) -> pd.DataFrame | None:
    """The episodes left out of an edition's monthly aggregate (made from CIN census returns), one row per reason
    in words with its count (``Episodes excluded``; suppress counts of 1 to 5 when publishing), or None when the
    aggregate is not from returns or nothing was left out."""
    if not aggregate:
        return None
    side = Path(aggregate).with_name(Path(aggregate).stem + EXCLUSIONS_SUFFIX)
    if not side.is_file():
        return None
    counts = json.loads(side.read_text(encoding="utf-8")).get("excluded", {})
    rows = [(label, int(counts[reason])) for reason, label in rules.REASONS.items() if counts.get(reason)]
    return pd.DataFrame(rows, columns=["Reason", "Episodes excluded"]) if rows else None



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
