"""Build editions: run the chapter notebooks with papermill, then compile each edition's Jupyter Book.

Everything a run needs comes from its :class:`~cscbook.build.context.BuildContext` (output folder, cache folders,
disclosure policy, data and code versions, jobs). A batch of editions (one council or all of them) runs in
three steps: the shared results are computed (once, into the content-keyed cache, in a process pool) while
every chapter of every edition runs in a pool of kernels sized to the cores, those that read no forecast first;
each edition's book is compiled as soon as its chapters are done; then the site is published. One failed
edition does not stop the others.

Each edition is written to a staging folder, owned by its build through a lock, and moved into
``editions/<slug>/`` only when everything succeeded, so a failed run leaves earlier editions untouched; a
staging folder that no live build owns (a build that was killed) is removed by the next build.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from cscbook import __version__
from cscbook.build.bookrun import BOOK_OPTIONS, jupyter_book, ready
from cscbook.build.context import SHARED_CACHE_ENV, BuildContext
from cscbook.core import paths
from cscbook.core.cache import SharedCache, _digest, code_hash, data_hash, open_cache  # noqa: F401  (data_hash, code_hash re-exported)
from cscbook.core.errors import CSCBookError
from cscbook.core.errors import CSCBookError as Expected
from cscbook.core.lifetime import die_with_parent
from cscbook.core.locks import exclusive, try_exclusive
from cscbook.data.edition import Edition
from cscbook.data.releases import latest_year_published
from cscbook.models import shared
from cscbook.models.annual import council_forecast
from cscbook.models.demand import horizon_for, monthly_series
from cscbook.models.history import backtest_spec, plan_for
from cscbook.models.ledger import LEDGER_FILE, edition_ledger, write_ledger
from cscbook.report.datapack import FILENAME as DATAPACK
from cscbook.report.datapack import SHEETS, write_datapack
from cscbook.report.notebook import download_note
from cscbook.report.paper import Printer, paper_settings, print_paper
from cscbook.report.site import OUTPUT_MARKER, postprocess_site, publish_site, site_lists
from cscbook.report.sourcepages import write_source_pages

CHAPTERS_FILE = "notebooks/chapters.yml"
#: The kernel's own log at CRITICAL only: ipykernel 7 warns on every start that its local TCP transport is
#: unencrypted (the kernel only listens on 127.0.0.1 for the notebook runner of this build).
KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=CRITICAL"]
#: Parallel work is one process per core: numerical libraries must not start threads of their own on top
#: (on 2 cores, two processes with two BLAS threads each ran the shared results three times slower).
ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


#: the shared results a chapter can declare it reads (``reads`` in chapters.yml); see :func:`precompute`
SHARED_RESULTS = ("annual", "events", "flow", "monthly")


def chapters() -> list[dict]:
    """The chapter notebooks, in book order, from notebooks/chapters.yml (one entry per chapter)."""
    path = paths.repo_root() / CHAPTERS_FILE
    spec = yaml.safe_load(path.read_text()) or {}
    entries = spec.get("chapters") or []
    for entry in entries:
        if not (paths.repo_root() / entry["notebook"]).is_file():
            raise CSCBookError(f"{CHAPTERS_FILE}: notebook {entry['notebook']!r} does not exist")
        unknown = sorted(set(entry.get("reads") or []) - set(SHARED_RESULTS))
        if unknown:
            raise CSCBookError(f"{CHAPTERS_FILE}: {entry['notebook']} reads {unknown[0]!r}, which is not a shared "
                               f"result; choose from {', '.join(SHARED_RESULTS)}")
    return entries


def reads(entries: list[dict]) -> set[str]:
    """The shared results the chapters ``entries`` read (a chapter that declares none reads them all)."""
    out: set[str] = set()
    for entry in entries:
        out |= set(SHARED_RESULTS if entry.get("reads") is None else entry["reads"])
    return out


def chapter_key(entry: dict, edition: Edition, data_version: str, code_version: str) -> str:
    """Everything that changes a chapter's output: its notebook, the edition's key (council, quarter, monthly
    content key, disclosure policy), the data version and the code version."""
    src = paths.repo_root() / entry["notebook"]
    # earlier editions' forecast ledgers are scored by the forecast chapter: a new one changes its output

    ledgers = sorted(p for p in edition.editions_dir.glob(f"{edition.council.code}-*/{LEDGER_FILE}")
                     if p.parent.name < edition.slug)
    return _digest(src.read_bytes(), json.dumps(edition.key(), sort_keys=True).encode(),
                   data_version.encode(), code_version.encode(), *[p.read_bytes() for p in ledgers])


def _book_files() -> list[Path]:
    root = paths.repo_root()
    return sorted([root / "_config.yml", root / "_toc.yml", *(p for p in (root / "book").rglob("*") if p.is_file())])


def outputs_hash(notebook_paths: list[Path]) -> str:
    """Content hash of what an edition shows: every cell output of every executed chapter (tables, text and
    figure data), ignoring execution counts and timings."""
    import nbformat

    parts = []
    for path in notebook_paths:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type != "code" or "injected-parameters" in cell.metadata.get("tags", []):
                continue
            for out in cell.get("outputs", []):
                parts.append(json.dumps({k: out.get(k) for k in ("output_type", "text", "data", "name")},
                                        sort_keys=True).encode())
    return _digest(*parts)


# ---------------------------------------------------------------------------------------------------
# Staging folders, owned by their build through a file lock held for the build's lifetime


def clean_stale_staging(editions_dir: Path) -> list[Path]:
    """Remove the ``.staging-*`` folders no live build owns (left by a build that was killed); return them.

    A live build holds the lock on ``<staging>.lock`` until it finishes, so its folder is never touched; a folder
    without the build's marker (:data:`STAGING_MARKER`) was not made by a build and is never touched either.
    """
    removed = []
    if not editions_dir.is_dir():
        return removed
    for stage in sorted(editions_dir.glob(".staging-*")):
        if stage.is_symlink() or not stage.is_dir() or not (stage / STAGING_MARKER).is_file():
            continue  # not a staging folder a build made: never touched
        lock_path = stage.with_name(stage.name + ".lock")
        lock = try_exclusive(lock_path)
        if lock is None:
            continue  # a live build owns it
        try:
            shutil.rmtree(stage, ignore_errors=True)
            removed.append(stage)
        finally:
            lock.release()
            _unlink_quietly(lock_path)
    for lock_path in editions_dir.glob(".staging-*.lock"):  # locks whose folder is gone
        if lock_path.is_file() and not lock_path.is_symlink() and not lock_path.with_suffix("").exists():
            lock = try_exclusive(lock_path)
            if lock is not None:
                lock.release()
                _unlink_quietly(lock_path)
    return removed


#: the file a build puts in each staging folder it makes: only such folders are ever cleaned up
STAGING_MARKER = ".cscbook-staging"


@contextmanager
def staging(editions_dir: Path, slug: str):
    """A new staging folder for an edition, locked as this build's own until the block ends, then removed."""
    stage = editions_dir / f".staging-{slug}-{uuid.uuid4().hex[:8]}"
    lock_path = stage.with_name(stage.name + ".lock")
    with exclusive(lock_path):
        try:
            stage.mkdir()
            (stage / STAGING_MARKER).write_text("made by cscbook build\n")
            yield stage
        finally:
            shutil.rmtree(stage, ignore_errors=True)
    _unlink_quietly(lock_path)


