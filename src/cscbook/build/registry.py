"""The chapter registry: the chapter notebooks in book order (notebooks/chapters.yml), the shared results each
reads, the key of everything that changes a chapter's output, and the content hash of an edition's outputs."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from cscbook.core import paths
from cscbook.core.cache import _digest
from cscbook.core.errors import CSCBookError
from cscbook.data.edition import LEDGER_FILE, Edition

CHAPTERS_FILE = "notebooks/chapters.yml"
#: the shared results a chapter can declare it reads (``reads`` in chapters.yml); see
#: :func:`cscbook.build.precompute.precompute`
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


def book_files() -> list[Path]:
    """The book's own files besides the chapters (_config.yml, _toc.yml and everything under book/), sorted: a
    change to any rebuilds every edition."""
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


