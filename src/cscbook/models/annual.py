"""One-year-ahead forecasts of referrals for every council from the official annual panel.

Methods (each uses only years before the target year; years flagged by :mod:`cscbook.models.breaks` are treated
as missing, and the latest unflagged year stands in for "last year"):

``naive``             last year's value
``national_growth``   last year's value times England's change over the year before (momentum)
``neighbour_growth``  last year's value times the median change of the council's statistical neighbours
``mean3``             the mean of the last three years
``shrink``            halfway between last year's value and the mean of the last three years
``panel``             naive times a predicted log growth from a pooled median regression on leading
                      indicators, fitted on earlier target years only (:mod:`cscbook.models.panelmodel`)

Intervals come from the pooled log errors (actual / forecast) of each method across all councils in the
target years before the one being forecast, so an interval never uses the future either.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cscbook.data.register import register
from cscbook.models import panelmodel
from cscbook.models.backtest import seasonal_scale, summarise
from cscbook.models.breaks import flagged_panel
from cscbook.models.forecast import fit_forecast
from cscbook.models.indicators import comparator_panel, la_panel
from cscbook.models.panelmodel import naive_forecast
from cscbook.models.reconcile import reconcile_to_annual

METHODS = ("naive", "national_growth", "neighbour_growth", "mean3", "shrink", "panel")
INTERVAL_COLUMNS = ("lower_80", "upper_80", "lower_95", "upper_95")
BOOTSTRAP_SEED = 20250331
BOOTSTRAP_DRAWS = 2000
FIRST_TARGET = 2015
BACKTEST_FROM = 2017


def _panel():
    panel = la_panel()["referrals"].unstack("year")
    flags = flagged_panel()["flagged"].unstack("year").reindex_like(panel).fillna(False).astype(bool)
    england = comparator_panel("National")["referrals"]
    neighbours = register()["neighbours"]
    return panel, flags, england, neighbours


def point_forecasts(panel: pd.DataFrame, flags: pd.DataFrame, england: pd.Series, neighbours: pd.Series,
                    target: int) -> pd.DataFrame:
    """Forecasts for ``target`` from data of years < target: index old_la_code, one column per method."""
    hist = panel.loc[:, [y for y in panel.columns if y < target]].where(~flags.loc[:, [y for y in panel.columns if y < target]])
    last = naive_forecast(panel, flags, target)
    recent = last.notna()
    out = pd.DataFrame(index=panel.index)
    out["naive"] = last
    e1, e2 = england.get(target - 1), england.get(target - 2)
    out["national_growth"] = last * (e1 / e2) if e1 and e2 else np.nan
    growth = hist.iloc[:, -1] / hist.iloc[:, -2] if hist.shape[1] >= 2 else pd.Series(np.nan, index=panel.index)
    by_code = growth.to_dict()
    neighbour_growth = []
    for c, value in zip(panel.index, last.to_numpy(dtype=float)):
        theirs = np.array([by_code.get(n, np.nan) for n in neighbours.get(c, ())], dtype=float)
        enough = len(theirs) and (~np.isnan(theirs)).sum() >= 3
        neighbour_growth.append(value * np.nanmedian(theirs) if enough else np.nan)
    out["neighbour_growth"] = neighbour_growth
    mean3 = hist.iloc[:, -3:].mean(axis=1, skipna=True).where(hist.iloc[:, -3:].notna().sum(axis=1) >= 2)
    out["mean3"] = mean3.where(recent)
    out["shrink"] = (last + out["mean3"]) / 2
    return out


def panel_long(oos: pd.DataFrame) -> pd.DataFrame:
    """The panel model's out-of-sample rows in the long layout of :func:`all_forecasts`."""
    out = oos[["old_la_code", "year", "forecast", *INTERVAL_COLUMNS]].copy()
    out["method"] = "panel"
    return out[out["forecast"].notna()]