def _unlink_quietly(path: Path) -> None:
    """Remove a lock file no build holds any more (another build may just have taken it: then it stays)."""
    try:
        path.unlink(missing_ok=True)
    except OSError:  # Windows: held open by another process
        pass


# ---------------------------------------------------------------------------------------------------
# Chapters


def _staged(stage: Path, entry: dict) -> Path:
    """Where a chapter's executed notebook goes in the staging folder (always stage/notebooks/<name>)."""
    return stage / "notebooks" / Path(entry["notebook"]).name


def _tidy_executed(path: Path) -> None:
    """Hide papermill's injected-parameters cell from readers; drop volatile execution metadata."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if "injected-parameters" in tags and "remove-cell" not in tags:
            cell.metadata["tags"] = [*tags, "remove-cell"]
        cell.metadata.pop("execution", None)
        cell.metadata.pop("papermill", None)
        if cell.cell_type == "code":
            cell.execution_count = None
    nb.metadata.pop("papermill", None)
    nbformat.write(nb, path)


class _Kernel:
    """One kernel of the pool with its own thread: the kernel manager and its client (connected once, kept for
    every chapter the kernel runs) are used only in that thread and its event loop."""

    def __init__(self, name: str):
        self.thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self.km = None
        self.kc = None
        self.runs = 0

    def submit(self, fn, *args):
        return self.thread.submit(fn, self, *args)


class Kernels:
    """A pool of warm kernels, reused from chapter to chapter: a chapter starts with an empty namespace (its
    parameters checked by ``nb.setup``, which refuses any leftover name), but the libraries stay imported and
    the official tables loaded, which saves the kernel start, the imports and the loading (about 4 s) per
    chapter; each kernel keeps one connected client, which saves connecting and waiting for it (about 0.2 s).
    :meth:`warm` starts the kernels in the background, so they boot while the shared results are computed; a
    chapter takes whichever kernel is free. A kernel whose chapter failed is replaced before it runs another."""

    RECYCLE = 50  # chapters per kernel: a fresh kernel now and then bounds what a long batch holds
    #: run before each chapter: the previous chapter's names, outputs, figures and matplotlib settings cleared
    RESET = "from cscbook.report.notebook import fresh_start as _fresh\n_fresh(get_ipython())\ndel _fresh"
    #: run once in each new kernel: the imports and the official tables every chapter needs
    WARM = ("import pandas, matplotlib, seaborn\n"
            "import cscbook.report.notebook, cscbook.report.charts, cscbook.models.headlines\n"
            "from cscbook.models.indicators import la_panel as _p\n_p()\ndel _p")

    def __init__(self, cwd: Path, size: int):
        import queue

        self.cwd = cwd
        self.size = max(1, size)
        self._free: "queue.Queue" = queue.Queue()
        self._kernels: list[_Kernel] = []

    # --- run in the kernel's own thread -------------------------------------------------------------------
    def _start(self, k: _Kernel) -> _Kernel:
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        k.km = AsyncKernelManager(kernel_name="python3")
        run_sync(k.km.start_kernel)(extra_arguments=KERNEL_ARGUMENTS, cwd=str(self.cwd),
                                    env={**os.environ, **ONE_THREAD})
        k.kc = k.km.client()
        k.kc.start_channels()
        run_sync(k.kc.wait_for_ready)(timeout=120)
        k.runs = 0
        try:
            import nbformat

            self._run(k, nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(self.WARM)]), 600)
        except Exception:  # a chapter run in this kernel reports any real problem
            pass
        return k

    def _stop(self, k: _Kernel) -> None:
        from jupyter_core.utils import run_sync

        try:
            if k.kc is not None:
                k.kc.stop_channels()
            if k.km is not None:
                run_sync(k.km.shutdown_kernel)(now=True)
        except Exception:  # already gone
            pass
        k.km = k.kc = None

    def _run(self, k: _Kernel, nb, timeout: int):
        from nbclient import NotebookClient

        client = NotebookClient(nb, km=k.km, kernel_name="python3", timeout=timeout,
                                resources={"metadata": {"path": str(self.cwd)}})
        client.kc = k.kc  # the kernel's connected client: nbclient neither connects another nor stops it
        client.execute()
        return nb

    def _chapter(self, k: _Kernel, nb, timeout: int):
        from jupyter_core.utils import run_sync

        if k.km is None or k.runs >= self.RECYCLE or not run_sync(k.km.is_alive)():
            self._stop(k)
            self._start(k)
        k.runs += 1
        try:
            return self._run(k, nb, timeout)
        except BaseException:
            self._stop(k)  # a fresh kernel for the next chapter: this one may be busy or broken
            raise

    # --- called from the build's threads ------------------------------------------------------------------
    def warm(self) -> None:
        """Start the pool's kernels, each in its own thread (put in the pool once it has warmed up)."""
        while len(self._kernels) < self.size:
            k = _Kernel(f"kernel-{len(self._kernels)}")
            self._kernels.append(k)

            def ready(fut):
                self._free.put(fut.exception() or fut.result())

            k.submit(self._start).add_done_callback(ready)

    def execute(self, nb, timeout: int = 1200):
        """Run a parameterised notebook in a free kernel of the pool; raises nbclient's CellExecutionError."""
        import nbformat

        reset = nbformat.v4.new_code_cell(self.RESET, metadata={"tags": ["remove-cell"]})
        nb.cells.insert(0, reset)
        self.warm()  # no-op once the pool's kernels exist
        k = self._free.get()
        if isinstance(k, BaseException):  # no kernel could start: every chapter says so
            self._free.put(k)
            raise k
        try:
            k.submit(self._chapter, nb, timeout).result()
        finally:
            nb.cells.remove(reset)
            self._free.put(k)
        return nb

    def shutdown(self) -> None:
        for k in self._kernels:
            k.submit(self._stop).result()
            k.thread.shutdown()
        self._kernels.clear()


