"""The book's charts: titled, labelled with units, colour-blind-safe (Okabe-Ito) with distinct line styles
and markers so they read in greyscale, Ofsted judgements annotated, alt text generated from the data."""

from __future__ import annotations

import textwrap

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from cscbook.core.disclosure import DEFAULT_POLICY, is_small
from cscbook.data.timeline import KINDS, period_of
from cscbook.models.eventstudy import OUTCOMES
from cscbook.models.indicators import BY_NAME, period_label
from cscbook.report.notebook import (
    GRADE_COLOURS,
    GRADE_MARKERS,
    ILLUSTRATIVE_NOTE,
    PALETTE,
    PRINTED_WIDTH_IN,
    annotate_judgements,
    note_below,
    show,
    wrapped,
)

#: the height of each rate panel under the timeline's lanes (inches)
RATE_PANEL_IN = 1.35
#: the share of the printed sheet's height the whole timeline chart may take (the rest: heading and opening text)
TIMELINE_HEIGHT_SHARE = 0.75  # 7.9 in: the 825 chart printed at 7.8 in fits under its opening text


def _count(n: int, noun: str) -> str:
    """A count with its noun in agreement: "1 Ofsted judgement", "2 Ofsted judgements"."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _fy_end(year: int) -> pd.Timestamp:
    return pd.Timestamp(year=int(year), month=3, day=31)


def _period_end(name: str, year: int) -> pd.Timestamp:
    """Where an indicator's year sits on a time axis: 31 March for the years ending then, 30 September for the
    workforce census (a snapshot on that date)."""
    if BY_NAME[name].table == "workforce":
        return pd.Timestamp(year=int(year), month=9, day=30)
    return _fy_end(year)


def _label_and_show(fig, ax, title: str, xlabel: str, ylabel: str, alt: str, illustrative: bool,
                    data: dict | None = None) -> None:
    """Title, axis labels and legend; where the data are illustrative, say so in the title, on the figure and
    in the alt text; then show the figure."""
    ax.set_title(wrapped(title + (" (ILLUSTRATIVE)" if illustrative else "")))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1))
    if illustrative:
        alt += " " + ILLUSTRATIVE_NOTE + "."
        note_below(ax, ILLUSTRATIVE_NOTE, color="#D55E00")
    show(fig, alt, data=data)


def mark_recording_changes(ax, years, monthly: bool = False) -> None:
    """Shade each year flagged as a likely recording change (:mod:`cscbook.models.breaks`) on a chart of referrals: the
    financial year itself (April to March) on a monthly axis, a year either side of its 31 March point on an
    annual one, labelled "recording change?" (once for a run of consecutive years, whose labels would overlap)."""
    flagged = {int(y) for y in years}
    for year in years:
        if monthly:
            start, end = pd.Timestamp(year=int(year) - 1, month=4, day=1), pd.Timestamp(year=int(year), month=3, day=31)
            lo, hi = ax.get_xlim()
            if mdates.date2num(end) < lo or mdates.date2num(start) > hi:
                continue
            start = max(start, mdates.num2date(lo).replace(tzinfo=None))
            end = min(end, mdates.num2date(hi).replace(tzinfo=None))
            middle = start + (end - start) / 2
        else:
            middle = _fy_end(year)
            start, end = middle - pd.Timedelta(days=180), middle + pd.Timedelta(days=180)
        ax.axvspan(start, end, color="#999999", alpha=0.25, hatch="//", label=None)
        if int(year) - 1 not in flagged:
            ax.text(middle, 0.02, "recording\nchange?", transform=ax.get_xaxis_transform(), ha="center",
                    fontsize="small")


def indicator_chart(data: pd.DataFrame, name: str, ed, judged: pd.DataFrame, flagged_years=()) -> None:
    """One indicator over time. ``judged``: the council's Ofsted judgements known at the edition's quarter
    (:func:`cscbook.data.ofsted.judgements_until`); ``flagged_years``: years marked as likely recording changes."""
    ind = BY_NAME[name]
    d = data.dropna(subset=[name])
    if d.empty:
        return
    x = d["year"].map(lambda y: _period_end(name, y))
    fig, ax = plt.subplots()
    series = [(name, ed.council.name, PALETTE[0], "-", "o", 2.4),
              (f"{name}_sn_median", "Statistical neighbours (median)", PALETTE[1], "--", "s", 1.6),
              (f"{name}_region", f"{ed.council.region}", PALETTE[2], "-.", "^", 1.4),
              (f"{name}_england", "England", "#000000", ":", "D", 1.4)]
    if ind.kind == "count":
        # counts are on the council's own scale: England's and the region's totals would flatten its line, so
        # comparisons are made with rates (the rate charts) and only the neighbours' median is drawn here
        series = series[:2]
    for col, label, colour, style, marker, width in series:
        if col in d.columns and d[col].notna().any():
            ax.plot(x, d[col], label=label, color=colour, linestyle=style, marker=marker, linewidth=width, markersize=4)
    j = judged
    j = j[(j["date"].map(pd.Timestamp) >= x.min() - pd.Timedelta(days=365)) & (j["date"].map(pd.Timestamp) <= x.max() + pd.Timedelta(days=365))]
    annotate_judgements(ax, j, to_x=pd.Timestamp)
    if name.startswith("referrals"):
        mark_recording_changes(ax, [y for y in flagged_years if y in set(d["year"])])
    ax.set_title(wrapped(f"{ind.label}: {ed.council.name}" + (" and its neighbours' median" if ind.kind == "count"
                                                                 else " against neighbours, region and England")))
    ax.set_xlabel("Year ending 31 March" if ind.table != "workforce" else "Year (snapshot at 30 September)")
    ax.set_ylabel(wrapped(f"{ind.label} ({ind.unit})", 32))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1))
    last = d.iloc[-1]
    if ind.kind == "count":
        alt = (f"Line chart of {ind.label.lower()} ({ind.unit}) for {ed.council.name} by year from {int(d['year'].min())} "
               f"to {int(d['year'].max())}, with its statistical neighbours' median. Latest: {last[name]:,.0f}. "
               f"Dashed vertical lines mark {_count(len(j), 'Ofsted judgement')}.")
    else:
        alt = (f"Line chart of {ind.label.lower()} ({ind.unit}) for {ed.council.name} by year from {int(d['year'].min())} "
               f"to {int(d['year'].max())}, with its statistical neighbours' median, {ed.council.region} and England. "
               f"Latest: {last[name]:,.1f} against {last.get(name + '_england', float('nan')):,.1f} in England. "
               f"Dashed vertical lines mark {_count(len(j), 'Ofsted judgement')}.")
    show(fig, alt)


def graded_judgements(events: pd.DataFrame) -> pd.DataFrame:
    """The official Ofsted judgements with a grade, oldest first (date, grade, framework)."""
    if events.empty:
        return pd.DataFrame(columns=["date", "grade", "framework"])
    g = events[(events["kind"] == "judgement") & events["official"].astype(bool) & events["grade"].notna()
               & (events["grade"].astype(str) != "")]
    return pd.DataFrame({"date": g["sort_date"].map(pd.Timestamp), "grade": g["grade"].astype(str),
                         "framework": g["framework"].fillna("").astype(str)}).reset_index(drop=True)


def timeline_chart(events: pd.DataFrame, ed, rates: pd.DataFrame | None = None, flagged_years=()) -> None:
    """Lanes of events with every graded Ofsted judgement on its own top lane (drawn last, labelled), above
    the referral and looked-after rates on the same time axis, the referral rate's recording-change years
    (``flagged_years``) shaded. The figure carries the judgements as data."""
    if events.empty:
        return

    graded = graded_judgements(events)
    others = events.drop(index=events.index[(events["kind"] == "judgement") & events["official"].astype(bool)
                                             & events["grade"].notna() & (events["grade"].astype(str) != "")])
    kinds = [k for k in KINDS if k in set(others["kind"])]
    lanes = kinds + (["Ofsted grade"] if not graded.empty else [])
    rate_cols = [(col, label, colour, style, marker) for col, label, colour, style, marker in
                 [("referrals_rate_per_10k", "Referral rate", PALETTE[0], "-", "o"),
                  ("cla_rate_per_10k", "Children looked after rate", PALETTE[2], "--", "s")]
                 if rates is not None and col in rates.columns and rates[col].notna().any()]
    has_rates = bool(rate_cols)
    # lanes and panels sized so that the whole chart prints on one A4 sheet (PRINTED_HEIGHT_IN) under the chapter's
    # heading and opening paragraphs (TIMELINE_HEIGHT_SHARE of the sheet), not alone on the next page
    height = 0.29 * len(lanes) + 1.3
    fig, axes = plt.subplots(1 + len(rate_cols), 1, figsize=(PRINTED_WIDTH_IN, height + RATE_PANEL_IN * len(rate_cols)),
                             sharex=True, gridspec_kw={"height_ratios": [height] + [RATE_PANEL_IN] * len(rate_cols)},
                             squeeze=False)
    ax, rate_axes = axes[0, 0], [a for a in axes[1:, 0]]
    labels = []  # (date, lane, text, colour): placed once the layout is fixed, where they overlap nothing
    for i, kind in enumerate(kinds):
        sub = others[others["kind"] == kind]
        exact = sub["precision"].fillna("day") == "day"
        ax.scatter(sub.loc[exact, "sort_date"].map(pd.Timestamp), [i] * int(exact.sum()), color="#555555", marker="|",
                   s=160, zorder=2)
        for _, e in sub[~exact].iterrows():  # a month or a year: drawn across the period, never as its first day
            start, end = period_of(str(e["date"]), e["precision"])
            ax.hlines(i, pd.Timestamp(start), pd.Timestamp(end), color="#555555", linewidth=3, zorder=2)
        if kind in KEY_EVENT_KINDS:  # the intervention itself: label each, one per month
            when = sub["sort_date"].map(pd.Timestamp)
            first = sub.assign(when=when).drop_duplicates(subset=["when"]).sort_values("when")
            first = first[~first["when"].dt.to_period("M").duplicated()]
            for _, e in first.iterrows():
                labels.append((e["when"], i, f"{wrapped(str(e['title']), 26)}\n{e['when']:%b %Y}", "#1a1a1a"))
        if kind == "visit":  # Ofsted's published visits (monitoring, focused), from its official tables
            published = sub[sub["official"].astype(bool) & sub["title"].astype(str).str.contains(" published")]
            for _, e in published.iterrows():
                when = pd.Timestamp(e["sort_date"])
                text = str(e["title"]).replace("ILACS ", "").replace(" published", "")
                labels.append((when, i, f"{wrapped(text, 26)}\n{when:%b %Y}", "#1a1a1a"))
    top = len(lanes) - 1
    for grade, g in graded.groupby("grade", sort=False):
        ax.scatter(g["date"], [top] * len(g), color=GRADE_COLOURS.get(grade, "#000000"),
                   marker=GRADE_MARKERS.get(grade, "o"), s=130, label=grade, zorder=5, edgecolor="black", linewidth=0.6)
    for _, j in graded.iterrows():
        labels.insert(0, (j["date"], top, f"{j['date']:%b %Y}\n{j['grade']}", "#1a1a1a"))
        for axr in rate_axes:
            axr.axvline(j["date"], color=GRADE_COLOURS.get(j["grade"], "#000000"), linestyle="--", linewidth=1)
    ax.set_yticks(range(len(lanes)), [k.capitalize() for k in lanes])
    ax.set_ylim(-0.8, len(lanes) - 0.2 + 0.9)
    ax.set_ylabel("Kind of event")
    ax.set_title(wrapped(f"Improvement timeline: {ed.council.name}, events known by the end of {ed.quarter}", 45))
    for axr, (col, label, colour, style, marker) in zip(rate_axes, rate_cols):
        axr.plot(rates["year"].map(_fy_end), rates[col], color=colour, linestyle=style, marker=marker, markersize=4)
        if col == "referrals_rate_per_10k":
            shown = set(rates.loc[rates[col].notna(), "year"])
            mark_recording_changes(axr, [y for y in flagged_years if y in shown])
        axr.set_ylim(bottom=0)  # a count from zero: small moves are not drawn as large ones
        axr.set_ylabel("Per 10,000\nchildren")
        axr.set_title(f"{label} per 10,000 children, years to 31 March", fontsize="medium")
    (rate_axes[-1] if rate_axes else ax).set_xlabel("Date")
    (rate_axes[-1] if rate_axes else ax).xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    # the axis ends six weeks after the edition's quarter (nothing later is shown), never at a year's first day,
    # whose tick label would be drawn past the edge the layout leaves room for
    ax.set_xlim(right=mdates.date2num(pd.Timestamp(ed.quarter.end) + pd.Timedelta(days=45)))
    fig.tight_layout()
    place_labels(fig, ax, labels)
    counts = others["kind"].value_counts()
    alt = (f"Timeline chart with one lane per kind of event for {ed.council.name} from "
           f"{events['sort_date'].min():%B %Y} to {events['sort_date'].max():%B %Y}: "
           + ", ".join(f"{n} {k}" for k, n in counts.items())
           + (". Ofsted judgements: " + "; ".join(f"{j['date']:%B %Y} {j['grade']}" for _, j in graded.iterrows())
              if len(graded) else "")
           + (". Below, referral and children looked after rates per 10,000 children by year." if has_rates else "."))
    marked = [int(y) for y in flagged_years if rates is not None and "referrals_rate_per_10k" in rates.columns
              and y in set(rates.loc[rates["referrals_rate_per_10k"].notna(), "year"])] if has_rates else []
    if marked:
        alt += (f" Shaded on the referral rate: years to March {', '.join(map(str, marked))}, flagged as likely "
                "recording changes.")
    data = {"judgements": ";".join(f"{j['date']:%Y-%m-%d}|{j['grade']}" for _, j in graded.iterrows()),
            "recording-changes": ",".join(map(str, marked))}
    show(fig, alt, data=data)


#: where a timeline label may sit relative to its event, tried in turn (points above or below; alignment)
_LABEL_SPOTS = [(dy, ha) for dy in (8, -8, 30, -30, 52, -52) for ha in ("center", "left", "right")]


def place_labels(fig, ax, labels, fontsize="small") -> int:
    """Annotate each event of ``labels`` ((x, y, text, colour), most important first) at the first of
    :data:`_LABEL_SPOTS` where its text lies inside the axes and overlaps no text already drawn (tick labels,
    titles, other labels); an event with no such place is left unlabelled (the alt text and the events table list
    every event). Returns how many were placed."""
    renderer = fig.canvas.get_renderer()
    taken = [t.get_window_extent(renderer) for t in fig.findobj(plt.Text)
             if t.get_visible() and t.get_text().strip() and t.figure is fig]
    inside = ax.get_window_extent(renderer)
    placed = 0
    for x, y, text, colour in labels:
        for dy, ha in _LABEL_SPOTS:
            note = ax.annotate(text, (x, y), xytext=(0 if ha == "center" else (-4 if ha == "right" else 4), dy),
                               textcoords="offset points", ha=ha, va="bottom" if dy > 0 else "top",
                               fontsize=fontsize, color=colour, zorder=6, linespacing=1.05,
                               bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none",
                                     "alpha": 0.85},  # the lanes' marks do not show through the words
                               # a thin leader line ties a label to its event, however far it had to move
                               arrowprops={"arrowstyle": "-", "color": "#888888", "linewidth": 0.6, "shrinkA": 0,
                                           "shrinkB": 4})
            box = note.get_window_extent(renderer)
            if (box.x0 >= inside.x0 and box.x1 <= inside.x1 and box.y0 >= inside.y0 and box.y1 <= inside.y1
                    and not any(box.overlaps(t) for t in taken)):
                taken.append(box)
                placed += 1
                break
            note.remove()
    return placed


def flow_chart(flows: pd.DataFrame, ed) -> None:
    """Small multiples of the council's front-door conversion rates by year (``flows``: label, year, value and
    England's), two panels a row, with alt text."""
    if flows.empty:
        return
    steps = list(dict.fromkeys(flows["label"]))
    cols = min(len(steps), 2)  # two panels a row at the printed width
    rows = -(-len(steps) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(PRINTED_WIDTH_IN, 2.6 * rows), sharex=False, squeeze=False)
    for ax in axes.flat[len(steps):]:
        ax.set_visible(False)
    for ax, step in zip(axes.flat, steps):
        d = flows[flows["label"] == step]
        ax.plot(d["year"], d["value"], color=PALETTE[0], marker="o", label=ed.council.name)
        ax.plot(d["year"], d["sn_median"], color=PALETTE[1], linestyle="--", marker="s", label="Neighbours (median)")
        ax.plot(d["year"], d["england"], color="#000000", linestyle=":", marker="D", label="England")
        ax.set_title(textwrap.fill(step, 40), fontsize="medium")
        ax.set_xlabel("Year ending 31 March", fontsize="small")
        ax.set_ylabel("Ratio (per one)", fontsize="small")
    if len(steps) < axes.size:  # the legend in the grid's empty place, off the data
        spare = axes.flat[len(steps)]
        spare.set_visible(True)
        spare.axis("off")
        spare.legend(*axes.flat[0].get_legend_handles_labels(), loc="center", fontsize="small")
    else:
        axes.flat[0].legend(fontsize="small")
    fig.suptitle(wrapped(f"Conversion through the front door: {ed.council.name}", 70), fontweight="bold")
    fig.tight_layout()
    latest = flows[flows["year"] == flows["year"].max()]
    alt = (f"Small multiple line charts of conversion rates through the front door for {ed.council.name}: "
           + "; ".join(f"{r['label']} {r['value']:.2f} against England {r['england']:.2f}" for _, r in latest.iterrows()
                       if pd.notna(r["value"]))
           + f" in {int(flows['year'].max())}.")
    show(fig, alt)


