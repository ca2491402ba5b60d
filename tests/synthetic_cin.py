"""SYNTHETIC Children in Need census returns with known monthly counts, for tests and the benchmark.

Every child, date and episode here is fictional, drawn from a seeded random generator; each file says
SYNTHETIC in a comment and in its name. The yearly referral totals are a real council's published DfE C1
figures (read from ``data/official`` in code, never typed), so that reconciliation with DfE passes; ``scale``
gives a variant that is off by a known fraction.

The generator writes schema-valid returns in DfE's element order, one per collection year, each holding
every episode open at any time in its year and only what was known by its census date (31 March). It
includes school-term seasonality (fewer referrals and a smaller school share in the summer holiday),
episodes spanning years, repeat referrals within and beyond 12 months, no-further-action referrals,
long episodes opened before the first year, and missing optional elements. The expected monthly counts are
computed here from the generated episodes, independently of the reader.
"""

from __future__ import annotations

import calendar
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

#: relative referrals by calendar month: the August holiday is quiet, autumn term busy
MONTH_WEIGHT = {1: 1.0, 2: 1.0, 3: 1.05, 4: 0.9, 5: 1.0, 6: 1.05, 7: 0.95, 8: 0.65, 9: 1.05, 10: 1.1, 11: 1.1, 12: 0.85}
#: chance a referral comes from a school, by calendar month (term time against holidays)
SCHOOL_CHANCE = {1: 0.22, 2: 0.22, 3: 0.24, 4: 0.15, 5: 0.24, 6: 0.24, 7: 0.18, 8: 0.03, 9: 0.26, 10: 0.26,
                 11: 0.26, 12: 0.15}
OTHER_SOURCES = ("1A", "1B", "1C", "2B", "4", "5A", "5B", "7", "8", "9", "10")
HEALTH = ("3A", "3B", "3C", "3D", "3E", "3F")


def published_totals(la: str) -> pd.Series:
    """DfE's published referrals for the council by year ending 31 March (table C1)."""
    from cscbook.data.tables import la_values

    return la_values("referrals", "referral_count").xs(la, level="old_la_code")["value"].dropna().astype(int)


@dataclass
class Episode:
    child: str
    referral: date
    source: str
    nfa: bool
    closure: date | None = None
    assessments: list = field(default_factory=list)
    s47: list = field(default_factory=list)
    icpc: list = field(default_factory=list)
    cpp: list = field(default_factory=list)
    need: str | None = "N1"
    icpc_also_in_details: bool = False


@dataclass
class SyntheticSet:
    files: list[Path]
    expected: pd.DataFrame  # monthly counts the reader must recover
    child_ids: list[str]
    birth_dates: list[str]
    spanning: int  # episodes held in two or more returns
    repeat_within_12: int
    repeat_beyond_12: int
    disagreements: int


def _largest_remainder(weights: list[float], total: int) -> list[int]:
    s = sum(weights)
    raw = [w / s * total for w in weights]
    base = [int(r) for r in raw]
    for i in sorted(range(len(raw)), key=lambda i: base[i] - raw[i])[: total - sum(base)]:
        base[i] += 1
    return base


def _months(first_year: int, last_year: int) -> list[tuple[int, int]]:
    out = []
    for y in range(first_year, last_year + 1):
        out += [(y - 1, m) for m in range(4, 13)] + [(y, m) for m in range(1, 4)]
    return out


