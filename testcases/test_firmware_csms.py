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
    station_booted,
    testcase,
    verify_firmware,
)


async def _update_request(station: StationRole, sut: CsmsControl) -> dict[str, Any]:
    """Trigger the CSMS, answer its UpdateFirmwareRequest Accepted; the request's payload."""
    update = station.expect("UpdateFirmware", {"requestId": ANY, "firmware": {"location": ANY,
                                                                               "retrieveDateTime": ANY}},
                            respond={"status": "Accepted"})
    with station.step("Manual Action: trigger the CSMS to send an UpdateFirmwareRequest"):
        await sut.trigger(station.identity, "UpdateFirmware", {})
    with station.step("1-2. UpdateFirmwareRequest with requestId and firmware location / retrieveDateTime; the "
                      "harness responds Accepted"):
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
