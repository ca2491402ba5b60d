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

The jobs it schedules live beside it: the chapter registry (:mod:`cscbook.build.registry`), staging folders
(:mod:`cscbook.build.staging`), the kernels that run chapters (:mod:`cscbook.build.kernels`), the book workers
(:mod:`cscbook.build.books`), the shared results (:mod:`cscbook.build.precompute`) and the pages written around
the chapters (:mod:`cscbook.build.pages`).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from cscbook import __version__
from cscbook.build.books import Books, jupyter_book_process
from cscbook.build.context import BuildContext
from cscbook.build.kernels import Kernels, run_chapter
from cscbook.build.pages import name_the_landing_page, stage_config, write_colophon, write_edition_page, write_toc
from cscbook.build.planning import UNCHANGED, Plan, plans
from cscbook.build.precompute import Background
from cscbook.build.registry import chapters, outputs_hash, reads
from cscbook.build.staging import clean_stale_staging, staged, staging
from cscbook.core import paths
from cscbook.core.errors import CSCBookError
from cscbook.core.locks import exclusive
from cscbook.core.settings import SHARED_CACHE_ENV
from cscbook.data.edition import LEDGER_FILE, Edition
from cscbook.models.ledger import edition_ledger, write_ledger
from cscbook.report.datapack import FILENAME as DATAPACK
from cscbook.report.datapack import write_datapack
from cscbook.report.notebook import download_note
from cscbook.report.paper import Printer, print_paper
from cscbook.report.site import OUTPUT_MARKER, postprocess_site, publish_site, site_lists
from cscbook.report.sourcepages import write_source_pages


@dataclass
class BatchResult:
    """What a batch did: the editions built, those unchanged since their last build (folders), and those that
    failed, each with the reason."""

    built: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    failed: list[tuple[Edition, str]] = field(default_factory=list)

    @property
    def folders(self) -> list[Path]:
        """The folders of every edition the batch leaves in place, built or unchanged."""
        return self.built + self.unchanged


def compile_edition(ctx: BuildContext, p: Plan, entries: list[dict], books: Books | None = None,
                    printer: Printer | None = None) -> Path:
    """Write the colophon, compile the staged book and move the edition into place (raises CSCBookError)."""
    edition, stage = p.edition, p.stage
    content_hash = outputs_hash([staged(stage, e) for e in entries])
    meta = {"la": edition.council.code, "quarter": str(edition.quarter), "monthly": edition.monthly_key,
            "disclosure": edition.policy.key, "slug": edition.slug, "council": edition.council.name,
            "region": edition.council.region, "financial_quarter": edition.quarter.financial_quarter,
            "package_version": __version__, "data_version": ctx.data_version[:16],
            "code_version": ctx.code_version[:16], "content_hash": content_hash, "input_hash": p.input_hash,
            "paper": ctx.paper, **({} if ctx.paper else {"paper_skipped": ctx.paper_skipped})}
    write_colophon(stage, meta)
    write_edition_page(stage, entries, meta)
    name_the_landing_page(stage, meta)

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
            status, output = jupyter_book_process(stage) if books is None else books.compile(stage)
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
    planned = plans(ctx, editions, entries)
    for p in planned:
        if p.unchanged:
            log(UNCHANGED.format(slug=p.edition.slug))
            result.unchanged.append(p.dest)
    todo = [p for p in planned if not p.unchanged]
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
    if publish and (result.built or not site_lists(ctx.site_dir, [p.edition.slug for p in planned])):
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
            stage_config(p.stage, p.edition)
            shutil.copytree(paths.repo_root() / "book", p.stage / "book")
            write_toc(p.stage, entries)
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
