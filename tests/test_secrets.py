"""Secrets stay secret: after a run with known passwords, no file the run wrote contains one."""

from __future__ import annotations

from pathlib import Path

from suite_runner import run_suite

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
