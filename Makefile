# Quick start: `make serve` and `make test` both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
export FACTDESK_DATA_DIR ?= ./factdesk-data

.PHONY: serve test lint bench install clean

$(BIN)/factdesk: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/factdesk

serve: install
	$(BIN)/factdesk serve --host $(HOST) --port $(PORT)

test: install
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: install
	$(BIN)/python benchmarks/covidfact.py --data ../shared/data/dev/covidfact

clean:
	rm -rf $(VENV) build *.egg-info