def generate(out_dir: Path, la: str = "825", years: tuple[int, ...] = (2024, 2025), scale: float = 1.0,
             totals: dict[int, int] | None = None, seed: int = 7, disagree: int = 0, tag: str = "") -> SyntheticSet:
    """Write SYNTHETIC returns for ``years`` into ``out_dir`` and return them with their known counts.

    Yearly referral totals are the council's published C1 figures times ``scale`` (rounded), unless
    ``totals`` gives them. ``disagree`` episodes that span two returns get a different referral source in
    the earlier return (the later return is the truth).
    """
    rng = random.Random(seed)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    years = tuple(sorted(years))
    if totals is None:
        pub = published_totals(la)
        totals = {y: int(round(pub[y] * scale)) for y in years}
    start = date(years[0] - 1, 4, 1)
    end = date(years[-1], 3, 31)
    episodes: list[Episode] = []
    births: dict[str, date | None] = {}
    free: list[tuple[str, date]] = []  # children whose last episode is closed, with its closure date
    counter = [0]

    def new_child() -> str:
        counter[0] += 1
        cid = f"SYN{tag}{counter[0]:07d}"
        births[cid] = None if rng.random() < 0.1 else date(2006, 1, 1) + timedelta(days=rng.randrange(6500))
        return cid

    def build(cid: str, ref: date, long: bool = False) -> Episode:
        m = ref.month
        u = rng.random()
        source = "2A" if u < SCHOOL_CHANCE[m] else "6" if u < SCHOOL_CHANCE[m] + 0.15 else \
            rng.choice(HEALTH) if u < SCHOOL_CHANCE[m] + 0.3 else rng.choice(OTHER_SOURCES)
        nfa = not long and rng.random() < 0.25
        ep = Episode(cid, ref, source, nfa, need=None if rng.random() < 0.2 else rng.choice(["N1", "N2", "N4", "N5"]))
        if nfa:
            ep.closure = ref
            return ep
        a = ref + timedelta(days=rng.randrange(0, 10))
        ep.assessments.append(a)
        last = a
        if rng.random() < 0.3:
            s = ref + timedelta(days=rng.randrange(1, 6))
            ep.s47.append(s)
            last = max(last, s)
            if rng.random() < 0.6:
                c = s + timedelta(days=rng.randrange(10, 21))
                ep.icpc.append(c)
                ep.icpc_also_in_details = rng.random() < 0.2
                last = max(last, c)
                if rng.random() < 0.7:
                    ep.cpp.append(c)
        if rng.random() < 0.08:  # a second assessment later in the episode
            second = last + timedelta(days=rng.randrange(30, 120))
            ep.assessments.append(second)
            last = second
        length = rng.randrange(400, 1100) if long else rng.choice([rng.randrange(20, 120), rng.randrange(60, 500)])
        ep.closure = last + timedelta(days=length)
        return ep

    # long episodes opened before the first year and still open in it
    for _ in range(max(3, int(0.02 * totals[years[0]]))):
        ref = start - timedelta(days=rng.randrange(30, 700))
        ep = build(new_child(), ref, long=True)
        ep.closure = max(ep.closure, start + timedelta(days=rng.randrange(1, 300)))
        episodes.append(ep)
    for y in years:
        months = _months(y, y)
        counts = _largest_remainder([MONTH_WEIGHT[m] for _, m in months], totals[y])
        for (yy, mm), n in zip(months, counts):
            days = calendar.monthrange(yy, mm)[1]
            refs = sorted(date(yy, mm, rng.randrange(1, days + 1)) for _ in range(n))
            for ref in refs:
                cid = None
                if free and rng.random() < 0.22:
                    # a recent child (re-referred within months) or any earlier one (often beyond 12 months)
                    for _ in range(5):
                        i = len(free) - 1 - rng.randrange(min(200, len(free))) if rng.random() < 0.6 \
                            else rng.randrange(len(free))
                        if free[i][1] < ref:
                            cid = free.pop(i)[0]
                            break
                cid = cid or new_child()
                ep = build(cid, ref)
                episodes.append(ep)
                free.append((cid, ep.closure))
    # each child's episodes must not overlap or share a referral date
    by_child: dict[str, list[Episode]] = {}
    for ep in episodes:
        by_child.setdefault(ep.child, []).append(ep)
    within = beyond = 0
    for eps in by_child.values():
        eps.sort(key=lambda e: e.referral)
        for a, b in zip(eps, eps[1:]):
            assert a.closure < b.referral and a.referral != b.referral
            if b.referral >= start:
                if a.referral >= _year_earlier(b.referral):
                    within += 1
                else:
                    beyond += 1

    files = []
    spanning = 0
    disagreed = 0
    seen_before: set[int] = set()
    for y in years:
        ref_date = date(y, 3, 31)
        y_start = date(y - 1, 4, 1)
        held = [i for i, ep in enumerate(episodes) if ep.referral <= ref_date and ep.closure >= y_start]
        spanning += sum(1 for i in held if i in seen_before)
        next_year_held = {i for i in held if episodes[i].closure > ref_date} if y != years[-1] else set()
        wrong = set()
        if disagree:
            for i in sorted(next_year_held):
                if len(wrong) + disagreed >= disagree:
                    break
                if episodes[i].source != "10":
                    wrong.add(i)
            disagreed += len(wrong)
        seen_before |= set(held)
        path = out_dir / f"SYNTHETIC_cin_census_{la}_{y}{tag}.xml"
        _write_return(path, la, y, [episodes[i] for i in held], births, {id(episodes[i]) for i in wrong})
        files.append(path)

    expected = _expected(episodes, start, end)
    return SyntheticSet(files, expected, sorted(by_child), sorted(str(b) for b in births.values() if b),
                        spanning, within, beyond, disagreed)


