"""Memoised readers that one call can forget: :func:`memo` is :func:`functools.lru_cache` that also records the
cached function, so :func:`clear` empties every memo of a package at once (``cscbook.data.store.reset`` uses it).

A memoised function may return objects that callers can change (a DataFrame, a dict): its public caller hands out
a copy, so what is cached stays as read.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Callable

_MEMOS: list = []


def memo(maxsize: int | None = None) -> Callable:
    """A decorator: ``functools.lru_cache(maxsize)``, recorded for :func:`clear` (``maxsize`` in entries; None,
    unbounded)."""

    def wrap(fn: Callable) -> Callable:
        cached = lru_cache(maxsize=maxsize)(fn)
        _MEMOS.append(cached)
        return cached

    return wrap


def memos(package: str) -> list:
    """The memoised functions defined in ``package`` (a dotted module prefix such as ``cscbook.data``) and its
    modules, among those imported so far."""
    return [m for m in _MEMOS if m.__module__ == package or m.__module__.startswith(package + ".")]


def clear(package: str) -> int:
    """Empty every memo of ``package`` (see :func:`memos`); returns how many were cleared."""
    found = memos(package)
    for m in found:
        m.cache_clear()
    return len(found)
