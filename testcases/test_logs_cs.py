"""Block N, use case N01 (Retrieve Log Information) with the Charging Station under test: the harness plays the
CSMS and hosts the upload location (`log_receiver`).

The tables check the GetLogResponse (Accepted; for the diagnostics log a filename) and the two
LogStatusNotifications (Uploading, Uploaded, each with the GetLog's requestId). That the file really arrived, and
that a security log names the security events the station reported, are checks beyond Part 6.
"""

from __future__ import annotations

import secrets
from typing import Any

from harness import CsmsRole, LogReceiver, Record, StationControl, UploadTimeout, booted, testcase


def _request_id() -> int:
    """A fresh GetLog requestId: the run's receiver keeps every upload by request id, so ids must not repeat."""
    return 1000 + secrets.randbelow(1_000_000_000)


def _status_of(record: Record) -> dict[str, Any]:
    return dict(record.frame.payload)  # type: ignore[union-attr]


def _check_request_id(csms: CsmsRole, record: Record, request_id: int) -> None:
    payload = _status_of(record)
    if payload.get("requestId") != request_id:
        raise csms.failure(f"LogStatusNotification {payload.get('status')} carries the wrong requestId",
                           message="N01: every LogStatusNotification of an upload carries the requestId of the "
                                   "GetLogRequest that started it",
                           expected=f"requestId {request_id}", actual=record.raw[:800], rules=("SEQ",))


async def _retrieve(csms: CsmsRole, receiver: LogReceiver, log_type: str, *, filename: bool) -> bytes | None:
    """GetLog of `log_type` to the harness's receiver: Accepted (`filename`: with a filename); Uploading and
    Uploaded with its requestId. Returns the uploaded file (beyond Part 6: None when none arrived)."""
    request_id = _request_id()
    location = receiver.url_for(request_id)
    uploading = csms.expect("LogStatusNotification", {"status": "Uploading"}, respond={})
    done = csms.expect("LogStatusNotification", {"status": "Uploaded"}, respond={},
                       description="LogStatusNotification Uploaded")
    failed = csms.forbid("LogStatusNotification", {"status": "UploadFailure"}, respond={}, until=done,
                         reason="the station gave up the upload although the harness's receiver accepts it")
    with csms.step(f"1-2. GetLogRequest logType {log_type}, requestId {request_id}, log.remoteLocation {location}; "
                   "the station responds Accepted" + (" with a filename" if filename else "")):
        answer = await csms.call_ok("GetLog", {"logType": log_type, "requestId": request_id,
                                               "log": {"remoteLocation": location}}, {"status": "Accepted"})
        if filename and not answer.get("filename"):
            raise csms.failure("GetLogResponse names no file", expected="filename present and not empty",
                               actual=str(answer)[:400], rules=("SEQ",))
    with csms.step("3-4. LogStatusNotificationRequest Uploading with the requestId; the harness responds"):
        _check_request_id(csms, await csms.received(uploading), request_id)
    with csms.step("5-6. LogStatusNotificationRequest Uploaded with the requestId; the harness responds"):
        _check_request_id(csms, await csms.received(done), request_id)
        csms.allow(failed)
    content: bytes | None = None
    with csms.beyond_part6("N01 upload", "the log file arrived at log.remoteLocation and is not empty"):
        try:
            upload = await receiver.wait_for_upload(request_id, timeout=csms.settings.timing.tolerance)
        except UploadTimeout as exc:
            raise csms.failure("the station reported Uploaded but no log file arrived at remoteLocation",
                               message=f"N01: Uploaded means the file was uploaded to log.remoteLocation. {exc}",
                               expected=f"an upload to {location}", actual="none", rules=("SEQ",)) from None
        if upload.size == 0:
            raise csms.failure("the uploaded log file is empty", actual=f"{upload.filename!r}, 0 bytes",
                               rules=("SEQ",))
        content = upload.content
    return content


def _reported_event_types(csms: CsmsRole) -> set[str]:
    """Types of the SecurityEventNotifications the station sent the harness in this run (any case, or between)."""
    return {str(event.get("type")) for event in csms.endpoint.security_events}


@testcase("TC_N_25_CS")
async def test_TC_N_25_CS(csms: CsmsRole, sut: StationControl, log_receiver: LogReceiver) -> None:
    await booted(csms, sut)
    await _retrieve(csms, log_receiver, "DiagnosticsLog", filename=True)


@testcase("TC_N_35_CS",
          notes="Beyond Part 6: the security log (its format is the vendor's) names at least one type of the "
                "security events the station reported to the harness in this run.")
async def test_TC_N_35_CS(csms: CsmsRole, sut: StationControl, log_receiver: LogReceiver) -> None:
    await booted(csms, sut)
    content = await _retrieve(csms, log_receiver, "SecurityLog", filename=False)
    reported = _reported_event_types(csms)
    if content is None or not reported:
        return
    with csms.beyond_part6("N01 security log content", "the security log names a security event type the station reported "
                                        f"({', '.join(sorted(reported))})"):
        text = content.decode("utf-8", "replace")
        if not any(kind in text for kind in reported):
            raise csms.failure("the SecurityLog names none of the security events the station reported",
                               message="N01 logType SecurityLog: the station's security log holds its security events",
                               expected=f"one of {sorted(reported)}", actual=text[:600], rules=("SEQ",))
