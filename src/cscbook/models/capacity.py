"""Capacity: the month-by-month plan of case-holding social worker FTE needed against those in post, with how likely
each month is to need more than are in post, and when recruitment must start.

Open cases and FTE needed come from the staffing model (:mod:`cscbook.models.staffing`: a survival curve over
referrals, calibrated to the workforce census).

The forecast path is the model's; its errors in open cases at each horizon, measured in the rolling-origin
backtest by running the backtest's forecasts and actuals through the same survival curve, give the corrected
open cases (the median error taken off: only the corrected path is planned on), their 80% interval, and the
probability that a month needs more FTE than available (:class:`cscbook.models.calibration.Calibration`). Without a
usable backtest the model's own 80% band is used, its months taken as moving together.

A recruitment date is never earlier than the end of the edition's quarter: where the lead time makes the date
fall before it, the advice is to start now, naming the first month at risk. A recruitment date is given only
when some month is at least as likely as not to need more FTE than available; otherwise the plan says that
capacity is expected to hold, with the highest probability.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd
from scipy import stats

from cscbook.core.errors import CSCBookError
from cscbook.core.quarters import Quarter
from cscbook.models.calibration import Calibration, conformal_quantile
from cscbook.models.normal import Z80, Z95
from cscbook.models.staffing import CapacityInputs, Staffing, capacity_inputs, staffing_model

LEAD_TIME_DAYS = 26  # the 2015 review: "the average time taken to appoint an agency social worker was 26 calendar days"
RISK_PROBABILITY = 0.5  # a month is at risk when it is more likely than not to need more FTE than in post
PLAN_COLUMNS = ["horizon", "referrals_mean", "referrals_lower_80", "referrals_upper_80", "open_cases",
                "open_cases_lower_80", "open_cases_upper_80", "fte_needed", "fte_needed_lower_80",
                "fte_needed_upper_80", "capacity_fte", "shortfall", "shortfall_lower_80", "shortfall_upper_80",
                "probability_over_capacity", "at_risk", "recruit_by"]


def _month_name(p: pd.Period) -> str:
    return p.strftime("%B %Y")


def _day(d: date) -> str:
    return f"{d.day} {d:%B %Y}"


@dataclass
class CapacityResult:
    """A capacity plan (columns :data:`PLAN_COLUMNS`, one row a month) under one scenario, with its sentences, the
    inputs it rests on, the recruitment lead time (days), the first month at risk and the date recruitment must
    start by (None with a month at risk: start now), and the staffing model."""

    plan: pd.DataFrame  # empty where there is no staffing figure
    sentences: list[str] = field(default_factory=list)
    inputs: CapacityInputs | None = None
    scenario: str = "Base case"
    lead_time_days: int = LEAD_TIME_DAYS
    first_at_risk: pd.Period | None = None
    recruit_by: date | None = None  # None with a month at risk means: start now
    recruitment: str = ""  # the one sentence on when recruitment must start, or that capacity holds
    staffing: Staffing | None = None


_Z_GRID = stats.norm.ppf((np.arange(400) + 0.5) / 400)


def _path(staffing: Staffing, fc: pd.DataFrame, column: str = "mean") -> pd.Series:
    """Referrals from the month after the history to the forecast's last month: the forecast's ``column`` where
    it has the month, else the last twelve months' average."""
    last = staffing.history.index[-1]
    end = max(fc.index.max(), last + 1)
    months = pd.period_range(last + 1, end, freq="M")
    fill = float(staffing.history.iloc[-12:].mean())
    return fc[column].reindex(months).astype(float).fillna(fill)


def stock_calibration(staffing: Staffing, rows: pd.DataFrame, model: str | None = None):
    """The backtest's errors in open cases: at each origin the forecast and the actual referrals of the months
    after it, each run through the staffing model after the history known then (its recording basis is
    ``staffing.history``). Returns a :class:`cscbook.models.calibration.Calibration` (None without rows)."""
    if rows is None or rows.empty:
        return None
    if model is not None:
        rows = rows[rows["model"] == model]
    h = staffing.history
    out = []
    for origin, g in rows.groupby("origin", sort=False):
        g = g.sort_values("horizon")
        past = h[h.index <= pd.Period(origin, freq="M")].to_numpy()
        n = len(past)
        fc = staffing.stock(np.concatenate([past, g["forecast"].to_numpy(dtype=float)]))[n:]
        act = staffing.stock(np.concatenate([past, g["actual"].to_numpy(dtype=float)]))[n:]
        out.append(pd.DataFrame({"origin": origin, "horizon": g["horizon"].to_numpy(), "actual": act,
                                 "forecast": fc}))
    return Calibration.from_backtest(pd.concat(out, ignore_index=True), model)


