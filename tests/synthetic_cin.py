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
    from cscbook.data import la_values

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
