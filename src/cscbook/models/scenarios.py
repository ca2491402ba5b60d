"""What-if staffing scenarios applied to an edition: the event-study step worked out for a council, the
scenarios compared against the capacity plan (the file format is :mod:`cscbook.models.scenariofile`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import pandas as pd

from cscbook.core.errors import CSCBookError
from cscbook.core.quarters import Quarter
from cscbook.data.releases import latest_year_published
from cscbook.data.tables import la_values
from cscbook.models import eventstudy, shared
from cscbook.models.capacity import capacity_for, edition_capacity
from cscbook.models.demand import monthly_series
from cscbook.models.history import monthly_forecast
from cscbook.models.scenariofile import (
    EVENT_STUDIES,
    DemandChange,
    Scenario,
    check_file,
    default_path,
)
from cscbook.models.staffing import staffing_model

# ---------------------------------------------------------------------------------------------------
# Reading and validating


def load_scenarios(path: str | Path, quarter: Quarter | None = None, code: str | None = None,
                   parameter: str = "--scenarios", estimate=None) -> list[Scenario]:
    """Scenarios from a YAML file, validated; with ``quarter``, every month must lie in its forecast horizon;
    with ``code``, event-study demand changes are worked out for that council (see :func:`resolve_event_study`;
    ``estimate``: where the event study's estimates come from, e.g. the build's shared cache).
    """
    scenarios = check_file(path, quarter, parameter)
    if code is not None:
        if quarter is None:
            raise ValueError("a quarter is needed to work out event-study scenarios for a council")
        scenarios = [resolve_event_study(s, code, quarter, estimate) for s in scenarios]
    return scenarios


def default_scenarios(code: str, quarter: Quarter, estimate=None) -> list[Scenario]:
    """The shipped default set (plus and minus 10% demand, an inadequate judgement) for a council and quarter."""
    return load_scenarios(default_path(), quarter, code, parameter="default scenarios", estimate=estimate)


# ---------------------------------------------------------------------------------------------------
# The event-study step


@dataclass(frozen=True)
class EventStep:
    """The event study's step after an inadequate judgement, for one council: the rate per 10,000 children with
    its 95% interval, the council's children aged 0 to 17 (and the year of that estimate), and the same step in
    referrals a month with its interval."""

    rate_per_10k: float
    rate_low: float
    rate_high: float
    population: float
    population_year: int
    per_month: float
    per_month_low: float
    per_month_high: float


def event_step(code: str, quarter: Quarter, outcome: str = "referrals_rate_per_10k",
               relative_year: int = 0, estimate=None) -> EventStep:
    """The event study's estimate (and 95% interval) for ``relative_year`` turned into referrals a month for a
    council: rate per 10,000 children x the council's children aged 0 to 17 (latest ONS estimate published by the
    end of ``quarter``) / 10,000 / 12. ``estimate``: outcome -> :func:`cscbook.models.eventstudy.estimate`'s frame
    (default: that function; the build passes its shared cache's copy)."""
    if estimate is None:
        estimate = eventstudy.estimate
    est = estimate(outcome).set_index("relative_year").loc[relative_year]
    year = latest_year_published("population", quarter)
    pop = la_values("population", "population_estimate")
    if year is None or (code, year) not in pop.index or pd.isna(pop.loc[(code, year), "value"]):
        raise CSCBookError(f"council {code}: no published population of children by {quarter}, so the "
                           "inadequate-judgement scenario cannot be worked out")
    p = float(pop.loc[(code, year), "value"])
    conv = p / 10_000 / 12
    return EventStep(float(est["estimate"]), float(est["ci_low"]), float(est["ci_high"]), p, int(year),
                     float(est["estimate"]) * conv, float(est["ci_low"]) * conv, float(est["ci_high"]) * conv)


def resolve_event_study(scenario: Scenario, code: str, quarter: Quarter, estimate=None) -> Scenario:
    """``scenario`` with an event-study demand change replaced by its step in referrals a month for council
    ``code`` (:func:`event_step`, population as published by the end of ``quarter``); other scenarios unchanged."""
    d = scenario.demand
    if d is None or d.event_study is None:
        return scenario
    s = event_step(code, quarter, EVENT_STUDIES[d.event_study], estimate=estimate)
    source = (f"event study: {s.rate_per_10k:+.0f} referrals per 10,000 children in the year of publication "
              f"(95% interval {s.rate_low:+.0f} to {s.rate_high:+.0f}), times {s.population:,.0f} children "
              f"(ONS mid-{s.population_year}) gives {s.per_month:+.0f} referrals a month "
              f"({s.per_month_low:+.0f} to {s.per_month_high:+.0f})")
    step = DemandChange("step", s.per_month, s.per_month_low, s.per_month_high, d.start, None, source)
    return Scenario(scenario.name, scenario.description, step, scenario.conversion, scenario.caseload,
                    scenario.lead_time_days, scenario.starters, scenario.leavers)


# ---------------------------------------------------------------------------------------------------
# Comparing scenarios with the base case


@dataclass
class Comparison:
    """Every scenario's plan beside the base case's."""

    plans: pd.DataFrame  # long: scenario, month and the capacity plan's columns
    summary: pd.DataFrame  # one row per scenario (base first)
    sentences: list[str]  # one per scenario (base first): when recruitment must start
    results: list = field(default_factory=list)  # CapacityResult per scenario (base first)


def compare_scenarios(quarter: Quarter, code: str, series_frame: pd.DataFrame, fc: pd.DataFrame,
                      scenarios: list[Scenario], staffing=None, calibration=None, stock_cal=None) -> Comparison:
    """The base case and each scenario: FTE needed (corrected centre and 80% band), capacity, shortfall,
    probability of exceeding capacity month by month, and one sentence per scenario on when recruitment must
    start or that capacity is expected to hold. ``staffing``, ``calibration``, ``stock_cal``: as for
    :func:`cscbook.models.capacity.capacity_for` (the edition's, see :func:`cscbook.models.capacity.edition_capacity`)."""
    staffing = staffing or staffing_model(quarter, code, series_frame)
    kw = dict(staffing=staffing, calibration=calibration, stock_cal=stock_cal)
    results = [capacity_for(quarter, code, series_frame, fc, None, **kw)]
    if staffing is None:
        return Comparison(pd.DataFrame(), pd.DataFrame(), results[0].sentences[:1], results)
    results += [capacity_for(quarter, code, series_frame, fc, s, **kw) for s in scenarios]
    plans, rows = [], []
    base = results[0].plan
    for r in results:
        p = r.plan.reset_index()
        p.insert(0, "scenario", r.scenario)
        plans.append(p)
        rows.append(dict(
            scenario=r.scenario,
            fte_needed_mean=float(r.plan["fte_needed"].mean()),
            change_from_base=float(r.plan["fte_needed"].mean() - base["fte_needed"].mean()),
            peak_fte_needed=float(r.plan["fte_needed"].max()),
            months_at_risk=int(r.plan["at_risk"].sum()),
            highest_probability=float(r.plan["probability_over_capacity"].max()),
            first_month_at_risk="" if r.first_at_risk is None else str(r.first_at_risk),
            recruit_by=("" if r.first_at_risk is None
                        else "now" if r.recruit_by is None else r.recruit_by.isoformat()),
            lead_time_days=r.lead_time_days,
        ))
    sentences = [r.recruitment for r in results]
    return Comparison(pd.concat(plans, ignore_index=True), pd.DataFrame(rows), sentences, results)


def describe(scenario: Scenario) -> str:
    """A plain description of what a scenario changes."""
    parts = []
    d = scenario.demand
    if d is not None:
        start = f" from {d.start.strftime('%B %Y')}" if d.start is not None else ""
        if d.kind == "percent":
            parts.append(f"referrals {d.value:+g}%{start}")
        elif d.event_study is not None:
            parts.append(f"referrals as after an inadequate judgement{start}")
        else:
            band = f" (95% interval {d.low:+,.0f} to {d.high:+,.0f})" if d.low is not None else ""
            parts.append(f"{d.value:+,.0f} referrals a month{band}{start}")
    if scenario.conversion is not None:
        parts.append(f"conversion to assessment {scenario.conversion:.0%}")
    if scenario.caseload is not None:
        parts.append(f"caseload {scenario.caseload:g} per social worker")
    if scenario.lead_time_days is not None:
        parts.append(f"recruitment lead time {scenario.lead_time_days} days")
    for label, changes in (("starters", scenario.starters), ("leavers", scenario.leavers)):
        if changes:
            parts.append(f"{label} " + ", ".join(f"{v:g} FTE in {m.strftime('%b %Y')}"
                                                 for m, v in sorted(changes.items())))
    return "; ".join(parts) if parts else "no change from the base case"


def for_edition(ed) -> list[Scenario]:
    """The edition's scenarios: its ``--scenarios`` file (``ed.scenarios``) if given, else the default set."""
    path = getattr(ed, "scenarios", None)
    cache = getattr(ed, "cache", None)
    estimate = partial(shared.event_study, cache) if cache is not None else None
    if path:
        return load_scenarios(path, ed.quarter, ed.council.code, estimate=estimate)
    return default_scenarios(ed.council.code, ed.quarter, estimate)


def comparison_for(code: str, quarter: Quarter, monthly: str | None, scenarios: list[Scenario],
                   model: str | None = None, results=None) -> Comparison:
    """The whole chain for the command line: the edition's monthly series, the forecast by ``model`` (default:
    the best by the rolling-origin backtest of what the history supports, at the published horizons, as in the
    forecast chapter: :func:`cscbook.models.history.monthly_forecast`), calibrated on its own backtest errors where they
    allow, the twelve months after the quarter, and the comparison of the base case with each scenario.
    ``results``: the edition's :class:`cscbook.models.results.EditionResults` (narrowed to ``model`` where one is
    asked for), whose chain is read instead of run again."""
    if results is not None:
        return results.compare(scenarios)
    series = monthly_series(code, quarter, monthly)
    ef = monthly_forecast(series, quarter, models=(model,) if model else None)
    ec = edition_capacity(ef, quarter, code)
    return compare_scenarios(quarter, code, series.frame, ef.fc_all, scenarios, ec.staffing,
                             ef.calibration if ef.calibrated_ok else None, ec.stock_cal)


