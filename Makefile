# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-pg test-fast fuzz bench lint dist dist-check wheel-check clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/eventrisk

# The desks the tests make are thrown away: where the machine has a RAM disk (/dev/shm), they
# are made there, and SQLite's sync to the disk at every commit costs nothing (make test-fast
# took 20-24 s there against 29-30 s on the disk).  Only a failed test's folder is kept.  A
# RAM disk with less than 1 GB free (a container's 64 MB, say) is left alone.
TEST_TMP := $(shell test -d /dev/shm -a -w /dev/shm && \
	test "$$(df -Pk /dev/shm | awk 'NR == 2 {print $$4}')" -gt 1048576 && echo /dev/shm)
IN_TEST_TMP := $(if $(TEST_TMP),TMPDIR=$(TEST_TMP))

# One test process per core (pytest-xdist): each has its own databases, folders and Qt.
# Work stealing: a process that runs dry takes tests queued for the other, so the few long
# tests (several processes on one desk) do not leave one core idle at the end.
test: $(STAMP)
	$(IN_TEST_TMP) QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -n auto --dist worksteal \
		$(PYTEST_ARGS)

# The PostgreSQL half alone, required: fails rather than skips when there is no server at
# EVENTRISK_TEST_PG (default postgresql://postgres@127.0.0.1:5432/test).
test-pg: $(STAMP)
	$(IN_TEST_TMP) EVENTRISK_REQUIRE_PG=1 $(BIN)/python -m pytest -n auto --dist worksteal -m pg \
		$(PYTEST_ARGS)

# The core alone on desk files, no Qt and no server (about 20-25 s on two cores): a quick check
# while working on eventrisk/.  make test-pg runs the server half.
test-fast: $(STAMP)
	$(IN_TEST_TMP) $(BIN)/python -m pytest -q -n auto --dist worksteal -m "not pg" tests/core

# 20,000 generated hostile files through the import, and 20,000 audit details written as json
# writes them (ten minutes or so; not part of make test).
fuzz: $(STAMP)
	EVENTRISK_FUZZ_EXAMPLES=20000 $(BIN)/python -m pytest -q tests/core/test_fuzz_files.py \
		tests/core/test_canonical.py

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

lint: $(STAMP)
	$(BIN)/python -m pip install --quiet ruff mypy
	$(BIN)/ruff check .
	$(BIN)/mypy

# The wheel, installed into a fresh virtualenv (not editable) and used from outside the
# checkout: --version, demo, queue and report (.ci/run runs it).
wheel-check: $(STAMP)
	$(BIN)/python scripts/wheel_check.py

dist: $(STAMP)
	$(BIN)/python -m pip install --quiet 'pyinstaller>=6'
	$(BIN)/python build_spec.py

dist-check: $(STAMP)
	$(BIN)/python -m pip install --quiet 'pyinstaller>=6'
	QT_QPA_PLATFORM=offscreen $(BIN)/python build_spec.py --check

clean:
	rm -rf $(VENV) build dist *.egg-info
