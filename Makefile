# Two commands on a fresh machine: `make demo` (main job on the embedded default) and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
export SKILLSUB_DATA_DIR ?= $(CURDIR)/var

$(BIN)/skillsub: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

.PHONY: install system-deps demo test lint stack-down bench
install: $(BIN)/skillsub

demo: install
	$(BIN)/skillsub db upgrade
	$(BIN)/skillsub stack up
	$(BIN)/skillsub demo

# Chromium, its driver and a CJK font (apt-get, only what is missing) for the browser tests and charts.
system-deps:
	sh infra/system-deps.sh

test: install system-deps
	$(BIN)/pytest -q

lint: install
	$(BIN)/ruff check .

stack-down:
	$(BIN)/skillsub stack down

# A province-day (CLASSES=200 is a tenth) through the pipeline and the DuckDB floor; stack latency when one is up.
CLASSES ?= 2000
bench: install
	$(BIN)/pip install -q -e '.[bench]'
	$(BIN)/python -m bench.province --classes $(CLASSES)