def plan_for(fc: pd.DataFrame, staffing: Staffing, quarter: Quarter, scenario=None, risk: float = RISK_PROBABILITY,
             calibration=None, stock_cal=None) -> pd.DataFrame:
    """Month-by-month plan (columns ``PLAN_COLUMNS``) for the twelve forecast months after ``quarter``'s end.

    ``fc``: the model's forecast (mean and bounds) for the months after the history; ``calibration``: its
    :class:`~cscbook.models.calibration.Calibration` in referrals (for the referral columns), ``stock_cal`` in open
    cases (:func:`stock_calibration`); without them the model's own bands are used and nothing is corrected.
    """
    last = staffing.history.index[-1]
    start = pd.Period(quarter.end, freq="M") + 1
    months = [m for m in fc.index if m >= start][:12]
    path = _path(staffing, fc)
    n_hist = len(staffing.history)
    hist = staffing.history.to_numpy()

    def stock_of(p: pd.Series) -> pd.Series:
        return pd.Series(staffing.stock(np.concatenate([hist, p.to_numpy()]))[n_hist:], index=p.index)

    raw = stock_of(path)
    usable = stock_cal is not None and stock_cal.usable
    if not usable:  # the model's own band, its months moving together
        lo, hi = stock_of(_path(staffing, fc, "lower_80")), stock_of(_path(staffing, fc, "upper_80"))
        with np.errstate(divide="ignore", invalid="ignore"):
            s_lo = np.log(np.maximum(raw, 1e-9) / np.maximum(lo, 1e-9)) / Z80
            s_hi = np.log(np.maximum(hi, 1e-9) / np.maximum(raw, 1e-9)) / Z80

    def errors(m) -> np.ndarray:
        if usable:
            return stock_cal.sample((m - last).n)
        return np.where(_Z_GRID < 0, s_lo[m] * _Z_GRID, s_hi[m] * _Z_GRID)

    # the scenario: demand (percent scales the path; a step adds to it, with its own uncertainty), conversion of
    # new referrals from the first planned month, caseload, starters and leavers
    scaled = raw.copy()
    add = pd.Series(0.0, index=raw.index)
    add_sd = pd.Series(0.0, index=raw.index)
    caseload = staffing.caseload
    d = scenario.demand if scenario is not None else None
    if d is not None and d.event_study is not None:
        raise CSCBookError(f"scenario {scenario.name!r}: the event-study demand change has not been worked out for "
                           "a council; load the scenarios with the council code")
    if d is not None:
        from_month = d.start if d.start is not None else start
        on = pd.Series((path.index >= from_month).astype(float), index=path.index)
        if d.kind == "percent":
            scaled = stock_of(path * (1 + on * d.value / 100))
        else:
            unit = stock_of(on) - stock_of(on * 0)
            add = unit * d.value
            if d.low is not None and d.high is not None:
                add_sd = unit * (d.high - d.low) / (2 * Z95)
    if scenario is not None and scenario.conversion is not None:
        if staffing.inputs.conversion is None:
            raise CSCBookError(f"scenario {scenario.name!r}: no current conversion figure for this council to "
                               "compare a conversion with; leave conversion out")
        ratio = scenario.conversion / staffing.inputs.conversion
        weight = pd.Series(np.where(path.index >= start, ratio, 1.0), index=path.index)
        with np.errstate(divide="ignore", invalid="ignore"):
            mult = (stock_of(path * weight) / raw).fillna(1.0)
        scaled, add, add_sd = scaled * mult, add * mult, add_sd * mult
    if scenario is not None and scenario.caseload is not None:
        if staffing.inputs.caseload is None:
            raise CSCBookError(f"scenario {scenario.name!r}: no current caseload figure for this council to "
                               "compare a caseload with; leave caseload out")
        caseload = scenario.caseload
    capacity = pd.Series(staffing.inputs.current_fte, index=pd.PeriodIndex(months, freq="M"), dtype=float)
    if scenario is not None and (scenario.starters or scenario.leavers):
        for m, v in scenario.starters.items():
            capacity[capacity.index >= m] += v
        for m, v in scenario.leavers.items():
            capacity[capacity.index >= m] -= v
    # the referral columns: calibrated where possible, under the scenario's demand change
    if calibration is not None and calibration.usable:
        ref = calibration.apply(fc.loc[months], last)
    else:
        ref = fc.loc[months].copy()
    if scenario is not None:
        ref = scenario.apply(ref[["mean", "lower_80", "upper_80", "lower_95", "upper_95"]])
    rows = []
    for m in months:
        e = errors(m)
        x = scaled[m] * np.exp(e)
        centre = (float(np.median(x)) if usable else float(scaled[m])) + add[m]
        if usable:
            lo80, hi80 = conformal_quantile(x, 0.1) + add[m], conformal_quantile(x, 0.9) + add[m]
        else:
            lo80, hi80 = np.quantile(x, [0.1, 0.9]) + add[m]
        if add_sd[m] > 0:
            lo80 = centre - np.hypot(centre - lo80, Z80 * add_sd[m])
            hi80 = centre + np.hypot(hi80 - centre, Z80 * add_sd[m])
        thr = capacity[m] * caseload
        if add_sd[m] > 0:
            p = float(np.mean(stats.norm.sf((thr - x - add[m]) / add_sd[m])))
        else:
            p = float(np.mean(x + add[m] > thr))
        rows.append(dict(month=m, horizon=(m - last).n, referrals_mean=float(ref.at[m, "mean"]),
                         referrals_lower_80=float(ref.at[m, "lower_80"]),
                         referrals_upper_80=float(ref.at[m, "upper_80"]), open_cases=centre,
                         open_cases_lower_80=max(float(lo80), 0.0), open_cases_upper_80=float(hi80),
                         probability_over_capacity=min(max(p, 0.0), 1.0)))
    out = pd.DataFrame(rows, columns=["month", "horizon", "referrals_mean", "referrals_lower_80", "referrals_upper_80",
                                      "open_cases", "open_cases_lower_80", "open_cases_upper_80",
                                      "probability_over_capacity"]).set_index("month")
    out.index = pd.PeriodIndex(out.index, freq="M")
    out["fte_needed"] = out["open_cases"] / caseload
    out["fte_needed_lower_80"] = out["open_cases_lower_80"] / caseload
    out["fte_needed_upper_80"] = out["open_cases_upper_80"] / caseload
    out["capacity_fte"] = capacity
    out["shortfall"] = (out["fte_needed"] - capacity).clip(lower=0)
    out["shortfall_lower_80"] = (out["fte_needed_lower_80"] - capacity).clip(lower=0)
    out["shortfall_upper_80"] = (out["fte_needed_upper_80"] - capacity).clip(lower=0)
    out["at_risk"] = out["probability_over_capacity"] >= risk
    lead = scenario.lead_time_days if scenario is not None and scenario.lead_time_days is not None else LEAD_TIME_DAYS
    out["recruit_by"] = [
        "" if not r else ((d.isoformat()) if (d := recruitment_date(m, lead, quarter)) else "now")
        for m, r in zip(out.index, out["at_risk"])
    ]
    out.index.name = "month"
    return out[PLAN_COLUMNS]


