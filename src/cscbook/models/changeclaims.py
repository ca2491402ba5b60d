"""The headline page's claims about what changed and what the data show: referrals against last year and England,
recording changes, the scorecard, Ofsted, the monthly forecast's peak and level, and new releases, each a
:class:`~cscbook.models.claims.Claim` with its figures and sources (the page is assembled by
:mod:`cscbook.models.headlines`)."""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from cscbook.core.errors import CSCBookError
from cscbook.data.edition import Edition
from cscbook.data.timeline import timeline
from cscbook.models import peaks
from cscbook.models.benchmark import SUPPRESSED
from cscbook.models.breaks import LEVEL_RATIO, NFA_MARGIN_PP, detect_for
from cscbook.models.changes import new_releases, release_period
from cscbook.models.claims import WEAK_PEAK, After, Claim, Figure, Interval, pct_change, source_of, worded
from cscbook.models.results import EditionResults


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
    """The referrals headline for ``year``: the council's referrals per 10,000 children against last year and England
    (from its scorecard row ``bm``), or why the count is withheld."""
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
    """The scorecard headline: how many indicators are rated and how many sit in England's worst and best quarters
    (rows of the scorecard ``bm``)."""
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
    """The latest Ofsted judgement of the council published by the end of the edition's quarter, with its date and
    source; says so when there is none."""
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
    """What official data was published in the edition's quarter (release calendar, ``data/curated/releases.csv``), as
    one claim; none when nothing new."""
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
