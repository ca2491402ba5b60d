"""Plain-English headline sentences for leadership, each a :class:`~cscbook.models.claims.Claim` with its figures,
their sources, the rules that word it and the chapter that shows the evidence."""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from cscbook.core.errors import CSCBookError
from cscbook.data.edition import Edition
from cscbook.data.releases import latest_year_published
from cscbook.data.tables import la_values, release_for
from cscbook.data.timeline import timeline
from cscbook.models import peaks
from cscbook.models.benchmark import SUPPRESSED
from cscbook.models.breaks import LEVEL_RATIO, NFA_MARGIN_PP, detect_for
from cscbook.models.changes import new_releases, release_period
from cscbook.models.claims import WEAK_PEAK, After, Claim, Figure, Interval, pct_change, source_of, worded
from cscbook.models.indicators import BY_NAME
from cscbook.models.results import EditionResults

#: Backward-compatible name: a headline is a claim (``.text``, ``.chapter``).
Headline = Claim


def _results(ed: Edition, res: EditionResults | None) -> EditionResults:
    """The edition's results: ``res`` where the caller has them, else made here (each computed on first read)."""
    return res if res is not None else EditionResults(ed)


def _fmt(v, places=0):
    return f"{v:,.{places}f}"


def _literal(text: str) -> str:
    """``text`` (a label or sentence from data) as literal words in a claim's template: its braces doubled."""
    return text.replace("{", "{{").replace("}", "}}")


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _official(name: str, indicator: str, year: int, where: str, value: float, fmt: str) -> Figure:
    file, row = source_of(indicator, year, where)
    return Figure(name, float(value), file, row, fmt)


def _withheld(note: str, year: int) -> tuple[str, str]:
    """(status, marker) of a withheld latest year from its scorecard note ("2025 suppressed (c): not rated")."""
    import re

    m = re.match(rf"{year} (.*?)(?: \((\w+)\))?: not rated$", str(note))
    return (m.group(1), m.group(2) or "") if m else ("not published", "")


def referrals_claim(ed: Edition, bm: pd.DataFrame, year: int) -> list[Claim]:
    if "referrals" not in bm.index or bm.at["referrals", "year"] != year:
        return []
    la = f"old_la_code={ed.council.code}"
    r = bm.loc["referrals"]
    if pd.isna(r["value"]):  # the year is published, but not this council's count
        status, marker = _withheld(r["note"], year)
        file, row = source_of("referrals", year, la)
        return [Claim(f"{ed.council.name}'s referrals for the year to March {year} are {{status}} in the published "
                      f"table{' (marked ' + marker + ')' if marker else ''}, so this edition states no count for that "
                      "year.", "demand", (Figure("status", status, file, row),), name="referrals")]
    figs = [_official("referrals", "referrals", year, la, r["value"], "{:,.0f}")]
    template = f"In the year to March {year}, {ed.council.name} received **{{referrals}} referrals**"
    wordings = []
    if "referrals_rate_per_10k" in bm.index and pd.notna(bm.at["referrals_rate_per_10k", "value"]) \
            and bm.at["referrals_rate_per_10k", "year"] == year:
        rr = bm.loc["referrals_rate_per_10k"]
        figs.append(_official("rate", "referrals_rate_per_10k", year, la, rr["value"], "{:,.0f}"))
        figs.append(_official("england", "referrals_rate_per_10k", year, "England", rr["england"], "{:,.0f}"))
        if pd.notna(rr["sn_median"]):
            figs.append(Figure("sn_median", float(rr["sn_median"]), source_of("referrals_rate_per_10k", year, "")[0],
                               f"median of the statistical neighbours {', '.join(ed.council.neighbours)}, year {year}",
                               "{:,.0f}"))
            template += (", {rate} per 10,000 children, against a median of {sn_median} for its statistical "
                         "neighbours and {england} in England")
        else:  # fewer than three neighbours published a rate: no median to state
            template += (", {rate} per 10,000 children, against {england} in England (too few of its statistical "
                         "neighbours published a rate that year for a median)")
    if pd.notna(r["previous"]) and r["previous"]:
        figs.append(_official("previous", "referrals", year - 1, la, r["previous"], "{:,.0f}"))
        figs.append(Figure("change_pct", abs(pct_change(r["previous"], r["value"])), "computed",
                           f"(referrals {year} - referrals {year - 1}) / referrals {year - 1}", "{:.0f}%"))
        w = worded("direction", "change", ("previous", "referrals"), [r["previous"], r["value"]], places=0, style="up")
        wordings.append(w)
        template += ("; unchanged on the year before." if w.words == "unchanged"
                     else "; {direction} {change_pct} on the year before.")
    else:
        template += "."
    return [Claim(template, "demand", tuple(figs), tuple(wordings), name="referrals")]


