"""Where the project's files live, resolved from the repository root (never the working directory)."""

from __future__ import annotations

import os
from pathlib import Path

from cscbook.core.settings import ROOT_ENV

#: the ``cscbook`` package folder (this module is in its ``core`` subpackage)
_PACKAGE_DIR = Path(__file__).resolve().parents[1]


def repo_root() -> Path:
    """The repository root: ``CSCBOOK_ROOT`` if set, else two levels above the package (src layout)."""
    env = os.environ.get(ROOT_ENV)
    if env:
        return Path(env).resolve()
    return _PACKAGE_DIR.parents[1]


def package_dir() -> Path:
    """The folder of the ``cscbook`` package (its source, hashed as the code version)."""
    return _PACKAGE_DIR


def data_dir() -> Path:
    """The repository's ``data`` folder."""
    return repo_root() / "data"


def official_dir() -> Path:
    """``data/official``: the official releases and their ``manifest.yml``."""
    return data_dir() / "official"


def sources_dir() -> Path:
    """``data/sources``: the text of the documents the timeline quotes."""
    return data_dir() / "sources"


def monthly_dir() -> Path:
    """``data/monthly``: councils' monthly extracts."""
    return data_dir() / "monthly"


def curated_dir() -> Path:
    """``data/curated``: hand-curated tables (release calendar, reorganisations, timeline, quoted figures)."""
    return data_dir() / "curated"
