"""Capacity: forecast referrals turned into case-holding social worker FTE, month by month, with its uncertainty.

The model is deliberately simple and says so. The social workers in post are taken to match the demand of the
last twelve months at the current conversion (share of referrals that go on to an assessment) and the current
caseload (cases per case-holding worker). FTE needed in a month is then

    referrals x (FTE in post / mean monthly referrals) x (conversion / current conversion)
              x (current caseload / caseload)

so a scenario that changes nothing reproduces the base case exactly. Capacity in a month is the FTE in post
plus planned starters less planned leavers up to that month. The probability that a month needs more than its
capacity comes from the forecast's own 80% band (a normal on each side of the mean), so a shortfall is always
given with how likely it is, never from an upper bound alone.

A recruitment date is never earlier than the end of the edition's quarter: where the lead time makes the date
fall before it, the advice is to start now, naming the first month at risk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd
from scipy import stats

from .data import la_values
from .quarters import Quarter, latest_year_published

LEAD_TIME_DAYS = 26  # the 2015 review: "the average time taken to appoint an agency social worker was 26 calendar days"
RISK_PROBABILITY = 0.5  # a month is at risk when it is more likely than not to need more FTE than in post
Z80 = float(stats.norm.ppf(0.9))
PLAN_COLUMNS = ["referrals_mean", "referrals_lower_80", "referrals_upper_80", "fte_needed", "fte_needed_lower_80",
                "fte_needed_upper_80", "capacity_fte", "shortfall", "shortfall_lower_80", "shortfall_upper_80",
                "probability_over_capacity", "at_risk", "recruit_by"]


@dataclass(frozen=True)
class CapacityInputs:
    """The council's figures the plan rests on, each with where it came from."""

    current_fte: float
    monthly_referrals: float
    conversion: float | None = None
    caseload: float | None = None
    sources: tuple[str, ...] = ()

    @property
    def fte_per_referral(self) -> float:
        return self.current_fte / self.monthly_referrals


@dataclass
class CapacityResult:
    plan: pd.DataFrame  # empty where there is no staffing figure
    sentences: list[str] = field(default_factory=list)
    inputs: CapacityInputs | None = None
    scenario: str = "Base case"
    lead_time_days: int = LEAD_TIME_DAYS
    first_at_risk: pd.Period | None = None
    recruit_by: date | None = None  # None with a month at risk means: start now
    recruitment: str = ""  # the one sentence on when recruitment must start


def _month_name(p: pd.Period) -> str:
    return p.strftime("%B %Y")


def _day(d: date) -> str:
    return f"{d.day} {d:%B %Y}"


def _published(table: str, measure: str, code: str, quarter: Quarter) -> tuple[float, int] | None:
    year = latest_year_published(table, quarter)
    if year is None:
        return None
    values = la_values(table, measure)
    if (code, year) not in values.index or pd.isna(values.loc[(code, year), "value"]):
        return None
    return float(values.loc[(code, year), "value"]), year


def capacity_inputs(quarter: Quarter, code: str, series_frame: pd.DataFrame) -> CapacityInputs | None:
    """FTE in post, mean monthly referrals (last twelve months), conversion and caseload for a council.

    FTE and caseload from the extract's ``social_workers_fte`` and ``open_cases`` where present, else the DfE
    workforce census (case-holding FTE, average caseload) published by the end of ``quarter``. Conversion from
    the extract's ``assessments`` where present, else one minus DfE's share of referrals that ended in no
    further action (table C1). None where no FTE figure is available.
    """
    recent = series_frame.iloc[-12:]
    monthly = float(recent["referrals"].astype(float).mean())
    span = f"{recent.index[0]} to {recent.index[-1]}"
    sources = [f"{monthly:,.0f} referrals a month on average, {span}"]
    staffed = series_frame["social_workers_fte"].dropna() if "social_workers_fte" in series_frame.columns else None
    if staffed is not None and len(staffed):
        fte = float(staffed.iloc[-1])
        sources.append(f"{fte:.1f} social worker FTE in {staffed.index[-1]} (the council's extract)")
    else:
        found = _published("workforce", "case_holders_fte", code, quarter)
        if found is None:
            return None
        fte = found[0]
        sources.append(f"{fte:.1f} case-holding social worker FTE at 30 September {found[1]} (DfE workforce census)")
    conversion = None
    if "assessments" in series_frame.columns and recent["assessments"].notna().all() and recent["referrals"].sum() > 0:
        conversion = float(recent["assessments"].sum() / recent["referrals"].astype(float).sum())
        sources.append(f"{conversion:.0%} of referrals went on to an assessment, {span} (the council's extract)")
    else:
        nfa = _published("referrals", "no_further_action_percent", code, quarter)
        if nfa is not None:
            conversion = 1 - nfa[0] / 100
            sources.append(f"{conversion:.0%} of referrals did not end in no further action in the year to March "
                           f"{nfa[1]} (DfE children in need table C1), taken as the share going on to an assessment")
    caseload = None
    if ("open_cases" in series_frame.columns and staffed is not None and len(staffed)
            and pd.notna(series_frame["open_cases"].iloc[-1]) and staffed.iloc[-1] > 0):
        caseload = float(series_frame["open_cases"].iloc[-1] / staffed.iloc[-1])
        sources.append(f"{caseload:.1f} open cases per social worker FTE in {staffed.index[-1]} "
                       "(the council's extract)")
    else:
        found = _published("workforce", "caseload_fte", code, quarter)
        if found is not None:
            caseload = found[0]
            sources.append(f"an average caseload of {caseload:.1f} cases per case-holding social worker at "
                           f"30 September {found[1]} (DfE workforce census)")
    return CapacityInputs(fte, monthly, conversion, caseload, tuple(sources))


