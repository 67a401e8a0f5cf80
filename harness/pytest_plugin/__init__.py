"""The pytest plugin (entry point `pytest11: ocpp_harness`): options, fixtures, and the verdict of each case.

Fixtures are the API (DESIGN.md §3 rule 3); override them in a `conftest.py` to point the suite elsewhere:
- `csms`: the harness acting as CSMS, talking to the Charging Station under test;
- `station`: the harness acting as a Charging Station, talking to the CSMS under test;
- `sut`: the control adapter of this test's SUT (manual actions);
- `ocpp_settings`, `ocpp_schemas`: the run's settings and compiled schemas.
"""

from harness.pytest_plugin.catalogue import pytest_collection_finish
from harness.pytest_plugin.collection import pytest_collection_modifyitems, pytest_generate_tests
from harness.pytest_plugin.fixtures import (
    builtin_csms,
    builtin_station,
    csms,
    csms_endpoint,
    firmware_server,
    harness_station_password,
    log_receiver,
    ocpp_case,
    ocpp_log_receiver,
    ocpp_pki,
    ocpp_schemas,
    ocpp_settings,
    station,
    station_password,
    sut,
)
from harness.pytest_plugin.progress import ProgressLines
from harness.pytest_plugin.settings import pytest_addoption, pytest_configure, pytest_report_header
from harness.pytest_plugin.verdicts import (
    pytest_runtest_call,
    pytest_runtest_makereport,
    pytest_sessionfinish,
    pytest_terminal_summary,
)

__all__ = [
    "ProgressLines", "builtin_csms", "builtin_station", "csms", "csms_endpoint", "firmware_server",
    "harness_station_password", "log_receiver", "ocpp_case", "ocpp_log_receiver", "ocpp_pki", "ocpp_schemas",
    "ocpp_settings", "pytest_addoption", "pytest_collection_finish", "pytest_collection_modifyitems",
    "pytest_configure", "pytest_generate_tests", "pytest_report_header", "pytest_runtest_call",
    "pytest_runtest_makereport", "pytest_sessionfinish", "pytest_terminal_summary", "station", "station_password",
    "sut",
]
