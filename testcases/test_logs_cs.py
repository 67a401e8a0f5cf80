"""Block N, use case N01 (Retrieve Log Information) with the Charging Station under test: the harness plays the
CSMS and hosts the upload location (`log_receiver`).

The tables check the GetLogResponse (Accepted; for the diagnostics log a filename) and the two
LogStatusNotifications (Uploading, Uploaded, each with the GetLog's requestId). That the file really arrived, and
that a security log names the security events the station reported, are checks beyond Part 6.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from harness import (
    CsmsRole,
    LogReceiver,
    OneOf,
    Record,
    StationControl,
    UploadTimeout,
    booted,
    check_interval,
    testcase,
)


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


# ---- TC_N_26_CS: the upload fails; retries ------------------------------------------------------------------------
FAILED = ("UploadFailure", "BadMessage", "PermissionDenied", "NotSupportedOperation")


def _statuses(csms: CsmsRole, after: Record | None) -> list[Record]:
    """The station's LogStatusNotifications since `after` (any requestId: a wrong one is judged, not skipped)."""
    since = after.seq if after is not None else 0
    return [r for r in csms.transcript.records if r.seq > since and r.direction == "rx"
            and r.message_type == 2 and r.action == "LogStatusNotification"]


@testcase("TC_N_26_CS",
          notes="Errata 2025-01: log.remoteLocation is a location with a path that does not exist (the harness's "
                "receiver answers 404 there); Uploading and the failure status each come 1 or 4 times; the case "
                "waits 3 x <Configured retryInterval> before judging.")
async def test_TC_N_26_CS(csms: CsmsRole, sut: StationControl, log_receiver: LogReceiver) -> None:
    await booted(csms, sut)
    interval = csms.configured.retry_interval
    tolerance = csms.settings.timing.tolerance
    request_id = _request_id()
    location = log_receiver.url_for(request_id).replace("/logs/", "/no-such-path/", 1)
    mark = csms.mark()
    uploading = csms.expect("LogStatusNotification", {"status": "Uploading"}, respond={})
    failed = csms.expect("LogStatusNotification", {"status": OneOf(*FAILED)}, respond={},
                         description="LogStatusNotification UploadFailure, BadMessage, PermissionDenied or "
                                     "NotSupportedOperation")
    uploaded = csms.forbid("LogStatusNotification", {"status": "Uploaded"}, respond={},
                           reason="the upload location does not exist: the upload cannot have succeeded")
    with csms.step(f"1-2. GetLogRequest logType DiagnosticsLog, retries 3, retryInterval {interval}, "
                   f"log.remoteLocation {location} (a path that does not exist); the station responds Accepted"):
        await csms.call_ok("GetLog", {"logType": "DiagnosticsLog", "requestId": request_id, "retries": 3,
                                      "retryInterval": interval, "log": {"remoteLocation": location}},
                           {"status": "Accepted"})
    with csms.step("3-4. LogStatusNotificationRequest Uploading with the requestId; the harness responds"):
        first = await csms.received(uploading)
        _check_request_id(csms, first, request_id)
    with csms.step(f"5-6. LogStatusNotificationRequest UploadFailure (or BadMessage, PermissionDenied, "
                   f"NotSupportedOperation) with the requestId, after the retries; the harness waits "
                   f"3 x {interval} s before judging"):
        await csms.received(failed, within=3 * interval + csms.settings.timing.default_timeout)
        await csms.hold(max(0.0, first.mono + 3 * interval + tolerance - time.monotonic()),
                        "the retries of the upload (errata 2025-01: at least 3 x retryInterval)")
        csms.allow(uploaded)
        statuses = _statuses(csms, mark)
    with csms.step("Tool validations: every LogStatusNotification carries the requestId; Uploading and the failure "
                   "status are each sent 1 or 4 times; the last failure comes 3 x retryInterval after the first "
                   "Uploading"):
        for record in statuses:
            _check_request_id(csms, record, request_id)
        count_up = sum(1 for r in statuses if _status_of(r).get("status") == "Uploading")
        ends = [r for r in statuses if _status_of(r).get("status") in FAILED]
        if count_up not in (1, 4) or len(ends) not in (1, 4):
            raise csms.failure("the station did not report the upload attempts as often as the table allows",
                               message="N01: Uploading and the failure status are each sent once, or once per "
                                       "attempt (4 times: 1 + 3 retries)",
                               expected="Uploading 1 or 4 times, the failure status 1 or 4 times",
                               actual=f"Uploading {count_up} times, failure status {len(ends)} times",
                               rules=("SEQ",))
        csms.transcript.note(check_interval(ends[-1].mono - first.mono, expected=3 * interval, tolerance=tolerance,
                                            what="first Uploading to the last failure status (3 retries "
                                                 "retryInterval apart)", requirements=("N01.FR.10",)))


# ---- TC_N_36_CS: a second GetLog cancels the upload under way ----------------------------------------------------
@testcase("TC_N_36_CS",
          notes="The first upload is held by the harness's receiver (a slow location) so that it is still under way "
                "when the second GetLogRequest comes. Errata 2025-09: the AcceptedCanceled status of the first "
                "request may come before the second GetLogResponse.")
async def test_TC_N_36_CS(csms: CsmsRole, sut: StationControl, log_receiver: LogReceiver) -> None:
    await booted(csms, sut)
    log_type = csms.configured.log_type
    first_id, second_id = _request_id(), _request_id()
    log_receiver.hold(first_id)
    try:
        uploading = csms.expect("LogStatusNotification", {"status": "Uploading"}, respond={})
        with csms.step(f"1-2. GetLogRequest logType {log_type}, requestId {first_id}; the station responds Accepted "
                       "(and starts uploading)"):
            await csms.call_ok("GetLog", {"logType": log_type, "requestId": first_id,
                                          "log": {"remoteLocation": log_receiver.url_for(first_id)}},
                               {"status": "Accepted"})
        with csms.step(f"3-4. LogStatusNotificationRequest Uploading, requestId {first_id}; the harness responds"):
            _check_request_id(csms, await csms.received(uploading), first_id)
        mark = csms.mark()
        canceled = csms.expect("LogStatusNotification", {"status": "AcceptedCanceled"}, respond={}, after=mark)
        again = csms.expect("LogStatusNotification", {"status": "Uploading"}, respond={}, after=mark)
        done = csms.expect("LogStatusNotification", {"status": "Uploaded"}, respond={}, after=mark,
                           description="LogStatusNotification Uploaded")
        with csms.step(f"5-6. GetLogRequest logType {log_type}, requestId {second_id}, during the first upload; the "
                       "station responds AcceptedCanceled"):
            await csms.call_ok("GetLog", {"logType": log_type, "requestId": second_id,
                                          "log": {"remoteLocation": log_receiver.url_for(second_id)}},
                               {"status": "AcceptedCanceled"})
        with csms.step(f"7-8. LogStatusNotificationRequest AcceptedCanceled, requestId {first_id} (errata 2025-09: "
                       "may precede step 6); the harness responds"):
            _check_request_id(csms, await csms.received(canceled), first_id)
        with csms.step(f"9-10. LogStatusNotificationRequest Uploading, requestId {second_id}; the harness responds"):
            _check_request_id(csms, await csms.received(again), second_id)
        with csms.step(f"11-12. LogStatusNotificationRequest Uploaded, requestId {second_id}; the harness responds"):
            _check_request_id(csms, await csms.received(done), second_id)
    finally:
        log_receiver.release(first_id)
