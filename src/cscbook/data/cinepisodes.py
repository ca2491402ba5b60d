"""One CIN census return's episodes: each ``Child`` checked against DfE's schema for its year and the rules of
:mod:`cscbook.data.cinrules`, and the facts the monthly series needs drawn from each valid episode.

Part of the CIN census reader (:mod:`cscbook.data.cincensus` describes it whole). Child-level data (IDs, dates)
never leaves the reader: :func:`read_episodes` returns it only to :mod:`cscbook.data.cincensus`.
"""

from __future__ import annotations

import re
from dataclasses import replace

from lxml import etree

from cscbook.data import cinrules as rules
from cscbook.data.cinheader import (
    PARSER_OPTIONS,
    SCHEMA_YEARS,
    Header,
    fail,
    known_elements,
    schema_for,
    schema_year_for,
    syntax_error,
)

#: ``ReferralNFA`` values read as true
TRUE_VALUES = frozenset({"true", "TRUE", "1"})


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


def read_episodes(header: Header, stats: dict, problems: list | None = None, keep_ids: bool = False) -> dict:
    """Episodes of one return that break no rule: {(child, referral ordinal): record}. Child-level; never
    leaves this module. Every problem found is appended to ``problems``; the counts go into ``stats``."""
    problems = [] if problems is None else problems
    year = header.year
    schema = schema_for(schema_year_for(year))
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
        context = etree.iterparse(str(path), events=("end",), tag=("Header", "Child"), **PARSER_OPTIONS)
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
                fail(path, "Child is not inside Message/Children after the Header", el.sourceline, "Child")
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
        syntax_error(path, exc)
    # the frame around the children: Message holds Header and Children only, Children only Child
    for part in root:
        if part.tag not in ("Header", "Children") or not isinstance(part.tag, str):
            fail(path, "unexpected element in Message (expected Header and Children)", part.sourceline,
                  str(part.tag)[:40] if isinstance(part.tag, str) else None)
    frame = [p.tag for p in root]
    if frame.count("Children") != 1:
        fail(path, "a CIN census return has exactly one Children element", root.sourceline, "Message")
    leftover = [p for p in root.find("Children")]
    if leftover:
        fail(path, "unexpected element in Children (expected Child)", leftover[0].sourceline,
              str(leftover[0].tag)[:40])
    if children == 0:
        fail(path, "the return holds no Child; export the full return", None, "Children")
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
