"""The forecast ledger: what each edition forecast, kept beside it, and how earlier forecasts turned out.

Every edition writes ``forecast_ledger.csv`` in its folder: one row per forecast (aggregates only). Monthly
rows: model, the edition's quarter, the last month of data (origin), target month, horizon in months, mean,
80% and 95% bounds and the data basis. Annual rows: method, target year (year to 31 March), the same bounds.
A forecast counts as made at the end of its edition's quarter.

A later edition reads the ledgers of the council's earlier editions and scores each forecast only against
observations dated after the forecast was made and known by the scoring date: a month is known when it has
ended, a year's official figure when it was published (``data/curated/releases.csv``).

For the annual panel the track record does not depend on editions having been built: the vintage-aware annual
backtest (:mod:`cscbook.models.annual`) rebuilds what each year's forecast would have been, from 2017.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path

import pandas as pd

from cscbook.core import atomic
from cscbook.core.errors import CSCBookError
from cscbook.core.quarters import Quarter
from cscbook.data.edition import LEDGER_FILE
from cscbook.data.releases import latest_year_published, publication_quarter
from cscbook.data.tables import la_values
from cscbook.models import annual, forecast, shared
from cscbook.models.demand import horizon_for, monthly_series
from cscbook.models.history import plan_for

COLUMNS = ["kind", "council", "edition", "made", "model", "origin", "target", "horizon", "mean", "lower_80",
           "upper_80", "lower_95", "upper_95", "basis"]
BOUNDS = ["mean", "lower_80", "upper_80", "lower_95", "upper_95"]
CLOSE_PCT = 2.0  # a mean error within 2% either way is "close", neither high nor low


# ---------------------------------------------------------------------------------------------------
# Writing


def monthly_entries(fc: pd.DataFrame, code: str, quarter: Quarter, model: str, origin: pd.Period,
                    basis: str) -> pd.DataFrame:
    """Ledger rows for one monthly forecast frame (PeriodIndex; mean and bounds) made from data to ``origin``."""
    out = pd.DataFrame({
        "kind": "monthly", "council": code, "edition": str(quarter), "made": quarter.end.isoformat(), "model": model,
        "origin": str(origin), "target": [str(m) for m in fc.index],
        "horizon": [(m - origin).n for m in fc.index], "basis": basis,
    })
    for c in BOUNDS:
        out[c] = fc[c].to_numpy(dtype=float)
    return out[COLUMNS]


def annual_entries(rows: pd.DataFrame, code: str, quarter: Quarter, origin: int,
                   basis: str = "official annual panel") -> pd.DataFrame:
    """Ledger rows for annual forecasts: ``rows`` has method, year, forecast, lower_80 .. upper_95."""
    rows = rows[rows["forecast"].notna()]
    out = pd.DataFrame({
        "kind": "annual", "council": code, "edition": str(quarter), "made": quarter.end.isoformat(),
        "model": rows["method"].to_numpy(), "origin": str(origin),
        "target": rows["year"].astype(int).astype(str).to_numpy(),
        "horizon": (rows["year"].astype(int) - origin).to_numpy(), "basis": basis,
        "mean": rows["forecast"].to_numpy(dtype=float),
    })
    for c in BOUNDS[1:]:
        out[c] = rows[c].to_numpy(dtype=float)
    return out[COLUMNS]


def edition_ledger(code: str, quarter: Quarter, monthly: str | Path | None = None, models=None,
                   cache=None, results=None) -> pd.DataFrame:
    """Every forecast an edition makes: each monthly model over its horizon (where enough months are known) and
    each annual method for the next year to 31 March.

    ``cache``: the edition's :class:`cscbook.core.cache.SharedCache` (the build passes it), so the monthly series,
    each model's fit and the annual forecasts with their intervals are the ones the chapters used, not made
    again; without it they are computed here. Each year's annual forecast uses only the years before it, so
    the shared all-years frame serves any quarter. ``results``: the edition's
    :class:`cscbook.models.results.EditionResults`, whose monthly series is read instead of made again."""
    parts = []
    try:
        series = (results.series if results is not None
                  else monthly_series(code, quarter, str(monthly) if monthly else None, cache))
    except CSCBookError:
        series = None
    if series is not None:
        horizon = horizon_for(series, quarter)
        origin = series.frame.index.max()
        fit = partial(shared.monthly_forecast, cache) if cache is not None else forecast.fit_forecast
        for model in models or plan_for(len(series.referrals)).models:
            fc = fit(series.referrals, model, horizon)
            parts.append(monthly_entries(fc, code, quarter, model, origin, series.basis))
    last = latest_year_published("referrals", quarter)
    if last is not None:
        fc_all = (shared.annual_with_intervals(cache) if cache is not None
                  else annual.add_intervals(annual.all_forecasts(last_target=last)))
        target = fc_all[(fc_all["old_la_code"] == code) & (fc_all["year"] == last + 1)]
        parts.append(annual_entries(target, code, quarter, last))
    parts = [p for p in parts if not p.empty]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=COLUMNS)


def write_ledger(path: str | Path, ledger: pd.DataFrame) -> Path:
    """Write a ledger as CSV atomically (temporary file, then rename): a reader never sees half a file."""
    path = Path(path)
    missing = [c for c in COLUMNS if c not in ledger.columns]
    if missing:
        raise ValueError(f"ledger is missing columns {missing}")
    return atomic.write_text(path, ledger[COLUMNS].to_csv(index=False, lineterminator="\n"))


# ---------------------------------------------------------------------------------------------------
# Reading


def read_ledger(path: str | Path) -> pd.DataFrame:
    """One edition's forecast ledger (CSV at ``path``) with its columns typed: horizon as int, interval bounds as
    float. A file that cannot be read or lacks a column raises :class:`CSCBookError` naming the file."""
    path = Path(path)
    try:
        frame = pd.read_csv(path, dtype={"council": str, "edition": str, "model": str, "origin": str, "target": str,
                                         "basis": str, "kind": str, "made": str}, keep_default_na=False,
                            na_values={c: [""] for c in BOUNDS})
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise CSCBookError(f"{path}: cannot be read as a forecast ledger ({exc}); rebuild that edition") from None
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise CSCBookError(f"{path}: column {missing[0]!r} is missing; rebuild that edition to rewrite its ledger")
    frame["horizon"] = frame["horizon"].astype(int)
    for c in BOUNDS:
        frame[c] = frame[c].astype(float)
    return frame[COLUMNS]


def read_ledgers(editions_dir: str | Path, code: str, before: Quarter | None = None) -> pd.DataFrame:
    """Every ledger of the council's editions found under ``editions_dir`` (only editions before ``before``)."""
    frames = []
    for path in sorted(Path(editions_dir).glob(f"{code}-*/{LEDGER_FILE}")):
        frame = read_ledger(path)
        frame = frame[frame["council"] == code]
        if before is not None:
            frame = frame[frame["edition"].map(Quarter.parse) < before]
        frames.append(frame)
    frames = [f for f in frames if not f.empty]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)


