"""Publisher markers in official statistics, read as missing values with a reason (never as zero).

DfE and Ofsted files use short codes in numeric cells:

==========  ===================================================================
marker      meaning
==========  ===================================================================
``c``       suppressed to protect confidentiality (counts of 1 to 5 and cells
            that would reveal them)
``x``       not available (not collected, or a data quality problem)
``z``       not applicable
``low``     a rounded figure below 0.5
``u``       low reliability (published with a warning; the value is withheld)
``:``       not available (older releases)
blank       not published
==========  ===================================================================
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MARKERS: dict[str, str] = {
    "c": "suppressed",
    "x": "not available",
    "z": "not applicable",
    "low": "low (below 0.5)",
    "u": "low reliability",
    ":": "not available",
    "..": "not available",
    "": "not published",
}

#: Status of a cell that holds a number.
PUBLISHED = "published"


def parse_cell(raw: object) -> tuple[float, str]:
    """Return ``(value, status)`` for one published cell.

    >>> parse_cell("4418")
    (4418.0, 'published')
    >>> parse_cell("c")
    (nan, 'suppressed')
    """
    if raw is None or (isinstance(raw, float) and np.isnan(raw)):
        return float("nan"), MARKERS[""]
    text = str(raw).strip().replace(",", "")
    key = text.lower()
    if key in MARKERS:
        return float("nan"), MARKERS[key]
    try:
        return float(text), PUBLISHED
    except ValueError:
        raise ValueError(f"unrecognised value {raw!r}") from None


def parse_series(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Vectorised :func:`parse_cell`: numeric values (NaN where marked) and a status per cell.

    Raises ``ValueError`` naming the first offending row label if a cell is neither a number nor a
    known marker.
    """
    text = series.astype("string").fillna("").str.strip().str.replace(",", "", regex=False)
    key = text.str.lower()
    status = key.map(MARKERS)
    numbers = pd.to_numeric(text.where(status.isna()), errors="coerce")
    bad = status.isna() & numbers.isna()
    if bad.any():
        label = bad[bad].index[0]
        raise ValueError(f"unrecognised value {series.loc[label]!r} at row {label}")
    status = status.fillna(PUBLISHED).astype(str)
    return numbers.astype(float), status
