"""Figures drawn from the models' results: funnel plots, forecast track records and what-if scenarios."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from cscbook.data.register import council as council_of
from cscbook.models.funnel import LIMITS, PCT_DENOMINATORS, Funnel, axis_range, beyond_axis, significance
from cscbook.models.indicators import BY_NAME
from cscbook.models.ledger import summarise
from cscbook.models.scenarios import Comparison
from cscbook.report import notebook as nb
from cscbook.report.notebook import FIGURE_WIDTH_IN, ILLUSTRATIVE_NOTE, PALETTE, note_below, wrapped


def funnel_chart(f: Funnel, ed) -> None:
    """The funnel plot: councils as grey dots, neighbours and the council marked, England's line and the limits."""
    ind = BY_NAME[f.indicator]
    pts = f.points
    fig, ax = plt.subplots(figsize=(FIGURE_WIDTH_IN, 4.2))
    n = np.linspace(max(pts["denominator"].min() * 0.9, 1), pts["denominator"].max() * 1.05, 300)
    for (name, level), style in zip(LIMITS.items(), ["--", ":"]):
        lo, hi = f.limits(n, level)
        ax.plot(n, lo, color="#555555", linestyle=style, linewidth=1.2, label=f"{name} limits")
        ax.plot(n, hi, color="#555555", linestyle=style, linewidth=1.2)
    ax.axhline(f.england, color="#000000", linewidth=1.2, label=f"England ({f.england:,.1f})")
    others = pts[~pts["old_la_code"].isin([ed.council.code, *ed.council.neighbours])]
    ax.scatter(others["denominator"], others["value"], s=14, color="#999999", label="Other councils", zorder=2)
    sn = pts[pts["old_la_code"].isin(ed.council.neighbours)]
    ax.scatter(sn["denominator"], sn["value"], s=36, color=PALETTE[1], marker="s", edgecolor="black",
               linewidth=0.4, label="Statistical neighbours", zorder=3)
    own = pts[pts["old_la_code"] == ed.council.code]
    ax.scatter(own["denominator"], own["value"], s=150, color=PALETTE[0], marker="D", edgecolor="black",
               linewidth=1.2, label=ed.council.name, zorder=5)
    for _, r in own.iterrows():  # the council named beside its marker, not only in the legend
        ax.annotate(ed.council.name, (r["denominator"], r["value"]), xytext=(8, 8), textcoords="offset points",
                    fontsize="medium", fontweight="bold", color=PALETTE[0], zorder=6,
                    bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none", "alpha": 0.8})
    # the axis fits the middle of the councils; those beyond it are drawn as triangles at its edge
    lo_y, hi_y = axis_range(f, ed.council.code)
    beyond = beyond_axis(f, lo_y, hi_y)
    for edge, y, marker in (("above", hi_y, "^"), ("below", lo_y, "v")):
        b = beyond[beyond["edge"] == edge]
        if len(b):
            ax.scatter(b["denominator"], [y] * len(b), s=40, marker=marker, facecolor="white", edgecolor="#555555",
                       linewidth=1.0, clip_on=False, zorder=3, label=f"Beyond the axis ({edge})")
    ax.set_ylim(lo_y, hi_y)
    den_label = "Children aged 0 to 17" if f.kind == "poisson" else f"Denominator: {PCT_DENOMINATORS[f.indicator].replace('_', ' ')}"
    ax.set_xscale("log")
    # plain numbers on the log axis (10,000 rather than 10 to the power 4): readable, and no mathtext to lay out
    # and no minor ticks: the style draws neither tick marks nor minor grid lines, so laying them out (a third of
    # the figure's time) changed nothing on the page
    from matplotlib.ticker import FuncFormatter, NullLocator

    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xlabel(den_label + " (log scale)")
    ax.set_ylabel(wrapped(f"{ind.label} ({ind.unit})", 32))
    ax.set_title(wrapped(f"{ind.label}, {f.year}: all councils against England"))
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1))
    verdict = significance(f, ed.council.code)
    counts = pts["band"].value_counts()
    group = (f"{len(pts)} of the {f.with_value} councils with a value ({f.unplotted} without a published "
             f"denominator, ranked but not plotted)" if f.unplotted else f"{len(pts)} councils")
    alt = (f"Funnel plot of {ind.label.lower()} for {group} in {f.year} against England's "
           f"{f.england:,.1f}, with 95% and 99.8% control limits"
           + (f" widened for overdispersion (factor {f.phi:.1f})" if f.phi > 1 else "")
           + f". {ed.council.name}: {own['value'].iloc[0]:,.1f}, {verdict}. " if not own.empty else ". "
           ) + f"{int(counts.get('within', 0))} councils lie within the 95% limits."
    if len(beyond):
        def named(b):
            return ", ".join(f"{_council_name(council_of, c)} ({v:,.1f})" for c, v in zip(b["old_la_code"], b["value"]))

        alt += (f" The value axis runs from {lo_y:,.1f} to {hi_y:,.1f}; {len(beyond)} council"
                f"{'s lie' if len(beyond) != 1 else ' lies'} beyond it, drawn as triangles at its edge: "
                + "; ".join(f"{edge} it, {named(beyond[beyond['edge'] == edge])}" for edge in ("above", "below")
                            if (beyond["edge"] == edge).any()) + ".")
    if f.unplotted:
        note_below(ax, f"{len(pts)} of the {f.with_value} councils with a value are plotted: {f.unplotted} "
                       "without a published denominator cannot be placed.")
    nb.show(fig, alt, data={"council-band": own["band"].iloc[0] if not own.empty else "not tested",
                         "councils": f.with_value, "plotted": len(pts), "beyond-axis": len(beyond)})


