# Every target makes .venv when missing and reinstalls when pyproject.toml changed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test
# pytest-xdist workers for `make test`: most tests wait on sockets, subprocesses and timers rather
# than the CPU, so two workers halve the wall time on two cores. `make test WORKERS=0` runs serially.
WORKERS ?= 2

.PHONY: run test slow bench lint clean

run: $(RUN_STAMP)
	$(BIN)/python -m bot run

test: $(TEST_STAMP)
	$(BIN)/python -m pytest -q -n $(WORKERS) --dist loadfile

slow: $(TEST_STAMP)
	$(BIN)/python -m pytest -q -m slow

bench: $(TEST_STAMP)
	@for b in bench/[!_]*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

lint: $(TEST_STAMP)
	$(BIN)/ruff check bot cogs tests bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@ $(RUN_STAMP)

clean:
	rm -rf $(VENV) build *.egg-info
