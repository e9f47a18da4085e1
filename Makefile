# Interlinear: `make demo` runs the pipeline on the example vault, `make test` runs the tests.
# Both create .venv when it is missing and work offline.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
OUT    ?= output

PIP_VERSION := 26.3
LOCK   := requirements.lock

.PHONY: install demo test test-fast lint bench browser clean lock

# Every package at the exact version of $(LOCK) (refresh it with `make lock`).
$(STAMP): pyproject.toml $(LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet pip==$(PIP_VERSION)
	# The CPU build of torch first (argostranslate -> stanza -> torch); any other pulls CUDA.
	$(BIN)/pip install --quiet -c $(LOCK) torch==2.13.0
	$(BIN)/pip install --quiet -c $(LOCK) -e '.[dev]'
	touch $(STAMP)

# Prefect's database migrated once, for every new PREFECT_HOME (flows/prefect_db.py):
# made on the first `make install` of a Prefect version, then found (about 1.5 s).
install: $(STAMP)
	$(BIN)/python -m flows.prefect_db > /dev/null

demo: install
	$(BIN)/interlinear run examples/vault --transcripts examples/transcripts \
		--to ru,pt --out $(OUT) --allow-missing-models

test: install
	$(BIN)/pytest

# The quick tier: no server, browser, corpus or long end-to-end run (see pyproject's markers),
# and each property test on a fifth of its examples (tests/conftest.py).
test-fast: install
	$(BIN)/pytest -m "not slow and not corpus and not e2e" --hypothesis-profile=fast

# Resolve pyproject.toml's ranges afresh in a throw-away venv and freeze them into $(LOCK).
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet pip==$(PIP_VERSION)
	.lock-venv/bin/pip install --quiet torch==2.13.0
	.lock-venv/bin/pip install --quiet -e '.[dev]'
	head -3 $(LOCK) > $(LOCK).new
	.lock-venv/bin/pip freeze --exclude-editable | sed 's/^torch==\(.*\)+cpu$$/torch==\1/' >> $(LOCK).new
	mv $(LOCK).new $(LOCK) && rm -rf .lock-venv

lint: install
	$(BIN)/ruff check pipeline flows tests bench
	$(BIN)/mypy

bench: install
	for b in bench/bench_*.py; do $(BIN)/python $$b || exit 1; done

# Debian's Chromium, for the browser tests (they skip without it).
browser:
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)

clean:
	rm -rf $(OUT)/* .pytest_cache .mypy_cache .ruff_cache
