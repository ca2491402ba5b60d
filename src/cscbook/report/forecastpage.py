"""The forecast page's and the analysts' appendix's words and tables, from an edition's results
(:class:`cscbook.models.results.EditionResults`): each sentence a string, each table the keyword arguments of
:func:`cscbook.report.notebook.table` (``frame``, ``caption``, ``counts``, ``places``, ...; the chapter adds its
disclosure ``policy``).

    for sentence in forecastpage.series_sentences(res.series):
        nb.prose(sentence)
    nb.table(**forecastpage.capacity_plan_table(res.capacity.result, res.illustrative), policy=ed.policy)
"""

from __future__ import annotations

import pandas as pd

from cscbook.models import panelmodel, reconcile, scenarios
from cscbook.report.notebook import ILLUSTRATIVE_NOTE

#: the backtest tables' decimals (MASE, bias in referrals, interval coverage as a proportion, origins)
BACKTEST_PLACES = {"mase": 3, "bias": 1, "coverage_80": 2, "coverage_95": 2, "n": 0}

#: the capacity plan's columns, in page order
CAPACITY_COLUMNS = ["month", "horizon", "referrals_mean", "open_cases", "fte_needed", "fte_needed_lower_80",
                    "fte_needed_upper_80", "capacity_fte", "shortfall", "shortfall_lower_80", "shortfall_upper_80",
                    "probability_over_capacity", "recruit_by"]


def _illustrative(flag: bool, words: str = "ILLUSTRATIVE") -> str:
    return f" ({words})" if flag else ""


def no_forecast_sentence(reason: str, annual_follows: bool = True) -> str:
    """Why the edition has no monthly forecast (``reason``: :attr:`ShortHistoryError.plain`), in bold first words;
    ``annual_follows``: add that the annual forecasts still apply (the forecast page)."""
    tail = " The annual forecasts below still apply." if annual_follows else ""
    return f"**No monthly forecast in this edition.** {reason}{tail}"


def series_sentences(series) -> list[str]:
    """What the forecast page says of the monthly series (:class:`cscbook.models.demand.MonthlySeries`): that it is
    illustrative where it is, its months and basis, a partial last month or months after the quarter left out, and
    how it was prepared."""
    out = []
    if series.illustrative:
        out.append("**" + ILLUSTRATIVE_NOTE + ".** No council publishes monthly referrals; this example splits DfE's "
                   "published annual totals into months by working days, school holidays and the 2020-21 lockdowns. "
                   "A council that supplies its own monthly extract or its CIN census returns when its edition is "
                   "built gets real monthly figures.")
    out.append(f"Monthly referrals: {series.frame.index.min()} to {series.frame.index.max()} "
               f"({len(series.frame)} months), {series.basis}.")
    out += [s for s in (series.partial_sentence, series.after_quarter_sentence) if s]
    out.append(series.prepared.sentence)
    return out


def reconciliation_table(rec: pd.DataFrame) -> dict:
    """The monthly input against DfE's published referrals, each complete year
    (:func:`cscbook.data.reconciliation.reconcile`), with headings in words."""
    frame = rec.rename(columns={"year": "Year to 31 March", "derived": "Referrals in the monthly input",
                                "published": "Referrals published by DfE (table C1)", "difference": "Difference",
                                "percent": "Difference, %", "flag": "Check"})
    return dict(frame=frame, counts=["Referrals in the monthly input", "Referrals published by DfE (table C1)"],
                caption="The monthly input against DfE's published referrals, each complete year",
                places={"Difference, %": 1, "Difference": 0})


#: what the page says above the table of episodes left out of the council's CIN census returns
EXCLUDED_SENTENCE = ("Episodes in the council's CIN census returns that broke one of DfE's validation rules were left "
                     "out of the monthly series, by reason below (counts of 1 to 5 shown as c). The council's analysts "
                     "can list each one on their own machine with the book's validation report, which never leaves it.")


def excluded_table(excluded: pd.DataFrame) -> dict:
    """The episodes left out of the CIN census returns, by reason (counts)."""
    return dict(frame=excluded, counts=["Episodes excluded"],
                caption="Episodes left out of the CIN census returns, by reason")


def recent_months_table(series) -> dict:
    """The last twelve months of the monthly series: counts (suppressed 1 to 5), the social workers in FTE to one
    place and the shares to two, flagged illustrative in a column where they are."""
    recent = series.frame.iloc[-12:].reset_index()
    recent["month"] = recent["month"].astype(str)
    shares = [c for c in recent.columns if c.startswith("share_")]
    if series.illustrative:
        recent["basis"] = ILLUSTRATIVE_NOTE
    counts = [c for c in recent.columns if c not in ("month", "social_workers_fte", "basis", *shares)]
    return dict(frame=recent, counts=counts,
                caption="The last twelve months of the series" + _illustrative(series.illustrative),
                places={"social_workers_fte": 1, **{c: 2 for c in shares}},
                note="Counts of 1 to 5 are shown as c (disclosure control).")


