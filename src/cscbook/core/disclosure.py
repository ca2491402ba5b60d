"""Disclosure control: one policy for every table and chart label that leaves the package.

Following the DfE convention for children's social care statistics:

* primary suppression: counts of 1 to 5 are replaced by ``c`` (0 is shown: it discloses nothing about a child);
* derived values: rates and percentages computed from a suppressed count are suppressed too;
* secondary suppression: where a row of parts has a published total and exactly one part is suppressed, the
  next smallest part is suppressed as well, so the suppressed cell cannot be recovered by subtraction.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from cscbook.core.errors import CSCBookError

SUPPRESSED = "c"
LOW, HIGH = 1, 5


@dataclass(frozen=True)
class DisclosurePolicy:
    """The disclosure policy of an edition. ``enabled=False`` exists only so that a test can prove the scan
    of a built site for small counts can fail; every published edition is built with the default."""

    enabled: bool = True

    @property
    def key(self) -> str:
        """The policy as text: part of each chapter's cache key and the notebooks' ``disclosure`` parameter."""
        return "on" if self.enabled else "off"

    @classmethod
    def parse(cls, text: str, parameter: str = "disclosure") -> "DisclosurePolicy":
        """The policy from a parameter's text: ``on`` (or empty) or ``off``, any case; anything else raises
        :class:`CSCBookError` naming ``parameter``."""
        value = str(text).strip().lower()
        if value not in ("on", "off", ""):
            raise CSCBookError(f"parameter {parameter!r} = {text!r}: give 'on' (the default) or 'off', e.g. {parameter} = \"on\"")
        return cls(enabled=value != "off")


DEFAULT_POLICY = DisclosurePolicy()


def is_small(value) -> bool:
    """Whether ``value`` is a whole count from :data:`LOW` to :data:`HIGH` (1 to 5), which disclosure control
    suppresses; text that is not a number is not."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return False
    return LOW <= v <= HIGH and v == int(v)


def suppress(frame: pd.DataFrame, counts: list[str], derived: dict[str, str] | None = None,
             parts: list[str] | None = None, total: str | None = None,
             policy: DisclosurePolicy | None = None) -> pd.DataFrame:
    """Return a copy safe to publish.

    ``counts``: count columns to check; ``derived``: {rate column: count column it was computed from};
    ``parts`` and ``total``: columns that add up to ``total`` along a row (for secondary suppression);
    ``policy``: the edition's policy (None: the default, suppression on).
    """
    out = frame.copy().astype(object)
    if not (policy or DEFAULT_POLICY).enabled:
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


def suppress_series(values: pd.Series, policy: DisclosurePolicy | None = None) -> pd.Series:
    """Primary suppression of a series of counts (e.g. chart labels)."""
    if not (policy or DEFAULT_POLICY).enabled:
        return values.astype(object)
    return values.astype(object).where(~values.map(is_small), SUPPRESSED)