def _jupyter_book_process(stage: Path) -> tuple[int, str]:
    """``jupyter-book build`` of a staged edition, strict, in a process of its own; (exit status, its output)."""
    proc = subprocess.run([str(Path(sys.executable).with_name("jupyter-book")), "build", str(stage), *BOOK_OPTIONS],
                          capture_output=True, text=True)
    return proc.returncode, proc.stderr + "\n" + proc.stdout


class Books:
    """Workers that compile editions' books with Jupyter Book, each kept for many editions: a fresh
    ``jupyter-book`` process per edition spent about as long importing Sphinx and setting it up as building.
    Workers are started clean (not forked from the build, whose threads talk to kernels) and replaced every
    ``RECYCLE`` books; a worker that dies leaves the edition to a ``jupyter-book`` process of its own."""

    RECYCLE = 25

    def __init__(self, size: int):
        self.size = max(1, size)
        self._pool = None

    def warm(self) -> None:
        """Start the workers in the background (they import Jupyter Book while the chapters run)."""
        import multiprocessing

        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=self.size, mp_context=multiprocessing.get_context("spawn"),
                                             initializer=die_with_parent,
                                             max_tasks_per_child=self.RECYCLE)
            for _ in range(self.size):
                self._pool.submit(ready)

    def compile(self, stage: Path) -> tuple[int, str]:
        from concurrent.futures.process import BrokenProcessPool

        self.warm()
        try:
            return self._pool.submit(jupyter_book, str(stage)).result()
        except BrokenProcessPool:
            return _jupyter_book_process(stage)

    def shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def run_chapter(ctx: BuildContext, entry: dict, edition: Edition, stage: Path, key: str,
                kernels: Kernels | None = None, check=lambda: None) -> tuple[float, bool]:
    """Execute one chapter into the staging folder (or copy it from the chapter cache); (seconds, cached).
    ``check`` is called before a chapter runs: it raises if the shared results it may read have failed."""
    src = paths.repo_root() / entry["notebook"]
    dest = _staged(stage, entry)
    dest.parent.mkdir(parents=True, exist_ok=True)
    cached = ctx.chapters_cache / f"{key}.ipynb"
    if cached.exists():
        shutil.copy2(cached, dest)
        return 0.0, True
    check()
    start = time.perf_counter()
    try:
        if kernels is None:
            import papermill

            papermill.execute_notebook(str(src), str(dest), parameters=edition.parameters(), kernel_name="python3",
                                       progress_bar=False, cwd=str(paths.repo_root()),
                                       extra_arguments=KERNEL_ARGUMENTS)
        else:
            import nbformat
            from papermill.iorw import load_notebook_node
            from papermill.parameterize import parameterize_notebook

            nb = parameterize_notebook(load_notebook_node(str(src)), edition.parameters(), kernel_name="python3")
            try:
                kernels.execute(nb)
            finally:
                nbformat.write(nb, dest)
    except Exception as exc:  # the cell's error (papermill's or nbclient's), or a kernel that died
        failed_dir = ctx.editions_dir / ".failed" / edition.slug
        failed_dir.mkdir(parents=True, exist_ok=True)
        keep = failed_dir / Path(entry["notebook"]).name
        if dest.exists():
            shutil.copy2(dest, keep)
        reason = getattr(exc, "evalue", None) or (str(exc).strip().splitlines() or [type(exc).__name__])[-1]
        raise CSCBookError(f"chapter {entry['notebook']} failed ({reason}); the failed notebook is at {keep}") from None
    _tidy_executed(dest)
    ctx.chapters_cache.mkdir(parents=True, exist_ok=True)
    tmp = ctx.chapters_cache / f".{key}.{uuid.uuid4().hex[:6]}.tmp"
    shutil.copy2(dest, tmp)
    os.replace(tmp, cached)
    return time.perf_counter() - start, False


