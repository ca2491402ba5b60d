"""Benchmark the CIN census reader on seven SYNTHETIC annual returns of a large council.

Generates seven returns (about 250,000 child episodes in all, counting an episode once per return that holds
it) into a temporary directory, then reads them in a fresh process: parse, validate against DfE's schema,
de-duplicate and aggregate to months. Prints the time and the process's peak memory (maximum resident set
size, including Python and pandas themselves) against the targets: 30 s and 500 MB.

    PYTHONPATH=src:tests .venv/bin/python scripts/bench_cin.py [--per-year 26000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 30
TARGET_MB = 500
VALIDATE_SECONDS = 10
YEARS = tuple(range(2018, 2025))

CHILD = """
import json, sys, time
from pathlib import Path
t0 = time.perf_counter()
from cscbook.data import cincensus
t1 = time.perf_counter()
files = [Path(p) for p in sys.argv[1:]]
result = cincensus.read_returns(files, "999")
t2 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "read_s": t2 - t1, "months": len(result.monthly),
                  "held": sum(f["episodes"] for f in result.report["files"]),
                  "episodes": result.report["episodes"], "duplicates": result.report["duplicates_removed"]}))
"""

VALIDATE = """
import json, sys, tempfile, time
from pathlib import Path
t0 = time.perf_counter()
from cscbook.data.validate import validate_command
t1 = time.perf_counter()
with tempfile.TemporaryDirectory() as out:
    text, ok = validate_command(sys.argv[1:], None, out)
t2 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "read_s": t2 - t1, "ok": ok}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-year", type=int, default=26_800, help="SYNTHETIC referrals per collection year")
    parser.add_argument("--validate", action="store_true", help="time 'cscbook validate' instead of the reader")
    args = parser.parse_args()
    sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]
    import synthetic_cin

    with tempfile.TemporaryDirectory(prefix="bench-cin-") as tmp:
        t0 = time.perf_counter()
        s = synthetic_cin.generate(Path(tmp), la="999", years=YEARS, totals=dict.fromkeys(YEARS, args.per_year),
                                   seed=2024)
        gen = time.perf_counter() - t0
        size = sum(f.stat().st_size for f in s.files) / 1e6
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
        start = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", VALIDATE if args.validate else CHILD, *map(str, s.files)],
                             capture_output=True, text=True, env=env, check=True)
        wall = time.perf_counter() - start
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        info = json.loads(out.stdout)
    if args.validate:
        print(f"SYNTHETIC returns: {len(s.files)} files, {size:.0f} MB, generated in {gen:.1f} s")
        print(f"cscbook validate (every rule, CSV report and summary): {info['read_s']:.1f} s (target "
              f"{VALIDATE_SECONDS} s; ratio {info['read_s'] / VALIDATE_SECONDS:.2f}); process wall time with imports "
              f"{wall:.1f} s")
    else:
        print(f"SYNTHETIC returns: {len(s.files)} files, {size:.0f} MB, {info['held']} episodes held in all "
              f"({info['episodes']} distinct, {info['duplicates']} in two returns), generated in {gen:.1f} s")
        print(f"parse + validate + aggregate: {info['read_s']:.1f} s (target {TARGET_SECONDS} s; ratio "
              f"{info['read_s'] / TARGET_SECONDS:.2f}); process wall time with imports {wall:.1f} s")
    print(f"peak memory (max RSS of the reading process): {peak_mb:.0f} MB (target {TARGET_MB} MB; ratio "
          f"{peak_mb / TARGET_MB:.2f})")


if __name__ == "__main__":
    main()