def event_study_chart(results: dict) -> None:
    """The event study's estimates by year from an inadequate judgement (``results``: outcome to its frame of
    relative_year, estimate, ci_low, ci_high), one panel per outcome with 95% intervals."""
    fig, axes = plt.subplots(1, len(results), figsize=(PRINTED_WIDTH_IN, 3.2))
    for ax, (outcome, res), colour in zip(np.atleast_1d(axes), results.items(), PALETTE):
        ax.errorbar(res["relative_year"], res["estimate"], yerr=[res["estimate"] - res["ci_low"],
                                                                 res["ci_high"] - res["estimate"]],
                    fmt="o-", color=colour, capsize=3)
        ax.axhline(0, color="#000000", linewidth=0.8)
        ax.axvline(-0.5, color="#D55E00", linestyle="--", linewidth=1)
        ax.set_title(textwrap.fill(OUTCOMES[outcome], 24), fontsize="medium")
        ax.set_xlabel("Years from publication\nof the inadequate judgement", fontsize="small")
        ax.set_ylabel("Difference from year -1", fontsize="small")
    fig.suptitle("What typically follows an inadequate judgement\n(95% confidence intervals)", fontweight="bold")
    fig.tight_layout()
    alt = "Three event-study charts of estimates with 95% confidence intervals by year relative to an inadequate judgement: " + \
        "; ".join(f"{OUTCOMES[o]}: year 0 {r.set_index('relative_year').at[0, 'estimate']:+.1f} "
                  f"(interval {r.set_index('relative_year').at[0, 'ci_low']:+.1f} to {r.set_index('relative_year').at[0, 'ci_high']:+.1f})"
                  for o, r in results.items())
    show(fig, alt)