def _monthly_treatment(ed: Edition, res: EditionResults | None = None) -> str:
    """What the forecast page says its monthly models do with a level shift, in a clause ('' when there is no
    monthly forecast)."""
    try:
        series = _results(ed, res).series
    except CSCBookError:
        return ""
    if series is None:
        return ""
    prepared = series.prepared
    if prepared.action == "adjust":
        return (f"; the monthly forecast rescales the months before the level shift it finds ({prepared.shift_month:%B %Y}) "
                "to the level after it")
    if prepared.action == "train_after":
        return f"; the monthly forecast trains only on the months from {prepared.shift_month:%B %Y}, after the shift"
    return ""


def recording_change_claim(ed: Edition, year: int, res: EditionResults | None = None) -> list[Claim]:
    """Years whose referral count looks like a recording change (:mod:`cscbook.models.breaks`), told by the signal:
    a count well above the council's usual level while the share ending in no further action ran at several
    times England's. Years with as high a share but a usual count are named as not flagged."""
    flags = detect_for(ed.council.code, ed.quarter)
    flags = flags[flags.index <= year]
    flagged = flags[flags["flagged"]]
    if flagged.empty:
        return []
    la = f"old_la_code={ed.council.code}"
    years = [int(y) for y in flagged.index]
    figs = []
    for y in years:
        figs.append(_official(f"nfa_{y}", "nfa_pct", y, la, flagged.at[y, "nfa_pct"], "{:.1f}%"))
        figs.append(_official(f"england_{y}", "nfa_pct", y, "England", flagged.at[y, "england_nfa_pct"], "{:.1f}%"))
        figs.append(Figure(f"times_{y}", float(flagged.at[y, "nfa_pct"] / flagged.at[y, "england_nfa_pct"]),
                           "computed", f"no further action % {y}, council / England", "{:.1f}"))
        figs.append(Figure(f"level_{y}", float(flagged.at[y, "level_ratio"]), "computed",
                           f"referrals {y} / median of the council's other years (cscbook.models.breaks)", "{:.2f}"))

    def each(prefix):
        return _and(["{" + f"{prefix}_{y}" + "}" for y in years])

    one = len(years) == 1
    template = (f"Referral counts for {_and([str(y) for y in years])} look like a **recording change** rather than "
                f"demand: {'the count was' if one else 'the counts were'} {each('level')} times the council's median "
                f"of its other years, while the share of referrals ending in no further action ran at {each('times')} "
                f"times England's ({each('nfa')} against {each('england')}). "
                f"{'It is' if one else 'They are'} shaded on the charts of referrals and left out of the annual "
                f"forecasts' training{_monthly_treatment(ed, res)}.")
    high = flags[~flags["flagged"] & (flags["nfa_pct"] >= flags["england_nfa_pct"] + NFA_MARGIN_PP)]
    if not high.empty:
        others = [int(y) for y in high.index]
        for y in others:
            figs.append(_official(f"nfa_{y}", "nfa_pct", y, la, high.at[y, "nfa_pct"], "{:.1f}%"))
            figs.append(_official(f"england_{y}", "nfa_pct", y, "England", high.at[y, "england_nfa_pct"], "{:.1f}%"))
        pairs = _and(["{" + f"nfa_{y}" + "} in " + str(y) + " (England {" + f"england_{y}" + "})" for y in others])
        template += (f" A high share alone is not flagged: {pairs} came with "
                     f"{'a count' if len(others) == 1 else 'counts'} under {LEVEL_RATIO:g} times the council's median "
                     "of its other years.")
    return [Claim(template, "demand", tuple(figs), (), name="recording_change")]


