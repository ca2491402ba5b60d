"""The pool of warm kernels that runs the chapter notebooks, and one chapter's run: executed into the staging
folder with papermill's parameters, or copied from the cache of executed chapters when its inputs are unchanged."""

from __future__ import annotations

import os
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from cscbook.build.context import BuildContext
from cscbook.build.precompute import ONE_THREAD
from cscbook.build.staging import staged, tidy_executed
from cscbook.core import atomic, paths
from cscbook.core.errors import CSCBookError
from cscbook.data.edition import Edition

#: The kernel's own log at CRITICAL only: ipykernel 7 warns on every start that its local TCP transport is
#: unencrypted (the kernel only listens on 127.0.0.1 for the notebook runner of this build).
KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=CRITICAL"]


class _Kernel:
    """One kernel of the pool with its own thread: the kernel manager and its client (connected once, kept for
    every chapter the kernel runs) are used only in that thread and its event loop."""

    def __init__(self, name: str):
        self.thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self.km = None
        self.kc = None
        self.runs = 0

    def submit(self, fn, *args):
        """Run ``fn(self, *args)`` in this kernel's own thread; a future of its result."""
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
        """Stop every kernel of the pool and its thread (the pool can be warmed again afterwards)."""
        for k in self._kernels:
            k.submit(self._stop).result()
            k.thread.shutdown()
        self._kernels.clear()




def run_chapter(ctx: BuildContext, entry: dict, edition: Edition, stage: Path, key: str,
                kernels: Kernels | None = None, check=lambda: None) -> tuple[float, bool]:
    """Execute one chapter into the staging folder (or copy it from the chapter cache); (seconds, cached).
    ``check`` is called before a chapter runs: it raises if the shared results it may read have failed."""
    src = paths.repo_root() / entry["notebook"]
    dest = staged(stage, entry)
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
    tidy_executed(dest)
    ctx.chapters_cache.mkdir(parents=True, exist_ok=True)
    with atomic.replacing(cached) as tmp:
        shutil.copy2(dest, tmp)
    return time.perf_counter() - start, False
