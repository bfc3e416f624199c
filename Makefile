# The two commands of the quick start: `make report` and `make test`. Each installs what it needs.
VENV    ?= .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: help install report test lint chromium clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)  ## create .venv and install readiness with its dev tools

chromium:  ## best effort: install Debian's Chromium for static figures (kaleido); the report works without it
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) ; } || \
	  echo "note: no Chromium; figures will be linked as HTML instead of embedded as PNG"

report: install chromium  ## the monthly report (demo fleet when no cluster data is configured)
	$(VENV)/bin/readiness report

test: install chromium lint  ## the linters, then the whole test suite
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

lint: install  ## ruff (docstrings of the public API included) and mypy --strict on readiness/
	$(VENV)/bin/ruff check readiness tests benchmarks
	$(VENV)/bin/mypy

clean:  ## remove the virtualenv and generated demo data
	rm -rf $(VENV) data/demo
