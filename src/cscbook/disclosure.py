"""Disclosure control: one policy for every table and chart label that leaves the package.

Following the DfE convention for children's social care statistics:

* primary suppression: counts of 1 to 5 are replaced by ``c`` (0 is shown: it discloses nothing about a child);
* derived values: rates and percentages computed from a suppressed count are suppressed too;
* secondary suppression: where a row of parts has a published total and exactly one part is suppressed, the
  next smallest part is suppressed as well, so the suppressed cell cannot be recovered by subtraction.
"""

from __future__ import annotations

import pandas as pd

SUPPRESSED = "c"
LOW, HIGH = 1, 5
import os

#: Tests switch the policy off (CSCBOOK_DISCLOSURE=off) only to prove that the HTML scan can fail.
ENABLED = os.environ.get("CSCBOOK_DISCLOSURE", "on") != "off"


def is_small(value) -> bool:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return False
    return LOW <= v <= HIGH and v == int(v)


def suppress(frame: pd.DataFrame, counts: list[str], derived: dict[str, str] | None = None,
             parts: list[str] | None = None, total: str | None = None) -> pd.DataFrame:
    """Return a copy safe to publish.

    ``counts``: count columns to check; ``derived``: {rate column: count column it was computed from};
    ``parts`` and ``total``: columns that add up to ``total`` along a row (for secondary suppression).
    """
    out = frame.copy().astype(object)
    if not ENABLED:
        return out
    mask = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    for col in counts:
        if col in frame.columns:
            mask[col] = frame[col].map(is_small)
    for rate, source in (derived or {}).items():
        if rate in frame.columns and source in frame.columns:
            mask[rate] = mask[rate] | mask[source]
    if parts and total:
        for idx in frame.index:
            hidden = [p for p in parts if mask.at[idx, p]]
            if len(hidden) == 1 and pd.notna(frame.at[idx, total]):
                others = [p for p in parts if not mask.at[idx, p] and pd.notna(frame.at[idx, p])]
                if others:
                    smallest = min(others, key=lambda p: float(frame.at[idx, p]))
                    mask.at[idx, smallest] = True
    out = out.mask(mask, SUPPRESSED)
    return out


def suppress_series(values: pd.Series) -> pd.Series:
    """Primary suppression of a series of counts (e.g. chart labels)."""
    if not ENABLED:
        return values.astype(object)
    return values.astype(object).where(~values.map(is_small), SUPPRESSED)
