"""The staffing model: forecast referrals turned into the open cases they bring and the case-holding social worker
FTE those need, calibrated to the workforce census.

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
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cscbook.core.quarters import Quarter
from cscbook.data.releases import latest_year_published
from cscbook.data.tables import la_values
from cscbook.models.calibration import basis

SURVIVAL_TOL = 1e-4  # the survival curve is cut where fewer than 1 in 10,000 cases are still open
MIN_RETURN_MONTHS = 24  # months of open episodes needed to fit the duration from the council's returns


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
        """FTE in post per referral a month."""
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
        """Two sentences for the page: how open cases come from referrals, and the calibration to the census."""
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
        label = inputs.as_at.strftime("%B %Y")
    else:
        base = float(raw[-12:].mean())
        label = f"the average of {history.index[-min(12, len(history))]} to {history.index[-1]}"
    caseload = inputs.caseload if inputs.caseload else base / inputs.current_fte
    factor = inputs.current_fte * caseload / base if base > 0 else 1.0
    return Staffing(inputs, survival, conversion, caseload, factor, history, label, base)
