"""One full build from a current extract: 48 SYNTHETIC months ending 2026-03, a year beyond the last one DfE had
published at 2026Q1 (this crashed the build with a traceback). Built from a copy of the repository with
``--output`` elsewhere, to show that nothing is written inside the repository (the past-quarter indicator panel
once went to the repository's shared cache). Also: papermill's default cache and a copied folder."""

import html
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cscbook.core.errors import CSCBookError

ROOT = Path(__file__).resolve().parents[1]


def test_a_current_extract_builds_and_writes_nothing_in_the_repository(tmp_path):
    from test_short_history import synthetic_extract

    repo = tmp_path / "repo"
    repo.mkdir()
    for name in ("data", "notebooks", "book"):
        shutil.copytree(ROOT / name, repo / name)
    for name in ("_config.yml", "_toc.yml"):
        shutil.copy2(ROOT / name, repo / name)
    before = sorted(p for p in repo.rglob("*"))
    extract = synthetic_extract(tmp_path, 48, "2026-03")
    env = {**os.environ, "CSCBOOK_ROOT": str(repo), "CSCBOOK_JOBS": "1"}
    env.pop("CSCBOOK_SHARED_CACHE", None)
    proc = subprocess.run([sys.executable, "-m", "cscbook", "build", "--la", "Hertfordshire", "--quarter", "2026Q1",
                           "--monthly", str(extract), "--no-paper", "--output", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=1200, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    assert "  2026: derived " in proc.stderr and "not published by DfE" in proc.stderr
    assert "The months from April 2025 to March 2026 (12 months) are beyond DfE's published totals" in proc.stderr
    assert sorted(p for p in repo.rglob("*")) == before  # nothing written inside the repository
    page = next((tmp_path / "out" / "editions").glob("919-*/_build/html/notebooks/forecast.html"))
    text = html.unescape(page.read_text(encoding="utf-8"))
    assert "(12 months) are beyond DfE's published totals" in text
    assert "April 2026" in text  # the forecast starts the month after the extract's last month


def test_the_default_cache_falls_back_when_the_repository_cannot_be_written(tmp_path, monkeypatch):
    from cscbook.core import cache

    monkeypatch.delenv("CSCBOOK_SHARED_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    repo_cache = cache.paths.repo_root() / "editions" / ".cache"
    monkeypatch.setattr(cache, "_writable", lambda folder: folder != repo_cache)
    assert cache.default_cache_root() == tmp_path / "xdg" / "cscbook"
    monkeypatch.setattr(cache, "_writable", lambda folder: False)
    with pytest.raises(CSCBookError) as err:
        cache.default_cache_root()
    assert "\n" not in str(err.value) and "-p cache FOLDER" in str(err.value)


def test_a_chapter_run_in_a_copied_folder_says_what_to_do(tmp_path, monkeypatch):
    from cscbook.build.chapter import check_not_a_copy

    monkeypatch.delenv("CSCBOOK_ROOT", raising=False)
    copy = tmp_path / "copy"
    (copy / "src" / "cscbook").mkdir(parents=True)
    (copy / "src" / "cscbook" / "__init__.py").write_text("")
    (copy / "notebooks").mkdir()
    with pytest.raises(CSCBookError) as err:
        check_not_a_copy(copy / "notebooks")
    msg = str(err.value)
    assert "\n" not in msg and f"the copy {copy}" in msg and "make setup" in msg
    check_not_a_copy(ROOT)  # the project's own folder runs
