import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def fake_root(tmp_path, monkeypatch):
    """A copy of data/ in a temporary repository root, so a test can damage files safely."""
    shutil.copytree(ROOT / "data", tmp_path / "data")
    monkeypatch.setenv("CSCBOOK_ROOT", str(tmp_path))
    from cscbook import data, indicators, register

    data._load_table_cached.cache_clear()
    register._build.cache_clear()
    indicators._long_cached.cache_clear()
    yield tmp_path
    data._load_table_cached.cache_clear()
    register._build.cache_clear()
    indicators._long_cached.cache_clear()
