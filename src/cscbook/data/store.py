"""The data layer's memory of what it has read: one :func:`reset` forgets it all.

Every reader of the data layer that keeps what it read (official tables, the register of councils, Ofsted's
events, the release calendar, the manifest, the curated timeline, source documents, DfE's CIN census schemas)
memoises it with :func:`cscbook.core.memo.memo`, keyed by the file's path and its checksum or modification time,
and hands out copies, so a caller that changes a frame changes only its own copy.
"""

from __future__ import annotations

from cscbook.core import memo

PACKAGE = "cscbook.data"


def reset() -> None:
    """Forget every table and file the data layer has read, so the next call reads the files again.

    For tests that change data files under a temporary root (``CSCBOOK_ROOT``), and for anything that rewrites a
    file in place without changing what the cache is keyed by.
    """
    memo.clear(PACKAGE)
