# The task runner: the README's two commands are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501
SIZE ?= S
REPS ?= 3

.PHONY: run test setup lint format bench demo

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

setup: $(VENV)/.installed

# Set up, load the demo into an empty database, start the app on http://127.0.0.1:$(PORT)
run: setup
	$(PY) -m pipelines demo --if-empty
	$(VENV)/bin/streamlit run app.py --server.address 127.0.0.1 --server.port $(PORT)

# Set up and run the whole test suite (unit, AppTest, Playwright with Debian's Chromium, the lake
# on a local PostgreSQL; the sign-in tests' OpenID Connect provider is installed from its npm lock
# the first time) in two worker processes (pytest-xdist; a test file stays in one worker, so its
# module fixtures are built once).
test: setup
	$(VENV)/bin/ruff check .
	test -d tests/auth/oidc/node_modules || (cd tests/auth/oidc && npm ci --silent --no-audit --no-fund)
	$(PY) -m pytest -q -n 2 --dist loadfile

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: setup
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

demo: setup
	$(PY) -m pipelines demo

bench: setup
	$(PY) -m benchmarks.run --size $(SIZE) --reps $(REPS) --out benchmarks/out