def probability_above(fc: pd.DataFrame, threshold: pd.Series | float) -> pd.Series:
    """Probability that each month's value exceeds ``threshold``: a normal on each side of the mean, scaled
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


def recruitment_sentence(plan: pd.DataFrame, name: str, lead: int, quarter: Quarter,
                         risk: float = RISK_PROBABILITY) -> tuple[str, pd.Period | None, date | None]:
    """One sentence: when recruitment must start, with the probability and the shortfall's interval, only where
    some month is at least ``risk`` likely to need more FTE than available; otherwise that capacity is expected
    to hold, with the highest probability of a shortfall."""
    likely = "more likely than not" if risk == 0.5 else f"at least {risk:.0%} likely"
    if plan.empty:
        return f"{name}: no forecast months after {quarter} to plan for.", None, None
    if not plan["at_risk"].any():
        worst = plan["probability_over_capacity"].idxmax()
        p = plan.at[worst, "probability_over_capacity"]
        return (f"{name}: capacity is expected to hold: no month in the next {len(plan)} is {likely} to need more "
                f"social workers than available (the highest chance is {p:.0%}, in {_month_name(worst)}), so the "
                "evidence does not call for recruitment.", None, None)
    first = plan.index[plan["at_risk"]][0]
    r = plan.loc[first]
    detail = (f"probability {r['probability_over_capacity']:.0%} that it needs more than the "
              f"{r['capacity_fte']:.1f} FTE available; shortfall {r['shortfall']:.1f} FTE on the corrected "
              f"forecast, 80% interval {r['shortfall_lower_80']:.1f} to {r['shortfall_upper_80']:.1f}")
    when = recruitment_date(first, lead, quarter)
    if when is None:
        return (f"{name}: start recruiting now: {_month_name(first)}, the first month {likely} to need more "
                f"social workers than available ({detail}), begins less than the {lead}-day recruitment lead time "
                f"after the end of {quarter} ({_day(quarter.end)}).", first, None)
    return (f"{name}: recruitment must start by {_day(when)}, {lead} days before {_month_name(first)}, the first "
            f"month {likely} to need more social workers than available ({detail}).", first, when)


def capacity_for(quarter: Quarter, code: str, series_frame: pd.DataFrame, fc: pd.DataFrame, scenario=None,
                 inputs: CapacityInputs | None = None, risk: float = RISK_PROBABILITY, staffing: Staffing | None = None,
                 calibration=None, stock_cal=None) -> CapacityResult:
    """The capacity plan for a council's forecast (optionally under a scenario) and plain sentences.

    ``fc``: the model's monthly forecast (PeriodIndex; mean, lower_80, upper_80, lower_95, upper_95) for the
    months after the series; only the twelve months after the quarter's end are planned. ``series_frame``: the
    monthly series the forecast came from (columns ``referrals`` and optionally ``social_workers_fte``,
    ``assessments``, ``open_cases``, ``open_cin``). ``staffing``, ``calibration`` and ``stock_cal`` as made by
    :func:`cscbook.models.staffing.staffing_model`, :mod:`cscbook.models.calibration` and :func:`stock_calibration`
    (made here where not given, without calibration).
    """
    name = scenario.name if scenario is not None else "Base case"
    staffing = staffing or staffing_model(quarter, code, series_frame, inputs=inputs)
    if staffing is None:
        inputs = inputs or capacity_inputs(quarter, code, series_frame)
        why = ("No published case-holding social worker figure for this council by then: no capacity plan."
               if inputs is None else
               "No published children in need figures to estimate how long cases stay open: no capacity plan.")
        return CapacityResult(pd.DataFrame(columns=PLAN_COLUMNS), [why], inputs, name)
    lead = scenario.lead_time_days if scenario is not None and scenario.lead_time_days is not None else LEAD_TIME_DAYS
    plan = plan_for(fc, staffing, quarter, scenario, risk, calibration, stock_cal)
    sentence, first, when = recruitment_sentence(plan, name, lead, quarter, risk)
    basis = ("the model's own 80% band (no usable backtest to calibrate it)" if stock_cal is None or
             not stock_cal.usable else
             f"the {stock_cal.model} model's errors in open cases at each horizon in the backtest (the median "
             "error taken off: the plan uses the corrected path)")
    sentences = [
        "The plan rests on " + "; ".join(staffing.inputs.sources) + ".",
        *staffing.sentences(),
        "FTE needed is open cases over the caseload, so it follows open cases, which lag referrals and move less "
        f"than they do; its interval and the probability of needing more than available come from {basis}; "
        "capacity is the FTE in post plus planned starters less leavers.",
        sentence,
    ]
    return CapacityResult(plan, sentences, staffing.inputs, name, lead, first, when, sentence, staffing)


@dataclass
class EditionCapacity:
    """An edition's base-case plan with the model and calibrations the scenarios reuse."""

    staffing: Staffing | None
    stock_cal: object | None
    result: CapacityResult

    def coverage(self, horizons) -> pd.DataFrame:
        """Out-of-sample coverage of the open-case intervals by horizon (empty where not calibrated)."""
        if self.stock_cal is None or not self.stock_cal.usable:
            return pd.DataFrame()
        return self.stock_cal.coverage(horizons)


def edition_capacity(ef, quarter: Quarter, code: str, scenario=None) -> EditionCapacity:
    """The capacity plan from an edition's forecast (:func:`cscbook.models.history.monthly_forecast`, calibrated where
    its backtest allows): staffing from open cases, the open-case errors of the chosen model in the backtest, and
    the plan."""
    staffing = staffing_model(quarter, code, ef.series.frame, ef.basis)
    stock_cal = stock_calibration(staffing, ef.errors, ef.model) if staffing is not None else None
    cal = ef.calibration if ef.calibrated_ok else None
    result = capacity_for(quarter, code, ef.series.frame, ef.fc_all, scenario, staffing=staffing, calibration=cal,
                          stock_cal=stock_cal)
    return EditionCapacity(staffing, stock_cal, result)
