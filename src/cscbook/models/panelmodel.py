"""Pooled panel model of next year's referrals: naive times a predicted log growth from leading indicators.

For a council and target year T (year ending 31 March T) the features use only what was published before T:

* the front door in T-1 (children in need tables): re-referral %, no-further-action % minus England's,
  not-in-need %, children in need at 31 March per referral (log), referral rate per 10,000 children (log);
* the council's own recent growth, ln of the last two year-on-year changes of its unflagged referrals (a
  negative coefficient means recent growth tends to reverse);
* Ofsted judgements published by 31 March T-1: an inadequate judgement published in the two years to then,
  any judgement published in the year to then;
* the workforce census of T-2: vacancy rate and agency rate;
* ONS children aged 0 to 17, mid-year T-2: growth over the year before;
* recording-break flags (:mod:`cscbook.models.breaks` rule) computed from years before T only: any flagged year
  among the last three, and whether "last year" is older than T-1.

Target: ln(actual / naive), naive as in :mod:`cscbook.models.annual` (last unflagged value, at most two years old).

The model for each target year T is fitted on target years before T only: a median (least absolute
deviation) regression with an L1 penalty (scikit-learn ``QuantileRegressor``, HiGHS solver). Features are
winsorised at the 1st and 99th percentiles of the training rows, gaps filled with the training median, and
standardised with the training mean and standard deviation. Rows are weighted by naive over the council's
MASE scale (so the fit minimises the scaled error the backtest reports), capped at the training 90th
percentile. The forecast is naive × exp(w × predicted growth); the penalty ``alpha`` and the shrink weight
``w`` are chosen for T from the fixed grids below by the MASE of the out-of-sample forecasts of earlier
target years only (defaults while fewer than two earlier years exist). Intervals are empirical quantiles of
the method's own out-of-sample log errors in earlier target years.

For sensitivity studies :func:`oos_forecasts` also takes a subset of the features, a fixed ``w`` and a fixed
``alpha``; left out, they give the method above unchanged.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cscbook.data.ofsted import official_events
from cscbook.data.tables import la_values, load_table
from cscbook.models.breaks import LEVEL_RATIO, NFA_MARGIN_PP

FIRST_ROW_YEAR = 2014          # earliest target year used as a training row (features need 2013 data)
ALPHAS = (0.016, 0.004, 0.001)  # L1 penalties tried, strongest first (ties go to the stronger penalty)
WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)  # shrink weights tried, smallest first
DEFAULT_ALPHA, DEFAULT_W = 0.004, 0.5
MIN_SELECTION_YEARS = 2        # earlier out-of-sample years needed before alpha and w are chosen from data
MIN_ERRORS = 100               # earlier out-of-sample errors needed for an interval
WINSOR = (0.01, 0.99)
WEIGHT_CAP_Q = 0.9
QUANTILES = (0.025, 0.1, 0.9, 0.975)

FEATURES = {
    "rereferral_pct": "re-referrals within 12 months (% of referrals, last year)",
    "nfa_gap_pp": "referrals ending in no further action, points above England's (last year)",
    "not_in_need_pct": "referrals assessed as not in need (% of referrals, last year)",
    "log_cin_per_referral": "children in need at 31 March per referral (last year)",
    "log_referral_rate": "referrals per 10,000 children (last year)",
    "growth_1": "the council's own referral growth over the last year",
    "growth_2": "the council's own referral growth the year before",
    "inadequate_2y": "an inadequate Ofsted judgement published in the last two years",
    "inspected_1y": "an Ofsted judgement published in the last year",
    "vacancy_pct": "social worker vacancy rate (census two years back)",
    "agency_pct": "agency social worker rate (census two years back)",
    "population_growth": "growth of the child population (ONS, two years back)",
    "break_recent": "a recording change flagged in the last three years",
    "naive_stale": "last year's count missing or flagged, so an older year stands in",
}


def feature_list(names: Iterable[str] | None = None) -> list[str]:
    """The features a variant uses, in the order of :data:`FEATURES` (all of them when ``names`` is None)."""
    if names is None:
        return list(FEATURES)
    wanted = set(names)
    unknown = wanted - set(FEATURES)
    if unknown:
        raise ValueError(f"unknown panel features: {', '.join(sorted(unknown))}")
    if not wanted:
        raise ValueError("a panel variant needs at least one feature")
    return [f for f in FEATURES if f in wanted]


@dataclass(frozen=True)
class Inputs:
    """Everything the model reads, as wide frames (index old_la_code, columns year) and two extras."""

    referrals: pd.DataFrame
    rereferral_pct: pd.DataFrame
    nfa_pct: pd.DataFrame
    not_in_need_pct: pd.DataFrame
    cin_at31: pd.DataFrame
    vacancy_pct: pd.DataFrame
    agency_pct: pd.DataFrame
    population: pd.DataFrame      # columns: calendar year of the ONS mid-year estimate
    england_nfa_pct: pd.Series    # index year
    judgements: pd.DataFrame      # la_code, published (Timestamp), inadequate (bool)


def load_inputs() -> Inputs:
    """Read the official tables and Ofsted outcomes through the package's loaders."""
    def wide(table, measure):
        return la_values(table, measure)["value"].unstack("year")

    ref = wide("referrals", "referral_count")
    codes = ref.index
    t = load_table("referrals")
    eng = t[(t["level"] == "National") & (t["measure"] == "no_further_action_percent")]
    eng = eng.drop_duplicates("year").set_index("year")["value"].sort_index()
    ev = official_events()
    ev = ev[(ev["kind"] == "judgement") & ev["grade"].notna()]
    judgements = pd.DataFrame({"la_code": ev["la_code"].astype(str).to_numpy(),
                               "published": pd.to_datetime(ev["date"]).to_numpy(),
                               "inadequate": (ev["grade"] == "Inadequate").to_numpy()})
    return Inputs(
        referrals=ref,
        rereferral_pct=wide("referrals", "rereferral_percent").reindex(codes),
        nfa_pct=wide("referrals", "no_further_action_percent").reindex(codes),
        not_in_need_pct=wide("referrals", "not_in_need_percent").reindex(codes),
        cin_at31=wide("cin", "At31_episodes").reindex(codes),
        vacancy_pct=wide("workforce", "vacancy_rate_fte").reindex(codes),
        agency_pct=wide("workforce", "agency_rate_fte").reindex(codes),
        population=wide("population", "population_estimate").reindex(codes),
        england_nfa_pct=eng,
        judgements=judgements,
    )


