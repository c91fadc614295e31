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

test: setup
	@$(BIN)/ruff check .
	@$(BIN)/python -m pytest -q $(PYTEST_ARGS)

lint: setup
	@$(BIN)/ruff check .

bench: setup
	@$(BIN)/python -m bench

clean:
	rm -rf $(VENV) build *.egg-info
