"""Render frames for the command line: aligned table, CSV (missing = empty) or JSON (missing = null)."""

from __future__ import annotations

import json
import math

FORMATS = ("table", "csv", "json")


def _clean(value, places: int | None):
    import pandas as pd  # imported here: the command line loads this module, book workers included

    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, float):
        if places == 0:
            return int(round(value))
        if places is not None:
            return round(value, places)
    if hasattr(value, "item"):
        return value.item()
    return value


def records(frame: pd.DataFrame, places: dict[str, int] | None = None) -> list[dict]:
    """The rows of ``frame`` as dicts of plain Python values (missing = None), floats of a column in ``places``
    rounded to that many decimal places (0: int)."""
    places = places or {}
    return [
        {col: _clean(val, places.get(col)) for col, val in zip(frame.columns, row)}
        for row in frame.itertuples(index=False, name=None)
    ]


def render(frame: pd.DataFrame, fmt: str, places: dict[str, int] | None = None) -> str:
    """One string in the requested format."""
    rows = records(frame, places)
    if fmt == "json":
        return json.dumps(rows, indent=1, ensure_ascii=False)
    cols = list(frame.columns)
    if fmt == "csv":
        import csv
        import io

        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(cols)
        for r in rows:
            writer.writerow(["" if r[c] is None else _csv_safe(r[c]) for c in cols])
        return buf.getvalue().rstrip("\n")
    text = [[str(c) for c in cols]] + [["" if r[c] is None else str(r[c]) for c in cols] for r in rows]
    widths = [max(len(row[i]) for row in text) for i in range(len(cols))]
    lines = ["  ".join(cell.rjust(w) for cell, w in zip(row, widths)) for row in text]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _csv_safe(value):
    """Neutralise spreadsheet formula injection in text cells (=, +, -, @ at the start)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@") and not _is_number(value):
        return "'" + value
    return value


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False
