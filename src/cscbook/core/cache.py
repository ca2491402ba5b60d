"""Each expensive result computed once: a generic content-keyed disk cache, knowing no model.

Results are kept with :class:`joblib.Memory` in a folder named by the data version and the code version
(:func:`shared_dir`), so a change to any data file or any module starts afresh; joblib keys each result by the
function and the hash of its arguments (the series itself, a council code, a year).

    cache = ed.cache                                  # the edition's SharedCache
    result = cache.call(some_function, series, 12)    # computed once, then read

Which results are shared, and how they are built on one another, is :mod:`cscbook.models.shared`.
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path

from cscbook import __version__
from cscbook.core import paths
from cscbook.core.errors import CSCBookError
from cscbook.core.locks import exclusive
from cscbook.core.settings import SHARED_CACHE_ENV


def default_cache_root() -> Path:
    """The cache used by a notebook run directly (papermill, Jupyter) with no ``cache`` parameter:
    ``CSCBOOK_SHARED_CACHE`` if set, else the repository's ``editions/.cache`` where it can be written, else
    the user's cache folder (``$XDG_CACHE_HOME/cscbook``, by default ``~/.cache/cscbook``): a read-only checkout
    still runs. Where neither can be written, one line says what to do."""
    env = os.environ.get(SHARED_CACHE_ENV)
    if env:
        return Path(env).resolve()
    repo = paths.repo_root() / "editions" / ".cache"
    user = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "cscbook"
    for folder in (repo, user):
        if _writable(folder):
            return folder
    raise CSCBookError(f"cannot write the shared cache in {repo} or {user}: give a writable folder with "
                       f"-p cache FOLDER (papermill) or {SHARED_CACHE_ENV}=FOLDER")


def _writable(folder: Path) -> bool:
    """Whether ``folder`` exists or can be made, and files can be written in it."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(folder, os.W_OK | os.X_OK)


def shared_dir(cache_root: Path, data_version: str, code_version: str) -> Path:
    """The shared results folder for one data and code version: a change to either starts a new one."""
    return cache_root / "shared" / f"{data_version[:16]}-{code_version[:16]}"


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
    pkg = paths.package_dir()
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


@lru_cache(maxsize=4)
def _default_folder(root: str, env: str) -> str:
    """The default shared folder of a repository root and ``CSCBOOK_SHARED_CACHE`` (hashing the data once per
    process)."""
    return str(shared_dir(default_cache_root(), data_hash(), code_hash()))


def open_cache(folder: Path | str | None = None) -> SharedCache:
    """The shared cache in ``folder`` (an edition's ``cache_dir``); None: the default one of this repository,
    keyed by the current data and code versions."""
    if folder:
        return SharedCache(Path(folder))
    return SharedCache(Path(_default_folder(str(paths.repo_root()), os.environ.get(SHARED_CACHE_ENV, ""))))
