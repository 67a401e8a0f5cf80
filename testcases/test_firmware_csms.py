"""Block L Secure firmware update (L01) with the CSMS under test: the harness plays the Charging Station.

The CSMS is made to send UpdateFirmware through the control adapter ("Manual Action: trigger the CSMS to send an
UpdateFirmwareRequest"), with a firmware of its own choosing. The harness then reports the statuses of the table
(in TC_L_01 with the reboot: InstallRebooting, a BootNotification reason FirmwareUpdate that must be Accepted, the
connectors, Installed). Part 6 compares signature and signingCertificate with the configured ones; downloading the
image and verifying the signature over it is the harness's own check, beyond Part 6.
"""

from __future__ import annotations

import datetime as dt
import ssl
from typing import Any
from urllib.parse import urlsplit

from harness import (
    ANY,
    BadCertificate,
    CsmsControl,
    StationRole,
    TransferError,
    certificate_info,
    download,
    now_iso,
    states,
    station_booted,
    testcase,
    verify_firmware,
)


async def _update_request(station: StationRole, sut: CsmsControl, *, status: str = "Accepted",
                          hint: dict[str, Any] | None = None, step: str = "1-2") -> dict[str, Any]:
    """Trigger the CSMS (with `hint`, what the case's prerequisite has the CSMS configured with), answer its
    UpdateFirmwareRequest with `status`; the request's payload."""
    update = station.expect("UpdateFirmware", {"requestId": ANY, "firmware": {"location": ANY,
                                                                               "retrieveDateTime": ANY}},
                            respond={"status": status})
    with station.step("Manual Action: trigger the CSMS to send an UpdateFirmwareRequest"):
        await sut.trigger(station.identity, "UpdateFirmware", hint or {})
    with station.step(f"{step}. UpdateFirmwareRequest with requestId and firmware location / retrieveDateTime; the "
                      f"harness responds {status}"):
        record = await station.received(update)
    return dict(record.frame.payload)  # type: ignore[union-attr]


async def _notify(station: StationRole, request_id: int, *statuses: str) -> None:
    """FirmwareStatusNotification for each status with the request's requestId (L01.FR.10); the CSMS responds."""
    for status in statuses:
        await station.call_ok("FirmwareStatusNotification", {"status": status, "requestId": request_id}, {})


def _secure_update_problems(firmware: dict[str, Any]) -> list[str]:
    """What keeps `firmware` (FirmwareType) from being a secure update: its signature and the certificate to check
    it with. (A location the harness cannot download from fails the download step; a certificate that is no
    certificate fails the signature step.)"""
    problems = []
    if not firmware.get("signature"):
        problems.append("no firmware.signature: a secure update is signed (L01.FR.09)")
    if not firmware.get("signingCertificate"):
        problems.append("no firmware.signingCertificate (L01.FR.11)")
    return problems


def _certificate_note(pem: str) -> str:
    """Why verification may have failed on the certificate's side, for the failure message."""
    try:
        info = certificate_info(pem)
    except BadCertificate as exc:
        return f"signingCertificate is not a PEM X.509 certificate: {exc}"
    if not info.valid_at(dt.datetime.now(dt.UTC)):
        return "signingCertificate is outside its validity period"
    return "signingCertificate is a valid X.509 certificate; the signature is not of these bytes with its key"


def _download_context(station: StationRole, location: str) -> ssl.SSLContext | None:
    """For an https:// location: the system's trust store plus the run's CSMS root and the CSMS profile's own CAs
    (the built-in CSMS serves its firmware with the run's server certificate)."""
    if urlsplit(location).scheme != "https":
        return None
    context = ssl.create_default_context()
    if station.pki is not None:
        context.load_verify_locations(cafile=station.pki.csms_trust_path)
    return context


def _configured_problems(station: StationRole, firmware: dict[str, Any]) -> list[str]:
    """Step 1 tool validation: signature and signingCertificate are the configured ones (where the CSMS profile
    has them; else their presence is what can be checked)."""
    problems = _secure_update_problems(firmware)
    configured = station.configured
    if configured.firmware_signature and firmware.get("signature") not in (None, configured.firmware_signature):
        problems.append("firmware.signature is not the configured signature")
    wanted = configured.firmware_signing_certificate
    given = firmware.get("signingCertificate")
    if wanted and given is not None and str(given).strip() != wanted.strip():
        problems.append("firmware.signingCertificate is not the configured signing certificate")
    return problems


