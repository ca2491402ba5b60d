"""Glue between editions and the forecast models: the monthly series an edition may use, and its forecasts."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from . import annual, forecast
from .errors import CSCBookError
from .illustrative import example_extract, example_path
from .monthly import MIN_MONTHS, read_extract
from .quarters import Quarter, financial_year_label, latest_year_published


@dataclass
class MonthlySeries:
    frame: pd.DataFrame
    illustrative: bool
    source: str

    @property
    def referrals(self) -> pd.Series:
        return self.frame["referrals"].astype(float)

    @property
    def prepared(self) -> forecast.Prepared:
        """The level-shift step the models apply to these referrals: what it found and did, in a sentence."""
        return forecast.prepare(self.referrals)

    @property
    def basis(self) -> str:
        return "illustrative example (modelled from annual totals)" if self.illustrative else "council extract"


def monthly_series(code: str, quarter: Quarter, monthly: str | None = None, cache=None) -> MonthlySeries:
    """Months known by the end of ``quarter``: the council's extract, or the illustrative example.

    ``code`` is the council's three-digit DfE code, already resolved (``Edition.council.code``); it is never
    resolved again here. The example is derived from annual totals, so it only has the years published by then.
    ``cache``: the edition's :class:`cscbook.cache.SharedCache`, where a council's generated example is made
    once for every reader of the edition (without it, the example is generated here).
    """
    if monthly:
        frame = read_extract(monthly)
        source = "the council's monthly extract"  # never a path: this sentence can reach a page
        frame = frame[frame.index <= pd.Period(quarter.end, freq="M")]
        illustrative = False
    else:
        if code == "825":
            frame = read_extract(example_path())
            source = str(example_path().name)
        else:
            frame = cache.example_extract(code) if cache is not None else example_extract(code)
            source = f"example_extract('{code}') (generated)"
        year = latest_year_published("referrals", quarter)
        cutoff = pd.Period(f"{year}-03", freq="M") if year else None
        frame = frame[frame.index <= cutoff] if cutoff is not None else frame.iloc[:0]
        illustrative = True
    if len(frame) < MIN_MONTHS:
        raise CSCBookError(
            f"--quarter {quarter}: only {len(frame)} months of referrals are available by then "
            f"({'from ' + source}); the models need {MIN_MONTHS}: choose a later quarter"
        )
    return MonthlySeries(frame, illustrative, source)


def horizon_for(series: MonthlySeries, quarter: Quarter) -> int:
    """Months to forecast: from the month after the data end to twelve months after the quarter's end."""
    last = series.frame.index.max()
    end = pd.Period(quarter.end, freq="M")
    return max(12, (end - last).n + 12)


def next_year(fc: pd.DataFrame, quarter: Quarter) -> pd.DataFrame:
    """The twelve forecast months after the quarter's end: what leaders plan for."""
    start = pd.Period(quarter.end, freq="M") + 1
    return fc[fc.index >= start].iloc[:12]


def forecast_table(code: str, quarter: Quarter, monthly: str | None = None, models=forecast.MODELS) -> pd.DataFrame:
    """Rows: period, model, mean, lower_80, upper_80, lower_95, upper_95, basis, for council ``code`` (resolved)."""
    series = monthly_series(code, quarter, monthly)
    rows = []
    horizon = horizon_for(series, quarter)
    for model in models:
        fc = forecast.fit_forecast(series.referrals, model, horizon)
        for month, r in fc.iterrows():
            rows.append(dict(period=str(month), model=model, **{k: float(r[k]) for k in fc.columns},
                             basis=series.basis))
    last = latest_year_published("referrals", quarter)
    fc_all = annual.add_intervals(annual.all_forecasts(last_target=last))
    target = fc_all[(fc_all["old_la_code"] == code) & (fc_all["year"] == last + 1)]
    for _, r in target.iterrows():
        if pd.isna(r["forecast"]):
            continue
        rows.append(dict(period=financial_year_label(last), model=f"annual_{r['method']}",
                         mean=r["forecast"], lower_80=r["lower_80"], upper_80=r["upper_80"],
                         lower_95=r["lower_95"], upper_95=r["upper_95"], basis="official annual panel"))
    return pd.DataFrame(rows)
