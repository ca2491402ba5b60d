"""Each expensive result computed once: a content-keyed disk cache shared by chapters, headlines and councils.

Results are kept with :class:`joblib.Memory` in a folder named by the data version and the code version
(:func:`cscbook.context.shared_dir`), so a change to any data file or any module starts afresh; joblib keys
each result by the function and the hash of its arguments (the series itself, a council code, a year).

    shared = ed.cache                              # the edition's SharedCache
    errors = shared.monthly_backtest(series.referrals)
    summary, detail = shared.annual_backtest(ed.council.code)

A chapter and the headlines that make the same call get the same result, computed once.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from . import __version__, paths
from .locks import exclusive


def _digest(*parts: bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(hashlib.sha256(part).digest())
    return h.hexdigest()


def data_hash() -> str:
    """Hash of every file under data/ (the data version shown in the colophon)."""
    files = sorted(p for p in paths.data_dir().rglob("*") if p.is_file())
    return _digest(*[str(f.relative_to(paths.data_dir())).encode() + f.read_bytes() for f in files])


def code_hash() -> str:
    """Hash of the package source and version: a change to the code invalidates cached results."""
    pkg = Path(__file__).resolve().parent
    files = sorted(pkg.rglob("*.py"))
    return _digest(__version__.encode(), *[str(f.relative_to(pkg)).encode() + f.read_bytes() for f in files])


class SharedCache:
    """Cached accessors for the results several chapters or councils share."""

    def __init__(self, folder: Path):
        import joblib

        self.folder = Path(folder)
        self.memory = joblib.Memory(str(self.folder), verbose=0)

    def call(self, func, *args, **kwargs):
        """``func(*args, **kwargs)``, computed once for this data and code version and these arguments.

        Once even when several processes or threads ask for it at the same time (parallel test workers, two
        builds, shards on one machine sharing the folder): the first computes it under a lock on the call's key,
        the others wait for the lock and then read its result. pandas arguments are keyed by their content
        (see :func:`_canonical`)."""
        import joblib

        args, kwargs = _canonical(args), _canonical(kwargs)
        cached = self.memory.cache(func)
        if cached.check_call_in_cache(*args, **kwargs):
            return cached(*args, **kwargs)
        locks = self.folder / ".locks"
        locks.mkdir(parents=True, exist_ok=True)
        key = joblib.hash((f"{func.__module__}.{func.__qualname__}", args, kwargs))
        with exclusive(locks / f"{key}.lock"):
            return cached(*args, **kwargs)

    def has(self, func, *args, **kwargs) -> bool:
        """Whether :meth:`call` would read ``func(*args, **kwargs)`` from the cache rather than compute it."""
        args, kwargs = _canonical(args), _canonical(kwargs)
        return self.memory.cache(func).check_call_in_cache(*args, **kwargs)

    def monthly_backtest(self, y, models=None, **kwargs):
        """:func:`cscbook.forecast.backtest_errors` of a monthly series (every model, or ``models``): each model's
        rows computed and kept on their own, so that a build computes the models side by side and a subset
        reuses them; the same frame as one call for all the models."""
        from . import forecast

        models = tuple(forecast.MODELS if models is None else models)
        return forecast.join_backtests([self.call(forecast.backtest_errors, y, models=(m,), **kwargs)
                                        for m in models], models)

    def annual_backtest(self, la: str | None = None):
        """:func:`cscbook.annual.backtest`: (summary, detail) for all councils or one council code.

        The all-council backtest is computed once, from :meth:`annual_with_intervals`; a council's is its rows
        of that detail, summarised as :func:`cscbook.annual.backtest` summarises them (the same result, without
        forecasting every council again for each edition).
        """
        from . import annual

        summary, detail = self.call(_annual_backtest, str(self.folder.resolve()))
        if la is None:
            return summary, detail
        own = detail[detail["old_la_code"] == la]
        if own.empty:
            return summary.iloc[:0].copy(), own
        from .forecast import summarise

        order = {m: i for i, m in enumerate(annual.METHODS)}
        own_summary = summarise(own.rename(columns={"method": "model"}))
        own_summary = own_summary.sort_values("model", key=lambda s: s.map(order)).reset_index(drop=True)
        return own_summary, own

    def benchmark(self, la: str, year: int, quarter=None):
        """:func:`cscbook.benchmark.benchmark`: a council's scorecard against every council (as known at
        ``quarter`` when given)."""
        from . import benchmark

        return self.call(benchmark.benchmark, la, year, quarter=quarter)

    def flow(self, la: str, as_of=None):
        """:func:`cscbook.benchmark.flow`: a council's front-door conversion rates (as known at ``as_of``)."""
        from . import benchmark

        return self.call(benchmark.flow, la, as_of)

    def example_extract(self, la: str):
        """:func:`cscbook.illustrative.example_extract`: a council's illustrative monthly series, made once (the
        build's forecast part, the forecast chapter, the headlines and the ledger all read it)."""
        from . import illustrative

        return self.call(illustrative.example_extract, la)

    def annual_with_intervals(self):
        """Every annual method's forecasts for every council and year, with empirical intervals (the panel
        model's from :meth:`panel_oos`, fitted once)."""
        return self.call(_annual_with_intervals, str(self.folder.resolve()))

    def monthly_forecast(self, y, model: str, horizon: int = 12):
        """:func:`cscbook.forecast.fit_forecast` of a monthly series by one model: the forecast chapter, the
        headlines, the scenarios and the edition's ledger share one fit."""
        from . import forecast

        return self.call(forecast.fit_forecast, y, model, horizon)

    def panel_fit(self, target: int, alpha: float):
        """:func:`cscbook.panelmodel.fit_model` of every feature for ``target`` with penalty ``alpha``: (model,
        training frame), the same for every council, fitted once (it explains each council's forecast)."""
        return self.call(_panel_fit, int(target), float(alpha))

    def panel_oos(self):
        """:func:`cscbook.panelmodel.oos_forecasts`: the panel model's out-of-sample forecasts, all councils."""
        return self.call(_panel_oos)

    def event_study(self, outcome: str):
        """:func:`cscbook.eventstudy.estimate` for one outcome (the demand chapter and the inadequate-judgement
        scenario share it)."""
        from . import eventstudy

        return self.call(eventstudy.estimate, outcome)

    def event_studies(self) -> dict:
        """Every outcome of the event study, as the demand chapter shows them."""
        from . import eventstudy

        return {o: self.event_study(o) for o in eventstudy.OUTCOMES}


