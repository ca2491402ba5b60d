"""The results several chapters, the headlines and councils share, each computed once through the edition's
generic cache (:class:`cscbook.core.cache.SharedCache`): backtests, the annual forecasts with their intervals, the
panel model, scorecards, the event study and the illustrative monthly example.

    summary, detail = shared.annual_backtest(ed.cache, ed.council.code)
"""

from __future__ import annotations

from pathlib import Path

from cscbook.core.cache import SharedCache
from cscbook.data import illustrative
from cscbook.models import annual, backtest, eventstudy, forecast, panelmodel
from cscbook.models import benchmark as benchmarking
from cscbook.models.backtest import summarise


def monthly_backtest(cache, y, models=None, **kwargs):
    """:func:`cscbook.models.backtest.backtest_errors` of a monthly series (every model, or ``models``): each model's
    rows computed and kept on their own, so that a build computes the models side by side and a subset
    reuses them; the same frame as one call for all the models."""
    models = tuple(forecast.MODELS if models is None else models)
    return backtest.join_backtests([cache.call(backtest.backtest_errors, y, models=(m,), **kwargs)
                                    for m in models], models)


def annual_backtest(cache, la: str | None = None):
    """:func:`cscbook.models.annual.backtest`: (summary, detail) for all councils or one council code.

    The all-council backtest is computed once, from :meth:`annual_with_intervals`; a council's is its rows
    of that detail, summarised as :func:`cscbook.models.annual.backtest` summarises them (the same result, without
    forecasting every council again for each edition).
    """
    summary, detail = cache.call(_annual_backtest, str(cache.folder.resolve()))
    if la is None:
        return summary, detail
    own = detail[detail["old_la_code"] == la]
    if own.empty:
        return summary.iloc[:0].copy(), own

    order = {m: i for i, m in enumerate(annual.METHODS)}
    own_summary = summarise(own.rename(columns={"method": "model"}))
    own_summary = own_summary.sort_values("model", key=lambda s: s.map(order)).reset_index(drop=True)
    return own_summary, own


def benchmark(cache, la: str, year: int, quarter=None):
    """:func:`cscbook.models.benchmark.benchmark`: a council's scorecard against every council (as known at
    ``quarter`` when given)."""
    return cache.call(benchmarking.benchmark, la, year, quarter=quarter)


def flow(cache, la: str, as_of=None):
    """:func:`cscbook.models.benchmark.flow`: a council's front-door conversion rates (as known at ``as_of``)."""
    return cache.call(benchmarking.flow, la, as_of)


def example_extract(cache, la: str):
    """:func:`cscbook.data.illustrative.example_extract`: a council's illustrative monthly series, made once (the
    build's forecast part, the forecast chapter, the headlines and the ledger all read it)."""
    return cache.call(illustrative.example_extract, la)


def annual_with_intervals(cache):
    """Every annual method's forecasts for every council and year, with empirical intervals (the panel
    model's from :meth:`panel_oos`, fitted once)."""
    return cache.call(_annual_with_intervals, str(cache.folder.resolve()))


def monthly_forecast(cache, y, model: str, horizon: int = 12):
    """:func:`cscbook.models.forecast.fit_forecast` of a monthly series by one model: the forecast chapter, the
    headlines, the scenarios and the edition's ledger share one fit."""
    return cache.call(forecast.fit_forecast, y, model, horizon)


def panel_fit(cache, target: int, alpha: float):
    """:func:`cscbook.models.panelmodel.fit_model` of every feature for ``target`` with penalty ``alpha``: (model,
    training frame), the same for every council, fitted once (it explains each council's forecast)."""
    return cache.call(_panel_fit, int(target), float(alpha))


def panel_oos(cache):
    """:func:`cscbook.models.panelmodel.oos_forecasts`: the panel model's out-of-sample forecasts, all councils."""
    return cache.call(_panel_oos)


def event_study(cache, outcome: str):
    """:func:`cscbook.models.eventstudy.estimate` for one outcome (the demand chapter and the inadequate-judgement
    scenario share it)."""
    return cache.call(eventstudy.estimate, outcome)


def event_studies(cache) -> dict:
    """Every outcome of the event study, as the demand chapter shows them."""
    return {o: event_study(cache, o) for o in eventstudy.OUTCOMES}


# The results built on other cached results take the cache folder, not those results: their key is then the
# folder's name (already the data and code version) rather than a hash of a large frame on every call.


def _annual_with_intervals(folder: str):
    return annual.add_intervals(annual.all_forecasts(oos=panel_oos(SharedCache(Path(folder)))))


def _annual_backtest(folder: str):
    return annual.backtest(None, forecasts=annual_with_intervals(SharedCache(Path(folder))))


def _panel_fit(target: int, alpha: float):
    return panelmodel.fit_model(panelmodel.load_inputs(), target, alpha)


def _panel_oos():
    return panelmodel.oos_forecasts(panelmodel.load_inputs())