# ---------------------------------------------------------------------------------------------------
# Shared results, computed once while the chapters run


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
    :data:`EDITION_PARTS`)."""
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
    """Compute the shared results of ``editions`` that the chapters read (``needed``, see :func:`reads`) into the
    cache, in a process pool of ``ctx.jobs``: the all-council results once and each edition's own, in parts side
    by side. ``started`` is called once the pool's processes exist (the build starts its kernels then, never
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


# ---------------------------------------------------------------------------------------------------
# Editions


def _write_colophon(stage: Path, meta: dict) -> None:
    monthly = (f"the council's own monthly figures (content key {meta['monthly']})" if meta["monthly"]
               else "illustrative example (data/examples)")
    text = f"""# Colophon

| | |
|---|---|
| Council | {meta['council']} ({meta['la']}) |
| Edition | calendar quarter {meta['quarter']} (financial year {meta['financial_quarter']}) |
| Monthly data | {monthly} |
| Package | cscbook {meta['package_version']} (code {meta['code_version']}) |
| Data version | {meta['data_version']} |
| Content hash | `{meta['content_hash']}` |

The content hash is computed from every table, text and figure the chapters produced. Building the same
edition from the same data and code gives the same hash.
"""
    (stage / "book" / "colophon.md").write_text(text)