def all_forecasts(last_target: int | None = None, oos: pd.DataFrame | None = None) -> pd.DataFrame:
    """Point forecasts and actuals for every council, target year and method (long).

    ``oos`` is :func:`cscbook.models.panelmodel.oos_forecasts` of :func:`cscbook.models.panelmodel.load_inputs` (computed
    here when not given; pass it to reuse a cached copy).
    """
    panel, flags, england, neighbours = _panel()
    if oos is None:
        oos = panelmodel.oos_forecasts(panelmodel.load_inputs())
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
    pl = panel_long(oos)
    if last_target is not None:
        pl = pl[pl["year"] <= last_target + 1]
    parts.append(pl)
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
    for col in INTERVAL_COLUMNS:
        if col not in fc:
            fc[col] = np.nan
    for (method, year), idx in fc.groupby(["method", "year"]).groups.items():
        if method == "panel":  # intervals from its own earlier errors, computed with it
            continue
        fc.loc[idx, list(INTERVAL_COLUMNS)] = np.nan
        past = fc[(fc["method"] == method) & (fc["year"] < year) & ~fc["flagged"]]["log_error"].dropna()
        if len(past) < 30:
            continue
        q = past.quantile([0.025, 0.1, 0.9, 0.975]).to_numpy()
        f = fc.loc[idx, "forecast"]
        fc.loc[idx, "lower_95"], fc.loc[idx, "lower_80"] = f * np.exp(q[0]), f * np.exp(q[1])
        fc.loc[idx, "upper_80"], fc.loc[idx, "upper_95"] = f * np.exp(q[2]), f * np.exp(q[3])
    return fc


