#!/usr/bin/env bash
# Runs the whole test suite inside the project's virtual environment (created by `make test`).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
exec python -m pytest -q "$@"
