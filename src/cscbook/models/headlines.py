"""Plain-English headline sentences for leadership, each a :class:`~cscbook.models.claims.Claim` with its figures,
their sources, the rules that word it and the chapter that shows the evidence."""

from __future__ import annotations

import pandas as pd

from cscbook.data.edition import Edition
from cscbook.data.releases import latest_year_published
from cscbook.data.tables import la_values, release_for
from cscbook.models import changeclaims
from cscbook.models.changeclaims import _and, _literal, _official, _results
from cscbook.models.claims import NO_DECISION, NO_RECRUITMENT, After, Claim, Figure, worded
from cscbook.models.indicators import BY_NAME
from cscbook.models.results import EditionResults

#: Backward-compatible name: a headline is a claim (``.text``, ``.chapter``).
Headline = Claim


#: the workforce moves "What improved" shows, in order: (name, measure in the workforce table, words, format)
WORKFORCE_MOVES = (
    ("agency", "agency_rate_fte", "agency staff", "{:.1f}%"),
    ("turnover", "turnover_rate_fte", "turnover (year to 30 September)", "{:.1f}%"),
    ("vacancy", "vacancy_rate_fte", "vacancies", "{:.1f}%"),
    ("fte", "case_holders_fte", "case-holding FTE", "{:,.1f}"),
    ("caseload", "caseload_fte", "caseload per FTE", "{:.1f}"),
)
#: the four parts of the headline page, in order: (key, heading)
SECTIONS = (("decide", "What to decide"), ("changed", "What changed"), ("risk", "What is at risk"),
            ("improved", "What improved"))


def workforce_moves(code: str, quarter) -> pd.DataFrame | None:
    """The council's workforce moves between the last two 30 September snapshots published by the end of
    ``quarter`` (DfE's children's social work workforce table): one row per :data:`WORKFORCE_MOVES` entry with
    ``before`` and ``now``; None where either year is missing for any of them."""
    year = latest_year_published("workforce", quarter)
    if year is None:
        return None
    rows = []
    for name, measure, words, fmt in WORKFORCE_MOVES:
        v = la_values("workforce", measure, quarter)
        try:
            before, now = float(v.at[(code, year - 1), "value"]), float(v.at[(code, year), "value"])
        except KeyError:
            return None
        if pd.isna(before) or pd.isna(now):
            return None
        rows.append(dict(name=name, measure=measure, words=words, fmt=fmt, before=before, now=now, year=year,
                         file="data/official/" + release_for("workforce", quarter).file))
    return pd.DataFrame(rows).set_index("name")


def workforce_claim(ed: Edition) -> list[Claim]:
    """The workforce moves from the year-earlier snapshot to the latest: agency staff, turnover, vacancies,
    case-holding FTE and caseload per FTE, each "rose"/"fell" by the sign of its change."""
    moves = workforce_moves(ed.council.code, ed.quarter)
    if moves is None:
        return []
    year = int(moves["year"].iloc[0])
    la = f"old_la_code={ed.council.code}"
    figs, wordings, parts = [], [], []
    for name, r in moves.iterrows():
        for when, y in (("before", year - 1), ("now", year)):
            period = f"year to 30 September {y}" if name == "turnover" else f"30 September {y} (snapshot)"
            figs.append(Figure(f"{name}_{when}", r[when], r["file"], f"{la}, {period}, {r['measure']}", r["fmt"]))
        w = worded(f"{name}_moved", "change", (f"{name}_before", f"{name}_now"), [r["before"], r["now"]], places=1)
        wordings.append(w)
        parts.append(f"{r['words']} {{{name}_moved}}" + ("" if w.words == "unchanged" else " from {%s_before} to {%s_now}"
                                                      % (name, name)))
    template = (f"Social workers at 30 September {year} (snapshot) against a year earlier: " + "; ".join(parts) + ".")
    return [Claim(template, "scorecard", tuple(figs), tuple(wordings), name="workforce")]