def _canonical(value):
    """``value`` with each pandas series or frame in it rebuilt from its content (a deep copy with copies of its
    index and columns). pandas keeps caches inside an object as it is used (a period index keeps its dtype) and
    they are pickled with it, so a series once used would hash differently, and the same result be looked up
    under another key and computed again."""
    import pandas as pd

    if isinstance(value, tuple):
        return tuple(_canonical(v) for v in value)
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    if isinstance(value, (pd.Series, pd.DataFrame)):
        out = value.copy(deep=True)
        out.index = value.index.copy(deep=True)
        if isinstance(value, pd.DataFrame):
            out.columns = value.columns.copy(deep=True)
        return out
    return value


# The results built on other cached results take the cache folder, not those results: their key is then the
# folder's name (already the data and code version) rather than a hash of a large frame on every call.


def _annual_with_intervals(folder: str):
    from . import annual

    return annual.add_intervals(annual.all_forecasts(oos=SharedCache(Path(folder)).panel_oos()))


def _annual_backtest(folder: str):
    from . import annual

    return annual.backtest(None, forecasts=SharedCache(Path(folder)).annual_with_intervals())


def _panel_fit(target: int, alpha: float):
    from . import panelmodel

    return panelmodel.fit_model(panelmodel.load_inputs(), target, alpha)


def _panel_oos():
    from . import panelmodel

    return panelmodel.oos_forecasts(panelmodel.load_inputs())


@lru_cache(maxsize=4)
def _default_folder(root: str, env: str) -> str:
    """The default shared folder of a repository root and ``CSCBOOK_SHARED_CACHE`` (hashing the data once per
    process)."""
    from .context import default_cache_root, shared_dir

    return str(shared_dir(default_cache_root(), data_hash(), code_hash()))


def shared(folder: Path | str | None = None) -> SharedCache:
    """The shared cache in ``folder`` (an edition's ``cache_dir``); None: the default one of this repository,
    keyed by the current data and code versions."""
    import os

    from .context import SHARED_CACHE_ENV

    if folder:
        return SharedCache(Path(folder))
    return SharedCache(Path(_default_folder(str(paths.repo_root()), os.environ.get(SHARED_CACHE_ENV, ""))))
