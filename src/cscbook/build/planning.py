"""Which editions of a batch need building: each edition's chapter keys and input hash against its last build.

Kept apart from the batch (:mod:`cscbook.build.batch`) and light to import: the command line asks it first, and a
rebuild of unchanged editions ends here without loading the models, kernels or book workers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from cscbook.build.context import BuildContext
from cscbook.build.registry import book_files, chapter_key, chapters
from cscbook.core.cache import _digest
from cscbook.data.edition import Edition
from cscbook.report.papercover import paper_settings
from cscbook.report.site import site_lists


@dataclass
class Plan:
    """One edition of a batch: its chapter keys, input hash and, while it builds, its staging folder."""

    edition: Edition
    keys: dict
    input_hash: str
    dest: Path
    unchanged: bool = False
    stage: Path | None = None
    timings: dict = field(default_factory=dict)
    started: float = 0.0


def _paper_cover_inputs(ctx: BuildContext) -> list[bytes]:
    """What the committee paper's cover prints besides the pages: a change to any rebuilds the edition."""
    return [b"committee: " + str(ctx.committee or "").encode(), b"meeting date: " + str(ctx.meeting_date or "").encode(),
            json.dumps(paper_settings(), sort_keys=True).encode()]


def plan(ctx: BuildContext, edition: Edition, entries: list[dict]) -> Plan:
    """The plan of one edition of a batch run by ``ctx``: each chapter's key (of the chapters ``entries``), the
    input hash of everything the edition is made from, and whether it is unchanged since its last build (then
    it is not rebuilt, unless ``ctx.force``)."""
    keys = {e["notebook"]: chapter_key(e, edition, ctx.data_version, ctx.code_version) for e in entries}
    input_hash = _digest(*[k.encode() for k in keys.values()], *[f.read_bytes() for f in book_files()],
                         *([] if ctx.paper else [b"no committee paper: " + ctx.paper_skipped.encode()]),
                         *(_paper_cover_inputs(ctx) if ctx.paper else []))
    dest = ctx.editions_dir / edition.slug
    meta_file = dest / "edition.json"
    try:
        previous = json.loads(meta_file.read_text()) if meta_file.exists() else {}
    except (OSError, ValueError):
        previous = {}  # an unreadable record: the edition is rebuilt
    if not isinstance(previous, dict):
        previous = {}
    unchanged = (not ctx.force and previous.get("input_hash") == input_hash
                 and (dest / "_build" / "html" / "index.html").exists())
    return Plan(edition, keys, input_hash, dest, unchanged)


#: what the log says of an edition that is not rebuilt
UNCHANGED = "  {slug}: unchanged since the last build: nothing to do"


def plans(ctx: BuildContext, editions: list[Edition], entries: list[dict]) -> list[Plan]:
    """The :func:`plan` of each edition of ``editions`` in order, each folder once (the first edition of a slug)."""
    first: dict[str, Edition] = {}
    for ed in editions:
        first.setdefault(ed.slug, ed)
    return [plan(ctx, ed, entries) for ed in first.values()]


def all_unchanged(ctx: BuildContext, editions: list[Edition]) -> list[Path] | None:
    """The folders of ``editions`` when every one is unchanged since its last build and the site lists them all
    (nothing to do); None when any needs building or publishing (the batch does it)."""
    if ctx.force:
        return None
    planned = plans(ctx, editions, chapters())
    if not all(p.unchanged for p in planned) or not site_lists(ctx.site_dir, [p.edition.slug for p in planned]):
        return None
    return [p.dest for p in planned]
