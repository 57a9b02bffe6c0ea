# Every target makes .venv when missing and reinstalls when pyproject.toml changed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test
# pytest-xdist workers for `make test`: most tests wait on sockets, subprocesses and timers rather
# than the CPU, so two workers halve the wall time on two cores. `make quick WORKERS=0` runs serially.
WORKERS ?= 2
# The parser compiled with mypyc (bot/build_parser.py) into build/mypyc/, remade when a parser source
# changes. The bot uses it only while it matches the sources (bot/parsing/native.py); when the build
# fails (no C compiler or Python headers) one line says so and the bot runs the pure Python parser.
# The same step precompiles what the parser and the file readers compile as they load (regular
# expressions, dataclasses' methods: bot/precompiled.py, build/precompiled.marshal), so it runs
# again when bot/formats or the command line changes too.
PARSER_SOURCES := $(shell find bot/parsing bot/formats -name '*.py') bot/build_parser.py bot/precompiled.py \
	bot/cli.py bot/limits.py bot/errors.py
PARSER_STAMP := build/parser.made
BUILD_PARSER = $(BIN)/python -m bot.build_parser || echo "make: the parser could not be compiled (above): the bot runs it in pure Python"

.PHONY: run install test quick slow bench lint clean

run: $(RUN_STAMP) $(PARSER_STAMP)
	$(BIN)/python -m bot run

install: $(RUN_STAMP) $(PARSER_STAMP)

# `make test` is the whole suite (CONTRACT §1): every test in two workers, then the tests marked
# slow in one process (they time worst cases and fault recovery, so they run alone). `make quick`
# is the first part only, `make slow` the second.
test: $(TEST_STAMP) $(PARSER_STAMP)
	$(BIN)/python -m pytest -q -n $(WORKERS) --dist loadfile
	$(BIN)/python -m pytest -q -m slow

quick: $(TEST_STAMP) $(PARSER_STAMP)
	$(BIN)/python -m pytest -q -n $(WORKERS) --dist loadfile

slow: $(TEST_STAMP) $(PARSER_STAMP)
	$(BIN)/python -m pytest -q -m slow

bench: $(TEST_STAMP) $(PARSER_STAMP)
	@for b in bench/[!_]*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

lint: $(TEST_STAMP)
	$(BIN)/ruff check bot cogs tests bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[build]'
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@ $(RUN_STAMP)

$(PARSER_STAMP): $(PARSER_SOURCES) pyproject.toml | $(RUN_STAMP)
	@$(BUILD_PARSER)
	@mkdir -p $(@D) && touch $@

clean:
	rm -rf $(VENV) build *.egg-info
