"""Exclusive locks held on files, between processes and threads alike, on POSIX and Windows (through the
``filelock`` library): the shared results' per-call locks, the staging folders' ownership, an edition's swap into
place and the site's publication."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout


def _lock(path: Path) -> FileLock:
    # not thread-local: a lock taken in one thread of a build may be released in another
    return FileLock(str(path), thread_local=False)


@contextmanager
def exclusive(path: str | Path):
    """Hold the lock on ``path`` (created if missing, kept afterwards) for the block, waiting for any holder."""
    lock = _lock(Path(path))
    with lock:
        yield lock


def try_exclusive(path: str | Path) -> FileLock | None:
    """The lock on ``path`` taken without waiting (release it with ``.release()``), or None when a live process
    holds it."""
    lock = _lock(Path(path))
    try:
        lock.acquire(blocking=False)
    except Timeout:
        return None
    return lock