def backtest_chart(errors: pd.DataFrame, series) -> None:
    """Mean scaled absolute error (MASE terms: absolute error over the naive scale) of each model by months ahead, from
    the backtest ``errors`` of ``series``."""
    e = errors.assign(scaled=(errors["forecast"] - errors["actual"]).abs() / errors["scale"])
    by_h = e.groupby(["model", "horizon"])["scaled"].mean().unstack("model")
    fig, ax = plt.subplots()
    styles = ["-", "--", "-.", ":", (0, (3, 1, 1, 1))]
    markers = ["o", "s", "^", "D", "v"]
    for (model, col), colour, ls, mk in zip(by_h.items(), PALETTE, styles, markers):
        ax.plot(by_h.index, col, label=model, color=colour, linestyle=ls, marker=mk)
    ax.axhline(1.0, color="#000000", linewidth=0.8)
    best = by_h.mean().idxmin()
    alt = (f"Line chart of mean absolute scaled error by forecast horizon {by_h.index.min()} to {by_h.index.max()} "
           f"months for {by_h.shape[1]} models; "
           f"lowest on average: {best} ({by_h[best].mean():.2f}).")
    _label_and_show(fig, ax, "Backtest: forecast error by horizon", "Forecast horizon (months ahead)",
                    "Mean absolute scaled error (MASE)", alt, series.illustrative)