def _fmt_of(indicator: str) -> str:
    """How an indicator's value is shown: percentages with a % sign, other values to one place."""
    ind = BY_NAME.get(indicator)
    return "{:,.1f}%" if ind is not None and ind.kind == "pct" else "{:,.1f}"


def _benchmark(ed: Edition, res: EditionResults | None = None) -> pd.DataFrame:
    """The benchmark the headlines word, indexed by indicator (:attr:`EditionResults.headline_benchmark`)."""
    return _results(ed, res).headline_benchmark


def direction_claims(ed: Edition, bm: pd.DataFrame, words: str) -> list[Claim]:
    """The scorecard's indicators (outside the workforce, which :func:`workforce_claim` shows) whose latest year
    moved the better way (``words="improving"``) or the worse way (``"worsening"``) on the year before."""
    if bm.empty:
        return []
    la = f"old_la_code={ed.council.code}"
    outside = pd.Series([BY_NAME[i].table != "workforce" if i in BY_NAME else True for i in bm.index],
                        index=bm.index)
    sel = bm[(bm["direction"] == words) & outside]
    sel = sel[sel["value"].notna() & sel["previous"].notna()]
    if sel.empty:
        return []
    figs, parts = [], []
    for ind, r in sel.iterrows():
        y = int(r["year"])
        fmt = _fmt_of(ind)
        figs.append(_official(f"{ind}_before", ind, y - 1, la, r["previous"], fmt))
        figs.append(_official(f"{ind}_now", ind, y, la, r["value"], fmt))
        label = _literal(str(r["label"]))
        parts.append(f"{label} from {{{ind}_before}} to {{{ind}_now}}")
    y = int(sel["year"].max())
    lead = ("Moved the better way in the year to March {y}: " if words == "improving"
            else "Moved the worse way in the year to March {y}: ").format(y=y)
    return [Claim(lead + "; ".join(parts) + ".", "scorecard", tuple(figs), name=f"{words}")]


def _capacity(ed: Edition, res: EditionResults | None = None):
    """(capacity result, illustrative) of the edition's base case, or (None, False) without a monthly forecast."""
    res = _results(ed, res)
    if res.capacity is None:
        return None, False
    return res.capacity.result, res.illustrative


def recruitment_claim(ed: Edition, result, illustrative: bool) -> tuple[list[Claim], str]:
    """The recruitment decision from the base-case capacity plan (:class:`cscbook.models.capacity.CapacityResult`):
    a claim where some month is more likely than not to need more social workers than available, else no claim
    and the reason in words."""
    if result is None:
        return [], "There is no monthly forecast to plan social workers against."
    plan = result.plan
    if plan.empty:
        return [], "There is no published staffing figure to plan social workers against."
    if result.first_at_risk is None:
        worst = plan["probability_over_capacity"].idxmax()
        p = float(plan.at[worst, "probability_over_capacity"])
        basis = " on illustrative monthly figures modelled from annual totals" if illustrative else ""
        return [], (f"Capacity is expected to hold{basis}: no month in the next {len(plan)} is more likely than not "
                    f"to need more social workers than available (the highest chance is {p:.0%}, in {worst:%B %Y}).")
    first = result.first_at_risk
    r = plan.loc[first]
    figs = [Figure("month", f"{first:%B %Y}", "computed", "first month at risk in the capacity plan (forecast page)"),
            Figure("probability", float(r["probability_over_capacity"]), "computed",
                   f"capacity plan, {first}: chance of needing more social workers than available", "{:.0%}"),
            Figure("needed", float(r["fte_needed"]), "computed", f"capacity plan, {first}: FTE needed", "{:,.1f}"),
            Figure("capacity", float(r["capacity_fte"]), "computed", f"capacity plan, {first}: FTE available",
                   "{:,.1f}"),
            Figure("lead", int(result.lead_time_days), "capacity.LEAD_TIME_DAYS", "recruitment lead time", "{}"),
            Figure("quarter_end", ed.quarter.end.isoformat(), "edition", f"end of {ed.quarter}")]
    after = ()
    if result.recruit_by is not None:
        figs.append(Figure("recruit_by", result.recruit_by.isoformat(), "computed",
                           "first month at risk less the lead time (forecast page)"))
        figs.append(Figure("recruit_by_words", f"{result.recruit_by.day} {result.recruit_by:%B %Y}", "computed",
                           "recruit_by in words"))
        when = "Agree that recruitment of case-holding social workers starts by **{recruit_by_words}**"
        after = (After("recruit_by", "quarter_end"),)
    else:
        when = "Agree that recruitment of case-holding social workers **starts now**"
    template = (when + ": {month} is the first month more likely than not to need more social workers than "
                "available ({probability} chance; about {needed} FTE needed against {capacity} available), and "
                "recruiting takes about {lead} days.")
    if illustrative:
        template += (" The forecast rests on illustrative monthly figures modelled from annual totals: confirm it "
                     "with the council's own monthly figures before committing funds.")
    return [Claim(template, "forecast", tuple(figs), after=after, name="decision_recruit")], ""


