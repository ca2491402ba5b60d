"""Book workers: compile each edition's Jupyter Book in processes kept for many editions (the worker side, which
imports nothing of the build, is :mod:`cscbook.build.bookrun`), or in a ``jupyter-book`` process of its own."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from cscbook.build.bookrun import BOOK_OPTIONS, jupyter_book, ready
from cscbook.core.lifetime import die_with_parent


def jupyter_book_process(stage: Path) -> tuple[int, str]:
    """``jupyter-book build`` of the staged edition in the folder ``stage``, strict, in a process of its own; (exit
    status, its output)."""
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
        """A pool of ``size`` workers (at least one), started by :meth:`warm`."""
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
        """Compile the staged edition in the folder ``stage`` in a worker (in a process of its own if the
        workers died); (exit status, everything Jupyter Book printed)."""
        from concurrent.futures.process import BrokenProcessPool

        self.warm()
        try:
            return self._pool.submit(jupyter_book, str(stage)).result()
        except BrokenProcessPool:
            return jupyter_book_process(stage)

    def shutdown(self) -> None:
        """Stop the workers, cancelling any book not yet started."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