def _council_name(council_of, code: str) -> str:
    """A council's name from the register, or its code where the register has none (synthetic councils)."""
    try:
        return council_of(code).name
    except KeyError:
        return str(code)


def track_record_chart(scored: pd.DataFrame, title: str, ylabel: str = "Referrals in the year to 31 March",
                       illustrative: bool = False) -> None:
    """Forecast (mean with 80% and 95% intervals) against actual, one point per target; shown with alt text."""

    if scored.empty:
        return
    d = scored.sort_values(["target", "made"]).reset_index(drop=True)
    annual_kind = (d["kind"] == "annual").all()
    x = d["target"].astype(int) if annual_kind else d["target"].map(lambda t: pd.Period(t, freq="M").to_timestamp())
    fig, ax = plt.subplots()
    ax.vlines(x, d["lower_95"], d["upper_95"], color=PALETTE[5], linewidth=6, alpha=0.35, label="95% interval")
    ax.vlines(x, d["lower_80"], d["upper_80"], color=PALETTE[0], linewidth=6, alpha=0.55, label="80% interval")
    ax.plot(x, d["mean"], linestyle="none", marker="s", color=PALETTE[3], label="Forecast (mean)")
    ax.plot(x, d["actual"], linestyle="none", marker="o", markerfacecolor="none", markeredgewidth=1.6,
            color="#000000", label="Actual (published later)")
    rec = summarise(d)
    ax.set_title(wrapped(title + (" (ILLUSTRATIVE)" if illustrative else "")))
    ax.set_xlabel("Year to 31 March" if annual_kind else "Month forecast")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1))
    alt = (f"Chart of {len(d)} earlier forecasts with their 80% and 95% intervals against what was later observed, "
           f"{d['target'].iloc[0]} to {d['target'].iloc[-1]}: {rec.hits_80} of {rec.n} actual values inside the 80% "
           f"interval; mean error {rec.mean_error:+,.0f} (forecast minus actual).")
    if illustrative:
        alt += " " + ILLUSTRATIVE_NOTE + "."
        note_below(ax, ILLUSTRATIVE_NOTE, color="#D55E00")
    nb.show(fig, alt)


def scenario_chart(comparison: Comparison, council: str, illustrative: bool = False) -> None:
    """FTE needed month by month under each scenario (mean, with the base case's 80% band) against capacity."""

    if comparison.plans.empty:
        return
    fig, ax = plt.subplots()
    styles = ["-", "--", "-.", ":", (0, (3, 1, 1, 1)), (0, (5, 2))]
    markers = ["o", "s", "^", "D", "v", "P"]
    for i, (name, p) in enumerate(comparison.plans.groupby("scenario", sort=False)):
        x = p["month"].map(lambda m: m.to_timestamp())
        colour = PALETTE[i % (len(PALETTE) - 1)]
        if i == 0:
            ax.fill_between(x, p["fte_needed_lower_80"], p["fte_needed_upper_80"], color=colour, alpha=0.15,
                            label=f"{name}: 80% interval")
        ax.plot(x, p["fte_needed"], color=colour, linestyle=styles[i % len(styles)], marker=markers[i % len(markers)],
                markersize=4, label=f"{name}: FTE needed")
        if i == 0:
            base_capacity = p["capacity_fte"].to_numpy()
        if i == 0 or not (p["capacity_fte"].to_numpy() == base_capacity).all():
            ax.step(x, p["capacity_fte"], where="mid", color="#000000" if i == 0 else colour, linewidth=1.2,
                    linestyle=":", label=f"{name}: FTE available")
    title = f"Social workers needed under each scenario: {council}" + (" (ILLUSTRATIVE)" if illustrative else "")
    ax.set_title(wrapped(title))
    ax.set_xlabel("Month")
    ax.set_ylabel("Case-holding social workers (FTE)")
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1))
    s = comparison.summary
    alt = (f"Line chart of case-holding social worker FTE needed per month under {len(s)} scenarios against the FTE "
           "available: " + "; ".join(f"{r.scenario} averages {r.fte_needed_mean:.1f} FTE with {r.months_at_risk} of "
                                     f"12 months more likely than not over capacity" for r in s.itertuples()) + ".")
    if illustrative:
        alt += " " + ILLUSTRATIVE_NOTE + "."
        note_below(ax, ILLUSTRATIVE_NOTE, color="#D55E00")
    nb.show(fig, alt)