def capacity_risk_claim(ed: Edition, result, illustrative: bool) -> list[Claim]:
    """What is at risk in the base-case capacity plan (:class:`cscbook.capacity.CapacityResult`, as the forecast
    page shows it): the month with the highest chance of needing more case-holding social workers than available,
    that chance, the FTE needed against available then, and how many months are more likely than not over
    capacity. No claim without a plan."""
    if result is None or result.plan.empty:
        return []
    plan = result.plan
    worst = plan["probability_over_capacity"].idxmax()
    r = plan.loc[worst]
    over = int((plan["probability_over_capacity"] > 0.5).sum())
    figs = (Figure("month", f"{worst:%B %Y}", "computed", "month of highest risk in the capacity plan (forecast page)"),
            Figure("probability", float(r["probability_over_capacity"]), "computed",
                   f"capacity plan, {worst}: chance of needing more social workers than available", "{:.0%}"),
            Figure("needed", float(r["fte_needed"]), "computed", f"capacity plan, {worst}: FTE needed", "{:,.1f}"),
            Figure("capacity", float(r["capacity_fte"]), "computed", f"capacity plan, {worst}: FTE available",
                   "{:,.1f}"),
            Figure("months_over", over, "computed", "months of the plan with a chance over one half", "{}"),
            Figure("horizon", len(plan), "computed", "months in the capacity plan", "{}"))
    template = ("Social worker capacity: of the next {horizon} months, **{month}** has the highest chance of needing "
                "more case-holding social workers than available, {probability} (about {needed} FTE needed against "
                "{capacity} available); "
                + ("none of them is" if over == 0 else "{months_over} of them {are}")
                + " more likely than not to be over capacity.")
    if illustrative:
        template += " These months rest on illustrative monthly figures modelled from annual totals."
    return [Claim(template, "forecast", figs, (worded("are", "plural", ("months_over",), [over]),),
                  name="risk_capacity")]


def worst_quarter_claim(ed: Edition, bm: pd.DataFrame) -> tuple[list[Claim], str]:
    """The decision to look at the indicators the scorecard rates in England's worst quarter, or the reason none
    is needed."""
    if bm.empty:
        return [], "No indicator is rated this quarter."
    rated = bm[bm["rag"].isin(["green", "amber", "red"])]
    red = rated[rated["rag"] == "red"]
    if red.empty:
        return [], "No rated indicator is in England's worst quarter."
    la = f"old_la_code={ed.council.code}"
    figs = [Figure("red", len(red), "computed", "rated indicators in England's worst quarter (scorecard)")]
    names = []
    for ind, r in red.iterrows():
        figs.append(_official(ind, ind, int(r["year"]), la, r["value"], _fmt_of(ind)))
        names.append(_literal(str(r["label"])) + f" ({{{ind}}})")
    template = ("Ask officers for a report, with actions, on the {red} indicator"
                + ("s" if len(red) != 1 else "") + " rated in England's worst quarter: " + _and(names) + ".")
    return [Claim(template, "scorecard", tuple(figs), name="decision_worst_quarter")], ""


