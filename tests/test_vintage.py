"""Vintages: what a past edition shows is what was published by the end of its quarter, whatever is added later.

A SYNTHETIC later release of table C1 (tests/release_fixture.py: a 2026 year, and Buckinghamshire's 2025 referral
count revised by 12) is added under a temporary repository root. Every reader the chapters use, asked "as at"
2025Q4, gives what it gave before the release; asked at the release's quarter, it shows the revision (so each
check can fail)."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
import release_fixture as rf
from conftest import copy_of_the_repository

from cscbook.core.quarters import Quarter
from cscbook.data import register, store
from cscbook.models import indicators
from cscbook.models.breaks import detect_for, flagged_years
from cscbook.models.compare import quoted_vs_official
from cscbook.models.funnel import funnel
from cscbook.models.indicators import indicators_for, multiples_frames

ROOT = Path(__file__).resolve().parents[1]
BEFORE = Quarter(2025, 4)  # an edition made with the 2025 release
LATER = Quarter(2026, 4)  # the quarter the synthetic release was published in
RATE = "referrals_rate_per_10k"


def _clear():
    store.reset()  # every data-layer cache
    indicators._long_cached.cache_clear()


def _bytes(value) -> bytes:
    if isinstance(value, dict):
        return b"".join(k.encode() + _bytes(v) for k, v in sorted(value.items()))
    if isinstance(value, (pd.DataFrame, pd.Series)):
        buf = io.StringIO()
        value.to_csv(buf, float_format="%.17g")
        return buf.getvalue().encode()
    return repr(value).encode()


def _readers(q: Quarter) -> dict:
    """What the chapters read about Buckinghamshire as at ``q``."""
    bucks = register.council("825")
    return {
        "multiples": multiples_frames("825", list(bucks.neighbours), q, [RATE, "referrals"]),
        "breaks": detect_for("825", q),
        "flagged": flagged_years("825", q),
        "funnel": funnel(RATE, 2025, as_of=q).points,
        "quoted": quoted_vs_official("825", q),
        "timeline rates": indicators.mask_unpublished(indicators_for("825", [RATE, "cla_rate_per_10k"], as_of=q), q),
    }


def test_a_later_release_leaves_what_a_past_quarter_read_unchanged(fake_root):
    before = {k: _bytes(v) for k, v in _readers(BEFORE).items()}
    rf.add_synthetic_release(fake_root, revise=True)
    _clear()
    after = {k: _bytes(v) for k, v in _readers(BEFORE).items()}
    assert [k for k in before if before[k] != after[k]] == []
    # the revision is there for a reader at the later quarter: the checks above could fail
    later = _readers(LATER)
    frame = later["multiples"]["referrals"].set_index("year")
    assert frame.at[2025, "referrals"] == 5518 + rf.REVISED[2]
    assert _readers(BEFORE)["multiples"]["referrals"].set_index("year").at[2025, "referrals"] == 5518
    assert later["funnel"].set_index("old_la_code").at["825", "value"] != \
        _readers(BEFORE)["funnel"].set_index("old_la_code").at["825", "value"]


def test_quoted_figures_of_documents_published_later_are_not_shown():
    from cscbook.data.timeline import quoted_figures

    everything = quoted_figures()
    early = quoted_figures(Quarter(2014, 1))
    assert len(early) < len(everything)
    assert quoted_vs_official("825", Quarter(2014, 1)).empty or set(
        quoted_vs_official("825", Quarter(2014, 1))["figure_id"]) <= set(early["figure_id"])


@pytest.fixture
def repo(tmp_path, monkeypatch):
    from cscbook.build import batch as build_module

    root = copy_of_the_repository(tmp_path / "repo")
    monkeypatch.setenv("CSCBOOK_ROOT", str(root))
    chapters = [e for e in build_module.chapters() if e["notebook"] == "notebooks/timeline.ipynb"]
    monkeypatch.setattr(build_module, "chapters", lambda: chapters)
    _clear()
    yield root
    _clear()


def test_the_timeline_chapter_of_a_past_edition_is_unchanged_by_a_later_release(repo):
    """Built before and after a later release that revises a figure it shows: the same content hash (every table,
    text and figure of the chapter)."""
    import json

    from cscbook.build import batch as build_module
    from cscbook.build.context import BuildContext

    def content(out: str) -> str:
        ctx = BuildContext.create(repo / out, paper=False)
        dest = build_module.build(ctx, ctx.edition("825", str(BEFORE)), log=lambda m: None)
        return json.loads((dest / "edition.json").read_text())["content_hash"]

    before = content("out1")
    rf.add_synthetic_release(repo, revise=True)
    _clear()
    assert content("out2") == before