def probability_above(fc: pd.DataFrame, threshold: pd.Series | float) -> pd.Series:
    """Probability that each month's referrals exceed ``threshold``: a normal on each side of the mean, scaled
    by that side of the 80% band (so a lopsided band is respected). Always within [0, 1]."""
    thr = pd.Series(threshold, index=fc.index, dtype=float) if np.isscalar(threshold) else threshold.astype(float)
    above = thr >= fc["mean"]
    sd = np.where(above, (fc["upper_80"] - fc["mean"]) / Z80, (fc["mean"] - fc["lower_80"]) / Z80)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (thr.to_numpy() - fc["mean"].to_numpy()) / sd
    p = np.where(sd > 0, 1 - stats.norm.cdf(z), (fc["mean"].to_numpy() > thr.to_numpy()).astype(float))
    return pd.Series(np.clip(p, 0.0, 1.0), index=fc.index)


def recruitment_date(month: pd.Period, lead_time_days: int, quarter: Quarter) -> date | None:
    """The day recruitment must start for a worker to be in post when ``month`` begins; None (start now) where
    that day is before the end of the edition's quarter."""
    d = month.start_time.date() - timedelta(days=int(lead_time_days))
    return d if d >= quarter.end else None


def plan_for(fc: pd.DataFrame, inputs: CapacityInputs, quarter: Quarter, scenario=None,
             risk: float = RISK_PROBABILITY) -> pd.DataFrame:
    """Month-by-month plan (columns ``PLAN_COLUMNS``) for the forecast months after ``quarter``'s end."""
    fc = fc[fc.index > pd.Period(quarter.end, freq="M")]
    if scenario is not None:
        fc = scenario.apply(fc)
    factor = inputs.fte_per_referral
    if scenario is not None and scenario.conversion is not None:
        if inputs.conversion is None:
            from .errors import CSCBookError
            raise CSCBookError(f"scenario {scenario.name!r}: no current conversion figure for this council to "
                               "compare a conversion with; leave conversion out")
        factor = factor * (scenario.conversion / inputs.conversion)
    if scenario is not None and scenario.caseload is not None:
        if inputs.caseload is None:
            from .errors import CSCBookError
            raise CSCBookError(f"scenario {scenario.name!r}: no current caseload figure for this council to "
                               "compare a caseload with; leave caseload out")
        factor = factor * (inputs.caseload / scenario.caseload)
    capacity = pd.Series(inputs.current_fte, index=fc.index, dtype=float)
    if scenario is not None and (scenario.starters or scenario.leavers):
        change = pd.Series(0.0, index=fc.index)
        for m, v in scenario.starters.items():
            change[change.index >= m] += v
        for m, v in scenario.leavers.items():
            change[change.index >= m] -= v
        capacity = capacity + change
    out = pd.DataFrame(index=fc.index)
    out["referrals_mean"] = fc["mean"]
    out["referrals_lower_80"] = fc["lower_80"]
    out["referrals_upper_80"] = fc["upper_80"]
    out["fte_needed"] = fc["mean"] * factor
    out["fte_needed_lower_80"] = fc["lower_80"] * factor
    out["fte_needed_upper_80"] = fc["upper_80"] * factor
    out["capacity_fte"] = capacity
    out["shortfall"] = (out["fte_needed"] - capacity).clip(lower=0)
    out["shortfall_lower_80"] = (out["fte_needed_lower_80"] - capacity).clip(lower=0)
    out["shortfall_upper_80"] = (out["fte_needed_upper_80"] - capacity).clip(lower=0)
    out["probability_over_capacity"] = probability_above(fc, capacity / factor)
    out["at_risk"] = out["probability_over_capacity"] >= risk
    lead = scenario.lead_time_days if scenario is not None and scenario.lead_time_days is not None else LEAD_TIME_DAYS
    out["recruit_by"] = [
        "" if not r else ((d.isoformat()) if (d := recruitment_date(m, lead, quarter)) else "now")
        for m, r in zip(out.index, out["at_risk"])
    ]
    out.index.name = "month"
    return out