#: the banner on every page of an edition built with ``CSCBOOK_DISCLOSURE=off``
UNSUPPRESSED_BANNER = ("NOT FOR PUBLICATION: built with disclosure control off (CSCBOOK_DISCLOSURE=off); "
                       "counts of 1 to 5 are shown")


def _stage_config(stage: Path, edition: Edition) -> None:
    """The book's _config.yml in the staging folder; an edition without disclosure control gets a banner on every
    page (the theme's announcement)."""
    shutil.copy2(paths.repo_root() / "_config.yml", stage / "_config.yml")
    if edition.policy.enabled:
        return
    config = yaml.safe_load((stage / "_config.yml").read_text()) or {}
    config.setdefault("html", {})["announcement"] = UNSUPPRESSED_BANNER
    (stage / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False))


#: the caption of the book's last part: the chapters chapters.yml marks ``part: appendix`` (the source documents'
#: part, cscbook.report.sourcepages, is put before it)
APPENDIX_CAPTION = "Analysts' appendix"


def _write_toc(stage: Path, entries: list[dict]) -> None:
    toc = yaml.safe_load((paths.repo_root() / "_toc.yml").read_text())
    parts = toc.setdefault("parts", [])

    def files(group):
        return [{"file": f"notebooks/{Path(e['notebook']).stem}"} for e in group]

    chapter_files = files(e for e in entries if e.get("part") != "appendix")
    appendix_files = files(e for e in entries if e.get("part") == "appendix")
    if chapter_files:
        parts.insert(0, {"caption": "Chapters", "chapters": chapter_files})
    parts[-1].setdefault("chapters", []).append({"file": "book/this_edition"})
    parts[-1].setdefault("chapters", []).append({"file": "book/colophon"})
    if appendix_files:  # last in the book: technical detail the leadership pages link to
        parts.append({"caption": APPENDIX_CAPTION, "chapters": appendix_files})
    (stage / "_toc.yml").write_text(yaml.safe_dump(toc, sort_keys=False))


def _write_edition_page(stage: Path, entries: list[dict], meta: dict) -> None:
    """"About this edition": the committee paper, the data pack and the executed chapter notebooks to download."""
    def _and(items):
        return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]

    paper = ("- <a href=\"../committee-paper.pdf\">Committee paper (PDF, A4)</a>: the headlines, scorecard, timeline and "
             "forecast,\n  with the council, edition and date on every page." if meta.get("paper", True) else
             f"- The committee paper (PDF) was not printed for this edition "
             f"({meta.get('paper_skipped') or 'built with `--no-paper`'}).")
    notebooks = "\n".join(f"- {{download}}`{Path(e['notebook']).stem}.ipynb <../notebooks/{Path(e['notebook']).name}>`"
                          for e in entries)
    text = f"""# About this edition

{meta['council']} ({meta['la']}), calendar quarter {meta['quarter']} (financial year {meta['financial_quarter']}).

## For the committee

{paper}
- <a href="../data-pack.xlsx">Data pack (Excel workbook)</a>: {_and(SHEETS)}, one sheet each, with a sheet of
  notes and sources; a row of units under each sheet's headings. Small counts are suppressed as on the pages.

Every table on a page also has its own CSV download link beneath it.

## For reviewers

The executed chapter notebooks, as papermill ran them for this edition (code, outputs and the parameters used);
`nbval` checks the committed copies in the project's tests:

{notebooks}
"""
    (stage / "book" / "this_edition.md").write_text(text)