def _year_earlier(d: date) -> date:
    try:
        return d.replace(year=d.year - 1)
    except ValueError:
        return date(d.year - 1, 2, 28)


def _expected(episodes: list[Episode], start: date, end: date) -> pd.DataFrame:
    months = pd.period_range(start, end, freq="M")
    cols = ["referrals", "rereferrals", "nfa_referrals", "assessments", "s47", "icpc", "cp_plans", "open_cin",
            "school", "police", "health"]
    table = {m: dict.fromkeys(cols, 0) for m in months}

    def add(d: date, col: str) -> None:
        p = pd.Period(d, freq="M")
        if p in table:
            table[p][col] += 1

    last_ref: dict[str, date] = {}
    for ep in sorted(episodes, key=lambda e: (e.child, e.referral)):
        add(ep.referral, "referrals")
        prev = last_ref.get(ep.child)
        if prev is not None and prev >= _year_earlier(ep.referral):
            add(ep.referral, "rereferrals")
        last_ref[ep.child] = ep.referral
        if ep.nfa:
            add(ep.referral, "nfa_referrals")
        for col, dates in (("assessments", ep.assessments), ("s47", ep.s47), ("icpc", set(ep.icpc)),
                           ("cp_plans", ep.cpp)):
            for d in dates:
                add(d, col)
        group = "school" if ep.source == "2A" else "police" if ep.source == "6" else \
            "health" if ep.source in HEALTH else None
        if group:
            add(ep.referral, group)
    for m in months:
        last = m.end_time.date()
        table[m]["open_cin"] = sum(1 for ep in episodes if ep.referral <= last and (ep.closure is None or ep.closure > last))
    frame = pd.DataFrame.from_dict(table, orient="index").astype(float)
    frame.index.name = "month"
    frame.iloc[:12, frame.columns.get_loc("rereferrals")] = float("nan")
    for group in ("school", "police", "health"):
        frame[f"share_{group}"] = frame[group] / frame["referrals"].where(frame["referrals"] > 0)
    return frame.drop(columns=["school", "police", "health"])


def _d(d: date) -> str:
    return d.isoformat()


