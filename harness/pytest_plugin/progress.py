"""--ocpp-progress: one line per finished case (`ocpp-harness run`)."""

from __future__ import annotations

import time
from collections.abc import Generator
from typing import Any

import pytest

from harness.pytest_plugin.keys import (
    RESULTS,
)


# ---- progress (`ocpp-harness run`) -------------------------------------------------------------------------------
class ProgressLines:
    """With --ocpp-progress: one line per finished case, `[12/83] TC_B_01_CS passed 1.2s (elapsed 0:34)`, in
    place of pytest's progress dots (verbose output stays as pytest writes it). Registered by pytest_configure."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.total = 0
        self.done = 0
        self.started = time.monotonic()
        self.seconds: dict[str, float] = {}  # nodeid -> setup + call + teardown
        self.outcome: dict[str, tuple[str, str]] = {}  # nodeid -> first non-passing outcome, its reason

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.total = len(session.items)
        self.started = time.monotonic()
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None and self.config.get_verbosity() <= 0:
            reporter.showfspath = False  # no "file.py " line before each case's progress line

    @pytest.hookimpl(wrapper=True)
    def pytest_report_teststatus(self, report: pytest.TestReport) -> Generator[None, Any, Any]:
        status = yield
        if self.config.get_verbosity() <= 0 and isinstance(status, tuple) and len(status) == 3:
            return status[0], "", status[2]  # no dot: the progress line says it (the word: the short summary's)
        return status

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.seconds[report.nodeid] = self.seconds.get(report.nodeid, 0.0) + report.duration
        if report.passed or report.nodeid in self.outcome:
            return
        if report.skipped:
            reason = str(report.longrepr[2]) if isinstance(report.longrepr, tuple) else ""
            self.outcome[report.nodeid] = ("skipped", reason.removeprefix("Skipped: "))
        else:
            lines = [ln for ln in report.longreprtext.splitlines() if ln.startswith("E ")]
            self.outcome[report.nodeid] = ("failed" if report.when == "call" else "error",
                                           lines[0][1:].strip() if lines else "")

    def pytest_runtest_logfinish(self, nodeid: str) -> None:
        self.done += 1
        outcome, reason = self.outcome.pop(nodeid, ("passed", ""))
        result = self.config.stash.get(RESULTS, {}).get(nodeid)
        if result is not None:  # an OCPP case: its verdict class (not_applicable, needs_decision …)
            outcome, reason = result.outcome, result.headline
        name = result.id if result is not None else nodeid
        elapsed = int(time.monotonic() - self.started)
        line = (f"[{self.done}/{self.total}] {name} {outcome} {self.seconds.pop(nodeid, 0.0):.1f}s "
                f"(elapsed {elapsed // 60}:{elapsed % 60:02d})")
        if reason and outcome != "passed":
            line += f": {reason[:100]}"
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(line)
