"""The stash keys the plugin's modules share (one run's settings, each case's run and verdict)."""

from __future__ import annotations

import pytest

from harness.config import Settings
from harness.reporting.verdicts import GatingPolicy, Verdict
from harness.usecase.runner import CaseRun
from harness.usecase.testcase import TestCaseMeta

CASE_RUN = pytest.StashKey[CaseRun]()
ROLE = pytest.StashKey[str]()
SETTINGS = pytest.StashKey[Settings]()
META = pytest.StashKey[TestCaseMeta]()
RESULTS = pytest.StashKey[dict[str, Verdict]]()  # nodeid -> the case's verdict so far
GATE = pytest.StashKey[GatingPolicy | None]()
REQUIREMENT_URL_KEY = pytest.StashKey[str]()
ATTACHED_UPLOAD_MAX = 256 * 1024  # larger uploads are attached by name, size and sha256 only (the file stays on disk)
LOOP_INI = ("asyncio_default_fixture_loop_scope", "asyncio_default_test_loop_scope")
