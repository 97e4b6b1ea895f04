# Two commands: `make run` (the whole system) and `make test` (the suite).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint bench stop clean

$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m rpm.launch

test: $(STAMP)
	RPM_ENV=development $(PY) -m rpm.embedded exec -- $(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .

bench: $(STAMP)
	$(PY) -m rpm.embedded exec -- $(PY) bench/ingest.py

stop: $(STAMP)
	$(PY) -m rpm.embedded stop

clean: stop
	rm -rf var $(VENV)