def recruitment_sentence(plan: pd.DataFrame, name: str, lead: int, quarter: Quarter,
                         risk: float = RISK_PROBABILITY) -> tuple[str, pd.Period | None, date | None]:
    """One sentence on when recruitment must start, with the probability and the shortfall's interval."""
    likely = "more likely than not" if risk == 0.5 else f"at least {risk:.0%} likely"
    if plan.empty:
        return f"{name}: no forecast months after {quarter} to plan for.", None, None
    if not plan["at_risk"].any():
        worst = plan["probability_over_capacity"].idxmax()
        p = plan.at[worst, "probability_over_capacity"]
        return (f"{name}: no month in the next {len(plan)} is {likely} to need more social workers than in post "
                f"(the highest chance is {p:.0%}, in {_month_name(worst)}), so this forecast does not call for "
                "recruitment.", None, None)
    first = plan.index[plan["at_risk"]][0]
    r = plan.loc[first]
    detail = (f"probability {r['probability_over_capacity']:.0%} that it needs more than the "
              f"{r['capacity_fte']:.1f} FTE available; shortfall {r['shortfall']:.1f} FTE on the forecast mean, "
              f"80% interval {r['shortfall_lower_80']:.1f} to {r['shortfall_upper_80']:.1f}")
    when = recruitment_date(first, lead, quarter)
    if when is None:
        return (f"{name}: start recruiting now: {_month_name(first)}, the first month {likely} to need more "
                f"social workers than available ({detail}), begins less than the {lead}-day recruitment lead time "
                f"after the end of {quarter} ({_day(quarter.end)}).", first, None)
    return (f"{name}: recruitment must start by {_day(when)}, {lead} days before {_month_name(first)}, the first "
            f"month {likely} to need more social workers than available ({detail}).", first, when)


def capacity_for(quarter: Quarter, code: str, series_frame: pd.DataFrame, fc: pd.DataFrame, scenario=None,
                 inputs: CapacityInputs | None = None, risk: float = RISK_PROBABILITY) -> CapacityResult:
    """The capacity plan for a council's forecast (optionally under a scenario) and plain sentences.

    ``fc``: monthly forecast frame (PeriodIndex; mean, lower_80, upper_80, lower_95, upper_95); only months after
    the quarter's end are planned. ``series_frame``: the monthly series the forecast came from (columns
    ``referrals`` and optionally ``social_workers_fte``, ``assessments``, ``open_cases``).
    """
    name = scenario.name if scenario is not None else "Base case"
    inputs = inputs or capacity_inputs(quarter, code, series_frame)
    if inputs is None:
        return CapacityResult(pd.DataFrame(columns=PLAN_COLUMNS),
                              ["No published case-holding social worker figure for this council by then: no capacity "
                               "plan."], None, name)
    lead = scenario.lead_time_days if scenario is not None and scenario.lead_time_days is not None else LEAD_TIME_DAYS
    plan = plan_for(fc, inputs, quarter, scenario, risk)
    sentence, first, when = recruitment_sentence(plan, name, lead, quarter, risk)
    sentences = [
        "The plan rests on " + "; ".join(inputs.sources) + ".",
        "It assumes the social workers in post match the demand of those twelve months at that conversion and "
        "caseload, so FTE needed rises and falls with forecast referrals; capacity is the FTE in post plus planned "
        "starters less leavers.",
        sentence,
    ]
    return CapacityResult(plan, sentences, inputs, name, lead, first, when, sentence)
