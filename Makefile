# Two commands do all the set-up on a fresh Debian machine:
#   make run   — the product with simulated devices
#   make test  — every test, against real servers the tests start
# Both install what is missing (Debian packages when root, a virtualenv, the Python packages)
# and are safe to run again.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.ztc-installed

.PHONY: setup system web run test lint bench clean

# lint-imports prints a logo and every contract: on success keep its summary line, on a breach all but the logo.
LINT_IMPORTS = out=$$($(BIN)/lint-imports --no-cache 2>&1) && printf '%s\n' "$$out" | tail -n 1 \
  || { printf '%s\n' "$$out" | grep -v -e '╔' -e '╚' -e '║'; exit 1; }

setup: system $(STAMP) web

# Leaflet for the headquarters map, from the npm registry (pinned in package.json, never committed).
web:
	@test -f node_modules/leaflet/dist/leaflet.js || npm install --no-package-lock --no-audit --no-fund --silent

system:
	@scripts/setup-system.sh

$(STAMP): setup.py
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --upgrade pip
	@$(BIN)/python -m pip install -q -e '.[dev,kiosk]'
	@touch $(STAMP)

# No screen (a server, CI): the kiosks run on virtual screens; the HQ address is printed either way.
DEMO_ARGS ?= $(if $(DISPLAY),,--headless)

run: setup
	@$(BIN)/ztc demo $(DEMO_ARGS)

# The suite at any instant (UTC, anything date(1) reads), the whole process tree believing it through
# Debian's faketime:  make test FAKETIME_AT="2026-12-01 16:30:00"
FAKETIME_AT ?=
# Beijing's midnight on every run: the time-sensitive suites again, each started 10 s before it (so it
# passes during the run) and 10 s after it (Beijing already on the next day, UTC still on this one).
# Skipped when FAKETIME_AT is given; MIDNIGHT_AT= skips it too.
MIDNIGHT_AT ?= $(if $(FAKETIME_AT),,15:59:50 16:00:10)
TIME_SUITES ?= tests/core tests/hq tests/scenario

test: setup
	@$(BIN)/ruff check .
	@$(LINT_IMPORTS)
	@$(BIN)/mypy
	@$(if $(FAKETIME_AT),scripts/at-instant "$(FAKETIME_AT)") $(BIN)/python -m pytest -q $(PYTEST_ARGS)
	@for at in $(MIDNIGHT_AT); do for suite in $(TIME_SUITES); do \
	  scripts/at-instant "$$at" $(BIN)/python -m pytest -q -p no:cacheprovider $$suite || exit 1; done; done

# ruff, then the layers (import-linter, pyproject.toml) and the contract's types (mypy): ARCHITECTURE.md, "Layers".
lint: setup
	@$(BIN)/ruff check .
	@$(LINT_IMPORTS)
	@$(BIN)/mypy

bench: setup
	@$(BIN)/python -m bench

clean:
	rm -rf $(VENV) build *.egg-info