async def _image_checks(station: StationRole, firmware: dict[str, Any]) -> None:
    """Beyond Part 6: the image downloads from the location and its signature verifies with the certificate."""
    location = str(firmware.get("location", ""))
    image: bytes | None = None
    with station.beyond_part6("L01.FR.01", "the image downloads from firmware.location"):
        try:
            image = await download(location, ssl=_download_context(station, location), timeout=station.timeout(None))
        except TransferError as exc:
            raise station.failure("the firmware could not be downloaded from the location the CSMS gave",
                                  message=str(exc), requirements=("L01.FR.01",), rules=("SEQ",)) from None
    if image is None:
        return
    with station.beyond_part6("L01.FR.12", "the signature verifies over the image with the signingCertificate"):
        if not verify_firmware(image, str(firmware.get("signature")), str(firmware.get("signingCertificate"))):
            raise station.failure("the firmware signature does not verify with the signingCertificate",
                                  message=f"{len(image)} bytes downloaded; signature "
                                          f"{str(firmware.get('signature'))[:60]}…\n"
                                          f"{_certificate_note(str(firmware.get('signingCertificate')))}",
                                  requirements=("L01.FR.12",), rules=("SEQ",))


@testcase("TC_L_01_CSMS")
async def test_TC_L_01_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    payload = await _update_request(station, sut)
    firmware, request_id = payload["firmware"], payload["requestId"]
    with station.step("Step 1 validation: signingCertificate and signature of the secure update"):
        problems = _configured_problems(station, firmware)
        if problems:
            shown = {k: v for k, v in firmware.items() if k != "signingCertificate"}
            raise station.failure("the UpdateFirmwareRequest is not a secure firmware update",
                                  message="\n".join(problems), actual=str(shown)[:800],
                                  requirements=("L01.FR.09", "L01.FR.11"), rules=("SEQ",))
    with station.step("3-4. FirmwareStatusNotification Downloading; the CSMS responds"):
        await _notify(station, request_id, "Downloading")
    await _image_checks(station, firmware)
    with station.step("5-12. FirmwareStatusNotification Downloaded, SignatureVerified, Installing, InstallRebooting; "
                      "the CSMS responds to each"):
        await _notify(station, request_id, "Downloaded", "SignatureVerified", "Installing", "InstallRebooting")
    with station.step("13-14. The harness reboots: BootNotificationRequest reason FirmwareUpdate; the CSMS responds "
                      "Accepted"):
        await station.disconnect()
        await station.connect()
        await station.boot("FirmwareUpdate", {"status": "Accepted"})
    with station.step("15-16. The harness reports the state of every connector; the CSMS responds"):
        await station.report_connectors()
    with station.step("17-18. FirmwareStatusNotification Installed; the CSMS responds"):
        await _notify(station, request_id, "Installed")


@testcase("TC_L_06_CSMS", "Secure Firmware Update - InvalidSignature", usecases=("L01",),
          requirements=("L01.FR.01", "L01.FR.03", "L01.FR.10"))
async def test_TC_L_06_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    payload = await _update_request(station, sut)
    with station.step("3-8. FirmwareStatusNotification Downloading, Downloaded, InvalidSignature; the CSMS responds "
                      "to each"):
        await _notify(station, payload["requestId"], "Downloading", "Downloaded", "InvalidSignature")
    with station.step("9-10. SecurityEventNotification InvalidFirmwareSignature (L01.FR.03); the CSMS responds"):
        await station.call_ok("SecurityEventNotification", {"type": "InvalidFirmwareSignature",
                                                            "timestamp": now_iso()}, {})


@testcase("TC_L_07_CSMS", "Secure Firmware Update - DownloadFailed", usecases=("L01",),
          requirements=("L01.FR.01", "L01.FR.10", "L01.FR.30"))
async def test_TC_L_07_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    payload = await _update_request(station, sut)
    with station.step("3-6. FirmwareStatusNotification Downloading, DownloadFailed; the CSMS responds to each"):
        await _notify(station, payload["requestId"], "Downloading", "DownloadFailed")


