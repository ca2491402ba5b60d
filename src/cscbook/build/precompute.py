"""The shared results, computed once while the chapters run: the all-council results (the annual panel's
backtest, the event study) and each edition's own (its flow, the monthly backtest in parts, each monthly model's
forecast, the panel fit), into the content-keyed cache, in a process pool beside the chapters' kernels. The
results themselves are the models' (:mod:`cscbook.models.shared`); this module only schedules them."""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache
from pathlib import Path

from cscbook.build.context import BuildContext
from cscbook.build.registry import SHARED_RESULTS
from cscbook.core.cache import SharedCache, open_cache
from cscbook.core.errors import CSCBookError
from cscbook.core.errors import CSCBookError as Expected
from cscbook.core.lifetime import die_with_parent
from cscbook.data.edition import Edition
from cscbook.data.releases import latest_year_published
from cscbook.models import shared
from cscbook.models.annual import council_forecast
from cscbook.models.demand import horizon_for, monthly_series
from cscbook.models.history import backtest_spec, plan_for

#: Parallel work is one process per core: numerical libraries must not start threads of their own on top
#: (on 2 cores, two processes with two BLAS threads each ran the shared results three times slower).
ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def _one_thread_worker() -> None:
    """Start a pool worker with single-threaded numerical libraries (see ONE_THREAD): those loaded already are
    limited now, and those a task loads later (SciPy's own OpenBLAS) read the environment as they load; a
    library left with its default threads spun on both cores and took twice the CPU time."""
    os.environ.update(ONE_THREAD)

    die_with_parent()  # a worker never outlives the build
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)


def _annual_results(cache_dir: str) -> None:
    """The annual panel: the panel model's out-of-sample forecasts, every method's forecasts with intervals
    and their backtest, each computed once into the cache (all councils)."""
    shared.annual_backtest(SharedCache(Path(cache_dir)), None)


def _event_results(cache_dir: str) -> None:
    """The event study of inadequate judgements (all councils), computed once into the cache."""
    shared.event_studies(SharedCache(Path(cache_dir)))


#: an edition's shared results, in parts the pool computes side by side (each model's backtest on its own, the
#: longest first): its front-door flow as known at the quarter, the monthly backtest, each monthly model's
#: forecast, and the panel model fitted for its annual forecast's year (last: it reads the all-council panel
#: forecasts, computed meanwhile)
EDITION_PARTS = ("flow", "backtest sarimax", "backtest ets", "backtest stl", "backtest naive",
                 "backtest seasonal_naive", "forecasts", "panel fit")
#: the shared result (``reads`` in chapters.yml) each part belongs to: it is computed when a chapter reads that
PART_OF = {"flow": "flow", "forecasts": "monthly", "panel fit": "annual",
           **{p: "monthly" for p in EDITION_PARTS if p.startswith("backtest ")}}


@lru_cache(maxsize=4)
def _monthly(code: str, quarter, monthly: str | None, cache_dir: str | None):
    """An edition's monthly series (None: too few months, the chapters say so), made once per process for all
    the parts of its results (a generated example once for every process, in the shared cache)."""
    try:
        return monthly_series(code, quarter, monthly, open_cache(cache_dir))
    except Expected:
        return None


def _edition_results(edition: Edition, parts=EDITION_PARTS) -> None:
    """The results of one council that its chapters, headlines, scenarios and ledger share (``parts`` of
    :data:`EDITION_PARTS`), computed into the edition's cache."""
    import pandas as pd

    sc, code, quarter = edition.cache, edition.council.code, edition.quarter
    # the monthly series only for the parts made from it (the flow and the panel fit are not)
    series = (_monthly(code, quarter, str(edition.monthly) if edition.monthly else None,
                       str(edition.cache_dir) if edition.cache_dir else None)
              if any(PART_OF[part] == "monthly" for part in parts) else None)
    for part in parts:
        if part == "flow":
            shared.flow(sc, code, quarter)
        elif part.startswith("backtest ") and series is not None:
            # the backtest the forecast chain reads (cscbook.models.history.backtest_spec): a seasonal model in its own
            # part, the methods without seasonality of a short history all in the naive part
            spec = backtest_spec(series, quarter)
            if spec is not None:
                model = part.split()[1]
                mine = tuple(m for m in spec.models
                             if m == model or (model == "naive" and f"backtest {m}" not in EDITION_PARTS))
                if mine:
                    shared.monthly_backtest(sc, spec.y, models=mine, **spec.kwargs)
        elif part == "forecasts" and series is not None:
            horizon = horizon_for(series, quarter)
            for model in plan_for(len(series.referrals)).models:
                shared.monthly_forecast(sc, series.referrals, model, horizon)
        elif part == "panel fit":
            # the panel model that explains the council's annual forecast: one fit per target year for a batch
            last = latest_year_published("referrals", quarter)
            fc = council_forecast(code, last, shared.panel_oos(sc)) if last else {}
            if pd.notna(fc.get("alpha", float("nan"))):
                shared.panel_fit(sc, fc["target_year"], fc["alpha"])


