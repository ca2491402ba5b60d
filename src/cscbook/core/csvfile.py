"""Reading a CSV file as text, with one clear message for a missing file, an unreadable file or a missing
column."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cscbook.core.errors import DataSchemaError


def read_csv_checked(path: Path, required: tuple[str, ...] | list[str]) -> pd.DataFrame:
    """Read a CSV as text with a clear error for missing files and columns."""
    if not path.exists():
        raise DataSchemaError(f"{path}: file not found; restore it from the repository (git checkout -- {path.name})")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        reason = " ".join(str(exc).split())
        raise DataSchemaError(f"{path}: cannot be read as UTF-8 CSV ({reason}); re-export it as CSV (UTF-8)") from None
    frame.columns = [c.strip() for c in frame.columns]
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise DataSchemaError(
            f"{path.name}: column {missing[0]!r} is missing (expected columns include {', '.join(required)})"
        )
    return frame