# ---- L01 coverage: scheduled updates, refused certificates, failed installations, a second request ---------------
def _moment(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def _future(station: StationRole, firmware: dict[str, Any], field: str) -> dt.datetime:
    """Step 1 validation of TC_L_02/03_CSMS: firmware.`field` is a dateTime in the future."""
    moment, now = _moment(firmware.get(field)), dt.datetime.now(dt.UTC)
    if moment is None or moment <= now:
        raise station.failure(f"the UpdateFirmwareRequest does not schedule the update: firmware.{field} is not in "
                              "the future", expected=f"firmware.{field} after {now.isoformat(timespec='seconds')}",
                              actual=repr(firmware.get(field)), requirements=("L01.FR.15",), rules=("SEQ",))
    return moment


async def _until(station: StationRole, moment: dt.datetime, what: str) -> None:
    """Let the scheduled moment come (at most the <Configured firmware_update_time>, noted when cut short)."""
    seconds = (moment - dt.datetime.now(dt.UTC)).total_seconds()
    limit = station.configured.firmware_update_time
    if seconds > limit:
        station.transcript.note(f"{what} is {seconds:.0f} s ahead; the harness waits {limit:g} s (the configured "
                                "firmware_update_time) and goes on")
    await station.hold(min(seconds, limit), what)


async def _reboot(station: StationRole, request_id: int, steps: tuple[str, str, str]) -> None:
    """InstallRebooting, the reboot with BootNotification reason FirmwareUpdate (Accepted: the tool validation),
    the connectors Available."""
    rebooting, boot, connectors = steps
    with station.step(f"{rebooting}. FirmwareStatusNotification InstallRebooting; the CSMS responds"):
        await _notify(station, request_id, "InstallRebooting")
    with station.step(f"{boot}. The harness reboots: BootNotificationRequest reason FirmwareUpdate; the CSMS responds "
                      "Accepted"):
        await station.disconnect()
        await station.connect()
        await station.boot("FirmwareUpdate", {"status": "Accepted"})
    with station.step(f"{connectors}. The harness reports every connector Available; the CSMS responds"):
        await station.report_connectors()


def _offset(station: StationRole, seconds: float) -> str:
    moment = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@testcase("TC_L_02_CSMS",
          notes="The CSMS is triggered with firmware.installDateTime now + <Configured install offset period> (the "
                "prerequisite's configuration of the CSMS); Installing follows once that time has come.")
async def test_TC_L_02_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    hint = {"firmware": {"installDateTime": _offset(station, station.configured.install_offset_period)}}
    payload = await _update_request(station, sut, hint=hint)
    request_id = payload["requestId"]
    with station.step("Step 1 validation: firmware.installDateTime is in the future"):
        install = _future(station, payload["firmware"], "installDateTime")
    with station.step("3-10. FirmwareStatusNotification Downloading, Downloaded, SignatureVerified, InstallScheduled; "
                      "the CSMS responds to each"):
        await _notify(station, request_id, "Downloading", "Downloaded", "SignatureVerified", "InstallScheduled")
    await _until(station, install, "the installDateTime of the UpdateFirmwareRequest")
    with station.step("11-12. FirmwareStatusNotification Installing; the CSMS responds"):
        await _notify(station, request_id, "Installing")
    await _reboot(station, request_id, ("13-14", "15-16", "17-18"))
    with station.step("19-20. FirmwareStatusNotification Installed; the CSMS responds"):
        await _notify(station, request_id, "Installed")


@testcase("TC_L_03_CSMS",
          notes="The CSMS is triggered with firmware.retrieveDateTime now + <Configured download offset period> "
                "(the prerequisite's configuration of the CSMS); Downloading follows once that time has come.")
async def test_TC_L_03_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    hint = {"firmware": {"retrieveDateTime": _offset(station, station.configured.download_offset_period)}}
    payload = await _update_request(station, sut, hint=hint)
    request_id = payload["requestId"]
    with station.step("Step 1 validation: firmware.retrieveDateTime is in the future"):
        retrieve = _future(station, payload["firmware"], "retrieveDateTime")
    with station.step("3-4. FirmwareStatusNotification DownloadScheduled; the CSMS responds"):
        await _notify(station, request_id, "DownloadScheduled")
    await _until(station, retrieve, "the retrieveDateTime of the UpdateFirmwareRequest")
    with station.step("5-12. FirmwareStatusNotification Downloading, Downloaded, SignatureVerified, Installing; the "
                      "CSMS responds to each"):
        await _notify(station, request_id, "Downloading", "Downloaded", "SignatureVerified", "Installing")
    await _reboot(station, request_id, ("13-14", "15-16", "17-18"))
    with station.step("19-20. FirmwareStatusNotification Installed; the CSMS responds"):
        await _notify(station, request_id, "Installed")


@testcase("TC_L_04_CSMS")
async def test_TC_L_04_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    await _update_request(station, sut, status="RevokedCertificate")


@testcase("TC_L_05_CSMS")
async def test_TC_L_05_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    await _update_request(station, sut, status="InvalidCertificate")
    with station.step("3-4. SecurityEventNotification InvalidFirmwareSigningCertificate; the CSMS responds"):
        await station.call_ok("SecurityEventNotification", {"type": "InvalidFirmwareSigningCertificate",
                                                            "timestamp": now_iso()}, {})


@testcase("TC_L_08_CSMS")
async def test_TC_L_08_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    payload = await _update_request(station, sut)
    with station.step("3-12. FirmwareStatusNotification Downloading, Downloaded, SignatureVerified, Installing, "
                      "InstallVerificationFailed; the CSMS responds to each"):
        await _notify(station, payload["requestId"], "Downloading", "Downloaded", "SignatureVerified", "Installing",
                      "InstallVerificationFailed")


@testcase("TC_L_09_CSMS")
async def test_TC_L_09_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    payload = await _update_request(station, sut)
    request_id = payload["requestId"]
    with station.step("3-10. FirmwareStatusNotification Downloading, Downloaded, SignatureVerified, Installing; the "
                      "CSMS responds to each"):
        await _notify(station, request_id, "Downloading", "Downloaded", "SignatureVerified", "Installing")
    await _reboot(station, request_id, ("11-12", "13-14", "15-16"))
    with station.step("17-18. FirmwareStatusNotification InstallationFailed; the CSMS responds"):
        await _notify(station, request_id, "InstallationFailed")


@testcase("TC_L_10_CSMS",
          notes="The CSMS is triggered twice; the harness reports the statuses of the second request's requestId "
                "after it answered AcceptedCanceled.")
async def test_TC_L_10_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    first = await _update_request(station, sut)
    with station.step("3-4. FirmwareStatusNotification Downloading; the CSMS responds"):
        await _notify(station, first["requestId"], "Downloading")
    second = await _update_request(station, sut, status="AcceptedCanceled", step="5-6")
    request_id = second["requestId"]
    with station.step("7-14. FirmwareStatusNotification Downloading, Downloaded, SignatureVerified, Installing (the "
                      "second request's requestId); the CSMS responds to each"):
        await _notify(station, request_id, "Downloading", "Downloaded", "SignatureVerified", "Installing")
    await _reboot(station, request_id, ("15-16", "17-18", "19-20"))
    with station.step("21-22. FirmwareStatusNotification Installed; the CSMS responds"):
        await _notify(station, request_id, "Installed")


@testcase("TC_L_11_CSMS",
          notes="The CSMS is triggered twice; the harness refuses the second request and goes on with the first.")
async def test_TC_L_11_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    first = await _update_request(station, sut)
    request_id = first["requestId"]
    with station.step("3-4. FirmwareStatusNotification Downloading; the CSMS responds"):
        await _notify(station, request_id, "Downloading")
    await _update_request(station, sut, status="Rejected", step="5-6")
    with station.step("7-12. FirmwareStatusNotification Downloaded, SignatureVerified, Installing (the first "
                      "request's requestId); the CSMS responds to each"):
        await _notify(station, request_id, "Downloaded", "SignatureVerified", "Installing")
    await _reboot(station, request_id, ("13-14", "15-16", "17-18"))
    with station.step("19-20. FirmwareStatusNotification Installed; the CSMS responds"):
        await _notify(station, request_id, "Installed")


@testcase("TC_L_13_CSMS")
async def test_TC_L_13_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    tx = station.transaction(station.configured.evse_id, station.configured.connector_id)
    await states.station_authorized(station, tx)
    await states.station_energy_transfer(station, tx)
    payload = await _update_request(station, sut)
    firmware, request_id = payload["firmware"], payload["requestId"]
    with station.step("Step 1 validation: firmware.signingCertificate is the configured one"):
        problems = [p for p in _configured_problems(station, firmware) if "signingCertificate" in p]
        if problems:
            raise station.failure("the UpdateFirmwareRequest does not carry the configured signing certificate",
                                  message="\n".join(problems), requirements=("L01.FR.11",), rules=("SEQ",))
    with station.step("3-4. FirmwareStatusNotification DownloadScheduled; the CSMS responds"):
        await _notify(station, request_id, "DownloadScheduled")
    with station.step("5-6. The harness reports its connectors without a transaction Unavailable; the CSMS responds"):
        for evse_id, count in enumerate(station.evses, start=1):
            for connector_id in range(1, count + 1):
                if (evse_id, connector_id) != (tx.evse, tx.connector):
                    await station.status(evse_id, connector_id, "Unavailable")
    await states.station_stop_authorized(station, tx)
    await states.station_ev_connected_post_session(station, tx)
    await states.station_ev_disconnected(station, tx)
    with station.step("10-17. FirmwareStatusNotification Downloading, Downloaded, SignatureVerified, Installing; the "
                      "CSMS responds to each"):
        await _notify(station, request_id, "Downloading", "Downloaded", "SignatureVerified", "Installing")
    await _reboot(station, request_id, ("18-19", "20-21", "22-23"))
    with station.step("24-25. FirmwareStatusNotification Installed; the CSMS responds"):
        await _notify(station, request_id, "Installed")
