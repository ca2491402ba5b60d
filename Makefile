# Two entry points (see README): `make book` builds the default edition, `make test` runs every test.
# Both create the local virtual environment .venv on first use and are safe to re-run.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: book test setup clean

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	@# a browser for the committee paper: the one found (Chromium, Chrome, Edge, CSCBOOK_BROWSER), else Playwright's
	@# own Chromium where the network allows the download; without any, the book is built without the paper
	$(BIN)/cscbook browser --install
	touch $(STAMP)

AXE := node_modules/axe-core/axe.min.js

# axe-core for the accessibility check in the browser test (from the npm registry; skipped without npm)
$(AXE):
	if command -v npm >/dev/null 2>&1; then npm install --silent --no-save --no-package-lock --no-audit --no-fund axe-core@4.14.1; fi

setup: $(STAMP)

book: $(STAMP)
	$(BIN)/cscbook build

test: $(STAMP) $(AXE)
	bash scripts/test.sh

clean:
	rm -rf _build