def _write_return(path: Path, la: str, year: int, eps: list[Episode], births: dict, wrong: set[int]) -> None:
    ref_date = date(year, 3, 31)
    by_child: dict[str, list[Episode]] = {}
    for ep in eps:
        by_child.setdefault(ep.child, []).append(ep)
    parts = [
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
        "<!-- SYNTHETIC test data generated by tests/synthetic_cin.py: every child, date and episode is fictional -->\n",
        f"<Message>\n<Header>\n<CollectionDetails>\n<Collection>CIN</Collection>\n<Year>{year}</Year>\n"
        f"<ReferenceDate>{year}-03-31</ReferenceDate>\n</CollectionDetails>\n<Source>\n<SourceLevel>L</SourceLevel>\n"
        f"<LEA>{la}</LEA>\n<SoftwareCode>SYNTHETIC</SoftwareCode>\n<Release>synthetic</Release>\n<SerialNo>001</SerialNo>\n"
        f"<DateTime>{year}-05-01T09:00:00</DateTime>\n</Source>\n</Header>\n<Children>\n",
    ]
    for n, (cid, child_eps) in enumerate(by_child.items()):
        birth = births[cid]
        ident = f"<LAchildID>{cid}</LAchildID>\n"
        if n % 3 == 0:
            ident += f"<UPN>A{n % 10**12:012d}</UPN>\n"
        if birth:
            ident += f"<PersonBirthDate>{_d(birth)}</PersonBirthDate>\n"
        ident += f"<GenderCurrent>{'12'[n % 2]}</GenderCurrent>\n"
        chars = "<Ethnicity>WBRI</Ethnicity>\n" + ("<Disabilities>\n<Disability>NONE</Disability>\n</Disabilities>\n" if n % 4 == 0 else "")
        parts.append(f"<Child>\n<ChildIdentifiers>\n{ident}</ChildIdentifiers>\n<ChildCharacteristics>\n{chars}</ChildCharacteristics>\n")
        for ep in child_eps:
            known = lambda d: d is not None and d <= ref_date  # noqa: E731
            source = "10" if id(ep) in wrong else ep.source
            x = [f"<CINdetails>\n<CINreferralDate>{_d(ep.referral)}</CINreferralDate>\n<ReferralSource>{source}</ReferralSource>\n"]
            if ep.need:
                x.append(f"<PrimaryNeedCode>{ep.need}</PrimaryNeedCode>\n")
            if known(ep.closure):
                x.append(f"<CINclosureDate>{_d(ep.closure)}</CINclosureDate>\n<ReasonForClosure>{'RC8' if ep.nfa else 'RC7'}</ReasonForClosure>\n")
            icpc_known = [c for c in ep.icpc if known(c)]
            if ep.icpc_also_in_details and icpc_known:
                x.append(f"<DateOfInitialCPC>{_d(icpc_known[0])}</DateOfInitialCPC>\n")
            for a in ep.assessments:
                if known(a):
                    auth = a + timedelta(days=20)
                    x.append(f"<Assessments>\n<AssessmentActualStartDate>{_d(a)}</AssessmentActualStartDate>\n"
                             + (f"<AssessmentAuthorisationDate>{_d(auth)}</AssessmentAuthorisationDate>\n" if known(auth) else "")
                             + "</Assessments>\n")
            for i, s in enumerate(ep.s47):
                if known(s):
                    x.append(f"<Section47>\n<S47ActualStartDate>{_d(s)}</S47ActualStartDate>\n"
                             f"<InitialCPCtarget>{_d(s + timedelta(days=21))}</InitialCPCtarget>\n"
                             + (f"<DateOfInitialCPC>{_d(ep.icpc[i])}</DateOfInitialCPC>\n" if i < len(ep.icpc) and known(ep.icpc[i]) else "")
                             + f"<ICPCnotRequired>{'false' if ep.icpc else 'true'}</ICPCnotRequired>\n</Section47>\n")
            x.append(f"<ReferralNFA>{'true' if ep.nfa else 'false'}</ReferralNFA>\n")
            for p in ep.cpp:
                if known(p):
                    x.append(f"<ChildProtectionPlans>\n<CPPstartDate>{_d(p)}</CPPstartDate>\n"
                             + (f"<CPPendDate>{_d(ep.closure)}</CPPendDate>\n" if known(ep.closure) else "")
                             + "<InitialCategoryOfAbuse>NEG</InitialCategoryOfAbuse>\n<LatestCategoryOfAbuse>NEG</LatestCategoryOfAbuse>\n"
                             "<NumberOfPreviousCPP>1</NumberOfPreviousCPP>\n</ChildProtectionPlans>\n")
            x.append("</CINdetails>\n")
            parts.append("".join(x))
        parts.append("</Child>\n")
    parts.append("</Children>\n</Message>\n")
    tmp = path.with_suffix(".part")
    tmp.write_text("".join(parts), encoding="utf-8")
    tmp.replace(path)