def backtest(la: str | None = None, start: int = BACKTEST_FROM,
             oos: pd.DataFrame | None = None, forecasts: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(summary per method, detail rows) over target years ``start``..latest; flagged targets excluded.

    ``forecasts``: ``add_intervals(all_forecasts(oos=oos))`` if already computed (the shared cache passes its
    copy), so the panel model is fitted once for the forecasts and their backtest."""
    fc = forecasts if forecasts is not None else add_intervals(all_forecasts(oos=oos))
    detail = fc[(fc["year"] >= start) & fc["actual"].notna() & fc["forecast"].notna() & ~fc["flagged"]
                & fc["scale"].gt(0) & fc["lower_80"].notna()]
    # the panel model flags recording changes from earlier years only, so its "last year" can differ from
    # naive's for a few council-years: it is scored only where naive is, so the two share their rows
    naive_keys = pd.MultiIndex.from_frame(detail.loc[detail["method"] == "naive", ["old_la_code", "year"]])
    keys = pd.MultiIndex.from_frame(detail[["old_la_code", "year"]])
    detail = detail[(detail["method"] != "panel") | keys.isin(naive_keys)]
    if la is not None:
        detail = detail[detail["old_la_code"] == la]

    if detail.empty:
        return pd.DataFrame(columns=["model", "mase", "bias", "coverage_80", "coverage_95", "n"]), detail
    summary = summarise(detail.rename(columns={"method": "model"}))
    order = {m: i for i, m in enumerate(METHODS)}
    summary = summary.sort_values("model", key=lambda s: s.map(order)).reset_index(drop=True)
    return summary, detail


def comparison(detail: pd.DataFrame, method: str = "panel", against: str = "naive",
               seed: int = BOOTSTRAP_SEED, draws: int = BOOTSTRAP_DRAWS) -> dict:
    """``method`` against ``against`` on the same rows of a :func:`backtest` detail frame.

    Returns a dict: ``mase`` and ``mase_<against>``, ``ratio`` (MASE ratio), ``by_year`` and ``by_period``
    (frames with both MASEs, ratio and n), ``bootstrap_95`` (2.5% and 97.5% quantiles of the ratio over
    ``draws`` resamples of councils with replacement, fixed ``seed``), ``years_better`` (years the method's MASE
    is lower), ``sign_test_p`` (two-sided binomial test of that count) and ``wilcoxon_p`` (Wilcoxon signed-rank
    test of the per-year MASE differences).
    """
    from scipy.stats import binomtest, wilcoxon

    d = detail[detail["method"].isin([method, against])]
    d = d.assign(err=(d["forecast"] - d["actual"]).abs() / d["scale"])
    wide = d.pivot_table(index=["old_la_code", "year"], columns="method", values="err").dropna()
    wide = wide.reset_index()

    def table(by):
        g = wide.groupby(by)
        t = pd.DataFrame({"mase": g[method].mean(), f"mase_{against}": g[against].mean(), "n": g.size()})
        t["ratio"] = t["mase"] / t[f"mase_{against}"]
        return t

    by_year = table("year")
    period = np.where(wide["year"] <= 2021, "2017-2021", "2022-2025")
    by_period = table(pd.Series(period, index=wide.index, name="period"))
    per_council = wide.groupby("old_la_code")[[method, against]].sum()
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, len(per_council), size=(draws, len(per_council)))
    m, a = per_council[method].to_numpy()[pick].sum(axis=1), per_council[against].to_numpy()[pick].sum(axis=1)
    ratios = m / a
    diff = by_year["mase"] - by_year[f"mase_{against}"]
    better = int((diff < 0).sum())
    return dict(
        method=method, against=against, n=int(len(wide)),
        mase=float(wide[method].mean()), **{f"mase_{against}": float(wide[against].mean())},
        ratio=float(wide[method].mean() / wide[against].mean()),
        by_year=by_year, by_period=by_period,
        bootstrap_95=(float(np.quantile(ratios, 0.025)), float(np.quantile(ratios, 0.975))),
        years_better=better, years=int(len(diff)),
        sign_test_p=float(binomtest(better, len(diff)).pvalue) if len(diff) else float("nan"),
        wilcoxon_p=float(wilcoxon(diff).pvalue) if len(diff) >= 2 else float("nan"),
    )


def _oos(oos: pd.DataFrame | None) -> pd.DataFrame:
    if oos is not None:
        return oos

    return panelmodel.oos_forecasts(panelmodel.load_inputs())


def council_forecast(code: str, last_year: int, oos: pd.DataFrame | None = None) -> dict:
    """The panel forecast for ``last_year + 1`` for one council, with naive's beside it.

    ``oos`` is :func:`cscbook.models.panelmodel.oos_forecasts` (computed when not given; every row uses only data before its year, so an
    edition that knows years up to ``last_year`` gets the forecast it would have had then). Keys: target_year,
    forecast, lower_80, upper_80, lower_95, upper_95, naive, naive_lower_80 ... naive_upper_95 (naive's
    interval from its own pooled earlier errors), alpha, w (the penalty and shrink weight chosen for the year).
    The actual is left out so an edition never shows a count published after it; see :func:`track_record`.
    """
    target = last_year + 1
    oos = _oos(oos)
    row = oos[(oos["old_la_code"] == code) & (oos["year"] == target)]
    if row.empty:
        return dict(target_year=target, forecast=np.nan, naive=np.nan)
    r = row.iloc[0]
    out = dict(target_year=target, forecast=float(r["forecast"]),
               **{c: float(r[c]) for c in INTERVAL_COLUMNS}, naive=float(r["naive"]),
               alpha=float(r["alpha"]), w=float(r["w"]))
    out.update({f"naive_{c}": float(v) for c, v in _naive_bounds(oos, target, float(r["naive"])).items()})
    return out


def _naive_bounds(oos: pd.DataFrame, target: int, naive: float) -> dict:
    """Naive's 80%/95% bounds from naive's pooled log errors of target years before ``target``."""
    past = oos[(oos["year"] < target) & ~oos["flagged"]]
    errs = np.log(past["actual"] / past["naive"]).replace([np.inf, -np.inf], np.nan).dropna()
    if len(errs) < 30 or not np.isfinite(naive):
        return {c: np.nan for c in INTERVAL_COLUMNS}
    q = np.quantile(errs, [0.025, 0.1, 0.9, 0.975])
    return dict(lower_80=naive * np.exp(q[1]), upper_80=naive * np.exp(q[2]),
                lower_95=naive * np.exp(q[0]), upper_95=naive * np.exp(q[3]))


def track_record(code: str, oos: pd.DataFrame | None = None, start: int = BACKTEST_FROM) -> pd.DataFrame:
    """Each past target year from ``start`` with a known actual: panel and naive forecasts, 80% intervals, actual.

    Columns: year, actual, flagged, panel, panel_lower_80, panel_upper_80, panel_lower_95, panel_upper_95,
    naive, naive_lower_80, naive_upper_80, naive_lower_95, naive_upper_95.
    """
    oos = _oos(oos)
    rows = oos[(oos["old_la_code"] == code) & (oos["year"] >= start) & oos["actual"].notna()]
    out = []
    for _, r in rows.sort_values("year").iterrows():
        nb = _naive_bounds(oos, int(r["year"]), float(r["naive"]))
        out.append(dict(year=int(r["year"]), actual=float(r["actual"]), flagged=bool(r["flagged"]),
                        panel=float(r["forecast"]), **{f"panel_{c}": float(r[c]) for c in INTERVAL_COLUMNS},
                        naive=float(r["naive"]), **{f"naive_{c}": float(v) for c, v in nb.items()}))
    cols = ["year", "actual", "flagged", "panel", *[f"panel_{c}" for c in INTERVAL_COLUMNS], "naive",
            *[f"naive_{c}" for c in INTERVAL_COLUMNS]]
    return pd.DataFrame(out, columns=cols)


def backtest_reconciled(y: pd.Series, code: str, models=("seasonal_naive", "ets", "sarimax"), method: str = "naive",
                        min_train: int = 36, annual_forecasts: pd.DataFrame | None = None) -> pd.DataFrame:
    """Does reconciling to the annual forecast help? Origins at the end of each financial year (March) with
    ``min_train`` months before them and a full year after; at each, every model forecasts the next
    financial year, alone and reconciled to the annual ``method``'s forecast for that year
    (``cscbook.models.annual``: made from years before it only, with empirical intervals from earlier years).

    Returns one row per (model, reconciled, origin, month) in the shape of :func:`backtest_errors`, plus
    ``reconciled`` (bool) and ``annual_used`` (an annual forecast existed for that year); summarise with ``summarise(errors, by=("model", "reconciled"))``. Origins where the
    annual method gives no forecast (e.g. after flagged years) keep the unreconciled forecast in both.
    """
    fc_all = annual_forecasts if annual_forecasts is not None else add_intervals(all_forecasts())
    own = fc_all[(fc_all["old_la_code"] == code) & (fc_all["method"] == method)].set_index("year")
    rows = []
    for origin in [m for m in y.index[min_train - 1:] if m.month == 3]:
        test = y[origin + 1: origin + 12]
        if len(test) < 12:
            continue
        train = y[:origin]
        scale = seasonal_scale(train)
        year = origin.year + 1  # the year ending 31 March after the origin
        a = own.loc[year] if year in own.index else None
        for model in models:
            fc = fit_forecast(train, model, 12).reindex(test.index)
            rec = fc if a is None else reconcile_to_annual(fc, a["forecast"], a["lower_80"], a["upper_80"])
            used = bool(rec.attrs.get("reconciled", False))
            for flag, frame in ((False, fc), (True, rec)):
                for i, month in enumerate(test.index, start=1):
                    rows.append(dict(model=model, reconciled=flag, origin=str(origin), horizon=i, month=str(month),
                                     actual=float(test[month]), forecast=frame.at[month, "mean"],
                                     lower_80=frame.at[month, "lower_80"], upper_80=frame.at[month, "upper_80"],
                                     lower_95=frame.at[month, "lower_95"], upper_95=frame.at[month, "upper_95"],
                                     scale=scale, annual_used=used))
    return pd.DataFrame(rows)
