# Two commands do everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
# extras installed by `make test`; .ci/run adds torch for the differential tests
EXTRAS ?= test

.PHONY: demo test lint bench clean

$(VENV)/.ok-%: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[$*]'
	touch $@

demo: $(VENV)/.ok-demo
	$(PY) -m turunan demo

test: $(VENV)/.ok-$(EXTRAS)
	$(PY) -m ruff check src tests benchmarks
	$(PY) -m pytest

bench: $(VENV)/.ok-bench
	$(PY) -m turunan bench --train

clean:
	rm -rf $(VENV) out bench-results
