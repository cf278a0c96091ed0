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

.PHONY: install demo test lint stack-down bench
install: $(BIN)/skillsub

demo: install
	$(BIN)/skillsub db upgrade
	$(BIN)/skillsub stack up
	$(BIN)/skillsub demo

test: install
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