# ---------------------------------------------------------------------------------------------------
# Features


def _col(frame: pd.DataFrame, year: int) -> pd.Series:
    return frame[year] if year in frame.columns else pd.Series(np.nan, index=frame.index)


def flags_before(inputs: Inputs, target: int) -> pd.DataFrame:
    """The :mod:`cscbook.models.breaks` rule applied to years before ``target`` only (bool, council x year)."""
    years = [y for y in inputs.referrals.columns if y < target]
    ref = inputs.referrals[years].to_numpy(dtype=float)
    nfa = inputs.nfa_pct.reindex(columns=years).to_numpy(dtype=float)
    eng = inputs.england_nfa_pct.reindex(years).to_numpy(dtype=float)
    flagged = np.zeros_like(ref, dtype=bool)
    for j in range(len(years)):
        others = np.delete(ref, j, axis=1)
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # councils with no other year: median is NaN
            med = np.nanmedian(others, axis=1) if others.shape[1] else np.full(len(ref), np.nan)
            ratio = np.where(med > 0, ref[:, j] / med, np.nan)
        flagged[:, j] = (nfa[:, j] >= eng[j] + NFA_MARGIN_PP) & (ratio >= LEVEL_RATIO)
    return pd.DataFrame(flagged, index=inputs.referrals.index, columns=years)


def naive_and_scale(inputs: Inputs, flags: pd.DataFrame, target: int) -> pd.DataFrame:
    """naive (as :func:`cscbook.models.annual.naive_forecast`) and the MASE scale for ``target``."""
    years = list(flags.columns)
    hist = inputs.referrals[years]
    naive = naive_forecast(hist, flags, target)
    clean = hist.where(~flags)
    scale = clean.diff(axis=1).abs().mean(axis=1)
    return pd.DataFrame({"naive": naive, "scale": scale})


