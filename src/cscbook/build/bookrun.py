"""Jupyter Book run inside a book worker (see :class:`cscbook.build.books.Books`).

Kept apart from :mod:`cscbook.build.books` and importing nothing but the standard library at the top: a worker is
started clean (spawn), and importing the build modules would load pandas and the data modules into a process
that only compiles books.
"""

from __future__ import annotations

#: jupyter-book build options: warnings are errors, nitpicky references, every problem reported
BOOK_OPTIONS = ["-W", "-n", "--keep-going", "--quiet"]


def ready() -> None:
    """Warm a book worker: import Jupyter Book, Sphinx and the heaviest extensions before the first edition
    arrives (while the chapters run)."""
    import jupyter_book.cli.main  # noqa: F401
    import jupyter_book.sphinx  # noqa: F401
    import myst_nb.sphinx_ext  # noqa: F401
    import pydata_sphinx_theme  # noqa: F401
    import sphinx.application  # noqa: F401
    import sphinx_book_theme  # noqa: F401


def jupyter_book(stage: str) -> tuple[int, str]:
    """``jupyter-book build`` of a staged edition, strict, in this process (a book worker); (exit status,
    everything it printed)."""
    import contextlib
    import io
    import traceback

    from jupyter_book.cli.main import build as jupyter_book_build

    out, status = io.StringIO(), 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            jupyter_book_build.main([stage, *BOOK_OPTIONS], standalone_mode=False)
        except SystemExit as exc:  # Jupyter Book's exit on a failed build
            status = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
        except Exception:  # an error in the build, with Sphinx's account of it above
            traceback.print_exc(file=out)
            status = 1
    return status, out.getvalue()
