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
demo: venv
	rm -rf reports/allure-results reports/sp2 reports/sp3
	$(DEMO) --junitxml=reports/junit.xml --ocpp-security-profile=1 -n 2
	$(DEMO) --junitxml=reports/junit-sp2.xml --ocpp-reports-dir=reports/sp2 --ocpp-security-profile=2
	$(DEMO) --junitxml=reports/junit-sp3.xml --ocpp-reports-dir=reports/sp3 --ocpp-security-profile=3

# On the 2 cores: most self-tests wait on the protocol's timers in child suites, so two workers halve the wall time
# (a module whose expensive fixture is shared stays on one worker: pytestmark xdist_group).
test: venv
	$(PY) -m pytest tests -p no:cacheprovider -q -n 2 --dist loadgroup

# Every fault switch proven by the cases that claim its check (make test proves a representative sample), on the
# 2 cores in parallel; then docs/fault-table.md from the results (scripts/fault_table.py).
faults: venv
	mkdir -p reports
	OCPP_ALL_FAULTS=1 $(PY) -m pytest tests/test_fault_detection.py tests/test_security_profiles.py tests/test_faults_*.py \
		-p no:cacheprovider -q -n 2 -k "fault" --junitxml=reports/faults.xml; \
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