def features(inputs: Inputs, target: int, flags: pd.DataFrame | None = None) -> pd.DataFrame:
    """Feature rows for ``target`` (index old_la_code), from data published before ``target`` only."""
    if flags is None:
        flags = flags_before(inputs, target)
    t1, t2, t3 = target - 1, target - 2, target - 3
    ref = inputs.referrals
    clean = ref[list(flags.columns)].where(~flags)
    out = pd.DataFrame(index=ref.index)
    out["rereferral_pct"] = _col(inputs.rereferral_pct, t1)
    out["nfa_gap_pp"] = _col(inputs.nfa_pct, t1) - inputs.england_nfa_pct.get(t1, np.nan)
    out["not_in_need_pct"] = _col(inputs.not_in_need_pct, t1)
    with np.errstate(all="ignore"):
        out["log_cin_per_referral"] = np.log(_col(inputs.cin_at31, t1) / _col(ref, t1))
        out["log_referral_rate"] = np.log(_col(ref, t1) / _col(inputs.population, t2) * 10_000)
        out["growth_1"] = np.log(_col(clean, t1) / _col(clean, t2))
        out["growth_2"] = np.log(_col(clean, t2) / _col(clean, t3))
        out["population_growth"] = np.log(_col(inputs.population, t2) / _col(inputs.population, t3))
    cutoff = pd.Timestamp(year=t1, month=3, day=31)
    j = inputs.judgements
    j = j[j["published"] <= cutoff]
    inad = j[j["inadequate"] & (j["published"] > pd.Timestamp(year=t3, month=3, day=31))]["la_code"]
    recent = j[j["published"] > pd.Timestamp(year=t2, month=3, day=31)]["la_code"]
    out["inadequate_2y"] = out.index.isin(set(inad)).astype(float)
    out["inspected_1y"] = out.index.isin(set(recent)).astype(float)
    out["vacancy_pct"] = _col(inputs.vacancy_pct, t2)
    out["agency_pct"] = _col(inputs.agency_pct, t2)
    last3 = [y for y in (t1, t2, t3) if y in flags.columns]
    out["break_recent"] = flags[last3].any(axis=1).astype(float) if last3 else 0.0
    out["naive_stale"] = (~_col(clean, t1).notna()).astype(float)
    return out[list(FEATURES)]


def panel_rows(inputs: Inputs, last_target: int | None = None) -> pd.DataFrame:
    """One row per (council, target year): features, naive, scale, actual, log growth, flagged.

    Each target year's row uses the flags, naive and features computed from years before it; ``flagged``
    marks an actual that the breaks rule flags among years up to the latest one known.
    """
    years_known = list(inputs.referrals.columns)
    last = max(years_known) + 1 if last_target is None else last_target
    parts = []
    for target in range(FIRST_ROW_YEAR, last + 1):
        fl = flags_before(inputs, target)
        part = features(inputs, target, fl).join(naive_and_scale(inputs, fl, target))
        part["actual"] = _col(inputs.referrals, target)
        part["year"] = target
        parts.append(part.rename_axis("old_la_code").reset_index())
    rows = pd.concat(parts, ignore_index=True)
    with np.errstate(all="ignore"):
        rows["growth"] = np.log(rows["actual"] / rows["naive"])
    return rows


# ---------------------------------------------------------------------------------------------------
# Fitting


