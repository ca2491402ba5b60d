"""A new release added with `cscbook data add` (a SYNTHETIC "2026 release" of table C1, generated in code under a
temporary repository root): an edition for a later quarter shows the new year; an edition for an earlier quarter
keeps what was known then, its tables unchanged byte for byte (the release also revises a 2025 figure)."""

import re
import shutil
from pathlib import Path

import pytest
import release_fixture
from conftest import copy_of_the_repository

from cscbook.build import batch as build_module
from cscbook.build import registry
from cscbook.build.context import BuildContext
from cscbook.cli import main

ROOT = Path(__file__).resolve().parents[1]
#: two chapters as chapters.yml declares them (what they read is all the build computes for them)
CHAPTERS = [e for e in registry.chapters() if e["notebook"] in ("notebooks/summary.ipynb", "notebooks/scorecard.ipynb")]


def _clear_caches():
    from cscbook.data import store
    from cscbook.models import indicators

    store.reset()
    indicators._long_cached.cache_clear()


@pytest.fixture
def repo(tmp_path, monkeypatch):
    root = copy_of_the_repository(tmp_path / "repo")
    monkeypatch.setenv("CSCBOOK_ROOT", str(root))
    monkeypatch.setattr(build_module, "chapters", lambda: CHAPTERS)
    _clear_caches()
    yield root
    _clear_caches()


def _tables(dest: Path) -> list[str]:
    out = []
    for page in sorted((dest / "_build" / "html" / "notebooks").glob("*.html")):
        out += [f"{page.name}: {t}" for t in re.findall(r"<table.*?</table>", page.read_text(encoding="utf-8"), re.S)]
    return out


def _build(root: Path, quarter: str) -> Path:
    ctx = BuildContext.create(root / "out", paper=False)
    return build_module.build(ctx, ctx.edition("825", quarter), log=lambda m: None)


def test_a_new_release_extends_later_editions_and_leaves_earlier_ones(repo, capsys):
    before = _tables(_build(repo, "2025Q4"))
    assert main(["build", "--la", "825", "--quarter", "2026Q4", "--output", str(repo / "x")]) == 2  # not yet
    assert "after the latest data" in capsys.readouterr().err
    release = release_fixture.make_synthetic_release(repo, revise=True, folder=repo.parent / "downloads")
    assert main(["data", "add", str(release), "--table", "referrals", "--published",
                 release_fixture.PUBLISHED.isoformat()]) == 0
    _clear_caches()
    later = _build(repo, "2026Q4")
    summary = (later / "_build" / "html" / "notebooks" / "summary.html").read_text(encoding="utf-8")
    assert "In the year to March 2026" in summary
    shutil.rmtree(repo / "out" / "editions" / ".cache")  # nothing reused: the earlier edition is computed afresh
    again = _tables(_build(repo, "2025Q4"))
    assert before and again == before