def scorecard_claim(ed: Edition, bm: pd.DataFrame) -> list[Claim]:
    rated = bm[bm["rag"].isin(["green", "amber", "red"])]
    if rated.empty:
        return []
    la = f"old_la_code={ed.council.code}"
    red = rated[rated["rag"] == "red"]
    green = rated[rated["rag"] == "green"]
    figs = [Figure("rated", len(rated), "computed", "indicators rated by England's quartiles (scorecard)"),
            Figure("green", len(green), "computed", "rated indicators in England's best quarter"),
            Figure("red", len(red), "computed", "rated indicators in England's worst quarter")]
    parts = []
    for ind, r in red.iterrows():
        f = _official(ind, ind, int(r["year"]), la, r["value"], "{:,.1f}")
        figs.append(Figure(f.name, f.value, f.source, f.row + f"; quartile {r['quartile']} of {r['councils']} councils",
                           f.fmt))
        note = r.get("note", "")
        parts.append(f"{r['label']} [{note}]" if isinstance(note, str) and note else r["label"])
    w = worded("is_green", "plural", ("green",), [len(green)])
    template = ("Of {rated} rated indicators, {green} {is_green} in England's best quarter and **{red} in the worst "
                "quarter**")
    template += (": " + ", ".join(_literal(p) for p in parts) + ".") if parts else "."
    suppressed = bm[bm["rag"] == SUPPRESSED]
    if not suppressed.empty:
        names = [f"{r['label']} ({int(r['year'])} {_withheld(r['note'], int(r['year']))[0]})"
                 for _, r in suppressed.iterrows()]
        template += (" Not rated because the council's figure for the latest year is withheld: "
                     + _literal(_and(names)) + ".")
    return [Claim(template, "scorecard", tuple(figs), (w,), name="scorecard")]


def demand_headlines(ed: Edition, res: EditionResults | None = None) -> list[Claim]:
    """The referrals, recording-change and scorecard claims from the edition's benchmark (``res``: its results)."""
    res = _results(ed, res)
    year = res.referrals_year
    if year is None:
        return []
    bm = res.headline_benchmark
    if bm.empty:
        return []
    return referrals_claim(ed, bm, year) + recording_change_claim(ed, year, res) + scorecard_claim(ed, bm)


def ofsted_headline(ed: Edition) -> list[Claim]:
    t = timeline(ed.council.code, ed.quarter)
    j = t[t["official"] & (t["kind"] == "judgement") & t["grade"].notna()]
    if j.empty:
        return [Claim("No Ofsted judgement of this council had been published by the end of the quarter.",
                      "timeline", name="ofsted")]
    last = j.iloc[-1]
    src = f"data/official/{last['source']}"
    figs = (Figure("date", str(last["date"]), src, f"{ed.council.code}: {last['quote']}"),
            Figure("date_words", f"{pd.Timestamp(str(last['date'])):%-d %B %Y}", "computed", "date in words"),
            Figure("grade", str(last["grade"]), src, f"{ed.council.code}: {last['framework']}"),
            Figure("framework", str(last["framework"]), src, f"{ed.council.code}"))
    return [Claim("Ofsted's latest judgement, published on {date_words}, was **{grade}** ({framework}).", "timeline",
                  figs, name="ofsted")]