# ---------------------------------------------------------------------------------------------------
# Scoring


def annual_known_on(year: int, collection: str = "children_in_need") -> date:
    """When a year's official figure became known: the end of the quarter it was published in."""
    return publication_quarter(collection, int(year)).end


def score(ledger: pd.DataFrame, observed_monthly: pd.Series | None, observed_annual: pd.Series | None,
          as_of: date) -> pd.DataFrame:
    """Ledger rows with their outcome, for observations dated after the forecast was made and known by ``as_of``.

    ``observed_monthly``: referrals by month (PeriodIndex); a month is known once it has ended.
    ``observed_annual``: referrals by year to 31 March (int index); known once published.
    Adds ``actual``, ``observed_on``, ``error`` (forecast minus actual), ``inside_80``, ``inside_95``.
    """
    rows = []
    for kind, observed in (("monthly", observed_monthly), ("annual", observed_annual)):
        part = ledger[ledger["kind"] == kind].copy()
        if part.empty or observed is None or observed.empty:
            continue
        if kind == "monthly":
            obs = pd.Series(observed.to_numpy(dtype=float), index=[str(p) for p in observed.index])
            part["observed_on"] = part["target"].map(lambda t: pd.Period(t, freq="M").end_time.date())
        else:
            obs = pd.Series(observed.to_numpy(dtype=float), index=[str(int(y)) for y in observed.index])
            part["observed_on"] = part["target"].map(lambda t: annual_known_on(int(t)))
        part["actual"] = part["target"].map(obs)
        made = part["made"].map(date.fromisoformat)
        keep = (part["observed_on"] > made) & (part["observed_on"] <= as_of) & part["actual"].notna()
        rows.append(part[keep])
    if not rows:
        return pd.DataFrame(columns=[*COLUMNS, "observed_on", "actual", "error", "inside_80", "inside_95"])
    out = pd.concat(rows, ignore_index=True)
    out["error"] = out["mean"] - out["actual"]
    out["inside_80"] = (out["actual"] >= out["lower_80"]) & (out["actual"] <= out["upper_80"])
    out["inside_95"] = (out["actual"] >= out["lower_95"]) & (out["actual"] <= out["upper_95"])
    return out


