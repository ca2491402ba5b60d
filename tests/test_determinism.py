"""Published numbers that do not depend on the machine: the monthly models' fits stop at the same optimum whatever
the last bits of the arithmetic (another processor, another BLAS, another thread count), so the figures nbval
compares, at the precision they are published, are the same on every machine."""

import configparser
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cscbook.data.edition import latest_quarter
from cscbook.models import backtest
from cscbook.models.demand import monthly_series

ROOT = Path(__file__).resolve().parents[1]
#: the places the forecast chapter publishes the backtest with
PLACES = {"mase": 3, "bias": 1, "coverage_80": 2, "coverage_95": 2}


def published(errors):
    summary = backtest.summarise(errors).set_index("model")
    return {m: {k: round(float(summary.at[m, k]), p) for k, p in PLACES.items()} for m in summary.index}


@pytest.mark.parametrize("model", ["ets", "sarimax", "stl"])
def test_backtest_figures_do_not_move_with_the_last_bits_of_the_data(model):
    """A change of one part in 10^12 to every month (far more than two machines' rounding differs by) leaves the
    published backtest figures as they are. Before the fits were run to a tight optimum (and ETS's starting states
    taken from the data), such a change moved ETS's bias by 1.5 referrals a month and SARIMAX's in its decimals."""
    y = monthly_series("825", latest_quarter(), None).referrals.astype(float)
    noise = np.random.default_rng(7).standard_normal(len(y))
    base = published(backtest.backtest_errors(y, models=(model,)))
    for eps in (1e-12, -1e-12):
        assert published(backtest.backtest_errors(y * (1 + eps * noise), models=(model,))) == base


def _sanitised_checked_outputs(path: Path) -> list[str]:
    """The outputs nbval compares (cells tagged nbval-check-output), after the project's sanitiser."""
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "tests" / "nbval_sanitize.cfg")
    rules = [(re.compile(cfg[s]["regex"]), cfg[s]["replace"]) for s in cfg.sections()]
    out = []
    for cell in json.loads(path.read_text())["cells"]:
        if "nbval-check-output" not in cell.get("metadata", {}).get("tags", []):
            continue
        for o in cell.get("outputs", []):
            for key in ("text/plain", "text/html"):
                text = o.get("data", {}).get(key)
                if text is not None:
                    out.append("".join(text) if isinstance(text, list) else text)
            if o.get("output_type") == "stream":
                out.append("".join(o["text"]) if isinstance(o["text"], list) else o["text"])
    sanitised = []
    for text in out:
        for pattern, replace in rules:
            text = pattern.sub(replace, text)
        sanitised.append(text)
    return sanitised


def test_the_forecast_chapter_is_the_same_under_any_thread_count_and_cache(tmp_path):
    """The forecast chapter run cold with one BLAS thread, cold with two, and warm (reading the first run's
    shared results) with two gives the same checked outputs: nothing a reviewer does not control changes them."""
    def run(name, threads, cache):
        env = {**os.environ, "OPENBLAS_NUM_THREADS": str(threads), "OMP_NUM_THREADS": str(threads),
               "MKL_NUM_THREADS": str(threads)}
        dest = tmp_path / f"{name}.ipynb"
        subprocess.run([sys.executable, "-m", "papermill", "--no-progress-bar", "-k", "python3",
                        str(ROOT / "notebooks" / "forecast.ipynb"), str(dest), "-p", "cache", str(cache)],
                       check=True, capture_output=True, cwd=ROOT, env=env, timeout=900)
        return _sanitised_checked_outputs(dest)

    one = run("cold-1", 1, tmp_path / "cache-a")
    # the capacity plan's intervals and probabilities come from the backtest's errors (the backtest's own tables
    # are in the analysts' appendix, which reads the same shared results)
    assert one and any("Capacity plan for the next twelve months" in text for text in one)
    assert run("cold-2", 2, tmp_path / "cache-b") == one
    assert run("warm-2", 2, tmp_path / "cache-a") == one
