"""A rebuild of an unchanged edition does nothing and loads nothing it does not need: the command line asks
:mod:`cscbook.build.planning` first, and the models, the kernels and the book workers are never imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = """
import sys
from cscbook.cli import main
status = main(["build", "--la", "825", "--no-paper", "--output", sys.argv[1], "--quiet"])
heavy = sorted(m for m in ("cscbook.build.batch", "cscbook.models.forecast", "cscbook.models.headlines",
                           "scipy.stats", "statsmodels", "matplotlib.pyplot") if m in sys.modules)
print("STATUS", status, "HEAVY", ",".join(heavy))
"""


def _run(out: Path) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(out)], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout.strip().splitlines()[-1]


def test_an_unchanged_edition_is_not_rebuilt_and_loads_no_model(tmp_path):
    out = tmp_path / "out"
    first = _run(out)
    assert first.startswith("STATUS 0 HEAVY ") and "cscbook.build.batch" in first  # built: the batch ran
    meta = out / "editions" / "825-buckinghamshire-2026Q1" / "edition.json"
    before = json.loads(meta.read_text())
    assert _run(out) == "STATUS 0 HEAVY"  # nothing built, nothing heavy imported
    assert json.loads(meta.read_text()) == before
