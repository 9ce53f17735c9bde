# Two commands do all set-up on a fresh machine:
#   make reports   — creates .venv if missing, installs lyganalysis, writes every county report into reports/
#   make test      — same set-up, then runs the test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# parallel reports: empty = the batch's default (the processors this process may use, at most one per report)
WORKERS ?=
WORKERS_FLAG = $(if $(WORKERS),--workers $(WORKERS))

.PHONY: reports reports-raw caschools test test-fast bench clean-reports setup lab lint docs

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,lab,dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name lyganalysis --display-name "Python (lyganalysis)" > /dev/null
	@touch $(STAMP)

reports: $(STAMP)
	$(BIN)/lyganalysis report $(WORKERS_FLAG)

# the same batch from messy bureau-style exports of the demo (Excel with merged headers and 合计 rows,
# GBK CSVs, ID numbers …), read back through the intake layer
reports-raw: $(STAMP)
	$(BIN)/lyganalysis demo-data --out data/processed/lianyungang_demo --raw data/raw_demo
	$(BIN)/lyganalysis validate data/raw_demo
	$(BIN)/lyganalysis report --raw data/raw_demo --output reports/raw_demo $(WORKERS_FLAG)

caschools: $(STAMP)
	$(BIN)/lyganalysis report --dataset caschools $(WORKERS_FLAG)

test: $(STAMP)
	$(BIN)/python -m pytest

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not e2e"

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

clean-reports:
	find reports -mindepth 1 ! -name README.md -exec rm -rf {} +

# JupyterLab on notebooks/, with the project's kernel "Python (lyganalysis)" registered in .venv
lab: $(STAMP)
	$(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) notebooks/

lint: $(STAMP)
	$(BIN)/ruff check lyganalysis tests benchmarks notebooks

# offline API pages from the numpydoc docstrings, for teaching-research staff who reuse the functions
docs: $(STAMP)
	$(BIN)/python -m lyganalysis.references --out references
	$(BIN)/pdoc lyganalysis --docformat numpy -o docs/api
	@echo "API pages: docs/api/index.html"
