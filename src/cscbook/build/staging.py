"""Staging folders, each owned by its build through a file lock held for the build's lifetime: an edition is
written to one and moved into ``editions/<slug>/`` only when everything succeeded; a staging folder no live build
owns (a build that was killed) is removed by the next build. Also where a chapter's executed notebook goes in the
staging folder, and how it is tidied for readers."""

from __future__ import annotations

import shutil
import uuid
from contextlib import contextmanager
from pathlib import Path

from cscbook.core.locks import exclusive, try_exclusive


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
    """A new staging folder for the edition ``slug`` in ``editions_dir``, locked as this build's own until the
    block ends, then removed (yields its path)."""
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


def staged(stage: Path, entry: dict) -> Path:
    """Where a chapter's executed notebook goes in the staging folder ``stage`` (always stage/notebooks/<name>,
    from the chapters.yml ``entry``)."""
    return stage / "notebooks" / Path(entry["notebook"]).name


def tidy_executed(path: Path) -> None:
    """Hide papermill's injected-parameters cell from readers; drop volatile execution metadata (the executed
    notebook at ``path`` is rewritten in place)."""
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
