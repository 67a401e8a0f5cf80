# Two commands (README): `make demo` runs the suite in both roles against the built-in simulators;
# `make test` runs the harness's own tests. Both set up .venv themselves on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: venv demo test faults report docs lint bench clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

# One pass per security profile; each case runs once, at the lowest profile it applies to (TLS cases at 2 or 3),
# so the Allure results hold every case once and no case is skipped for its security profile. The big first pass
# runs on 2 pytest-xdist workers, each with its own pair of simulators (the machines have 2 cores).
DEMO := $(PY) -m pytest testcases -p no:cacheprovider --ocpp-sut profiles/builtin-station.yaml \
	--ocpp-sut profiles/builtin-csms.yaml --alluredir=reports/allure-results --ocpp-profile-pass
# Each pass writes reports/sp<N>/ (its summary, JUnit, transcripts); then one summary.md/json and junit.xml for all
# three in reports/, each pass visible (harness.reporting.combine). The exit code is the first failing pass's.
demo: venv
	rm -rf reports/allure-results reports/sp1 reports/sp2 reports/sp3 reports/transcripts reports/junit*.xml \
		reports/summary.json reports/summary.md
	$(DEMO) --junitxml=reports/sp1/junit.xml --ocpp-reports-dir=reports/sp1 --ocpp-security-profile=1 -n 2; \
	status=$$?; \
	$(DEMO) --junitxml=reports/sp2/junit.xml --ocpp-reports-dir=reports/sp2 --ocpp-security-profile=2; \
	code=$$?; [ $$status -ne 0 ] || status=$$code; \
	$(DEMO) --junitxml=reports/sp3/junit.xml --ocpp-reports-dir=reports/sp3 --ocpp-security-profile=3; \
	code=$$?; [ $$status -ne 0 ] || status=$$code; \
	$(PY) -m harness.reporting.combine reports reports/sp1 reports/sp2 reports/sp3; \
	exit $$status

# Most self-tests wait on the protocol's timers in child suites (2 workers kept the 2 cores 42 % busy), so 4 workers
# on the 2 cores: 21 min 39 s instead of 30 min 12 s, 113 % CPU (2026-12-07). A module whose expensive fixture is
# shared stays on one worker (tests/xdist_groups.py: pytest-xdist's own xdist_group mark stopped grouping under
# pytest 9.2).
test: venv
	$(PY) -m pytest tests -p no:cacheprovider -q -n 4 --dist loadgroup

# Every fault switch proven by the cases that claim its check (make test proves a representative sample), on the
# 2 cores on 4 workers (they mostly wait on timers); then docs/fault-table.md from the results (scripts/fault_table.py).
faults: venv
	mkdir -p reports
	OCPP_ALL_FAULTS=1 $(PY) -m pytest tests/test_fault_detection.py tests/test_security_profiles.py tests/test_faults_*.py \
		-p no:cacheprovider -q -n 4 -k "fault" --junitxml=reports/faults.xml; \
		status=$$?; $(PY) scripts/fault_table.py --junit reports/faults.xml --write docs/fault-table.md; exit $$status

# HTML from `make demo`'s results with Allure Report 3 (needs Node.js + npm; installs allure into .allure-cli/).
report: venv
	$(PY) -m harness.cli report --results reports/allure-results --out reports/html

# The manual (MkDocs, Material theme) into site/; the reference pages are generated from the code first.
docs: venv
	$(PY) scripts/gen_docs.py
	$(PY) -m mkdocs build --strict --quiet

lint: venv
	$(PY) -m ruff check harness tests testcases scripts
	$(PY) -m mypy

bench: venv
	$(PY) scripts/bench_monitor.py

clean:
	rm -rf $(VENV) reports site build .mypy_cache .ruff_cache .allure-cli