def chart_values(values: pd.Series, policy=None) -> tuple[pd.Series, int]:
    """Counts as a chart may plot them under the disclosure policy: counts of 1 to 5 left out (a gap in the line),
    as the tables show them as ``c``; (the values, how many were left out)."""
    if not (policy or DEFAULT_POLICY).enabled:
        return values, 0
    small = values.map(is_small).astype(bool)
    return values.astype(float).mask(small), int(small.sum())


def forecast_chart(series, fc: pd.DataFrame, model: str, ed, judged: pd.DataFrame, flagged_years=()) -> None:
    """Monthly referrals (the last four years; counts of 1 to 5 not plotted), the forecast with its intervals, the
    Ofsted judgements ``judged`` and the years flagged as recording changes (``flagged_years``, financial years)
    shaded."""
    hist = series.referrals.iloc[-48:]
    fig, ax = plt.subplots()
    hx = hist.index.to_timestamp()
    fx = fc.index.to_timestamp()
    shown, hidden = chart_values(hist, getattr(ed, "policy", None))
    ax.plot(hx, shown.values, color=PALETTE[0], marker="o", markersize=3, label="Referrals (monthly)")
    if hidden:
        ax.text(0.01, 0.02, f"{hidden} month{'s' if hidden > 1 else ''} of 1 to 5 referrals not plotted "
                "(suppressed, as c in the tables)", transform=ax.transAxes, fontsize="small", va="bottom")
    ax.fill_between(fx, fc["lower_95"], fc["upper_95"], color=PALETTE[5], alpha=0.25, label="95% interval")
    ax.fill_between(fx, fc["lower_80"], fc["upper_80"], color=PALETTE[5], alpha=0.45, label="80% interval")
    ax.plot(fx, fc["mean"], color=PALETTE[3], linestyle="--", marker="s", markersize=3, label=f"Forecast ({model})")
    ax.axvline(pd.Timestamp(ed.quarter.end), color="#000000", linestyle=":", linewidth=1, label=f"End of {ed.quarter}")
    j = judged[judged["date"].map(pd.Timestamp) >= hx.min()]
    annotate_judgements(ax, j, to_x=pd.Timestamp)
    mark_recording_changes(ax, flagged_years, monthly=True)  # only those within the axis
    alt = (f"Line chart of monthly referrals for {ed.council.name} from {hist.index.min()} to {hist.index.max()} and a "
           f"{len(fc)}-month forecast by {model} with 80% and 95% intervals; forecast mean from {fc['mean'].min():,.0f} "
           f"to {fc['mean'].max():,.0f} referrals a month."
           + (f" {hidden} months of 1 to 5 referrals are not plotted (suppressed)." if hidden else ""))
    marked = [int(y) for y in flagged_years
              if pd.Timestamp(year=int(y), month=3, day=31) >= hx.min()
              and pd.Timestamp(year=int(y) - 1, month=4, day=1) <= hx.max()]
    if marked:
        alt += f" Shaded: years to March {', '.join(map(str, marked))}, flagged as likely recording changes."
    _label_and_show(fig, ax, f"Referrals and forecast: {ed.council.name}", "Month", "Referrals per month", alt,
                    series.illustrative, data={"recording-changes": ",".join(map(str, marked))})