def prepare(train: pd.DataFrame, other: pd.DataFrame,
            feature_names: Iterable[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Winsorise, median-fill and standardise with statistics of the training rows only."""
    names = feature_list(feature_names)
    x = train[names].to_numpy(dtype=float)
    z = other[names].to_numpy(dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a feature not yet published: filled with 0 below
        lo, hi = np.nanquantile(x, WINSOR[0], axis=0), np.nanquantile(x, WINSOR[1], axis=0)
        med = np.nanmedian(x, axis=0)
    x, z = np.clip(x, lo, hi), np.clip(z, lo, hi)
    med = np.where(np.isnan(med), 0.0, med)
    x = np.where(np.isnan(x), med, x)
    z = np.where(np.isnan(z), med, z)
    mu, sd = x.mean(axis=0), x.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    return (x - mu) / sd, (z - mu) / sd


def _training(rows: pd.DataFrame, flags: pd.DataFrame, target: int) -> pd.DataFrame:
    tr = rows[(rows["year"] < target) & np.isfinite(rows["growth"]) & rows["scale"].gt(0)]
    stacked = flags.stack()
    flagged = pd.Series(list(zip(tr["old_la_code"], tr["year"]))).map(stacked.to_dict()).fillna(False)
    return tr[~flagged.to_numpy(dtype=bool)]


def fit_predict(rows: pd.DataFrame, flags: pd.DataFrame, target: int, alphas=ALPHAS,
                feature_names: Iterable[str] | None = None) -> dict[float, np.ndarray]:
    """Predicted log growth for the rows of ``target``, one array per penalty, fitted on earlier rows."""
    from sklearn.linear_model import QuantileRegressor

    tr = _training(rows, flags, target)
    te = rows[rows["year"] == target]
    if tr.empty:
        return {a: np.zeros(len(te)) for a in alphas}
    x, z = prepare(tr, te, feature_names)
    y = tr["growth"].to_numpy(dtype=float)
    y = np.clip(y, *np.quantile(y, WINSOR))
    wt = (tr["naive"] / tr["scale"]).to_numpy(dtype=float)
    wt = np.minimum(wt, np.quantile(wt, WEIGHT_CAP_Q))
    wt = wt / wt.mean()
    out = {}
    for a in alphas:
        m = QuantileRegressor(quantile=0.5, alpha=a, solver="highs-ipm").fit(x, y, sample_weight=wt)
        out[a] = m.predict(z)
    return out


def fit_model(inputs: Inputs, target: int, alpha: float, feature_names: Iterable[str] | None = None):
    """(fitted model, training frame) for ``target``: used to explain a forecast."""
    from sklearn.linear_model import QuantileRegressor

    rows = panel_rows(inputs, target)
    tr = _training(rows, flags_before(inputs, target), target)
    x, _ = prepare(tr, tr.iloc[:0], feature_names)
    y = tr["growth"].to_numpy(dtype=float)
    y = np.clip(y, *np.quantile(y, WINSOR))
    wt = (tr["naive"] / tr["scale"]).to_numpy(dtype=float)
    wt = np.minimum(wt, np.quantile(wt, WEIGHT_CAP_Q))
    return QuantileRegressor(quantile=0.5, alpha=alpha, solver="highs-ipm").fit(x, y, sample_weight=wt / wt.mean()), tr


def _mase(naive, pred, w, actual, scale) -> float:
    return float(np.mean(np.abs(naive * np.exp(w * pred) - actual) / scale))


def oos_forecasts(inputs: Inputs, last_target: int | None = None, *, feature_names: Iterable[str] | None = None,
                  w: float | None = None, alpha: float | None = None) -> pd.DataFrame:
    """Out-of-sample panel forecasts for every council and target year (the expensive step: cache it).

    Columns: old_la_code, year, naive, scale, actual, flagged, pred_growth, alpha, w, forecast, lower_80,
    upper_80, lower_95, upper_95, plus all the features. Every value in the row of year T uses data before T.

    Variants for sensitivity studies (the defaults are the method itself): ``feature_names``, the features the
    regression uses (default all of :data:`FEATURES`); ``w``, a shrink weight fixed for every year instead of
    chosen from earlier years; ``alpha``, a penalty fixed likewise. What is not fixed is still chosen inside
    each origin from earlier years, over the grids with the fixed value held.
    """
    alphas = ALPHAS if alpha is None else (float(alpha),)
    weights = WEIGHTS if w is None else (float(w),)
    rows = panel_rows(inputs, last_target)
    targets = sorted(rows["year"].unique())
    preds = {}
    for target in targets[1:]:
        fl = flags_before(inputs, target)
        idx = rows.index[rows["year"] == target]
        for a, p in fit_predict(rows, fl, target, alphas, feature_names).items():
            preds[(target, a)] = pd.Series(p, index=idx)
    rows = rows[rows["year"] > targets[0]].copy()
    for col in ("pred_growth", "alpha", "w", "forecast", "lower_80", "upper_80", "lower_95", "upper_95"):
        rows[col] = np.nan
    latest_flags = flags_before(inputs, max(targets) + 1).stack()
    rows["flagged"] = pd.Series(list(zip(rows["old_la_code"], rows["year"])), index=rows.index).map(
        latest_flags.to_dict()).fillna(False).astype(bool)
    for target in targets[1:]:
        fl = flags_before(inputs, target).stack().to_dict()
        past = rows[(rows["year"] < target)]
        ok = ~pd.Series([fl.get(k, False) for k in zip(past["old_la_code"], past["year"])], index=past.index,
                        dtype=bool)
        ok &= past["actual"].notna() & past["naive"].notna() & past["scale"].gt(0)
        past = past[ok]
        a_t = DEFAULT_ALPHA if alpha is None else float(alpha)
        w_t = DEFAULT_W if w is None else float(w)
        if past["year"].nunique() >= MIN_SELECTION_YEARS:
            best = None
            for a in alphas:
                p = pd.concat([preds[(y, a)] for y in sorted(past["year"].unique())]).reindex(past.index)
                for ww in weights:
                    score = _mase(past["naive"], p, ww, past["actual"], past["scale"])
                    if best is None or score < best[0] - 1e-12:
                        best = (score, a, ww)
            _, a_t, w_t = best
        idx = rows.index[rows["year"] == target]
        p = preds[(target, a_t)]
        rows.loc[idx, "pred_growth"] = p
        rows.loc[idx, "alpha"], rows.loc[idx, "w"] = a_t, w_t
        rows.loc[idx, "forecast"] = rows.loc[idx, "naive"] * np.exp(w_t * p)
        errs = np.log(past["actual"] / rows.loc[past.index, "forecast"]).dropna()
        if len(errs) >= MIN_ERRORS:
            q = np.quantile(errs, QUANTILES)
            f = rows.loc[idx, "forecast"]
            rows.loc[idx, "lower_95"], rows.loc[idx, "lower_80"] = f * np.exp(q[0]), f * np.exp(q[1])
            rows.loc[idx, "upper_80"], rows.loc[idx, "upper_95"] = f * np.exp(q[2]), f * np.exp(q[3])
    return rows.reset_index(drop=True)


def contributions(code: str, target: int, inputs: Inputs | None = None,
                  oos: pd.DataFrame | None = None, feature_names: Iterable[str] | None = None,
                  fit=None) -> pd.DataFrame:
    """Per feature for one council and target: value, training median, coefficient and the change it makes to
    the forecast's log growth (coefficient × standardised value × shrink weight), largest first.

    ``feature_names`` must be those ``oos`` was computed with (default: all features). ``fit(target, alpha)``
    gives the fitted model of all features and its training frame, as :func:`fit_model` does (the same for
    every council: the shared cache's :meth:`~cscbook.core.cache.SharedCache.panel_fit` fits it once); by default
    :func:`fit_model` is called."""
    inputs = load_inputs() if inputs is None else inputs
    names = feature_list(feature_names)
    oos = oos_forecasts(inputs, target, feature_names=feature_names) if oos is None else oos
    row = oos[(oos["old_la_code"] == code) & (oos["year"] == target)]
    if row.empty or pd.isna(row.iloc[0]["alpha"]):
        return pd.DataFrame(columns=["feature", "value", "median", "coef", "effect"])
    alpha, w = float(row.iloc[0]["alpha"]), float(row.iloc[0]["w"])
    if fit is not None and feature_names is None:
        model, tr = fit(target, alpha)
    else:
        model, tr = fit_model(inputs, target, alpha, names)
    mine = features(inputs, target).loc[[code], names]
    _, z = prepare(tr, mine, names)
    effect = model.coef_ * z[0] * w
    out = pd.DataFrame({"feature": names, "value": mine.iloc[0].to_numpy(dtype=float),
                        "median": tr[names].median().to_numpy(dtype=float), "coef": model.coef_,
                        "effect": effect})
    out = out.reindex(out["effect"].abs().sort_values(ascending=False).index).reset_index(drop=True)
    # the group the medians are taken over: the training rows (all councils, earlier target years)
    out.attrs.update(training_rows=len(tr), first_target=int(tr["year"].min()), last_target=int(tr["year"].max()))
    return out


def _shown(feature: str, value: float) -> str:
    if pd.isna(value):
        return "not published"
    if feature.startswith("log_"):
        return f"{np.exp(value):.2f}" if "per_referral" in feature else f"{np.exp(value):,.0f}"
    if "growth" in feature:
        return f"{100 * (np.exp(value) - 1):+.1f}%"
    if feature.endswith("_pp"):
        return f"{value:+.1f} points"
    return f"{value:.1f}%"


BINARY = ("inadequate_2y", "inspected_1y", "break_recent", "naive_stale")


def windowed_label(feature: str, target: int) -> str:
    """A feature's label with the dates the model reads it over for ``target`` (the year to 31 March ``target``):
    judgements published by 31 March of the year before, flags in the three years before."""
    t1 = target - 1
    special = {
        "inadequate_2y": f"an inadequate Ofsted judgement published in the two years to 31 March {t1}",
        "inspected_1y": f"an Ofsted judgement published in the year to 31 March {t1}",
        "break_recent": f"a recording change flagged in the years to March {target - 3} to {t1}",
    }
    if feature in special:
        return special[feature]
    return (FEATURES[feature].replace("(last year)", f"(year to March {t1})")
            .replace(", last year)", f", year to March {t1})")
            .replace("(census two years back)", f"(census of 30 September {target - 2})")
            .replace("(ONS, two years back)", f"(ONS, mid-{target - 3} to mid-{target - 2})"))


def explain(code: str, target: int, inputs: Inputs | None = None, oos: pd.DataFrame | None = None,
            min_effect: float = 0.005, most: int = 4, feature_names: Iterable[str] | None = None,
            fit=None) -> list[str]:
    """Plain-English sentences naming the features that moved this council's forecast, and which way.

    A feature is named when it moves the forecast by at least ``min_effect`` (0.5%) in log terms; at most
    ``most`` features, largest first. ``inputs`` and ``oos`` (:func:`load_inputs`, :func:`oos_forecasts`)
    are computed when not given; ``feature_names`` and ``fit`` as in :func:`contributions`.
    """
    c = contributions(code, target, inputs, oos, feature_names, fit)
    group = (f"the {c.attrs['training_rows']:,} council-years the model learnt from (all councils, forecasts of the "
             f"years to March {c.attrs['first_target']} to {c.attrs['last_target']})") if "training_rows" in c.attrs \
        else "the council-years the model learnt from"
    c = c[c["effect"].abs() >= min_effect].head(most)
    sentences = []
    for _, r in c.iterrows():
        f, label = r["feature"], windowed_label(r["feature"], target)
        follows = "a rise" if r["coef"] > 0 else "a fall"
        direction = "up" if r["effect"] > 0 else "down"
        pct = 100 * (np.exp(abs(r["effect"])) - 1)
        if f == "naive_stale":
            lead = (f"Last year's count is missing or flagged, so an older year stands in, which in earlier years "
                    f"usually preceded {follows}" if r["value"] >= 0.5 else
                    f"Last year's count is published and not flagged; where it was not, {follows} usually followed")
        elif f in BINARY:
            late = " (the latest the model reads for this forecast)" if f in ("inspected_1y", "inadequate_2y") else ""
            if r["value"] >= 0.5:
                lead = f"This council had {label}{late}, which in earlier years usually preceded {follows}"
            else:
                lead = f"This council had no {label.removeprefix('an ').removeprefix('a ')}{late}; where there was one, {follows} usually followed"
        else:
            side = "above" if r["value"] > r["median"] else "below"
            lead = (f"{label[0].upper()}{label[1:]}: {_shown(f, r['value'])}, {side} the median of "
                    f"{_shown(f, r['median'])} over {group}; higher values usually preceded {follows}")
        sentences.append(f"{lead}: this moves the forecast {direction} by about {pct:.1f}%.")
    if not sentences:
        sentences.append("No leading indicator moves this council's forecast by half a per cent or more: it stays "
                         "close to last year's count.")
    return sentences


def naive_forecast(panel: pd.DataFrame, flags: pd.DataFrame, target: int) -> pd.Series:
    """Last unflagged value before ``target``, if it is at most two years old (index old_la_code)."""
    years = [y for y in panel.columns if y < target]
    hist = panel.loc[:, years].where(~flags.reindex(index=panel.index, columns=years).fillna(False).astype(bool))
    if not hist.shape[1]:
        return pd.Series(np.nan, index=panel.index)
    last = hist.ffill(axis=1).iloc[:, -1]
    recent = hist.iloc[:, -2:].notna().any(axis=1)
    return last.where(recent)
