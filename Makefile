# Interlinear: `make demo` runs the pipeline on the example vault, `make test` runs the tests.
# Both create .venv when it is missing and work offline.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
OUT    ?= output

.PHONY: install demo test lint bench browser clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# The CPU build of torch first (argostranslate -> stanza -> torch); any other pulls CUDA.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/interlinear run examples/vault --transcripts examples/transcripts \
		--to ru,pt --out $(OUT) --allow-missing-models

test: install
	$(BIN)/pytest

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
