"""Secrets stay secret: after a run with known passwords, no file the run wrote contains one."""

from __future__ import annotations

import os
from pathlib import Path

from suite_runner import run_suite

from harness.config import Settings
from harness.ocppj.defaults import csms_default
from harness.profile import builtin_station_profile
from harness.roles.conversation import Conversation
from harness.transcript import Transcript

STATION_PASSWORD = "StationSecret0123456789"
HARNESS_PASSWORD = "HarnessSecret9876543210"


def test_no_password_in_any_report_file(tmp_path: Path) -> None:
    allure = tmp_path / "allure-results"
    result = run_suite(tmp_path, "TC_A_01", "TC_A_02", "TC_A_03", "TC_B_01",
                       extra=("-o", "ocpp_heartbeat_interval=2", "-o", "ocpp_tolerance=1", f"--alluredir={allure}"),
                       env={"OCPP_STATION_PASSWORD": STATION_PASSWORD, "OCPP_HARNESS_STATION_PASSWORD": HARNESS_PASSWORD})
    assert set(result.verdicts.values()) == {"passed"}, result.output[-2000:]
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.suffix == ".jsonl" for p in files) and any(p.parent == allure for p in files)
    for path in files:
        data = path.read_bytes()
        for secret in (STATION_PASSWORD, HARNESS_PASSWORD):
            assert secret.encode() not in data, f"{secret[:7]}… found in {path}"
    assert STATION_PASSWORD not in result.output and HARNESS_PASSWORD not in result.output


def test_a_secret_a_cleanup_could_not_undo_goes_to_a_private_file(tmp_path: Path) -> None:
    """A password the SUT was left holding is written where the lab finds it, readable by the owner only."""
    settings = Settings(reports_dir=str(tmp_path / "reports"))
    conversation = Conversation(Transcript(), settings, lambda a, p: csms_default(a, p, heartbeat_interval=10),
                                profile=builtin_station_profile())
    path = conversation.leave_secret("BasicAuthPassword", "LeftBehind0123456789")
    assert path.parent == tmp_path / "reports.private" and path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700  # beside the reports, never in what CI publishes
    assert "LeftBehind0123456789" in path.read_text() and "SIM-CS-001" in path.name


def test_state_a_cleanup_could_not_undo_makes_the_next_cases_an_error(tmp_path: Path) -> None:
    """Issue 12: a failed TC_A_09_CS left the station holding a password the harness had invented, so every later
    case failed. Now the cases after it end as error naming the lost state and the file; for a built-in simulator
    (it starts afresh each run) a file of an earlier run does not count."""
    settings = Settings(reports_dir=str(tmp_path / "reports"))

    def conversation(builtin: bool) -> Conversation:
        profile = builtin_station_profile().model_copy(update={"builtin": builtin})
        return Conversation(Transcript(), settings, lambda a, p: None, profile=profile)

    assert conversation(False).lost_state() is None
    path = conversation(False).leave_secret("BasicAuthPassword", "LeftBehind0123456789")
    lost = conversation(False).lost_state()
    assert lost is not None and "BasicAuthPassword" in lost.what and str(path) in lost.what and "delete" in lost.fix
    assert conversation(True).lost_state() is not None  # this run's file
    os.utime(path, (1_000_000, 1_000_000))  # an earlier run's
    assert conversation(True).lost_state() is None and conversation(False).lost_state() is not None
