"""One-year-ahead forecasts of referrals for every council from the official annual panel.

Methods (each uses only years before the target year; years flagged by :mod:`cscbook.breaks` are treated
as missing, and the latest unflagged year stands in for "last year"):

``naive``             last year's value
``national_growth``   last year's value times England's change over the year before (momentum)
``neighbour_growth``  last year's value times the median change of the council's statistical neighbours
``mean3``             the mean of the last three years
``shrink``            halfway between last year's value and the mean of the last three years

Intervals come from the pooled log errors (actual / forecast) of each method across all councils in the
target years before the one being forecast, so an interval never uses the future either.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

METHODS = ("naive", "national_growth", "neighbour_growth", "mean3", "shrink")
FIRST_TARGET = 2015
BACKTEST_FROM = 2017


def _panel():
    from .breaks import flagged_panel
    from .indicators import comparator_panel, la_panel
    from .register import register

    panel = la_panel()["referrals"].unstack("year")
    flags = flagged_panel()["flagged"].unstack("year").reindex_like(panel).fillna(False).astype(bool)
    england = comparator_panel("National")["referrals"]
    neighbours = register()["neighbours"]
    return panel, flags, england, neighbours


def point_forecasts(panel: pd.DataFrame, flags: pd.DataFrame, england: pd.Series, neighbours: pd.Series,
                    target: int) -> pd.DataFrame:
    """Forecasts for ``target`` from data of years < target: index old_la_code, one column per method."""
    hist = panel.loc[:, [y for y in panel.columns if y < target]].where(~flags.loc[:, [y for y in panel.columns if y < target]])
    last = hist.ffill(axis=1).iloc[:, -1] if hist.shape[1] else pd.Series(np.nan, index=panel.index)
    # 'last year' must be recent: at most two years old
    recent = hist.iloc[:, -2:].notna().any(axis=1) if hist.shape[1] >= 2 else hist.notna().any(axis=1)
    last = last.where(recent)
    out = pd.DataFrame(index=panel.index)
    out["naive"] = last
    e1, e2 = england.get(target - 1), england.get(target - 2)
    out["national_growth"] = last * (e1 / e2) if e1 and e2 else np.nan
    growth = hist.iloc[:, -1] / hist.iloc[:, -2] if hist.shape[1] >= 2 else pd.Series(np.nan, index=panel.index)
    out["neighbour_growth"] = [
        last[c] * np.nanmedian(growth.reindex(list(neighbours.get(c, ()))).to_numpy(dtype=float))
        if len(neighbours.get(c, ())) and growth.reindex(list(neighbours.get(c, ()))).notna().sum() >= 3 else np.nan
        for c in panel.index
    ]
    mean3 = hist.iloc[:, -3:].mean(axis=1, skipna=True).where(hist.iloc[:, -3:].notna().sum(axis=1) >= 2)
    out["mean3"] = mean3.where(recent)
    out["shrink"] = (last + out["mean3"]) / 2
    return out


def all_forecasts(last_target: int | None = None) -> pd.DataFrame:
    """Point forecasts and actuals for every council, target year and method (long)."""
    panel, flags, england, neighbours = _panel()
    years = [y for y in panel.columns if y >= FIRST_TARGET]
    if last_target is not None:
        years = [y for y in years if y <= last_target]
    parts = []
    for target in years + [max(panel.columns) + 1]:
        pf = point_forecasts(panel, flags, england, neighbours, target)
        long = pf.stack().rename("forecast").reset_index()
        long.columns = ["old_la_code", "method", "forecast"]
        long["year"] = target
        parts.append(long)
    out = pd.concat(parts, ignore_index=True)
    actual = panel.stack().rename("actual")
    flag = flags.stack().rename("flagged")
    out = out.join(actual, on=["old_la_code", "year"]).join(flag, on=["old_la_code", "year"])
    out["flagged"] = out["flagged"].fillna(False).astype(bool)
    # MASE scale: mean absolute year-on-year change of the council's unflagged history before the target
    clean = panel.where(~flags)
    scales = {}
    for target in out["year"].unique():
        hist = clean.loc[:, [y for y in clean.columns if y < target]]
        scales[target] = hist.diff(axis=1).abs().mean(axis=1)
    out["scale"] = [scales[y].get(c, np.nan) for c, y in zip(out["old_la_code"], out["year"])]
    return out


def add_intervals(fc: pd.DataFrame) -> pd.DataFrame:
    """Empirical 80% and 95% intervals from pooled log errors of earlier target years, per method."""
    fc = fc.copy()
    fc["log_error"] = np.log(fc["actual"] / fc["forecast"])
    for col in ("lower_80", "upper_80", "lower_95", "upper_95"):
        fc[col] = np.nan
    for (method, year), idx in fc.groupby(["method", "year"]).groups.items():
        past = fc[(fc["method"] == method) & (fc["year"] < year) & ~fc["flagged"]]["log_error"].dropna()
        if len(past) < 30:
            continue
        q = past.quantile([0.025, 0.1, 0.9, 0.975]).to_numpy()
        f = fc.loc[idx, "forecast"]
        fc.loc[idx, "lower_95"], fc.loc[idx, "lower_80"] = f * np.exp(q[0]), f * np.exp(q[1])
        fc.loc[idx, "upper_80"], fc.loc[idx, "upper_95"] = f * np.exp(q[2]), f * np.exp(q[3])
    return fc


def backtest(la: str | None = None, start: int = BACKTEST_FROM) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(summary per method, detail rows) over target years ``start``..latest; flagged targets excluded."""
    fc = add_intervals(all_forecasts())
    detail = fc[(fc["year"] >= start) & fc["actual"].notna() & fc["forecast"].notna() & ~fc["flagged"]
                & fc["scale"].gt(0) & fc["lower_80"].notna()]
    if la is not None:
        detail = detail[detail["old_la_code"] == la]
    from .forecast import summarise

    if detail.empty:
        return pd.DataFrame(columns=["model", "mase", "bias", "coverage_80", "coverage_95", "n"]), detail
    summary = summarise(detail.rename(columns={"method": "model"}))
    order = {m: i for i, m in enumerate(METHODS)}
    summary = summary.sort_values("model", key=lambda s: s.map(order)).reset_index(drop=True)
    return summary, detail
