"""Block L Secure firmware update (L01) with the CSMS under test: the harness plays the Charging Station.

Part 6 step tables are not in the reference material: the steps follow use case L01 and its requirements
(L01.FR.xx ids as in OCPP 2.0.1 Part 2). The CSMS is made to send UpdateFirmware through the control adapter
("Manual Action: trigger the CSMS to send an UpdateFirmwareRequest"), with a firmware of its own choosing. In
TC_L_01 the harness downloads the image from the location and verifies the signature with the signing
certificate; in TC_L_06 and TC_L_07 the test system plays a station whose check or download fails, so it reports
that outcome itself and judges only that the CSMS takes it.
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


@testcase("TC_L_01_CSMS", "Secure Firmware Update - Installation successful", usecases=("L01",),
          requirements=("L01.FR.01", "L01.FR.09", "L01.FR.10", "L01.FR.11", "L01.FR.12"))
async def test_TC_L_01_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    payload = await _update_request(station, sut)
    firmware, request_id = payload["firmware"], payload["requestId"]
    with station.step("The request is a secure update: signature and signingCertificate (L01.FR.09, L01.FR.11)"):
        problems = _secure_update_problems(firmware)
        if problems:
            shown = {k: v for k, v in firmware.items() if k != "signingCertificate"}
            raise station.failure("the UpdateFirmwareRequest is not a secure firmware update",
                                  message="\n".join(problems), actual=str(shown)[:800],
                                  requirements=("L01.FR.09", "L01.FR.11"), rules=("SEQ",))
    with station.step("3-4. FirmwareStatusNotification Downloading; the harness downloads from the location"):
        await _notify(station, request_id, "Downloading")
        location = str(firmware["location"])
        try:
            image = await download(location, ssl=_download_context(station, location),
                                   timeout=station.timeout(None))
        except TransferError as exc:
            raise station.failure("the firmware could not be downloaded from the location the CSMS gave",
                                  message=str(exc), requirements=("L01.FR.01",), rules=("SEQ",)) from None
    with station.step("5-6. FirmwareStatusNotification Downloaded; the signature verifies over the image with the "
                      "signingCertificate's key (L01.FR.12)"):
        await _notify(station, request_id, "Downloaded")
        if not verify_firmware(image, str(firmware["signature"]), str(firmware["signingCertificate"])):
            raise station.failure("the firmware signature does not verify with the signingCertificate",
                                  message=f"{len(image)} bytes downloaded; signature {str(firmware['signature'])[:60]}…"
                                          f"\n{_certificate_note(str(firmware['signingCertificate']))}",
                                  requirements=("L01.FR.12",), rules=("SEQ",))
    with station.step("7-12. FirmwareStatusNotification SignatureVerified, Installing, Installed; the CSMS "
                      "responds to each"):
        await _notify(station, request_id, "SignatureVerified", "Installing", "Installed")
    with station.step("13-14. SecurityEventNotification FirmwareUpdated (L01.FR.31); the CSMS responds"):
        await station.call_ok("SecurityEventNotification", {"type": "FirmwareUpdated", "timestamp": now_iso()}, {})


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