def annual_sentences(code: str, annual_fc: dict | None, oos: pd.DataFrame, fit, fc_all: pd.DataFrame | None) -> list[str]:
    """What the forecast page says of the council's annual panel forecast (``annual_fc``:
    :func:`cscbook.models.annual.council_forecast`): the forecast with its 80% interval against naive's, the
    features that moved it (:func:`cscbook.models.panelmodel.explain`, with ``oos`` and the cached ``fit``), and,
    where the monthly forecast ``fc_all`` covers the whole target year, its months against the annual total and
    reconciled to it. Referrals a year, to the nearest one."""
    if not (annual_fc and pd.notna(annual_fc.get("forecast"))):
        return ["No annual panel forecast for this council at this quarter (too few recent years published)."]
    t = annual_fc["target_year"]
    out = [f"Referrals in the year to March {t}: the panel method expects about **{annual_fc['forecast']:,.0f}** "
           f"(80% interval {annual_fc['lower_80']:,.0f} to {annual_fc['upper_80']:,.0f}); "
           f"naive (last year's figure) says {annual_fc['naive']:,.0f}."]
    out += panelmodel.explain(code, t, oos=oos, fit=fit)
    if fc_all is not None:
        full = fc_all[[p.year + (p.month >= 4) == t for p in fc_all.index]]
        if len(full) == 12:
            rec = reconcile.reconcile_to_annual(full, annual_fc["forecast"], annual_fc["lower_80"],
                                               annual_fc["upper_80"])
            out.append(f"The monthly model's twelve months of that year add up to {full['mean'].sum():,.0f} "
                       f"referrals. Combined with the annual forecast (each weighted by its precision), the months "
                       f"are scaled to add up to {rec['mean'].sum():,.0f}; in the monthly backtest reconciling the "
                       "monthly path to the annual forecast in this way lowered the error slightly for every model "
                       "(methods page).")
    return out


def staffing_check_table(staffing) -> dict:
    """The staffing model's base year against the workforce census (:meth:`cscbook.models.capacity.Staffing.check`)."""
    return dict(frame=staffing.check(), caption="Calibration check: the base year against the workforce census",
                places={"value": 1})


def capacity_plan_table(result, illustrative: bool) -> dict:
    """The base-case capacity plan for the next twelve months (:class:`cscbook.models.capacity.CapacityResult`):
    referrals and open cases to the nearest one, FTE social workers needed and available, the shortfall with its
    80% interval, the chance of needing more than available (two places) and the date to recruit by; a column
    flags illustrative demand in the table and its download."""
    t = result.plan.reset_index()
    t["month"] = t["month"].astype(str)
    cols = list(CAPACITY_COLUMNS)
    if illustrative:  # the flag in the table and its download, not only in the caption and file name
        t["demand_basis"] = ILLUSTRATIVE_NOTE
        cols.append("demand_basis")
    return dict(frame=t[cols], caption="Capacity plan for the next twelve months, from open cases"
                + _illustrative(illustrative, "ILLUSTRATIVE demand"),
                places={"referrals_mean": 0, "open_cases": 0, "probability_over_capacity": 2, "horizon": 0})


def scenarios_sentence(chosen: list) -> str:
    """The scenarios compared, each by name with what it changes and its source (:func:`cscbook.models.scenarios.describe`)."""
    parts = []
    for s in chosen:
        source = f" ({s.demand.source})" if s.demand is not None and s.demand.source else ""
        parts.append(f"**{s.name}**: {scenarios.describe(s)}{source}.")
    return "Scenarios: " + " ".join(parts)


def scenarios_table(cmpr) -> dict:
    """The scenarios against the base case (:class:`cscbook.models.scenarios.Comparison`'s summary)."""
    return dict(frame=cmpr.summary, caption="Scenarios compared with the base case, next twelve months",
                places={"highest_probability": 2, "lead_time_days": 0, "months_at_risk": 0})


def backtest_table(ef, illustrative: bool) -> dict:
    """The monthly backtest's summary by method (:class:`cscbook.models.history.MonthlyForecast`) at the horizons
    scored: MASE, bias in referrals a month, interval coverage."""
    h0, h1 = ef.scored_horizons[0], ef.scored_horizons[-1]
    return dict(frame=ef.summary, caption=f"Backtest of monthly models, horizons {h0} to {h1} months"
                + _illustrative(illustrative, "ILLUSTRATIVE data"), places=dict(BACKTEST_PLACES))


def coverage_table(ef, illustrative: bool) -> dict:
    """The calibrated intervals' out-of-sample coverage by horizon, with the month each horizon reaches."""
    cov = ef.coverage.copy()
    cov.insert(1, "month", [str(ef.last_month + h) for h in cov["horizon"]])
    frame = cov.rename(columns={"model_coverage_80": "model_own_coverage_80", "bias_pct": "bias_%_of_level",
                                "n": "origins"})
    return dict(frame=frame, caption="Coverage of the calibrated intervals by horizon, origins left out in turn "
                f"({ef.model})" + _illustrative(illustrative, "ILLUSTRATIVE data"),
                places={"coverage_80": 2, "coverage_95": 2, "model_own_coverage_80": 2, "bias": 1, "level": 0,
                        "bias_%_of_level": 1, "origins": 0, "horizon": 0})


def comparison_sentence(cmp: dict) -> str:
    """The panel method against naive on the same council-years (:func:`cscbook.models.annual.comparison`)."""
    lo, hi = cmp["bootstrap_95"]
    return (f"On the same {cmp['n']:,} council-years the panel method's MASE is **{cmp['ratio']:.3f} times naive's** "
            f"(95% bootstrap interval over councils {lo:.3f} to {hi:.3f}); it beat naive in {cmp['years_better']} of "
            f"{cmp['years']} target years.")


def winner_sentence(summary: pd.DataFrame) -> str:
    """The annual method with the lowest MASE across all councils."""
    return f"Across all councils the lowest MASE is **{summary.sort_values('mase').iloc[0]['model']}**."