def annual_track_record(code: str, method: str = "naive", as_of: date | None = None, start: int | None = None,
                        forecasts: pd.DataFrame | None = None) -> pd.DataFrame:
    """Scored annual forecasts of a council's referrals from the vintage-aware annual backtest, from ``start``
    (default 2017), without needing any edition to have been built.

    Each target year's forecast counts as made when the year before was published (the first edition that
    could have made it) and is scored once its own figure was published, by ``as_of`` (default: today).
    Years flagged as recording changes are left out. ``forecasts``: the output of
    ``annual.add_intervals(annual.all_forecasts())`` if already computed (it takes a few seconds).
    """
    start = annual.BACKTEST_FROM if start is None else start
    fc = forecasts if forecasts is not None else annual.add_intervals(annual.all_forecasts())
    if method not in set(fc["method"]):
        raise CSCBookError(f"annual method {method!r} is not known; choose from {', '.join(sorted(set(fc['method'])))}")
    rows = fc[(fc["old_la_code"] == code) & (fc["method"] == method) & (fc["year"] >= start) & ~fc["flagged"]
              & fc["forecast"].notna() & fc["lower_80"].notna()]
    parts = []
    for year, r in rows.groupby("year"):
        made = Quarter.of(annual_known_on(int(year) - 1))
        parts.append(annual_entries(r, code, made, int(year) - 1, basis="annual backtest (rebuilt)"))
    if not parts:
        return score(pd.DataFrame(columns=COLUMNS), None, None, as_of or date.today())
    ledger = pd.concat(parts, ignore_index=True)
    observed = la_values("referrals", "referral_count")
    observed = observed.xs(code, level="old_la_code")["value"].dropna() if code in observed.index.get_level_values(0) \
        else pd.Series(dtype=float)
    return score(ledger, None, observed, as_of or date.today())


# ---------------------------------------------------------------------------------------------------
# Summaries for the chapter


@dataclass(frozen=True)
class TrackRecord:
    """How earlier forecasts fared against what happened: ``n`` forecasts scored, hits and hit rates of the 80%
    and 95% intervals, the mean error (forecast minus actual, in the forecast's units) and mean percentage error,
    how many ran high, and one sentence for the page."""

    n: int
    hits_80: int
    hit_rate_80: float  # NaN with no forecast scored
    hits_95: int
    mean_error: float  # forecast minus actual: positive means forecasts ran high
    mean_pct_error: float
    n_high: int
    sentence: str


def summarise(scored: pd.DataFrame, what: str = "referral forecasts") -> TrackRecord:
    """Hit rate of the 80% intervals and one sentence on whether forecasts have run high or low (by sign)."""
    n = len(scored)
    if n == 0:
        return TrackRecord(0, 0, float("nan"), 0, float("nan"), float("nan"), 0,
                           f"No earlier {what} can be checked yet: none has a later published outcome.")
    hits80, hits95 = int(scored["inside_80"].sum()), int(scored["inside_95"].sum())
    err = float(scored["error"].mean())
    pct = float((scored["error"] / scored["actual"].where(scored["actual"] != 0)).mean() * 100)
    high = int((scored["error"] > 0).sum())
    typical = float((scored["error"].abs() / scored["actual"].where(scored["actual"] != 0)).mean() * 100)
    if abs(pct) < CLOSE_PCT:
        lean = f"have run neither high nor low on average (mean error {pct:+.1f}%, {high} of {n} above what happened)"
    elif pct > 0:
        lean = f"have run high: on average {pct:.1f}% above what happened, {high} of {n} above"
    else:
        lean = f"have run low: on average {-pct:.1f}% below what happened, {n - high} of {n} below"
    sentence = (f"Across {n} earlier {what} checked against what was later observed, the forecasts {lean}, and a "
                f"typical forecast missed by {typical:.0f}% either way; {hits80} of {n} outcomes ({hits80 / n:.0%}) "
                "fell inside the 80% intervals, which should hold about 80% of them.")
    return TrackRecord(n, hits80, hits80 / n, hits95, err, pct, high, sentence)


def chart_table(scored: pd.DataFrame) -> pd.DataFrame:
    """The scored forecasts as a table for the page (aggregates only)."""
    cols = ["edition", "model", "target", "horizon", "mean", "lower_80", "upper_80", "actual", "error", "inside_80"]
    return scored[cols].rename(columns={"mean": "forecast"}).reset_index(drop=True)

