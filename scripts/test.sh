#!/usr/bin/env bash
# Runs the whole test suite inside the project's virtual environment (created by `make test`): unit tests,
# nbval over the committed chapter notebooks (the latest edition, notebooks/*.ipynb) and over one past-quarter
# edition (tests/past_quarter/*.ipynb, collected with the tests), and the browser test of a built site.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
# one worker per core: numerical libraries must not start threads of their own on top (BLAS threads spinning on
# cores the other worker is using slowed the monthly backtests tenfold)
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
# and each test's build runs its chapters one at a time in one kernel: the workers already use every core, and a
# second kernel per build only cost its start-up (tests that need parallel chapters ask for --jobs themselves)
export CSCBOOK_JOBS=1
# Test files run in parallel, one worker per core (pytest-xdist), each file whole on one worker so that its
# module fixtures (built editions) are made once; the shared results are computed once for all workers.
# Paths among the arguments (a test file, a folder, a notebook) run those alone; without any, everything runs.
targets=(tests notebooks/*.ipynb)
for arg in "$@"; do
    if [[ "$arg" != -* && -e "${arg%%::*}" ]]; then targets=(); break; fi
done
exec python -m pytest -q -p no:cacheprovider -n auto --dist loadfile "${targets[@]}" \
    --nbval-lax --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-cell-timeout=600 "$@"
