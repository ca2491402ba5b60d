"""What-if staffing scenarios: named changes to demand, conversion, caseload, lead time, starters and leavers.

A scenario file is a small YAML file::

    scenarios:
      - name: Demand 10% higher
        description: Referrals 10% above the forecast from the first forecast month.
        demand: {change_pct: 10}
      - name: New team from July
        demand: {step: 40, from: 2026-07}       # 40 more referrals a month from July 2026
        conversion: 0.8                          # share of referrals that go on to an assessment
        caseload: 16                             # cases per case-holding social worker
        lead_time_days: 60                       # days from starting to recruit to a worker in post
        starters: {2026-06: 5}                   # FTE joining in a month
        leavers: {2026-09: 2}                    # FTE leaving in a month

``demand`` takes ``change_pct`` (a percentage, -100 to +100) or ``step`` (referrals a month, with an
optional 95% interval ``step_low``/``step_high``), and an optional ``from`` month (default: the first
forecast month). ``event_study: inadequate`` (only in the shipped default set, or a file loaded with a
council) is a step worked out from :mod:`cscbook.models.eventstudy`: the estimated rise in referrals per 10,000
children in the year an inadequate judgement is published, with its interval, turned into this council's
referrals a month with its population of children.

Every problem in a file is reported, one line each, as a :class:`~cscbook.core.errors.CSCBookError`; nothing is
applied or written until the whole file is valid. A scenario with no changes reproduces the base case exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path

import pandas as pd

from cscbook.core.errors import CSCBookError
from cscbook.core.inputs import excerpt, load_yaml, one_line
from cscbook.core.quarters import Quarter
from cscbook.models.normal import Z95, Z

HORIZON_MONTHS = 12


SCENARIO_KEYS = ("name", "description", "demand", "conversion", "caseload", "lead_time_days", "starters", "leavers")


DEMAND_KEYS = ("change_pct", "step", "step_low", "step_high", "from", "event_study")


EVENT_STUDIES = {"inadequate": "referrals_rate_per_10k"}


MAX_PCT = 100.0


MAX_FTE_CHANGE = 1000.0


MAX_LEAD_TIME = 365


#: largest demand step (referrals a month, either way): below England's own monthly referrals (632,830 in the year
#: to March 2025, DfE table C1, data/official: 52,736 a month), so no one council's step can exceed it
MAX_STEP = 50_000.0


#: smallest caseload: one case per social worker (a fraction of a case is not a caseload)
MIN_CASELOAD = 1.0


#: longest scenario name: it heads a column of the plans and a line of the chart's legend
MAX_NAME = 80


DEFAULT_FILE = "scenarios_default.yml"


@dataclass(frozen=True)
class DemandChange:
    """A change to forecast referrals from month ``start`` (None: the first forecast month).

    ``kind`` is ``percent`` (``value`` a percentage) or ``step`` (``value`` referrals a month, with an
    optional 95% interval ``low``..``high`` whose uncertainty widens the forecast bands). ``event_study``
    names an event study still to be turned into a step for a council (see :func:`resolve_event_study`).
    """

    kind: str
    value: float = 0.0
    low: float | None = None
    high: float | None = None
    start: pd.Period | None = None
    event_study: str | None = None
    source: str = ""


@dataclass(frozen=True)
class Scenario:
    """A what-if for the capacity plan: a demand change, a conversion (assessments per referral), a caseload
    (cases per FTE), a recruitment lead time (days), and FTE starters and leavers by month. Every field left out
    keeps the base case."""

    name: str
    description: str = ""
    demand: DemandChange | None = None
    conversion: float | None = None
    caseload: float | None = None
    lead_time_days: int | None = None
    starters: dict = field(default_factory=dict)  # {pd.Period: FTE}
    leavers: dict = field(default_factory=dict)

    @property
    def is_base(self) -> bool:
        """Whether the scenario changes nothing (it is the base case)."""
        return (self.demand is None and self.conversion is None and self.caseload is None
                and self.lead_time_days is None and not self.starters and not self.leavers)

    def apply(self, fc: pd.DataFrame) -> pd.DataFrame:
        """The forecast (mean, lower_80, upper_80, lower_95, upper_95) with this scenario's demand change.

        A percentage scales the mean and every bound; a step shifts them; a step with an interval also
        widens each bound by its own uncertainty (independent of the forecast's, added in quadrature).
        Without a demand change the frame comes back unchanged (a copy). Bounds stay at zero or more.
        """
        out = fc.copy()
        d = self.demand
        if d is None:
            return out
        if d.event_study is not None:
            raise CSCBookError(f"scenario {self.name!r}: the event-study demand change has not been worked out for "
                               "a council; load the scenarios with the council code")
        months = out.index >= d.start if d.start is not None else slice(None)
        cols = ["mean"] + [f"{b}_{lv}" for lv in (80, 95) for b in ("lower", "upper") if f"{b}_{lv}" in out.columns]
        if d.kind == "percent":
            out.loc[months, cols] = out.loc[months, cols] * (1 + d.value / 100)
        elif d.kind == "step":
            sub = out.loc[months, cols]
            mean = sub["mean"] + d.value
            new = {"mean": mean}
            se = (d.high - d.low) / (2 * Z95) if d.low is not None and d.high is not None else 0.0
            for lv in (80, 95):
                for b, sign in (("lower", -1), ("upper", 1)):
                    col = f"{b}_{lv}"
                    if col not in sub.columns:
                        continue
                    if se > 0:
                        half = ((sub[col] - sub["mean"]) ** 2 + (Z[lv] * se) ** 2) ** 0.5
                        new[col] = mean + sign * half
                    else:
                        new[col] = sub[col] + d.value
            out.loc[months, cols] = pd.DataFrame(new, index=sub.index)[cols].clip(lower=0.0)
        return out


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _month(v, where: str, problems: list, horizon: pd.PeriodIndex | None):
    text = v.strftime("%Y-%m") if isinstance(v, date) else str(v).strip()
    try:
        p = pd.Period(text, freq="M")
        ok = len(text) == 7 and text[4] == "-"
    except (ValueError, TypeError):
        ok = False
    if not ok:
        problems.append(f"{where}: {excerpt(v)} is not a month; write YYYY-MM, e.g. 2026-07")
        return None
    if horizon is not None and p not in horizon:
        problems.append(f"{where}: {text} is outside the forecast horizon {horizon[0]} to {horizon[-1]}; "
                        "choose a month in it")
        return None
    return p


def forecast_horizon(quarter: Quarter) -> pd.PeriodIndex:
    """The twelve months after the quarter's end: the months the capacity plan covers."""
    return pd.period_range(pd.Period(quarter.end, freq="M") + 1, periods=HORIZON_MONTHS, freq="M")


def _demand(raw, where: str, problems: list, horizon) -> DemandChange | None:
    if not isinstance(raw, dict):
        problems.append(f"{where}: demand must be a mapping such as {{change_pct: 10}} or {{step: 40, from: 2026-07}}")
        return None
    n = len(problems)
    for k in raw:
        if k not in DEMAND_KEYS:
            problems.append(f"{where}: unknown key {excerpt(k)} under demand; use {', '.join(DEMAND_KEYS)}")
    kinds = [k for k in ("change_pct", "step", "event_study") if k in raw]
    if len(kinds) != 1:
        problems.append(f"{where}: demand needs exactly one of change_pct, step or event_study "
                        f"(found {', '.join(kinds) if kinds else 'none'})")
        return None
    start = _month(raw["from"], f"{where}: demand from", problems, horizon) if "from" in raw else None
    kind = kinds[0]
    if kind == "change_pct":
        v = raw["change_pct"]
        if not _is_number(v):
            problems.append(f"{where}: demand change_pct {excerpt(v)} is not a number; write a percentage such as 10 or -10")
        elif not -MAX_PCT < v <= MAX_PCT:
            problems.append(f"{where}: demand change_pct {v} is outside -100 to +100; write a percentage such as 10 "
                            "for 10% more referrals")
        if "step_low" in raw or "step_high" in raw:
            problems.append(f"{where}: step_low and step_high go with step, not change_pct")
        return DemandChange("percent", float(v), start=start) if len(problems) == n else None
    if kind == "event_study":
        v = raw["event_study"]
        if v not in EVENT_STUDIES:
            problems.append(f"{where}: demand event_study {excerpt(v)} is not known; use {', '.join(EVENT_STUDIES)}")
        return DemandChange("step", start=start, event_study=str(v)) if len(problems) == n else None
    v = raw["step"]
    if not _is_number(v):
        problems.append(f"{where}: demand step {excerpt(v)} is not a number; write referrals a month such as 40")
    elif abs(v) > MAX_STEP:
        problems.append(f"{where}: demand step {excerpt(v)} is more referrals a month than England receives; "
                        f"write a step from {-MAX_STEP:,.0f} to {MAX_STEP:,.0f}, e.g. 40")
    lo, hi = raw.get("step_low"), raw.get("step_high")
    if (lo is None) != (hi is None):
        problems.append(f"{where}: give both step_low and step_high (the 95% interval of the step) or neither")
    elif lo is not None:
        if not (_is_number(lo) and _is_number(hi)):
            problems.append(f"{where}: step_low and step_high must be numbers (referrals a month)")
        elif max(abs(lo), abs(hi)) > MAX_STEP:
            problems.append(f"{where}: step_low and step_high must lie from {-MAX_STEP:,.0f} to {MAX_STEP:,.0f} "
                            "referrals a month")
        elif _is_number(v) and not lo <= v <= hi:
            problems.append(f"{where}: the step {v} must lie within step_low {lo} to step_high {hi}")
    if len(problems) > n:
        return None
    return DemandChange("step", float(v), None if lo is None else float(lo), None if hi is None else float(hi),
                        start=start)


def _fte_by_month(raw, key: str, where: str, problems: list, horizon) -> dict:
    if not isinstance(raw, dict):
        problems.append(f"{where}: {key} must be a mapping of month to FTE, e.g. {{2026-06: 5}}")
        return {}
    out = {}
    for m, v in raw.items():
        p = _month(m, f"{where}: {key}", problems, horizon)
        if not _is_number(v) or not 0 <= v <= MAX_FTE_CHANGE:
            problems.append(f"{where}: {key} {excerpt(m)}: {excerpt(v)} is not an FTE from 0 to {MAX_FTE_CHANGE:g}")
            continue
        if p is not None:
            out[p] = out.get(p, 0.0) + float(v)
    return out


def parse_scenarios(data, source: str, horizon: pd.PeriodIndex | None = None) -> list[Scenario]:
    """Scenarios from parsed YAML; every problem collected and raised together, one line each."""
    if data is None:
        raise CSCBookError(f"{source}: the file is empty; list scenarios under 'scenarios:' (see the README)")
    if isinstance(data, dict) and set(data) == {"scenarios"}:
        items = data["scenarios"]
    elif isinstance(data, dict):
        extra = sorted(str(k) for k in data if k != "scenarios")
        raise CSCBookError(f"{source}: unknown top-level key {excerpt(extra[0])}; the file holds one key, 'scenarios', "
                           "with a list of scenarios")
    else:
        raise CSCBookError(f"{source}: expected a mapping with the key 'scenarios' holding a list, "
                           f"found {type(data).__name__}")
    if not isinstance(items, list) or not items:
        raise CSCBookError(f"{source}: 'scenarios' must be a non-empty list of scenarios, each with a name")
    problems: list[str] = []
    out: list[Scenario] = []
    seen: set[str] = set()
    for i, raw in enumerate(items, start=1):
        where = f"{source}: scenario {i}"
        if not isinstance(raw, dict):
            problems.append(f"{where}: must be a mapping with at least a name, e.g. {{name: Demand 10% higher, "
                            "demand: {change_pct: 10}}")
            continue
        name = raw.get("name")
        if not isinstance(name, str) or not name.strip():
            problems.append(f"{where}: needs a name (text)")
            name = None
        else:
            name = name.strip()
            where = f"{source}: scenario {i} ({excerpt(name)})"
            if len(name) > MAX_NAME or one_line(name) != name:
                problems.append(f"{where}: a name is one line of at most {MAX_NAME} characters; shorten it and "
                                "put the rest in description")
            if name.lower() in seen:
                problems.append(f"{where}: the name is used twice; give each scenario its own name")
            seen.add(name.lower())
        n = len(problems)
        for k in raw:
            if k not in SCENARIO_KEYS:
                problems.append(f"{where}: unknown key {excerpt(k)}; use {', '.join(SCENARIO_KEYS)}")
        desc = raw.get("description", "")
        if not isinstance(desc, str):
            problems.append(f"{where}: description must be text")
        demand = _demand(raw["demand"], where, problems, horizon) if "demand" in raw else None
        conv = raw.get("conversion")
        if conv is not None and (not _is_number(conv) or not 0 < conv <= 1):
            problems.append(f"{where}: conversion {excerpt(conv)} must be a share above 0 and at most 1 (referrals that go "
                            "on to an assessment), e.g. 0.8")
        load = raw.get("caseload")
        if load is not None and (not _is_number(load) or not MIN_CASELOAD <= load <= 100):
            problems.append(f"{where}: caseload {excerpt(load)} must be cases per social worker from 1 to 100, "
                            "e.g. 16")
        lead = raw.get("lead_time_days")
        if lead is not None and (not isinstance(lead, int) or isinstance(lead, bool) or not 0 <= lead <= MAX_LEAD_TIME):
            problems.append(f"{where}: lead_time_days {excerpt(lead)} must be whole days from 0 to {MAX_LEAD_TIME}")
        starters = _fte_by_month(raw["starters"], "starters", where, problems, horizon) if "starters" in raw else {}
        leavers = _fte_by_month(raw["leavers"], "leavers", where, problems, horizon) if "leavers" in raw else {}
        if len(problems) == n and name:
            out.append(Scenario(name, desc, demand, None if conv is None else float(conv),
                                None if load is None else float(load), lead, starters, leavers))
    if problems:
        raise CSCBookError("\n".join(problems))
    return out


def read_yaml(path: Path, source: str):
    """A scenario file's YAML, read through :func:`cscbook.core.inputs.load_yaml` (size, alias and depth limits)."""
    data = load_yaml(path, source, "a YAML scenario file")
    if data is None:
        raise CSCBookError(f"{source}: the file is empty; list scenarios under 'scenarios:' (see the README)")
    return data


def default_path() -> Path:
    """The path of the shipped default scenarios file."""
    return Path(str(resources.files("cscbook.models").joinpath(DEFAULT_FILE)))


def check_file(path: str | Path, quarter: Quarter | None = None, parameter: str = "--scenarios") -> list[Scenario]:
    """Read and check a scenarios file (every problem in it, one line each, as one error); with ``quarter``, every
    month must lie in its forecast horizon. The event-study steps are worked out later, for the council
    (:func:`cscbook.models.scenarios.load_scenarios`)."""
    source = f"{parameter} {path}" if parameter else str(path)
    return parse_scenarios(read_yaml(Path(path), source), source,
                           forecast_horizon(quarter) if quarter is not None else None)
