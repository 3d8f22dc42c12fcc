# Quick start: `make serve` and `make test` both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
export FACTDESK_DATA_DIR ?= ./factdesk-data

.PHONY: serve test test-fast lint bench install clean screenshot config-docs

$(BIN)/factdesk: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/factdesk

serve: install
	$(BIN)/factdesk serve --host $(HOST) --port $(PORT)

# every tier: tests/unit, tests/integration (the real models, store, vectors), tests/system (server processes)
test: install
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

# the unit tier alone (fakes in place of the models, no process started): seconds
test-fast: install
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q tests/unit

# the README's picture of the desk page, taken by the browser test that checks a claim
screenshot: install
	FACTDESK_SCREENSHOT=docs/desk.png $(BIN)/python -m pytest -q tests/system/test_browser.py -k claim_link

# docs/configuration.md from the settings (index/settings.py); tests/unit/test_settings.py fails when it is stale
config-docs: install
	$(BIN)/factdesk config-docs --out docs/configuration.md

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# SIZES=10000,100000,1000000 adds the million-statement archive (about 40 minutes more on 2 cores)
SIZES ?= 10000,100000
bench: install
	$(BIN)/python benchmarks/bench.py --covidfact ../shared/data/dev/covidfact --averitec ../shared/data/dev/averitec \
		--sizes $(SIZES) --plot docs/reliability.png

clean:
	rm -rf $(VENV) build *.egg-info
