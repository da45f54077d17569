# A fresh clone needs only Python >= 3.10 and pip: every target below installs what it needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install test test-live lint demo bench bench-setup bench-audit bench-signin mutation az-compat clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[emulator,test]'
	touch $(STAMP)

install: $(STAMP)  ## venv with kustomi (editable), the emulator and the test tools

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint  ## ruff, mypy, then the whole test suite against the local emulator
	$(BIN)/pytest -q -n 4 --ignore=tests/live  # in parallel: many tests wait on the emulator, not on a core

# Against real Azure: opt-in, never in CI (README, Live tests). KUSTOMI_LIVE=1 and the
# variables of tests/live/conftest.py must be set; it stops before any request if one is not.
test-live: $(STAMP)  ## the checklist and the Azure facts the emulator copies, against real Azure
	@if [ "$$KUSTOMI_LIVE" != 1 ]; then \
	  echo "make test-live runs against real Azure: set KUSTOMI_LIVE=1 and the variables in README.md, Live tests (opt-in)" >&2; \
	  exit 2; \
	fi
	$(BIN)/pytest -v tests/live

demo: $(STAMP)  ## start the emulator with a demo world and walk through kustomi
	$(BIN)/python -m kustomi.demo

bench: $(STAMP)  ## request counts and timings per command (prints a table)
	$(BIN)/python bench/requests_per_command.py
	$(BIN)/python bench/startup.py

bench-setup: $(STAMP)  ## setup against the four step commands; a 50-app fleet in parallel against one by one
	$(BIN)/python bench/setup.py

bench-audit: $(STAMP)  ## audit of 500 function apps at 100 ms per request, with and without ARM throttling
	$(BIN)/python bench/audit.py

bench-signin: $(STAMP)  ## wall time per command, service principal against `az login`
	$(BIN)/python bench/signin.py

# Not part of `make test`: each named mutation runs (a part of) the suite on a mutated copy.
mutation: $(STAMP)  ## named mutations of the rules and write paths; fails below 90% killed
	$(BIN)/python tools/mutation.py

# azure-cli is a large install, in its own venv: az-compat is opt-in, not part of `make test`.
AZ_VENV  := .venv-az
AZ_STAMP := $(AZ_VENV)/.installed-stamp

$(AZ_STAMP):
	$(PYTHON) -m venv $(AZ_VENV)
	$(AZ_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(AZ_VENV)/bin/python -m pip install --quiet azure-cli==2.91.0
	touch $(AZ_STAMP)

az-compat: $(STAMP) $(AZ_STAMP)  ## the Azure CLI against the emulator: the checklist with az, interop with kustomi (prints a table)
	$(BIN)/python bench/az_compat.py --az $(AZ_VENV)/bin/az

clean:
	rm -rf $(VENV) $(AZ_VENV) .mypy_cache .ruff_cache .pytest_cache