def peak_claim(ed: Edition, fc: pd.DataFrame, peak_month: str, peak_probability: float, model: str,
               bias: float, level: float, illustrative: bool, source: str) -> Claim:
    """The peak headline from a 12-month forecast, the peak month's probability and the model's backtest bias.

    Below :data:`~cscbook.models.claims.WEAK_PEAK` the month is not stated as the peak; below one half the sentence
    says how often it is the peak ("only about one year in N"); the backtest bias is always stated.
    """
    month = pd.Period(peak_month, freq="M")
    row = fc.loc[month]
    figs = (
        Figure("peak_month", str(month), "computed", f"forecast.peaks over the {model} forecast", "{}"),
        Figure("month_name", month.strftime("%B %Y"), "computed", "peak_month in words"),
        Figure("probability", float(peak_probability), "computed",
               "share of simulated years in which this month is the highest (forecast.peaks)", "{:.0%}"),
        Figure("mean", float(row["mean"]), source, f"{model} forecast, {month}, mean", "{:,.0f}"),
        Figure("lower_80", float(row["lower_80"]), source, f"{model} forecast, {month}, lower 80%", "{:,.0f}"),
        Figure("upper_80", float(row["upper_80"]), source, f"{model} forecast, {month}, upper 80%", "{:,.0f}"),
        Figure("bias", float(bias), source, f"rolling-origin backtest of {model}: mean of forecast minus actual",
               "{:,.0f}"),
        Figure("level", float(level), source, "mean monthly referrals over the last twelve months", "{:,.0f}"),
        Figure("quarter_end", ed.quarter.end.isoformat(), "edition", f"end of {ed.quarter}"),
    )
    label = " (illustrative: modelled monthly split of annual totals)" if illustrative else ""
    lk = worded("likelihood", "likelihood", ("probability",), [peak_probability])
    bw = worded("bias_words", "bias", ("bias", "level"), [bias, level], unit="referrals")
    back = f"; in the backtest this model {{bias_words}}{label}."
    if peak_probability < WEAK_PEAK:
        template = ("No month stands out as the likely peak of referrals in the next year: the likeliest, "
                    "{month_name}, is the highest in only {probability} of simulated years, when the best model in the backtest "
                    f"({model}) expects about {{mean}} referrals (80% interval {{lower_80}} to {{upper_80}})" + back)
    elif peak_probability <= 0.5:
        template = ("**{month_name}** is the likeliest peak month for referrals, but {likelihood} ({probability} of "
                    f"simulated years); the best model in the backtest ({model}) expects about {{mean}} referrals "
                    "then (80% interval {lower_80} to {upper_80})" + back)
    else:
        template = (f"The best model in the backtest ({model}) expects the next peak of referrals in "
                    "**{month_name}** ({likelihood}, {probability} of simulated years) at about {mean} referrals "
                    "(80% interval {lower_80} to {upper_80})" + back)
    return Claim(template, "forecast", figs, (lk, bw), (Interval("mean", "lower_80", "upper_80"),),
                 (After("peak_month", "quarter_end"),), name="peak")


def level_claim(ed: Edition, result, level: float, illustrative: bool, source: str) -> Claim:
    """The forecast headline of a history too short for seasonal models: the expected monthly level over the next
    twelve months with its 80% interval, the method in words and, where a backtest was possible, its bias."""
    fc = result.planned  # the levels planned on: calibrated where the backtest allows
    months = result.plan.months
    figs = [
        Figure("months", months, "computed", "months of referrals the forecast is made from", "{:,.0f}"),
        Figure("mean", float(fc["mean"].mean()), source, f"{result.model} forecast, mean of the next twelve months",
               "{:,.0f}"),
        Figure("lower_80", float(fc["lower_80"].mean()), source,
               f"{result.model} forecast, mean of the next twelve months' lower 80% bounds", "{:,.0f}"),
        Figure("upper_80", float(fc["upper_80"].mean()), source,
               f"{result.model} forecast, mean of the next twelve months' upper 80% bounds", "{:,.0f}"),
        Figure("first", f"{fc.index.min():%B %Y}", "computed", "first month after the edition's quarter"),
    ]
    label = " (illustrative: modelled monthly split of annual totals)" if illustrative else ""
    wordings = []
    if result.tested:
        figs.append(Figure("bias", float(result.bias), source,
                           f"rolling-origin backtest of {result.model}: mean of forecast minus actual", "{:,.0f}"))
        figs.append(Figure("level", float(level), source, "mean monthly referrals over the last twelve months",
                           "{:,.0f}"))
        wordings.append(worded("bias_words", "bias", ("bias", "level"), [result.bias, level], unit="referrals"))
        back = f"; in the backtest this method {{bias_words}}{label}."
    else:
        back = f"; too few months to test it on the past yet{label}."
    template = ("With {months} months of referrals, too few to see a seasonal pattern, the forecast from {first} is "
                f"{result.method}: about **{{mean}} referrals a month** (80% interval {{lower_80}} to {{upper_80}})"
                + back)
    return Claim(template, "forecast", tuple(figs), tuple(wordings), (Interval("mean", "lower_80", "upper_80"),),
                 name="peak")


