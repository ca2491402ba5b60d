"""Temporal coherence with the annual forecast: a monthly forecast of one financial year scaled so that its months
add up to the precision-weighted combination of its own total and the annual model's forecast of the year.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from cscbook.models.normal import Z


def combine_totals(monthly_total: float, monthly_sd: float, annual_mean: float, annual_lower_80: float,
                   annual_upper_80: float) -> tuple[float, float, float]:
    """Precision-weighted total of two forecasts of the same year, on the log scale.

    The annual forecast's log sd is its 80% interval's log width over 2 x 1.2816 (its intervals are
    empirical quantiles of log errors); the monthly total's is its sd over its total. Returns (total, log
    sd of the total, weight on the annual forecast).
    """
    m = math.log(max(monthly_total, 1.0))
    s_m = max(monthly_sd, 1e-9) / max(monthly_total, 1.0)
    a = math.log(annual_mean)
    s_a = (math.log(annual_upper_80) - math.log(annual_lower_80)) / (2 * Z[80])
    w_a = (1 / s_a ** 2) / (1 / s_a ** 2 + 1 / s_m ** 2)
    log_total = w_a * a + (1 - w_a) * m
    return math.exp(log_total), math.sqrt(1 / (1 / s_a ** 2 + 1 / s_m ** 2)), w_a


def reconcile_to_annual(fc_monthly: pd.DataFrame, annual_mean: float, annual_lower_80: float,
                        annual_upper_80: float) -> pd.DataFrame:
    """Scale a monthly forecast of one financial year so that its months add up to the combined total.

    The monthly path's own total is the sum of its means, with sd taken as the sum of the months' sds (from
    the 80% widths: monthly forecast errors share the level, so they are treated as fully correlated, the
    cautious choice that gives the monthly total the least weight). It is combined with the annual forecast
    by :func:`combine_totals`; every column (mean and bounds) is multiplied by combined / monthly total, so
    the seasonal shape and the relative widths are kept and the means sum exactly to the combined total.
    Where the annual forecast or its interval is missing or not positive, the frame is returned unchanged.
    ``attrs`` records monthly_total, annual_mean, combined_total, weight_annual and factor.
    """
    out = fc_monthly.copy()
    total = float(fc_monthly["mean"].sum())
    values = (annual_mean, annual_lower_80, annual_upper_80)
    if any(v is None or not np.isfinite(v) or v <= 0 for v in values) or total <= 0 \
            or not annual_lower_80 < annual_upper_80:
        out.attrs.update(monthly_total=total, reconciled=False)
        return out
    sd = float(((fc_monthly["upper_80"] - fc_monthly["lower_80"]) / (2 * Z[80])).sum())
    combined, _, w = combine_totals(total, sd, annual_mean, annual_lower_80, annual_upper_80)
    factor = combined / total
    for col in out.columns:
        out[col] = out[col] * factor
    out.attrs.update(monthly_total=total, annual_mean=float(annual_mean), combined_total=combined,
                     weight_annual=w, factor=factor, reconciled=True)
    return out
