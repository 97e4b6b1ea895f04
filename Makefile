# Two commands: `make run` (the whole system) and `make test` (the suite).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run browser test lint fuzz bench bench-interop bench-billing mutate stop clean

$(STAMP): requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Python 3.11 or newer is needed (found: $$($(PYTHON) --version 2>&1)); try PYTHON=python3.12 make ..."; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

# Embedded PostgreSQL and Redis unless DATABASE_URL / REDIS_URL are set; demo data on the first run.
run: $(STAMP)
	RPM_ENV=$${RPM_ENV:-development} exec $(PY) -m config.launch

# The browser tests need Debian's chromium: installed with apt where this machine can, else one line says
# what to install, before anything else runs.
browser:
	@.ci/ensure-chromium

# pytest's own exit code is kept in var/test-exit-code (make itself answers 2 for any failure); .ci/run uses it.
test: browser $(STAMP)
	@mkdir -p var && rm -f var/test-exit-code
	RPM_ENV=development $(PY) -m config.embedded exec -- $(PY) -m pytest $(PYTEST_ARGS) || \
		{ code=$$?; echo $$code > var/test-exit-code; exit $$code; }

# ruff, then the dependency audit (pip-audit), which fails rather than pass when it could not check every package
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(PY) .ci/audit-deps

# Schema-driven fuzzing (schemathesis) of the staff and device APIs against a real server: no 5xx, no answer
# outside the schema. Bounded: FUZZ_EXAMPLES cases an operation (the suite runs a smaller pass).
FUZZ_EXAMPLES ?= 50
fuzz: browser $(STAMP)
	RPM_ENV=development FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m config.embedded exec -- $(PY) -m pytest \
		tests/test_fuzz_api.py -q -p no:randomly

bench: $(STAMP)
	$(PY) -m config.embedded exec -- $(PY) bench/ingest.py

# readings/s in over HL7 v2 (MLLP) and MQTT beside the JSON batch endpoint, in one run
bench-interop: $(STAMP)
	$(PY) -m config.embedded exec -- $(PY) bench/interop.py

# the monthly billing report and the outreach worklist beside a scan that counts data days (BENCH_PATIENTS)
bench-billing: $(STAMP)
	$(PY) -m config.embedded exec -- $(PY) bench/billing.py

# Mutation testing (mutmut) of the clinical core: the rule kinds, NEWS2 and the dose matcher against their pure
# tests, then the alert lifecycle against the engine and lifecycle tests. Slow (an hour or more); results in
# .mutmut-cache, `mutmut results` lists survivors.
MUTATE_PURE := alerts/kinds/,alerts/news2.py,patients/doses.py
MUTATE_PURE_TESTS := tests/alerts/kinds tests/alerts/test_news2.py tests/patients/test_doses.py tests/alerts/test_defaults.py
MUTATE_DB := alerts/services.py
MUTATE_DB_TESTS := tests/alerts/test_lifecycle.py tests/alerts/test_engine.py tests/alerts/test_scheduled_checks.py
# Texts (explanations, docstrings) are left alone: tests compare whole explanations, and what matters is logic.
MUTATE_SKIP := string,fstring,decorator,annassign
mutate: $(STAMP)
	RPM_ENV=development $(PY) -m config.embedded exec -- $(VENV)/bin/mutmut run --paths-to-mutate "$(MUTATE_PURE)" \
		--disable-mutation-types "$(MUTATE_SKIP)" \
		--runner "$(PY) -m pytest -x -q -p no:cacheprovider $(MUTATE_PURE_TESTS)" || true
	RPM_ENV=development $(PY) -m config.embedded exec -- $(VENV)/bin/mutmut run --paths-to-mutate "$(MUTATE_DB)" \
		--disable-mutation-types "$(MUTATE_SKIP)" \
		--runner "$(PY) -m pytest -x -q -p no:cacheprovider $(MUTATE_DB_TESTS)" || true
	$(VENV)/bin/mutmut results

stop: $(STAMP)
	$(PY) -m config.embedded stop

clean: stop
	rm -rf var $(VENV)