def forecast_headlines(ed: Edition, models: tuple[str, ...] | None = None,
                       res: EditionResults | None = None) -> list[Claim]:
    """The forecast claim: the peak from the model that did best in the backtest (among ``models``; default
    what the history supports, :func:`cscbook.models.history.plan_for`); for a history too short for seasonal models,
    the expected monthly level; with too few months for any forecast, why, in plain words. ``res``: the edition's
    results (with ``models``, results narrowed to them are made here)."""
    res = EditionResults(ed, models) if models else _results(ed, res)
    series = res.series
    if series is None:  # too little history for this quarter: say so, in words
        return [Claim("No monthly forecast in this edition: {reason}", "forecast",
                      (Figure("reason", res.short_reason, "monthly series check"),), name="peak")]
    source = (f"the council's own monthly input (content key {ed.monthly_key})" if ed.monthly
              else "data/examples (illustrative monthly series)")
    level = float(series.referrals.iloc[-12:].mean())
    # the edition's chain (backtested at the horizons it publishes, as the forecast chapter shows it)
    result = res.monthly_forecast
    if not result.plan.seasonal:
        return [level_claim(ed, result, level, series.illustrative, source)]
    fc, best, bias = result.fc, result.model, result.bias
    pk = peaks.peaks(fc)
    return [peak_claim(ed, fc, pk.peak_month, pk.peak_probability, best, bias, level, series.illustrative, source)]


@lru_cache(maxsize=64)
def _new_releases(quarter) -> tuple:
    """:func:`cscbook.models.changes.new_releases` once per quarter in a process (the same for every council)."""
    return tuple(new_releases(quarter))


def new_this_quarter(ed: Edition) -> list[Claim]:
    new_releases = _new_releases

    items, figs = [], []
    for name, now in new_releases(ed.quarter):
        figs.append(Figure(name, now, "data/curated/releases.csv", f"collection={name}",
                           release_period(name, now).replace(str(now), "{}")))
        items.append(f"{name.replace('_', ' ')} figures for {{{name}}}")
    if items:
        return [Claim(f"New official statistics this quarter: {'; '.join(items)}.", "demand", tuple(figs),
                      name="new_statistics")]
    return [Claim("No new official statistics were published this quarter; the figures are those of last quarter.",
                  "demand", name="new_statistics")]


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
#: the first words of the decision claim when nothing calls for a decision
NO_DECISION = "No decision needed this quarter"
#: the first words of the note, beside other decisions, that the capacity plan calls for no recruitment
NO_RECRUITMENT = "No recruitment decision"


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
    changed = new_this_quarter(ed)
    if not bm.empty and year is not None:
        changed += referrals_claim(ed, bm, year) + recording_change_claim(ed, year, res)
    changed += ofsted_headline(ed)
    capacity = _capacity(ed, res) if include_forecast else None  # computed once: the decisions and the risk read it
    risk = (scorecard_claim(ed, bm) if not bm.empty else []) + direction_claims(ed, bm, "worsening")
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