def precompute(ctx: BuildContext, editions: list[Edition], log=print, started=None,
               needed=SHARED_RESULTS) -> list[tuple[Edition, str]]:
    """Compute the shared results of ``editions`` that the chapters read (``needed``, see
    :func:`cscbook.build.registry.reads`) into the cache, in a process pool of ``ctx.jobs``: the all-council results
    once and each edition's own, in parts side by side. ``started`` is called once the pool's processes exist (the build starts its kernels then, never
    before a fork). Returns the editions whose results failed, with the reason (their chapters then say why); the
    all-council results failing stops the batch."""
    failed = []
    everyone = [f for f, name in ((_annual_results, "annual"), (_event_results, "events")) if name in needed]
    parts = tuple(p for p in EDITION_PARTS if PART_OF[p] in needed)
    if ctx.jobs == 1 or not editions:
        if started is not None:
            started()
        if not editions:
            return failed
        for f in everyone:
            f(str(ctx.shared_dir))
        for ed in editions:
            try:
                _edition_results(ed, parts)
            except Exception as exc:  # reported with the edition, the others go on
                failed.append((ed, f"{type(exc).__name__}: {exc}"))
        return failed
    import multiprocessing

    with ProcessPoolExecutor(max_workers=min(ctx.jobs, len(editions) * len(parts) + len(everyone) or 1),
                             mp_context=multiprocessing.get_context("fork"), initializer=_one_thread_worker) as pool:
        shared = [pool.submit(f, str(ctx.shared_dir)) for f in everyone]
        futures = [(pool.submit(_edition_results, ed, (part,)), ed) for ed in editions for part in parts]
        if started is not None:
            started()  # every worker of a fork pool is started by the first submission
        reported = set()
        for fut, ed in futures:
            try:
                fut.result()
            except Exception as exc:
                if ed.slug not in reported:
                    reported.add(ed.slug)
                    failed.append((ed, f"{type(exc).__name__}: {exc}"))
        for fut in shared:
            fut.result()
    return failed


class Background:
    """:func:`precompute` in a thread of its own, while the first chapters run: a chapter that reads a shared
    result still being computed waits for it (the cache computes each result once, under a lock per result),
    and the chapters that read no forecast (``reads`` in chapters.yml) are started first."""

    def __init__(self, ctx: BuildContext, editions: list[Edition], log=print, needed=SHARED_RESULTS):
        """The shared results of ``editions`` that the chapters read (``needed``), for the build ``ctx``; ``log``
        reports progress and the editions whose results failed."""
        import threading

        self.ctx, self.editions, self.log, self.needed = ctx, editions, log, needed
        self.error: BaseException | None = None
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, name="shared-results", daemon=True)

    def _run(self) -> None:
        try:
            for ed, reason in precompute(self.ctx, self.editions, self.log, started=self._started.set,
                                         needed=self.needed):
                self.log(f"  {ed.slug}: shared results failed ({reason}); its chapters will say why")
        except BaseException as exc:  # the all-council results: every chapter that follows is stopped
            self.error = exc
        finally:
            self._started.set()

    def start(self) -> None:
        """Start computing; return once the process pool has forked (before any kernel thread exists)."""
        if not self.editions:
            return
        self.log(f"  computing shared results for {len(self.editions)} edition(s)")
        self._thread.start()
        self._started.wait()

    def check(self) -> None:
        """Raise if the results shared by every council could not be computed (called before each chapter)."""
        if self.error is not None:
            raise CSCBookError(f"the results shared by every council could not be computed "
                               f"({type(self.error).__name__}: {self.error})")

    def finish(self) -> None:
        """Wait for the computation; raise its error if the all-council results failed."""
        if self._thread.ident is not None:
            self._thread.join()
        if self.error is not None:
            raise self.error
