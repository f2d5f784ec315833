# Capdesk's two commands: `make run` and `make test`. Everything else here serves them.
# Installs are stamped with the lock file's hash, so the second run skips pip entirely.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9

.PHONY: run test install install-dev lint typecheck check pytest lock demo clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit("Capdesk needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.base-%.stamp: requirements/base.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q --disable-pip-version-check --require-hashes -r requirements/base.lock
	$(BIN)/pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e . 2>/dev/null \
	  || $(BIN)/pip install -q --disable-pip-version-check --no-deps -e .
	rm -f $(VENV)/.base-*.stamp && touch $@

$(VENV)/.dev-%.stamp: requirements/dev.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q --disable-pip-version-check --require-hashes -r requirements/dev.lock
	$(BIN)/pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e . 2>/dev/null \
	  || $(BIN)/pip install -q --disable-pip-version-check --no-deps -e .
	rm -f $(VENV)/.dev-*.stamp && touch $@

BASE_STAMP := $(VENV)/.base-$(shell cat requirements/base.lock pyproject.toml | cksum | cut -d' ' -f1).stamp
DEV_STAMP := $(VENV)/.dev-$(shell cat requirements/dev.lock pyproject.toml | cksum | cut -d' ' -f1).stamp

install: $(BASE_STAMP)
install-dev: $(DEV_STAMP)

## make run: install, migrate, load demo data, start the embedded desk on http://127.0.0.1:8000
## (another port: make run PORT=8300; more options for `capdesk run`: make run RUN_ARGS="--workers 2")
PORT ?= 8000
run: install
	$(BIN)/capdesk migrate --noinput -v 0
	CAPDESK_BASE_URL="$${CAPDESK_BASE_URL:-http://127.0.0.1:$(PORT)}" $(BIN)/capdesk demo
	exec $(BIN)/capdesk run --port $(PORT) $(RUN_ARGS)

## make test: install the development dependencies and run the whole suite
# One target per step, so `make -k test` (as .ci/run does) still runs pytest when lint fails.
test: lint typecheck check pytest

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install-dev
	$(BIN)/mypy capdesk

check: install-dev
	$(BIN)/capdesk check --fail-level WARNING
	$(BIN)/capdesk makemigrations --check --dry-run -v 0

pytest: install-dev
	$(BIN)/pytest $(PYTEST_ARGS)

## make lock: re-resolve the lock files after editing pyproject.toml
lock:
	$(BIN)/pip install -q uv==$(UV_VERSION)
	$(BIN)/uv pip compile pyproject.toml --python-version 3.11 --universal --generate-hashes -q -o requirements/base.lock
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --universal --generate-hashes -q -o requirements/dev.lock

demo: install
	$(BIN)/capdesk migrate --noinput -v 0
	$(BIN)/capdesk demo

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
