"""Where the project's files live, resolved from the repository root (never the working directory)."""

from __future__ import annotations

import os
from pathlib import Path

#: the ``cscbook`` package folder (this module is in its ``core`` subpackage)
_PACKAGE_DIR = Path(__file__).resolve().parents[1]


def repo_root() -> Path:
    """The repository root: ``CSCBOOK_ROOT`` if set, else two levels above the package (src layout)."""
    env = os.environ.get("CSCBOOK_ROOT")
    if env:
        return Path(env).resolve()
    return _PACKAGE_DIR.parents[1]


def package_dir() -> Path:
    """The folder of the ``cscbook`` package (its source, hashed as the code version)."""
    return _PACKAGE_DIR


def data_dir() -> Path:
    return repo_root() / "data"


def official_dir() -> Path:
    return data_dir() / "official"


def sources_dir() -> Path:
    return data_dir() / "sources"


def monthly_dir() -> Path:
    return data_dir() / "monthly"


def curated_dir() -> Path:
    return data_dir() / "curated"