def decisions(ed: Edition, include_capacity: bool = True, bm: pd.DataFrame | None = None,
              capacity: tuple | None = None, res: EditionResults | None = None) -> list[Claim]:
    """What the edition asks leadership to decide, as claims: recruitment where the base-case capacity plan has
    a month more likely than not to need more social workers than available, and a report on the indicators
    rated in England's worst quarter (beside it, where the capacity plan holds, a note that no recruitment decision
    is needed, and why). With neither, one claim: "No decision needed this quarter", with the reasons. The headline page's "What to decide" and the committee paper's "Decisions sought" both show these.

    ``include_capacity=False`` skips the monthly forecast (the slow part); ``bm`` and ``capacity`` ((result,
    illustrative), see :func:`recruitment_claim`) may be given to reuse what the caller has, or its results ``res``.
    """
    if bm is None or (include_capacity and capacity is None):
        res = _results(ed, res)
    bm = _benchmark(ed, res) if bm is None else bm
    out, reasons = [], []
    if include_capacity:
        result, illustrative = _capacity(ed, res) if capacity is None else capacity
        claims, why = recruitment_claim(ed, result, illustrative)
        out += claims
        reasons += [why] if why else []
    claims, why = worst_quarter_claim(ed, bm)
    if out + claims and reasons:  # a decision to take, and capacity needs none: say so beside it
        out.append(Claim(NO_RECRUITMENT + ": " + _literal(reasons[0]), "forecast",
                         name="decision_no_recruitment"))
    out += claims
    reasons += [why] if why else []
    if any(c.name != "decision_no_recruitment" for c in out):
        return out
    return [Claim(NO_DECISION + ": " + _literal(" ".join(reasons)), "scorecard",
                  name="decision_none")]


def sections(ed: Edition, include_forecast: bool = True, holding_only: bool = False,
             res: EditionResults | None = None) -> dict[str, list[Claim]]:
    """The headline page's claims by part (:data:`SECTIONS`): what to decide, what changed, what is at risk and
    what improved (``holding_only``: only the claims whose words agree with their figures), from the edition's
    results ``res`` (made here when not given)."""
    res = _results(ed, res)
    bm = _benchmark(ed, res)
    year = res.referrals_year
    changed = changeclaims.new_this_quarter(ed)
    if not bm.empty and year is not None:
        changed += changeclaims.referrals_claim(ed, bm, year) + changeclaims.recording_change_claim(ed, year, res)
    changed += changeclaims.ofsted_headline(ed)
    capacity = _capacity(ed, res) if include_forecast else None  # computed once: the decisions and the risk read it
    risk = (changeclaims.scorecard_claim(ed, bm) if not bm.empty else []) + direction_claims(ed, bm, "worsening")
    improved = direction_claims(ed, bm, "improving") + workforce_claim(ed)
    if not risk:
        risk = [Claim("No indicator is rated in England's worst quarter or moved the worse way on the year before.",
                      "scorecard", name="risk_none")]
    risk += capacity_risk_claim(ed, *capacity) if capacity is not None else []  # beside the indicators
    if not improved:
        improved = [Claim("No indicator moved the better way on the year before.", "scorecard", name="improved_none")]
    out = {"decide": decisions(ed, include_capacity=include_forecast, bm=bm, capacity=capacity), "changed": changed,
           "risk": risk, "improved": improved}
    return {k: [c for c in v if not c.problems()] for k, v in out.items()} if holding_only else out


def headlines(ed: Edition, include_forecast: bool = True, holding_only: bool = True,
              res: EditionResults | None = None) -> list[Claim]:
    """The edition's headline claims, in page order (the four parts of :func:`sections`).

    A claim whose words disagree with its figures (see :meth:`~cscbook.models.claims.Claim.problems`) never reaches the
    headlines; the fact-check page asks for ``holding_only=False`` to list it with its problem.
    ``include_forecast=False`` skips the monthly forecast behind the recruitment decision (the slow part).
    """
    out = [c for part in sections(ed, include_forecast, res=res).values() for c in part]
    return [c for c in out if not c.problems()] if holding_only else out