# ---------------------------------------------------------------------------------------------------
# SYNTHETIC returns with every kind of problem at once


@dataclass
class ProblemSet:
    files: list[Path]  # [2024 return, 2025 return]; the 2025 return holds every kind of problem
    #: kind -> (file name, line, element) where the reader must report it
    where: dict
    #: child-level values written into the problem records: none may appear in a message
    secrets: list[str]
    #: episodes of the 2025 return that must be excluded, by reason
    excluded: dict


def _child(cid: str, ident: str, details: str) -> str:
    return (f"<Child>\n<ChildIdentifiers>\n<LAchildID>{cid}</LAchildID>\n{ident}</ChildIdentifiers>\n"
            f"<ChildCharacteristics>\n<Ethnicity>WBRI</Ethnicity>\n</ChildCharacteristics>\n{details}</Child>\n")


def _details(referral: str, *, source: str = "6", closure: str | None = None, assessment: str | None = None,
             cpp: str | None = None, extra: str = "") -> str:
    x = f"<CINdetails>\n<CINreferralDate>{referral}</CINreferralDate>\n<ReferralSource>{source}</ReferralSource>\n"
    if closure:
        x += f"<CINclosureDate>{closure}</CINclosureDate>\n<ReasonForClosure>RC7</ReasonForClosure>\n"
    if assessment:
        x += f"<Assessments>\n<AssessmentActualStartDate>{assessment}</AssessmentActualStartDate>\n</Assessments>\n"
    x += "<ReferralNFA>false</ReferralNFA>\n"
    if cpp:
        x += (f"<ChildProtectionPlans>\n<CPPstartDate>{cpp}</CPPstartDate>\n<InitialCategoryOfAbuse>NEG"
              "</InitialCategoryOfAbuse>\n<LatestCategoryOfAbuse>NEG</LatestCategoryOfAbuse>\n<NumberOfPreviousCPP>1"
              "</NumberOfPreviousCPP>\n</ChildProtectionPlans>\n")
    return x + extra + "</CINdetails>\n"


