"""GetLog (N01) in the built-in simulators: the station uploads the requested log to remoteLocation, retries,
filters by timestamps, cancels an upload for a newer request, and reports each step with the requestId; the CSMS
simulator fills in its own upload location."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from test_station_simulator import Lab, TinyCsms, booted, lab, rx_call

from harness.fileserver import LogReceiver
from harness.ocppj import Call
from harness.simulators.csms import CsmsFaults
from harness.simulators.log_requests import CsmsLogs

__all__ = ["lab"]  # the fixture, shared with the station simulator's tests

pytestmark = pytest.mark.filterwarnings("error")


async def _statuses(csms: TinyCsms, count: int) -> list[dict[str, Any]]:
    records = [await csms.next(rx_call("LogStatusNotification")) for _ in range(count)]
    return [dict(r.frame.payload) for r in records if isinstance(r.frame, Call)]


async def test_get_log_uploads_the_file_and_reports_with_the_request_id(lab: Lab, tmp_path: Path) -> None:
    csms, _ = await lab.start()
    await booted(csms)
    async with LogReceiver(tmp_path) as receiver:
        answer = await csms.call("GetLog", {"logType": "DiagnosticsLog", "requestId": 7,
                                            "log": {"remoteLocation": receiver.url_for(7)}})
        assert answer["status"] == "Accepted" and answer["filename"].endswith(".log")
        assert await _statuses(csms, 2) == [{"status": "Uploading", "requestId": 7},
                                            {"status": "Uploaded", "requestId": 7}]
        upload = await receiver.wait_for_upload(7, timeout=5)
    assert upload.filename == answer["filename"]
    assert b"DiagnosticsLog" in upload.content and b"BootNotification (PowerUp) accepted" in upload.content
    assert csms.failures() == []


async def test_security_log_holds_the_reported_events_within_the_timestamps(lab: Lab, tmp_path: Path) -> None:
    csms, _ = await lab.start()
    await booted(csms)
    later = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    async with LogReceiver(tmp_path) as receiver:
        await csms.call("GetLog", {"logType": "SecurityLog", "requestId": 1, "log": {"remoteLocation":
                                                                                    receiver.url_for(1)}})
        everything = await receiver.wait_for_upload(1, timeout=5)
        await _statuses(csms, 2)
        await csms.call("GetLog", {"logType": "SecurityLog", "requestId": 2, "log": {
            "remoteLocation": receiver.url_for(2), "oldestTimestamp": later}})
        none = await receiver.wait_for_upload(2, timeout=5)
    assert b"SecurityEvent StartupOfTheDevice" in everything.content
    assert b"StartupOfTheDevice" not in none.content and none.content.startswith(b"# SecurityLog")


async def test_a_failing_upload_is_retried_then_reported_as_upload_failure(lab: Lab, tmp_path: Path) -> None:
    csms, _ = await lab.start()
    await booted(csms)
    async with LogReceiver(tmp_path, fail_with=500) as receiver:
        await csms.call("GetLog", {"logType": "DiagnosticsLog", "requestId": 3, "retries": 2, "retryInterval": 0,
                                   "log": {"remoteLocation": receiver.url_for(3)}})
        assert await _statuses(csms, 2) == [{"status": "Uploading", "requestId": 3},
                                            {"status": "UploadFailure", "requestId": 3}]
        assert [r.status for r in receiver.requests if r.method == "POST"] == [500, 500, 500]


async def test_a_new_request_cancels_the_running_upload(lab: Lab, tmp_path: Path) -> None:
    csms, _ = await lab.start()
    await booted(csms)
    async with LogReceiver(tmp_path / "bad", fail_with=503) as bad, LogReceiver(tmp_path / "good") as good:
        await csms.call("GetLog", {"logType": "DiagnosticsLog", "requestId": 4, "retries": 3, "retryInterval": 60,
                                   "log": {"remoteLocation": bad.url_for(4)}})
        await bad.wait_for_request(timeout=5, status=503)  # the first attempt failed: it waits 60 s to retry
        answer = await csms.call("GetLog", {"logType": "DiagnosticsLog", "requestId": 5,
                                            "log": {"remoteLocation": good.url_for(5)}})
        assert answer["status"] == "AcceptedCanceled"
        await good.wait_for_upload(5, timeout=5)
        assert await _statuses(csms, 4) == [{"status": "Uploading", "requestId": 4},
                                            {"status": "AcceptedCanceled", "requestId": 4},  # TC_N_36_CS
                                            {"status": "Uploading", "requestId": 5},
                                            {"status": "Uploaded", "requestId": 5}]


async def test_trigger_log_status_notification_while_idle(lab: Lab) -> None:
    csms, _ = await lab.start()
    await booted(csms)
    assert await csms.call("TriggerMessage", {"requestedMessage": "LogStatusNotification"}) == {"status": "Accepted"}
    assert await _statuses(csms, 1) == [{"status": "Idle"}]


async def test_csms_simulator_fills_in_request_id_and_its_own_location(tmp_path: Path) -> None:
    logs = CsmsLogs(CsmsFaults(), tmp_path)
    try:
        first = await logs.complete({"logType": "SecurityLog"})
        second = await logs.complete({})
        assert first["logType"] == "SecurityLog" and second["logType"] == "DiagnosticsLog"
        assert first["requestId"] != second["requestId"]
        assert first["log"]["remoteLocation"].startswith("http://127.0.0.1:")
        assert (await logs.complete({"requestId": 9, "log": {"remoteLocation": "ftp://x/"}}))["log"] == {
            "remoteLocation": "ftp://x/"}  # what the operator gave stays
    finally:
        await logs.stop()


async def test_csms_simulator_log_faults(tmp_path: Path) -> None:
    logs = CsmsLogs(CsmsFaults(bad_log_location=True, wrong_log_type=True), tmp_path)
    try:
        payload = await logs.complete({"logType": "SecurityLog"})
        assert payload["logType"] == "DiagnosticsLog" and "://" not in payload["log"]["remoteLocation"]
    finally:
        await logs.stop()


def test_uploads_are_evidence_in_the_allure_results_over_https(tmp_path: Path) -> None:
    """A TC_N_25_CS run at security profile 2: the station uploads over HTTPS (trusting the run's PKI), the upload
    lies under the reports dir with its index, and the case's Allure result names it with its sha256."""
    from suite_runner import run_suite, security_profiles

    station, csms = security_profiles(tmp_path / "profiles", 2)
    results = tmp_path / "allure-results"
    run = run_suite(tmp_path, "TC_N_25_CS", extra=("-o", "ocpp_tolerance=1", f"--ocpp-sut={station}",
                                                    f"--ocpp-sut={csms}", f"--alluredir={results}"))
    assert run.verdicts == {"TC_N_25_CS": "passed"}, run.output[-3000:]
    assert "log.remoteLocation https://127.0.0.1:" in (tmp_path / "reports" / "transcripts" / "TC_N_25_CS.jsonl").read_text()
    index = [json.loads(line) for line in (tmp_path / "reports" / "log-uploads" / "uploads.jsonl").read_text()
             .splitlines()]
    assert len(index) == 1 and index[0]["filename"].endswith("-diagnostics-" + index[0]["request_id"] + ".log")
    attachments = [a for f in results.glob("*.json") for a in _attachments(json.loads(f.read_text()))]
    names = {a["name"] for a in attachments}
    assert "log uploads" in names and f"log upload 1: {index[0]['filename']}" in names, names
    listed = next(a for a in attachments if a["name"] == "log uploads")
    assert index[0]["sha256"] in (results / listed["source"]).read_text()


def _attachments(node: Any) -> list[dict[str, Any]]:
    """Every attachment in an Allure result or container, at any depth (steps, befores, afters)."""
    if isinstance(node, dict):
        found = list(node.get("attachments", []))
        return found + [a for key, value in node.items() if key != "attachments" for a in _attachments(value)]
    if isinstance(node, list):
        return [a for item in node for a in _attachments(item)]
    return []


def test_both_roles_at_security_profile_3(tmp_path: Path) -> None:
    """Mutual TLS on the OCPP connections; the log uploads go over HTTPS both ways (station certificate presented)."""
    from suite_runner import run_suite, security_profiles

    station, csms = security_profiles(tmp_path / "profiles", 3)
    run = run_suite(tmp_path, "TC_N_25_CS", "TC_N_25_CSMS",
                    extra=("-o", "ocpp_tolerance=1", f"--ocpp-sut={station}", f"--ocpp-sut={csms}"))
    assert run.verdicts == {"TC_N_25_CS": "passed", "TC_N_25_CSMS": "passed"}, run.output[-3000:]
    uploads = tmp_path / "reports" / "csms-simulator" / "log-uploads" / "uploads.jsonl"
    assert len(uploads.read_text().splitlines()) == 1
