"""Block N, use case N01 (Retrieve Log Information) with the CSMS under test: the harness plays the Charging Station.

The CSMS is made to send GetLog through the control adapter ("Manual Action: trigger the CSMS to request the
log"). The table checks only the GetLogRequest's logType; the harness answers Accepted and reports Uploading and
Uploaded with the GetLog's requestId. That log.remoteLocation is a usable URL and takes an upload (a 2xx answer)
is the harness's own check, beyond Part 6.
"""

from __future__ import annotations

import ssl
from typing import Any
from urllib.parse import urlsplit

from harness import CsmsControl, StationRole, TransferError, now_iso, station_booted, testcase, upload

UPLOAD_SCHEMES = ("http", "https")  # what the harness's station can upload with
URL_SCHEMES = (*UPLOAD_SCHEMES, "ftp", "ftps", "sftp")


def _location_problems(location: Any) -> list[str]:
    if not isinstance(location, str):
        return [f"log.remoteLocation is missing ({location!r})"]
    try:
        parts = urlsplit(location)
        host = parts.hostname
    except ValueError as exc:
        return [f"log.remoteLocation {location!r} is not a URL: {exc}"]
    if parts.scheme not in URL_SCHEMES or not host:
        return [f"log.remoteLocation {location!r} is not a URL a station can upload to (scheme://host/…; "
                f"schemes {', '.join(URL_SCHEMES)})"]
    return []


def _tls(station: StationRole, location: str) -> ssl.SSLContext | None:
    """HTTPS: trust the run's PKI root (the built-in CSMS serves with its server certificate); at security profile 3
    present the station certificate, as on the OCPP connection."""
    if urlsplit(location).scheme != "https" or station.pki is None:
        return None
    profile = station.settings.csms.security.profile
    if profile == 3:
        return station.pki.client_context(3, station.settings.csms.serial_number or station.identity)
    return station.pki.client_context(2)


async def _upload(station: StationRole, location: Any, filename: str, content: str) -> None:
    """Beyond Part 6: log.remoteLocation is a URL a station can upload to, and takes the file."""
    with station.beyond_part6("N01 upload location", "log.remoteLocation is a usable URL and takes the log file"):
        problems = _location_problems(location)
        if problems:
            raise station.failure("the CSMS's GetLogRequest names no usable upload location",
                                  message="\n".join(problems), actual=repr(location)[:300], rules=("SEQ",))
        assert isinstance(location, str)
        scheme = urlsplit(location).scheme
        if scheme not in UPLOAD_SCHEMES:
            station.transcript.note(f"the harness's station uploads over http(s) only; the CSMS asked for "
                                    f"{scheme}://: no upload")
            return
        try:
            await upload(location, filename, content.encode(), ssl=_tls(station, location),
                         timeout=station.settings.timing.default_timeout)
        except TransferError as exc:
            raise station.failure("the CSMS's log.remoteLocation did not take the log upload", message=str(exc),
                                  expected="a 2xx answer to the upload", actual=str(exc)[:300],
                                  rules=("SEQ",)) from None


async def _upload_log(station: StationRole, sut: CsmsControl, log_type: str, content: str) -> None:
    await station_booted(station)
    kind = "security" if log_type == "SecurityLog" else "diagnostics"
    filename = f"{station.identity}-{kind}.log"
    get_log = station.expect("GetLog", respond={"status": "Accepted", "filename": filename})
    with station.step(f"Manual Action: trigger the CSMS to request the {log_type}"):
        await sut.trigger(station.identity, "GetLog", {"logType": log_type})
    with station.step(f"1-2. GetLogRequest logType {log_type}; the harness responds Accepted"):
        record = await station.received(get_log)
        payload: dict[str, Any] = dict(record.frame.payload)  # type: ignore[union-attr]
        if payload.get("logType") != log_type:
            raise station.failure(f"the CSMS's GetLogRequest does not ask for the {log_type}",
                                  message=f"logType {payload.get('logType')!r}, the operator asked for {log_type!r}",
                                  actual=record.raw[:800], rules=("SEQ",))
        request_id = payload.get("requestId")
        log = payload.get("log")
        location = log.get("remoteLocation") if isinstance(log, dict) else None
    with station.step(f"3-4. LogStatusNotificationRequest Uploading, requestId {request_id}; the CSMS responds"):
        await station.call_ok("LogStatusNotification", {"status": "Uploading", "requestId": request_id})
    await _upload(station, location, filename, content)
    with station.step(f"5-6. LogStatusNotificationRequest Uploaded, requestId {request_id}; the CSMS responds"):
        await station.call_ok("LogStatusNotification", {"status": "Uploaded", "requestId": request_id})


@testcase("TC_N_25_CSMS", "Retrieve Log Information - Diagnostics Log - Success", usecases=("N01",),
          requirements=("N01",))
async def test_TC_N_25_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await _upload_log(station, sut, "DiagnosticsLog",
                      f"# DiagnosticsLog of {station.identity} (OCPP harness)\n{now_iso()} booted, connectors reported\n")


@testcase("TC_N_35_CSMS", "Retrieve Log Information - Security Log - Success", usecases=("N01",),
          requirements=("N01",))
async def test_TC_N_35_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await _upload_log(station, sut, "SecurityLog",
                      f"# SecurityLog of {station.identity} (OCPP harness)\n{now_iso()} SecurityEvent "
                      "StartupOfTheDevice\n")


@testcase("TC_N_34_CSMS")
async def test_TC_N_34_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    log_type = station.configured.log_type
    get_log = station.expect("GetLog", respond={"status": "Rejected"})
    with station.step(f"Manual Action: trigger the CSMS to request the {log_type}"):
        await sut.trigger(station.identity, "GetLog", {"logType": log_type})
    with station.step("1-2. GetLogRequest; the harness responds Rejected"):
        await station.received(get_log)


@testcase("TC_N_36_CSMS",
          notes="The harness uploads nothing: the first upload is canceled by the second request, and the table "
                "checks only that the CSMS answers each LogStatusNotification.")
async def test_TC_N_36_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    log_type = station.configured.log_type
    ids: list[Any] = []
    for numbers, status in (("1-2", "Accepted"), ("5-6", "AcceptedCanceled")):
        get_log = station.expect("GetLog", respond={"status": status, "filename": f"{station.identity}.log"})
        with station.step(f"Manual Action: trigger the CSMS to request the {log_type}"
                          + (" again, during the first upload" if ids else "")):
            await sut.trigger(station.identity, "GetLog", {"logType": log_type})
        with station.step(f"{numbers}. GetLogRequest; the harness responds {status}"):
            record = await station.received(get_log)
            ids.append(record.frame.payload.get("requestId"))  # type: ignore[union-attr]
        if len(ids) == 1:
            with station.step(f"3-4. LogStatusNotificationRequest Uploading, requestId {ids[0]}; the CSMS responds"):
                await station.call_ok("LogStatusNotification", {"status": "Uploading", "requestId": ids[0]})
    for numbers, status, request_id in (("7-8", "AcceptedCanceled", ids[0]), ("9-10", "Uploading", ids[1]),
                                        ("11-12", "Uploaded", ids[1])):
        with station.step(f"{numbers}. LogStatusNotificationRequest {status}, requestId {request_id}; the CSMS "
                          "responds"):
            await station.call_ok("LogStatusNotification", {"status": status, "requestId": request_id})