def generate_problems(out_dir: Path, la: str = "825") -> ProblemSet:
    """SYNTHETIC returns for 2024 and 2025 (about 300 good episodes) where the 2025 return also holds every kind
    of problem the reader knows, each in a record of its own: a code not in DfE's list (``RB``), a birth date and
    a UPN with an apostrophe inside, stray text in ``ChildIdentifiers``, an assessment before the referral, a
    plan starting after the reference date, a closure before the collection year, the same child twice, the
    same episode twice (different), a missing and an impossible referral date, 2025-26 elements (``Sex``,
    ``PreProceedingsandFGDM``) and a ``Year`` that disagrees with its ``ReferenceDate``. The 2024 return has one
    code-list error of its own (``ZZ``)."""
    s = generate(Path(out_dir), la=la, years=(2024, 2025), totals={2024: 150, 2025: 150}, seed=3, tag="P")
    secrets = ["SYNP9000001", "SYNP9000002", "SYNP9000003", "SYNP9000004", "SYNP9000005", "SYNP9000006",
               "SYNP9000007", "SYNP9000008", "SYNP9000009", "2011-11-28", "20'11-11-28", "A82'5000000017"]
    children = [
        ("code_list", _child("SYNP9000001", "<GenderCurrent>1</GenderCurrent>\n",
                             _details("2024-05-02", source="RB"))),
        ("birth_apostrophe", _child("SYNP9000002", "<PersonBirthDate>20'11-11-28</PersonBirthDate>\n"
                                    "<GenderCurrent>1</GenderCurrent>\n", _details("2024-05-03"))),
        ("upn_apostrophe", _child("SYNP9000003", "<UPN>A82'5000000017</UPN>\n<PersonBirthDate>2011-11-28"
                                  "</PersonBirthDate>\n<GenderCurrent>2</GenderCurrent>\n", _details("2024-05-04"))),
        ("mixed_content", _child("SYNP9000004", "<GenderCurrent>1</GenderCurrent>\nSTRAY TEXT MARK\n",
                                 _details("2024-05-05"))),
        ("date_order", _child("SYNP9000005", "<GenderCurrent>1</GenderCurrent>\n",
                              _details("2024-06-10", assessment="2024-06-01"))),
        ("after_reference", _child("SYNP9000006", "<GenderCurrent>1</GenderCurrent>\n",
                                   _details("2025-03-01", assessment="2025-03-02", cpp="2025-04-15"))),
        ("closure_before_year", _child("SYNP9000007", "<GenderCurrent>1</GenderCurrent>\n",
                                       _details("2023-01-10", closure="2024-02-01", assessment="2023-01-12"))),
        ("duplicate_child", _child("SYNP9000005", "<GenderCurrent>1</GenderCurrent>\n", _details("2024-09-01"))),
        ("duplicate_episode", _child("SYNP9000008", "<GenderCurrent>1</GenderCurrent>\n",
                                     _details("2024-07-01") + _details("2024-07-01", source="3A"))),
        ("date_missing", _child("SYNP9000009", "<GenderCurrent>1</GenderCurrent>\n",
                                _details("2025-02-30") + _details("2024-08-01").replace(
                                    "<CINreferralDate>2024-08-01</CINreferralDate>\n", ""))),
        ("newer_elements", _child("SYNP9000010", "<GenderCurrent>1</GenderCurrent>\n<Sex>M</Sex>\n",
                                  _details("2024-10-01", extra="").replace(
                                      "<ReferralNFA>false</ReferralNFA>\n",
                                      "<ReferralNFA>false</ReferralNFA>\n<PreProceedingsandFGDM>\n<PPStartDate>"
                                      "2024-10-20</PPStartDate>\n</PreProceedingsandFGDM>\n"))),
        ("sex_instead_of_gender", _child("SYNP9000011", "<Sex>F</Sex>\n", _details("2024-10-02"))),
    ]
    path = s.files[1]
    text = path.read_text(encoding="utf-8")
    text = text.replace("<Year>2025</Year>", "<Year>2024</Year>", 1)  # disagrees with ReferenceDate 2025-03-31
    head, tail = text.split("</Children>")
    where: dict = {}
    line = head.count("\n") + 1
    for kind, xml in children:
        marks = {"code_list": "<ReferralSource>RB", "birth_apostrophe": "<PersonBirthDate>",
                 "upn_apostrophe": "<UPN>", "mixed_content": "STRAY TEXT MARK", "date_order": "<AssessmentActual",
                 "after_reference": "<CPPstartDate>", "closure_before_year": "<CINclosureDate>",
                 "duplicate_child": "<Child>", "duplicate_episode": "<CINdetails>",
                 "date_missing": "<CINreferralDate>2025-02-30", "newer_elements": "<Sex>",
                 "sex_instead_of_gender": "<Sex>"}
        lines = xml.split("\n")
        mark = marks[kind]
        idx = [i for i, l in enumerate(lines) if l.startswith(mark)]
        pick = idx[-1] if kind == "duplicate_episode" else idx[0]
        where[kind] = (path.name, line + pick)
        line += xml.count("\n")
    path.write_text(head + "".join(x for _, x in children) + "</Children>" + tail, encoding="utf-8")
    first = s.files[0].read_text(encoding="utf-8")
    i = first.index("<ReferralSource>")
    where["code_list_2024"] = (s.files[0].name, first[:i].count("\n") + 1)
    s.files[0].write_text(first[:i] + "<ReferralSource>ZZ</ReferralSource>" +
                          first[first.index("</ReferralSource>", i) + len("</ReferralSource>"):], encoding="utf-8")
    # schema: the code list (RB) and the episode without a referral date (it also breaks 8600, counted once)
    excluded = {"schema": 1, "date_missing": 2, "after_reference": 1, "closure_before_year": 1, "date_order": 1,
                "duplicate_episode": 1}
    return ProblemSet(list(s.files), where, secrets, excluded)
