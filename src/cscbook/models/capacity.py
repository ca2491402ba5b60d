"""Capacity: forecast referrals turned into the open cases they bring and the case-holding social worker FTE
those need, month by month, with how likely each month is to need more than are in post.

A caseload is a stock, so FTE needed follows open cases, not referrals. Open cases at the end of month t are

    open(t) = factor x conversion x sum over k >= 0 of referrals(t - k) x S(k)

where ``conversion`` is the share of referrals that go on to an assessment (assessments per referral, the value
the demand chapter shows: DfE tables C3 over C1, or the council's extract) and S(k) the share of those cases still
open k months after the referral month: a survival curve. With steady referrals R the stock is
R x conversion x (the mean duration in months, the sum of S): Little's law. S comes from the council's own open
episodes where its monthly returns carry them (``open_cin``, else ``open_cases``: the duration that best
reproduces them), otherwise from DfE's children in need at 31 March against the episodes started in that year
(their ratio is the mean duration, by Little's law), with every case taken to close with the same chance each
month (a geometric curve, S(k) = (1 - 1/D)^k for a mean of D months). Months before the series begins are taken
at its first year's average.

The ``factor`` calibrates the base year to the workforce census: it is set so that the modelled open cases at the
census (or, where the data end earlier, their average over the last twelve months known) equal FTE in post x
average caseload. FTE needed is open cases / caseload, so with referrals steady at the base year's level it is
the FTE in post. Referrals are on today's recording basis (:func:`cscbook.models.calibration.basis`).

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
from cscbook.data.releases import latest_year_published
from cscbook.data.tables import la_values
from cscbook.models.calibration import Z95, Calibration, basis, conformal_quantile

LEAD_TIME_DAYS = 26  # the 2015 review: "the average time taken to appoint an agency social worker was 26 calendar days"
RISK_PROBABILITY = 0.5  # a month is at risk when it is more likely than not to need more FTE than in post
Z80 = float(stats.norm.ppf(0.9))
SURVIVAL_TOL = 1e-4  # the survival curve is cut where fewer than 1 in 10,000 cases are still open
MIN_RETURN_MONTHS = 24  # months of open episodes needed to fit the duration from the council's returns
PLAN_COLUMNS = ["horizon", "referrals_mean", "referrals_lower_80", "referrals_upper_80", "open_cases",
                "open_cases_lower_80", "open_cases_upper_80", "fte_needed", "fte_needed_lower_80",
                "fte_needed_upper_80", "capacity_fte", "shortfall", "shortfall_lower_80", "shortfall_upper_80",
                "probability_over_capacity", "at_risk", "recruit_by"]


@dataclass(frozen=True)
class CapacityInputs:
    """The council's figures the plan rests on, each with where it came from.

    ``as_at``: the month of the FTE and caseload figures (30 September for the workforce census);
    ``census_cases``: the census's count of cases held, where published (for the calibration check).
    """

    current_fte: float
    monthly_referrals: float
    conversion: float | None = None
    caseload: float | None = None
    sources: tuple[str, ...] = ()
    as_at: pd.Period | None = None
    census_cases: float | None = None

    @property
    def fte_per_referral(self) -> float:
        return self.current_fte / self.monthly_referrals


@dataclass(frozen=True)
class Survival:
    """A geometric survival curve: the share of cases still open k months after the referral month."""

    mean_months: float
    source: str = ""

    def curve(self, tol: float = SURVIVAL_TOL) -> np.ndarray:
        """S(0), S(1), ... until S falls below ``tol``; S(k) = (1 - 1/D)^k, summing to D (the mean)."""
        d = max(float(self.mean_months), 1.0)
        keep = 1.0 - 1.0 / d
        if keep <= 0:
            return np.array([1.0])
        n = int(np.ceil(np.log(tol) / np.log(keep))) + 1
        return keep ** np.arange(n)


def open_cases(referrals, survival, conversion: float = 1.0, factor: float = 1.0) -> np.ndarray:
    """Open cases at the end of each month: factor x conversion x sum_k referrals(t - k) x S(k).

    ``survival``: a :class:`Survival` or the curve itself (S(0), S(1), ...). Months before the first are taken at
    the average of the first twelve."""
    s = survival.curve() if isinstance(survival, Survival) else np.asarray(survival, dtype=float)
    r = np.asarray(referrals, dtype=float)
    pad = np.full(len(s) - 1, r[:12].mean() if len(r) else 0.0)
    full = np.concatenate([pad, r])
    return factor * conversion * np.convolve(full, s)[len(pad): len(pad) + len(r)]


def fit_duration(referrals: pd.Series, open_series: pd.Series, grid=None) -> tuple[float, float]:
    """The mean duration (months) whose geometric curve best reproduces ``open_series`` from ``referrals``
    (least squares, with a free scale for the share of referrals that open a case): (duration, scale)."""
    grid = np.arange(1.0, 60.01, 0.1) if grid is None else np.asarray(grid)
    o = open_series.astype(float)
    r = referrals.astype(float)
    best = (np.inf, np.nan, np.nan)
    keep = o.notna().to_numpy()
    for d in grid:
        x = open_cases(r.to_numpy(), Survival(d))[keep]
        xx = float(x @ x)
        if xx <= 0:
            continue
        a = float(x @ o.to_numpy()[keep]) / xx
        sse = float(((o.to_numpy()[keep] - a * x) ** 2).sum())
        if sse < best[0]:
            best = (sse, float(d), a)
    return best[1], best[2]


def survival_for(quarter: Quarter, code: str, series_frame: pd.DataFrame) -> Survival | None:
    """The survival curve: from the council's own open episodes (``open_cin``, else ``open_cases``, at least
    :data:`MIN_RETURN_MONTHS` months) where given, else from DfE's children in need at 31 March against the
    episodes started that year (table B1) published by the end of ``quarter``. None where neither exists."""
    for col, what in (("open_cin", "children in need episodes open at each month's end"),
                      ("open_cases", "cases open at each month's end")):
        if col in series_frame.columns and series_frame[col].notna().sum() >= MIN_RETURN_MONTHS:
            d, _ = fit_duration(series_frame["referrals"], series_frame[col])
            if np.isfinite(d):
                return Survival(d, f"a mean case duration of {d:.1f} months, the duration that best reproduces "
                                   f"the {what} in the council's own returns from its referrals, each case "
                                   "taken to close with the same chance every month")
    at31 = _published("cin", "At31_episodes", code, quarter)
    started = _published("cin", "Started_episodes", code, quarter)
    if at31 is None or started is None or at31[1] != started[1] or started[0] <= 0:
        return None
    d = 12 * at31[0] / started[0]
    return Survival(d, f"a mean case duration of {d:.1f} months, an assumption from DfE's children in need "
                       f"table B1: {at31[0]:,.0f} episodes open at 31 March {at31[1]} against {started[0]:,.0f} "
                       f"started in the year (Little's law: stock = starts x duration), each case taken to close "
                       "with the same chance every month")


def _month_name(p: pd.Period) -> str:
    return p.strftime("%B %Y")


def _day(d: date) -> str:
    return f"{d.day} {d:%B %Y}"


def _published(table: str, measure: str, code: str, quarter: Quarter, year: int | None = None
               ) -> tuple[float, int] | None:
    year = latest_year_published(table, quarter) if year is None else year
    if year is None:
        return None
    values = la_values(table, measure)
    if (code, year) not in values.index or pd.isna(values.loc[(code, year), "value"]):
        return None
    return float(values.loc[(code, year), "value"]), year


def official_conversion(code: str, quarter: Quarter) -> tuple[float, int, float, float] | None:
    """Assessments per referral as the demand chapter shows it: DfE's episodes with assessment factors (table C3)
    over referrals (table C1) in the latest year both were published by the end of ``quarter``:
    (conversion, year, assessments, referrals)."""
    found = _published("assessments", "Episodes_with_assessment_factor", code, quarter)
    if found is None:
        return None
    refs = _published("referrals", "referral_count", code, quarter, year=found[1])
    if refs is None or refs[0] <= 0:
        return None
    return found[0] / refs[0], found[1], found[0], refs[0]


def capacity_inputs(quarter: Quarter, code: str, series_frame: pd.DataFrame) -> CapacityInputs | None:
    """FTE in post, mean monthly referrals (last twelve months), conversion and caseload for a council.

    FTE and caseload from the extract's ``social_workers_fte`` and ``open_cases`` where present, else the DfE
    workforce census (case-holding FTE, average caseload, cases held) published by the end of ``quarter``.
    Conversion from the extract's ``assessments`` where present, else assessments per referral from DfE tables C3
    and C1 (:func:`official_conversion`). None where no FTE figure is available.
    """
    recent = series_frame.iloc[-12:]
    monthly = float(recent["referrals"].astype(float).mean())
    span = f"{recent.index[0]} to {recent.index[-1]}"
    sources = [f"{monthly:,.0f} referrals a month on average, {span}"]
    staffed = series_frame["social_workers_fte"].dropna() if "social_workers_fte" in series_frame.columns else None
    census_cases = None
    if staffed is not None and len(staffed):
        fte = float(staffed.iloc[-1])
        as_at = staffed.index[-1]
        sources.append(f"{fte:.1f} social worker FTE in {staffed.index[-1]} (the council's extract)")
    else:
        found = _published("workforce", "case_holders_fte", code, quarter)
        if found is None:
            return None
        fte = found[0]
        as_at = pd.Period(f"{found[1]}-09", freq="M")
        sources.append(f"{fte:.1f} case-holding social worker FTE at 30 September {found[1]} (DfE workforce census)")
        cases = _published("workforce", "cases", code, quarter, year=found[1])
        census_cases = cases[0] if cases is not None else None
    conversion = None
    if "assessments" in series_frame.columns and recent["assessments"].notna().all() and recent["referrals"].sum() > 0:
        conversion = float(recent["assessments"].sum() / recent["referrals"].astype(float).sum())
        sources.append(f"{conversion:.3f} assessments per referral, {span} (the council's extract)")
    else:
        conv = official_conversion(code, quarter)
        if conv is not None:
            conversion = conv[0]
            sources.append(f"{conversion:.3f} assessments per referral in the year to March {conv[1]} "
                           f"({conv[2]:,.0f} episodes with assessment factors, DfE table C3, over {conv[3]:,.0f} "
                           "referrals, table C1), as on the demand page")
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
    return CapacityInputs(fte, monthly, conversion, caseload, tuple(sources), as_at, census_cases)


@dataclass
class Staffing:
    """The staffing model of one edition: survival curve, conversion and the factor that calibrates the base
    year to the workforce census, with the check the page shows (:meth:`check`)."""

    inputs: CapacityInputs
    survival: Survival
    conversion: float
    caseload: float             # cases per FTE (the census's, or modelled open cases per FTE where none)
    factor: float               # census cases per modelled open case
    history: pd.Series          # referrals on today's recording basis, to the last month known
    base_label: str             # where the base year's modelled open cases were taken
    modelled_base: float        # modelled open cases there, before calibration

    @property
    def target(self) -> float:
        """FTE in post x average caseload: the open cases the base year must reproduce."""
        return self.inputs.current_fte * self.caseload

    def stock(self, referrals) -> np.ndarray:
        """Calibrated open cases of a referral path (history followed by months to come)."""
        return open_cases(referrals, self.survival, self.conversion, self.factor)

    def check(self) -> pd.DataFrame:
        """The calibration check: FTE in post x caseload against the census's cases and the modelled open cases
        before and after calibration (the factor itself is in :meth:`sentences`)."""
        rows = [("Case-holding FTE in post", self.inputs.current_fte),
                ("Average caseload (cases per FTE)", self.caseload),
                ("FTE in post x average caseload", self.target)]
        if self.inputs.census_cases is not None:
            rows.append(("Cases held, workforce census", self.inputs.census_cases))
        rows += [(f"Modelled open cases, {self.base_label}, before calibration", self.modelled_base),
                 (f"Modelled open cases, {self.base_label}, calibrated", self.modelled_base * self.factor),
                 ("FTE needed then (calibrated open cases / caseload)",
                  self.modelled_base * self.factor / self.caseload)]
        return pd.DataFrame(rows, columns=["figure", "value"])

    def sentences(self) -> list[str]:
        i = self.inputs
        census = (f" (the census itself counts {i.census_cases:,.0f} cases held)" if i.census_cases is not None
                  else "")
        return [
            f"Open cases come from the referrals of earlier months: each referral goes on to an assessment at "
            f"{self.conversion:.3f} assessments per referral and stays open with {self.survival.source}.",
            f"Calibration: {i.current_fte:.1f} FTE in post x {self.caseload:.1f} cases each = {self.target:,.0f} "
            f"open cases{census}; the model gives {self.modelled_base:,.0f} for {self.base_label}, so it is "
            f"scaled by {self.factor:.3f} and the base year reproduces the workforce census.",
        ]


def staffing_model(quarter: Quarter, code: str, series_frame: pd.DataFrame, history: pd.Series | None = None,
                   inputs: CapacityInputs | None = None, survival: Survival | None = None) -> Staffing | None:
    """The calibrated staffing model (None without an FTE figure or a survival curve).

    ``history``: referrals on today's recording basis (default :func:`cscbook.models.calibration.basis` of the
    extract's referrals). The base year's modelled open cases are those at the FTE figure's month where the
    data reach it, else their average over the last twelve months known."""
    inputs = inputs or capacity_inputs(quarter, code, series_frame)
    if inputs is None:
        return None
    survival = survival or survival_for(quarter, code, series_frame)
    if survival is None:
        return None
    history = basis(series_frame["referrals"]) if history is None else history.astype(float)
    conversion = inputs.conversion if inputs.conversion is not None else 1.0
    raw = open_cases(history.to_numpy(), survival, conversion)
    if inputs.as_at is not None and inputs.as_at in history.index:
        base = float(raw[history.index.get_loc(inputs.as_at)])
        label = f"{_month_name(inputs.as_at)}"
    else:
        base = float(raw[-12:].mean())
        label = f"the average of {history.index[-min(12, len(history))]} to {history.index[-1]}"
    caseload = inputs.caseload if inputs.caseload else base / inputs.current_fte
    factor = inputs.current_fte * caseload / base if base > 0 else 1.0
    return Staffing(inputs, survival, conversion, caseload, factor, history, label, base)


@dataclass
class CapacityResult:
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
    :func:`staffing_model`, :mod:`cscbook.models.calibration` and :func:`stock_calibration` (made here where not given,
    without calibration).
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