#: kinds of curated event labelled on the timeline chart: the statutory intervention and its board
KEY_EVENT_KINDS = ("direction", "board")

HEADLINE_INDICATORS = ["referrals_rate_per_10k", "rereferral_pct", "cin_rate_per_10k", "cpp_rate_per_10k",
                       "cla_rate_per_10k", "cla_starts_rate_per_10k", "turnover_pct", "caseload_per_fte"]


def headline_multiples(frames: dict[str, pd.DataFrame], ed, judged: pd.DataFrame, flagged_years=()) -> None:
    """Small multiples of key indicators over time: the council, its neighbours' range and median, England,
    England's middle half of councils (quartile band) and the Ofsted judgements ``judged``. ``frames``: one frame
    per indicator, as :func:`cscbook.models.indicators.multiples_frames` gives them (published by the edition's
    quarter); ``flagged_years``: the referral years flagged as recording changes, shaded on the referral panel."""
    names = list(frames)
    cols = 2  # two panels a row: the figure is as wide as the paper prints it, and its text stays large
    rows = -(-len(names) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(PRINTED_WIDTH_IN, 1.75 * rows), sharex=True, squeeze=False)
    latest = []
    for ax, name in zip(axes.flat, names):
        ind = BY_NAME[name]
        frame = frames[name]
        x = frame["year"].map(lambda y: _period_end(name, y))
        ax.fill_between(x, frame[f"{name}_q1"], frame[f"{name}_q3"], color="#CCCCCC", alpha=0.6, label="England: middle half of councils", step=None)
        ax.fill_between(x, frame[f"{name}_lo"], frame[f"{name}_hi"], color=PALETTE[1], alpha=0.2, label="Neighbours' range")
        ax.plot(x, frame[f"{name}_sn_median"], color=PALETTE[1], linestyle="--", linewidth=1.2, label="Neighbours' median")
        ax.plot(x, frame[f"{name}_england"], color="#000000", linestyle=":", linewidth=1.3, label="England")
        ax.plot(x, frame[name], color=PALETTE[0], marker="o", markersize=3, linewidth=2, label=ed.council.name)
        for _, row in judged.iterrows():
            d = pd.Timestamp(row["date"])
            if x.min() <= d <= x.max() + pd.Timedelta(days=365):
                ax.axvline(d, color=GRADE_COLOURS.get(row["grade"], "#000000"), linewidth=1, linestyle="-", alpha=0.8)
                ax.plot([d], [1.0], transform=ax.get_xaxis_transform(), marker=GRADE_MARKERS.get(row["grade"], "o"),
                        color=GRADE_COLOURS.get(row["grade"], "#000000"), markeredgecolor="black", markersize=7,
                        clip_on=False, linestyle="none")
        if name.startswith("referrals"):
            mark_recording_changes(ax, [y for y in flagged_years if y in set(frame.dropna(subset=[name])["year"])])
        ax.set_title(ind.label + (" (30 Sep)" if ind.table == "workforce" else ""), fontsize="medium")
        ax.set_ylabel(wrapped(ind.unit, 16), fontsize="small")
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%y"))
        own = frame.dropna(subset=[name])
        if not own.empty:
            latest.append(f"{ind.label} {own[name].iloc[-1]:,.1f} in the {period_label(name, own['year'].iloc[-1])} "
                          f"(England {own[f'{name}_england'].iloc[-1]:,.1f})")
    for ax in axes.flat[len(names):]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("Year to 31 March ('yy);\nworkforce: 30 September", fontsize="small")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    from matplotlib.lines import Line2D

    grades = [g for g in GRADE_COLOURS if g in set(judged["grade"])]
    handles += [Line2D([], [], color=GRADE_COLOURS[g], marker=GRADE_MARKERS[g], markeredgecolor="black",
                       linestyle="-") for g in grades]
    labels += [f"Ofsted: {g}" for g in grades]
    fig.legend(handles, labels, loc="upper center", ncol=2, fontsize="small", bbox_to_anchor=(0.5, 0.0))
    fig.suptitle(wrapped(f"Key indicators at a glance: {ed.council.name}, published by the end of {ed.quarter}", 70),
                 fontweight="bold")
    fig.tight_layout()
    alt = (f"Eight small line charts of key indicators for {ed.council.name} by year, each with its statistical "
           f"neighbours' range and median, England and England's middle half of councils, and vertical lines at "
           f"{_count(len(judged), 'Ofsted judgement')}. Latest: " + "; ".join(latest) + ".")
    marked = sorted({int(y) for name in names if name.startswith("referrals")
                     for y in flagged_years if y in set(frames[name].dropna(subset=[name])["year"])})
    if marked:
        alt += (f" Shaded on the referral panels: years to March {', '.join(map(str, marked))}, flagged as likely "
                "recording changes.")
    show(fig, alt, data={"indicators": ",".join(names), "recording-changes": ",".join(map(str, marked))})
