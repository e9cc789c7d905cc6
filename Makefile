# The README's commands. `make test` builds .venv from nothing and runs the whole suite;
# `make run` serves the API on the embedded SQLite store with the bundled policies.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: venv test test-fast typecheck run bench clean chromium

venv: $(STAMP)

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip setuptools wheel
	$(PY) -m pip install --quiet -e '.[durable,test]'
	touch $(STAMP)

test: venv chromium typecheck
	$(PY) -m pytest $(PYTEST_ARGS)

# while working on the engine or the command line: their tests without those marked slow (large parity runs,
# demo data), in about a minute; the service, reliability and browser tests run in make test
test-fast: venv
	$(PY) -m pytest -m "not slow" --ignore=tests/service --ignore=tests/reliability --ignore=tests/browser $(PYTEST_ARGS)

# mypy over engine/ (setup.cfg [mypy])
typecheck: venv
	$(PY) -m mypy

# the browser tests drive Debian's Chromium; installed here when the machine lacks it, with a CJK font so
# that the Chinese pages' screenshots show characters, not boxes
chromium:
	@test -x /usr/bin/chromium -a -d /usr/share/fonts/truetype/wqy || { \
	  echo "make: installing Debian's chromium and fonts-wqy-zenhei for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-zenhei; }

# the demo population (about 10,000 factories, three rounds) is loaded once, into an empty database
run: venv
	$(VENV)/bin/greenfactory demo-data --load
	$(VENV)/bin/greenfactory serve --host $(HOST) --port $(PORT)

bench: venv
	$(PY) benchmarks/evaluate.py

clean:
	rm -rf $(VENV) build *.egg-info
