import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def copy_of_the_repository(dest: Path) -> Path:
    """A copy of the repository's data, chapters, narrative pages and book configuration in ``dest`` (a
    temporary repository root that a test may add releases to): returns it."""
    dest.mkdir(parents=True)
    for name in ("data", "notebooks", "book"):
        shutil.copytree(ROOT / name, dest / name)
    for name in ("_config.yml", "_toc.yml"):
        shutil.copy2(ROOT / name, dest / name)
    return dest


@pytest.fixture
def fake_root(tmp_path, monkeypatch):
    """A copy of data/ in a temporary repository root, so a test can damage files safely."""
    shutil.copytree(ROOT / "data", tmp_path / "data")
    monkeypatch.setenv("CSCBOOK_ROOT", str(tmp_path))
    from cscbook.data import store
    from cscbook.models import indicators

    store.reset()
    indicators._long_cached.cache_clear()
    yield tmp_path
    store.reset()
    indicators._long_cached.cache_clear()


@pytest.fixture(scope="session", autouse=True)
def shared_results_cache(tmp_path_factory):
    """One folder of shared results (panel model, event study, monthly backtests) for every build, chapter and
    notebook of the test run, as ``CSCBOOK_SHARED_CACHE`` gives it to a national run: the results are keyed by
    data version, code version and arguments, so a test that changes the data gets a folder of its own."""
    import os

    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):  # parallel workers (pytest-xdist) share one folder
        base = base.parent
    folder = base / "shared-cache"
    folder.mkdir(exist_ok=True)
    old = os.environ.get("CSCBOOK_SHARED_CACHE")
    os.environ["CSCBOOK_SHARED_CACHE"] = str(folder)
    yield folder
    if old is None:
        os.environ.pop("CSCBOOK_SHARED_CACHE", None)
    else:
        os.environ["CSCBOOK_SHARED_CACHE"] = old


def synthetic_capacity_plan(probabilities, start="2026-04"):
    """A SYNTHETIC capacity plan with the given chances of being over capacity, month by month (160 FTE needed
    against 150.4 available), in the columns :func:`cscbook.models.capacity.plan_for` returns."""
    import pandas as pd

    from cscbook.models.capacity import PLAN_COLUMNS

    idx = pd.period_range(start, periods=len(probabilities), freq="M", name="month")
    plan = pd.DataFrame(0.0, index=idx, columns=[c for c in PLAN_COLUMNS if c != "month"])
    plan["probability_over_capacity"] = probabilities
    plan["fte_needed"], plan["capacity_fte"] = 160.0, 150.4
    plan["at_risk"] = plan["probability_over_capacity"] >= 0.5
    return plan