def _name_the_landing_page(stage: Path, meta: dict) -> None:
    """The edition's landing page (the book's intro) names its council and quarter, in its title and first lines."""
    intro = stage / "book" / "intro.md"
    if not intro.exists():
        return
    lines = intro.read_text(encoding="utf-8").splitlines()
    heading = next((i for i, line in enumerate(lines) if line.startswith("# ")), None)
    edition = (f"**This edition: {meta['council']} ({meta['la']}), calendar quarter {meta['quarter']} "
               f"(financial year {meta['financial_quarter']}).** It shows what had been published by the end of "
               "that quarter.")
    if heading is None:
        lines[:0] = [f"# {meta['council']}, {meta['quarter']}", "", edition, ""]
    else:
        lines[heading] = f"{lines[heading]}: {meta['council']}, {meta['quarter']}"
        lines[heading + 1:heading + 1] = ["", edition]
    intro.write_text("\n".join(lines) + "\n", encoding="utf-8")


@dataclass
class Plan:
    """One edition of a batch: its chapter keys, input hash and, while it builds, its staging folder."""

    edition: Edition
    keys: dict
    input_hash: str
    dest: Path
    unchanged: bool = False
    stage: Path | None = None
    timings: dict = field(default_factory=dict)
    started: float = 0.0


@dataclass
class BatchResult:
    built: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    failed: list[tuple[Edition, str]] = field(default_factory=list)

    @property
    def folders(self) -> list[Path]:
        return self.built + self.unchanged


def _paper_cover_inputs(ctx: BuildContext) -> list[bytes]:
    """What the committee paper's cover prints besides the pages: a change to any rebuilds the edition."""
    return [b"committee: " + str(ctx.committee or "").encode(), b"meeting date: " + str(ctx.meeting_date or "").encode(),
            json.dumps(paper_settings(), sort_keys=True).encode()]


def plan(ctx: BuildContext, edition: Edition, entries: list[dict]) -> Plan:
    keys = {e["notebook"]: chapter_key(e, edition, ctx.data_version, ctx.code_version) for e in entries}
    input_hash = _digest(*[k.encode() for k in keys.values()], *[f.read_bytes() for f in _book_files()],
                         *([] if ctx.paper else [b"no committee paper: " + ctx.paper_skipped.encode()]),
                         *(_paper_cover_inputs(ctx) if ctx.paper else []))
    dest = ctx.editions_dir / edition.slug
    meta_file = dest / "edition.json"
    try:
        previous = json.loads(meta_file.read_text()) if meta_file.exists() else {}
    except (OSError, ValueError):
        previous = {}  # an unreadable record: the edition is rebuilt
    if not isinstance(previous, dict):
        previous = {}
    unchanged = (not ctx.force and previous.get("input_hash") == input_hash
                 and (dest / "_build" / "html" / "index.html").exists())
    return Plan(edition, keys, input_hash, dest, unchanged)


def compile_edition(ctx: BuildContext, p: Plan, entries: list[dict], books: Books | None = None,
                    printer: Printer | None = None) -> Path:
    """Write the colophon, compile the staged book and move the edition into place (raises CSCBookError)."""
    edition, stage = p.edition, p.stage
    content_hash = outputs_hash([_staged(stage, e) for e in entries])
    meta = {"la": edition.council.code, "quarter": str(edition.quarter), "monthly": edition.monthly_key,
            "disclosure": edition.policy.key, "slug": edition.slug, "council": edition.council.name,
            "region": edition.council.region, "financial_quarter": edition.quarter.financial_quarter,
            "package_version": __version__, "data_version": ctx.data_version[:16],
            "code_version": ctx.code_version[:16], "content_hash": content_hash, "input_hash": p.input_hash,
            "paper": ctx.paper, **({} if ctx.paper else {"paper_skipped": ctx.paper_skipped})}
    _write_colophon(stage, meta)
    _write_edition_page(stage, entries, meta)
    _name_the_landing_page(stage, meta)

    write_source_pages(stage, edition)
    (stage / "edition.json").write_text(json.dumps(meta, indent=1))

    def beside_the_book():
        """The edition's forecasts (kept beside it so later editions can score them; aggregates only) and its
        data pack, written while Sphinx compiles the book (neither reads the pages)."""
        write_ledger(stage / LEDGER_FILE, edition_ledger(edition.council.code, edition.quarter, edition.monthly,
                                                         cache=edition.cache))
        return write_datapack(stage, edition)  # moved beside the pages once they are built

    html_dir = stage / "_build" / "html"
    pages = Future()  # True once the pages are built and post-processed: the paper prints them
    with ThreadPoolExecutor(max_workers=2) as helper:
        pack = helper.submit(beside_the_book)
        # the paper's browser starts while the book compiles, then waits for the pages
        paper_meta = {"council": edition.council.name, "quarter": str(edition.quarter),
                      "committee": ctx.committee, "meeting_date": ctx.meeting_date,
                      "data_published": download_note(edition)["published"]}  # the footer's date, never today's
        paper = (helper.submit(print_paper, html_dir, paper_meta, pages.result, printer) if ctx.paper else None)
        try:
            status, output = _jupyter_book_process(stage) if books is None else books.compile(stage)
            pack_file = pack.result()
            failed_dir = ctx.editions_dir / ".failed" / edition.slug
            if status != 0 or not (html_dir / "index.html").exists():
                failed_dir.mkdir(parents=True, exist_ok=True)
                logfile = failed_dir / "jupyter-book.log"
                logfile.write_text(output)
                lines = output.splitlines()
                first = next((ln for ln in lines if "WARNING" in ln or "ERROR" in ln.upper()), "see the log")
                raise CSCBookError(f"the book did not compile cleanly ({first.strip()}); full log at {logfile}")
            postprocess_site(html_dir)
            pages.set_result(True)
        finally:
            if not pages.done():
                pages.set_result(False)
        os.replace(pack_file, html_dir / DATAPACK)
        if paper is not None:
            paper.result()
    (stage / "timings.json").write_text(json.dumps({"chapters": p.timings,
                                                    "total": time.perf_counter() - p.started}, indent=1))
    with exclusive(ctx.editions_dir / f".{edition.slug}.lock"):  # concurrent builds take turns here
        if p.dest.exists():
            backup = ctx.editions_dir / ".previous" / edition.slug
            if backup.is_symlink() or backup.is_file():
                backup.unlink()
            elif backup.exists():
                shutil.rmtree(backup)
            backup.parent.mkdir(exist_ok=True)
            os.replace(p.dest, backup)
        os.replace(stage, p.dest)
    shutil.rmtree(failed_dir, ignore_errors=True)
    return p.dest


