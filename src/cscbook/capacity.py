"""Capacity: forecast referrals into case-holding social worker FTE, from official workforce data or the extract."""

from __future__ import annotations

import pandas as pd

from . import forecast
from .data import la_values
from .quarters import latest_year_published

LEAD_TIME_DAYS = 26  # the 2015 review: "the average time taken to appoint an agency social worker was 26 calendar days"


def capacity_for(ed, series, fc: pd.DataFrame, lead_time_days: int = LEAD_TIME_DAYS) -> tuple[pd.DataFrame, str]:
    """Capacity plan and a sentence saying where the conversion and capacity figures come from."""
    recent = series.referrals.iloc[-12:]
    monthly_mean = float(recent.mean())
    frame = series.frame
    staffed = frame["social_workers_fte"].dropna() if "social_workers_fte" in frame.columns else pd.Series(dtype=float)
    if len(staffed):
        current = float(staffed.iloc[-1])
        basis = (f"Capacity from the extract: {current:.1f} social worker FTE in {staffed.index[-1]}, "
                 f"against {monthly_mean:,.0f} referrals a month over the last twelve months.")
    else:
        year = latest_year_published("workforce", ed.quarter)
        fte = la_values("workforce", "case_holders_fte")
        if year is None or (ed.council.code, year) not in fte.index or pd.isna(fte.loc[(ed.council.code, year), "value"]):
            return pd.DataFrame(), "No published case-holding social worker figure for this council by then: no capacity plan."
        current = float(fte.loc[(ed.council.code, year), "value"])
        basis = (f"Capacity from the DfE workforce census: {current:.1f} case-holding social worker FTE at 30 September {year}, "
                 f"against {monthly_mean:,.0f} referrals a month over the last twelve months of the series.")
    plan = forecast.capacity_plan(fc, current / monthly_mean, current, lead_time_days)
    flagged = plan[plan["flag"]]
    if len(flagged):
        first = flagged.index[0]
        basis += (f" The upper forecast exceeds current capacity in {len(flagged)} of the next 12 months; the first is "
                  f"{first}, so recruitment should start by {flagged['recruit_by'].iloc[0]}.")
    else:
        basis += " The upper forecast stays within current capacity in every month."
    return plan, basis
