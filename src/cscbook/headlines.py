"""Plain-English headline sentences for leadership, each generated from the data with its figure and chapter."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .edition import Edition


@dataclass
class Headline:
    text: str
    chapter: str  # notebook name without extension


def _fmt(v, places=0):
    return f"{v:,.{places}f}"


def demand_headlines(ed: Edition) -> list[Headline]:
    from .benchmark import benchmark
    from .breaks import detect_for
    from .quarters import latest_year_published

    out = []
    year = latest_year_published("referrals", ed.quarter)
    bm = benchmark(ed.council.code, year).set_index("indicator")
    name = ed.council.name
    if "referrals" in bm.index and bm.at["referrals", "year"] == year:
        r = bm.loc["referrals"]
        text = f"In the year to March {year}, {name} received **{_fmt(r['value'])} referrals**"
        if "referrals_rate_per_10k" in bm.index and pd.notna(bm.at["referrals_rate_per_10k", "value"]) \
                and bm.at["referrals_rate_per_10k", "year"] == year:
            rr = bm.loc["referrals_rate_per_10k"]
            text += (f", {_fmt(rr['value'])} per 10,000 children, against a median of {_fmt(rr['sn_median'])} "
                     f"for its statistical neighbours and {_fmt(rr['england'])} in England")
        if pd.notna(r["previous"]) and r["previous"]:
            pct = (r["value"] - r["previous"]) / r["previous"] * 100
            text += f"; {'up' if pct > 0 else 'down'} {abs(pct):.0f}% on the year before."
        else:
            text += "."
        out.append(Headline(text, "demand"))
    flags = detect_for(ed.council.code)
    flagged = flags[flags["flagged"] & (flags.index <= year)]
    if len(flagged):
        years = ", ".join(str(y) for y in flagged.index)
        out.append(Headline(f"Referral counts for {years} look like a **recording change** rather than demand "
                            f"(most ended in no further action); they are marked on charts and left out of "
                            "forecast training.", "demand"))
    rated = bm[bm["rag"].isin(["green", "amber", "red"])]
    if len(rated):
        red = rated[rated["rag"] == "red"]["label"].tolist()
        green = rated[rated["rag"] == "green"]["label"].tolist()
        text = (f"Of {len(rated)} rated indicators, {len(green)} {'is' if len(green) == 1 else 'are'} in England's "
                f"best quarter and **{len(red)} in the worst quarter**")
        text += f": {', '.join(red)}." if red else "."
        out.append(Headline(text, "scorecard"))
    return out


def ofsted_headline(ed: Edition) -> list[Headline]:
    from .timeline import timeline

    t = timeline(ed.council.code, ed.quarter)
    j = t[t["official"] & (t["kind"] == "judgement") & t["grade"].notna()]
    if j.empty:
        return [Headline("No Ofsted judgement of this council had been published by the end of the quarter.",
                         "timeline")]
    last = j.iloc[-1]
    return [Headline(f"Ofsted's latest judgement, published on {last['date']}, was **{last['grade']}** "
                     f"({last['framework']}).", "timeline")]


def forecast_headlines(ed: Edition) -> list[Headline]:
    from . import forecast
    from .demand import horizon_for, monthly_series, next_year
    from .errors import CSCBookError

    try:
        series = monthly_series(ed.council.code, ed.quarter, str(ed.monthly) if ed.monthly else None)
    except CSCBookError as exc:  # too little history for this quarter: say so
        return [Headline(f"No monthly forecast for this quarter: {exc}", "forecast")]
    summary = forecast.summarise(forecast.backtest_errors(series.referrals))
    best = forecast.best_model(summary)
    fc = next_year(forecast.fit_forecast(series.referrals, best, horizon_for(series, ed.quarter)), ed.quarter)
    pk = forecast.peaks(fc)
    peak = fc.loc[pd.Period(pk.peak_month, freq="M")]
    label = " (illustrative: modelled monthly split of annual totals)" if series.illustrative else ""
    return [Headline(
        f"The best model in the backtest ({best}) expects the next peak in **{pd.Period(pk.peak_month, freq='M').strftime('%B %Y')}** "
        f"at about {_fmt(peak['mean'])} referrals (80% interval {_fmt(peak['lower_80'])} to {_fmt(peak['upper_80'])}), "
        f"{pk.ratio_mean:.2f} times the quietest month{label}.", "forecast")]


def new_this_quarter(ed: Edition) -> list[Headline]:
    from .quarters import latest_year_published, releases

    prev = ed.quarter.previous()
    items = []
    for _, r in releases().iterrows():
        table = r["tables"].split()[0]
        now, before = latest_year_published(table, ed.quarter), latest_year_published(table, prev)
        if now != before and now is not None:
            items.append(f"{r['collection'].replace('_', ' ')} figures for {now}")
    if items:
        return [Headline(f"New official statistics this quarter: {'; '.join(items)}.", "demand")]
    return [Headline("No new official statistics were published this quarter; the figures are those of last quarter.",
                     "demand")]


def headlines(ed: Edition) -> list[Headline]:
    return new_this_quarter(ed) + demand_headlines(ed) + ofsted_headline(ed) + forecast_headlines(ed)