def _bar(total: int, desc: str, position: int = 0, leave: bool = True):
    from tqdm import tqdm

    # shown on a terminal only (disable=None), so logs and tests stay clean
    return tqdm(total=total, desc=desc, unit="step", position=position, leave=leave, disable=None,
                file=sys.stderr, dynamic_ncols=True)


def build_many(ctx: BuildContext, editions: list[Edition], log=print, publish: bool = True) -> BatchResult:
    """Build a batch of editions; one failure does not stop the others (see :class:`BatchResult`).

    While it runs, ``CSCBOOK_SHARED_CACHE`` names the build's shared folder for every process it starts (pool
    workers, kernels), so that results cached without an edition at hand (the indicator panel of a past
    quarter) go there too and nothing is written inside the repository when ``--output`` is elsewhere."""
    before = os.environ.get(SHARED_CACHE_ENV)
    os.environ[SHARED_CACHE_ENV] = str(ctx.shared_root or ctx.cache_root)
    try:
        return _build_many(ctx, editions, log, publish)
    finally:
        if before is None:
            os.environ.pop(SHARED_CACHE_ENV, None)
        else:
            os.environ[SHARED_CACHE_ENV] = before


def _build_many(ctx: BuildContext, editions: list[Edition], log=print, publish: bool = True) -> BatchResult:
    result = BatchResult()
    try:
        ctx.editions_dir.mkdir(parents=True, exist_ok=True)
        if ctx.output != paths.repo_root():
            (ctx.output / OUTPUT_MARKER).touch()
    except OSError as exc:
        raise CSCBookError(f"--output {ctx.output}: cannot be written ({exc.strerror}); give a folder you can "
                           "write to") from None
    for stale in clean_stale_staging(ctx.editions_dir):
        log(f"  removed {stale.name}, left by an interrupted build")
    entries = chapters()
    plans, seen = [], set()
    for ed in editions:
        if ed.slug in seen:
            continue
        seen.add(ed.slug)
        plans.append(plan(ctx, ed, entries))
    for p in plans:
        if p.unchanged:
            log(f"  {p.edition.slug}: unchanged since the last build: nothing to do")
            result.unchanged.append(p.dest)
    todo = [p for p in plans if not p.unchanged]
    if todo:
        needs_run = [p.edition for p in todo if not all((ctx.chapters_cache / f"{k}.ipynb").exists()
                                                       for k in p.keys.values())]
        kernels = Kernels(paths.repo_root(), min(ctx.jobs, len(needs_run) * len(entries)))
        # book workers import Jupyter Book while the chapters run, and are kept for the batch's later books
        books = Books(min(ctx.jobs, len(todo)))
        printer = None
        background = Background(ctx, needs_run, log, needed=reads(entries))
        try:
            background.start()  # its pool's processes exist before the kernels' (and the printer's) threads do
            printer = Printer() if ctx.paper else None  # one browser prints every paper of the batch
            if needs_run:  # every chapter from the cache: no kernel to start
                kernels.warm()
            books.warm()
            _run_batch(ctx, todo, entries, result, log, kernels, books, background.check, printer)
        finally:
            background.finish()
            kernels.shutdown()
            books.shutdown()
            if printer is not None:
                printer.close()
    if publish and (result.built or not site_lists(ctx.site_dir, [p.edition.slug for p in plans])):
        publish_site(ctx.editions_dir, ctx.site_dir)
    return result


