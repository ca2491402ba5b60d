"""Abrupt level shifts in a monthly referral series (recording changes, new front doors), found before any model is
fitted: :func:`prepare` either trains after the last shift or rescales the months before each shift to the level
after it, and :class:`Prepared` says which, in a sentence for the page.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

SHIFT_WINDOW = 12          # months each side of a candidate shift: one of each calendar month, so seasons cancel
SHIFT_MIN_RATIO = 1.25     # a shift is a step of at least 25% (the ratio cscbook.models.breaks uses for annual recording changes)
SHIFT_MIN_SE = 4.0         # ... and at least four standard errors of the step statistic
TRAIN_AFTER_MIN = 36       # months after the last shift needed to train on them alone (the seasonal models' minimum)


@dataclass(frozen=True)
class Prepared:
    """The series the models are fitted on, and what was done to the original to get it.

    ``action`` is ``"none"`` (no shift found), ``"train_after"`` (only the months from ``shift_month`` on are
    used) or ``"adjust"`` (the months before each shift rescaled by its estimated step, so that the whole
    history is at the level after the last shift). ``shifts`` maps each shift month to its step ratio (after /
    before); ``shift_month`` is the last one.
    """

    series: pd.Series
    shift_month: pd.Period | None
    action: str
    sentence: str
    shifts: tuple[tuple[pd.Period, float], ...] = ()


def _step_statistic(z: np.ndarray, w: int = SHIFT_WINDOW) -> np.ndarray:
    """D[k] = mean(z[k:k+w]) - mean(z[k-w:k]) for every k with w values each side (NaN elsewhere)."""
    n = len(z)
    c = np.concatenate([[0.0], np.cumsum(z)])
    d = np.full(n, np.nan)
    for k in range(w, n - w + 1):
        d[k] = (c[k + w] - c[k]) / w - (c[k] - c[k - w]) / w
    return d


def detect_shifts(y: pd.Series, w: int = SHIFT_WINDOW, min_ratio: float = SHIFT_MIN_RATIO,
                  min_se: float = SHIFT_MIN_SE) -> list[tuple[pd.Period, float]]:
    """Abrupt level shifts in a monthly count series: [(first month at the new level, ratio after/before)].

    Rule, on z = log(max(y, 1)): the step statistic D[k] is the mean of z over the ``w`` months from k less
    its mean over the ``w`` months before k (each window holds every calendar month once, so seasonality
    cancels). Shifts are taken greedily: the k with the largest |D[k]|, if |D[k]| is at least
    log(``min_ratio``) and at least ``min_se`` standard errors (sigma * sqrt(2 / w), sigma the robust
    spread of the year-on-year log changes over sqrt 2); then no other shift within ``w`` months of it; and
    so on. A shift can be seen once ``w`` months after it are known. A steady trend of 25% a year or more
    would also be read as shifts; a step that size in one month is almost always a change in recording.
    """
    z = np.log(np.maximum(y.to_numpy(dtype=float), 1.0))
    d = _step_statistic(z, w)
    if np.all(np.isnan(d)):
        return []
    yoy = z[12:] - z[:-12]
    sigma = 1.4826 * float(np.median(np.abs(yoy - np.median(yoy)))) / math.sqrt(2) if len(yoy) else 0.0
    threshold = max(math.log(min_ratio), min_se * sigma * math.sqrt(2 / w))
    free = ~np.isnan(d)
    found = []
    while free.any():
        k = int(np.nanargmax(np.where(free, np.abs(d), -np.inf)))
        if abs(d[k]) < threshold:
            break
        found.append((y.index[k], float(math.exp(d[k]))))
        free[max(0, k - w + 1): k + w] = False
    return sorted(found)


def prepare(y: pd.Series, min_train: int = TRAIN_AFTER_MIN) -> Prepared:
    """Detect level shifts in ``y`` (:func:`detect_shifts`) and make the series the models train on.

    If at least ``min_train`` months follow the last shift, train on those months only; otherwise rescale
    the months before each shift by 1 / its step ratio (a multiplicative step dummy with its size
    estimated by the step statistic), so every month is at the level after the last shift.
    """
    y = y.astype(float)
    shifts = detect_shifts(y)
    if not shifts:
        return Prepared(y, None, "none", "No level shift found in the monthly series; the models train on every month.")
    last, _ = shifts[-1]
    listed = ", ".join(f"{m} ({(r - 1) * 100:+.0f}%)" for m, r in shifts)
    word = "A level shift" if len(shifts) == 1 else "Level shifts"
    after = y[y.index >= last]
    if len(after) >= min_train:
        return Prepared(after, last, "train_after",
                        f"{word} found at {listed}; the models train only on the {len(after)} months from {last}.",
                        tuple(shifts))
    factor = pd.Series(1.0, index=y.index)
    for month, ratio in shifts:
        factor[factor.index < month] *= ratio
    return Prepared(y * factor, last, "adjust",
                    f"{word} found at {listed}; fewer than {min_train} months follow the last, so the months "
                    f"before each shift were rescaled to the level after it before the models were fitted.",
                    tuple(shifts))