def _run_order(entries: list[dict]) -> list[dict]:
    """The chapters in the order they are started: those that read no forecast first (neither annual nor monthly
    in their ``reads``: they run while the forecasts and backtests are computed), each group the longest first
    (``cost``, seconds on a typical edition), so that on a few cores the last chapter to finish is short."""
    return sorted(entries, key=lambda e: (bool(reads([e]) & {"annual", "monthly"}), -float(e.get("cost", 0))))


def _run_batch(ctx: BuildContext, todo: list[Plan], entries: list[dict], result: BatchResult, log,
               kernels: Kernels, books: Books | None = None, check=lambda: None, printer: Printer | None = None) -> None:
    """Every chapter of every edition in one pool of ``ctx.jobs`` workers (each runs a chapter in a warm kernel
    of ``kernels``); an edition's book is compiled as soon as its chapters are done."""
    batch = _bar(len(todo), "editions", 0)
    bars = {}
    with ExitStack() as stagings, ThreadPoolExecutor(max_workers=ctx.jobs) as pool:
        pending = {}
        for i, p in enumerate(todo):
            p.stage = stagings.enter_context(staging(ctx.editions_dir, p.edition.slug))
            p.started = time.perf_counter()
            _stage_config(p.stage, p.edition)
            shutil.copytree(paths.repo_root() / "book", p.stage / "book")
            _write_toc(p.stage, entries)
            bars[p.edition.slug] = _bar(len(entries) + 1, p.edition.slug, 1 + i % max(ctx.jobs, 1), leave=False)
        # the longest chapters of each edition first, editions in turn so the first ones finish first
        for p in todo:
            for e in _run_order(entries):
                fut = pool.submit(run_chapter, ctx, e, p.edition, p.stage, p.keys[e["notebook"]], kernels, check)
                pending[fut] = ("chapter", p, e)
        remaining = {p.edition.slug: len(entries) for p in todo}
        broken: set[str] = set()
        if not entries:
            for p in todo:
                pending[pool.submit(compile_edition, ctx, p, entries, books, printer)] = ("book", p, None)
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                kind, p, e = pending.pop(fut)
                slug = p.edition.slug
                try:
                    value = fut.result()
                except Exception as exc:
                    reason = str(exc) if isinstance(exc, CSCBookError) else f"{type(exc).__name__}: {exc}"
                    if slug not in broken:
                        broken.add(slug)
                        result.failed.append((p.edition, reason))
                        log(f"  {slug}: FAILED: {reason}")
                        batch.update(1)
                    if kind == "chapter":
                        remaining[slug] -= 1
                    continue
                bars[slug].update(1)
                if kind == "chapter":
                    seconds, cached = value
                    p.timings[e["notebook"]] = seconds
                    log(f"  {slug}: {e['notebook']}: " + ("unchanged, from cache" if cached else f"ran in {seconds:.1f}s"))
                    remaining[slug] -= 1
                    if remaining[slug] == 0 and slug not in broken:
                        log(f"  {slug}: compiling the book")
                        pending[pool.submit(compile_edition, ctx, p, entries, books, printer)] = ("book", p, None)
                else:
                    result.built.append(value)
                    batch.update(1)
                    bars[slug].close()
        for b in bars.values():
            b.close()
        batch.close()


def build(ctx: BuildContext, edition: Edition, log=print) -> Path:
    """Build one edition; return its folder. Raises CSCBookError on failure, leaving earlier editions.

    An edition whose chapters, parameters, data and code are unchanged since its last build is not rebuilt;
    a chapter whose inputs are unchanged is taken from the cache of executed chapters.
    """
    result = build_many(ctx, [edition], log)
    if result.failed:
        raise CSCBookError(result.failed[0][1])
    return result.folders[0]
