"""Block L Secure firmware update (L01) with the Charging Station under test: the harness plays the CSMS.

Part 6 step tables are not in the reference material: the steps follow use case L01 and its requirements
(L01.FR.xx ids as in OCPP 2.0.1 Part 2). The harness hosts the image on its `firmware_server` (HTTPS with the run's
server certificate under security profiles 2 and 3), signed with the run's firmware signing certificate, which
the station must trust (its manufacturer root; for the built-in station, the run's CSMS root).
"""

from __future__ import annotations

from typing import Any

from harness import (
    CsmsRole,
    FirmwareImage,
    FirmwareServer,
    OneOf,
    Record,
    StationControl,
    booted,
    testcase,
)

REQUEST_ID = 4711
RETRIES, RETRY_INTERVAL = 1, 1
TERMINAL = ("Installed", "InvalidSignature", "DownloadFailed", "InstallationFailed", "InstallVerificationFailed")
# what a successful secure update reports, in this order (L01.FR.01); Installing may be left out when the station
# reboots into a bootloader that cannot talk OCPP (L01.FR.23), after InstallRebooting
SUCCESS = ("Downloading", "Downloaded", "SignatureVerified", "Installing", "Installed")


async def _update(csms: CsmsRole, image: FirmwareImage) -> Record | None:
    """UpdateFirmwareRequest for `image` (retrieveDateTime now); the station must answer Accepted. Returns the
    mark after which the station's notifications count."""
    mark = csms.mark()
    with csms.step(f"1-2. UpdateFirmwareRequest requestId {REQUEST_ID}, retries {RETRIES}, retryInterval "
                   f"{RETRY_INTERVAL}, firmware location / retrieveDateTime / signature / signingCertificate; the "
                   "station responds Accepted (L01.FR.21)"):
        await csms.call_ok("UpdateFirmware", {"requestId": REQUEST_ID, "retries": RETRIES,
                                              "retryInterval": RETRY_INTERVAL, "firmware": image.firmware()},
                           {"status": "Accepted"})
    return mark


async def _statuses(csms: CsmsRole, mark: Record | None) -> list[dict[str, Any]]:
    """Every FirmwareStatusNotification payload after `mark` up to the first terminal status, which must come
    within the profile's <Configured firmware_update_time> plus the retry waits."""
    within = csms.configured.firmware_update_time + RETRIES * RETRY_INTERVAL
    last = await csms.receive("FirmwareStatusNotification", {"status": OneOf(*TERMINAL)}, within=within, after=mark)
    after = mark.seq if mark is not None else 0
    return [r.frame.payload for r in csms.transcript.records  # type: ignore[union-attr]
            if after < r.seq <= last.seq and r.direction == "rx" and r.message_type == 2
            and r.action == "FirmwareStatusNotification"]


def _judge(csms: CsmsRole, seen: list[dict[str, Any]], wanted: tuple[str, ...], *, what: str,
           rules: tuple[str, ...]) -> None:
    """The statuses must hold `wanted` in order (others may come between) and each carries our requestId."""
    statuses = [str(p.get("status")) for p in seen]
    wrong_ids = [f"{p.get('status')}: requestId {p.get('requestId')!r}" for p in seen if p.get("requestId") != REQUEST_ID]
    if wrong_ids:
        raise csms.failure("FirmwareStatusNotification without the requestId of the UpdateFirmwareRequest",
                           message="\n".join(wrong_ids), expected=f"requestId {REQUEST_ID} on every notification",
                           actual=" -> ".join(statuses), requirements=("L01.FR.10", "L01.FR.20"), rules=("SEQ",))
    missing, position = [], 0
    for status in wanted:  # in order: each one after the one before it
        if status in statuses[position:]:
            position = statuses.index(status, position) + 1
        else:
            missing.append(status)
    if missing:
        raise csms.failure(f"the firmware status sequence is not that of {what}",
                           message=f"missing (or out of order): {', '.join(missing)}",
                           expected=" -> ".join(wanted), actual=" -> ".join(statuses), requirements=rules,
                           rules=("SEQ",))


@testcase("TC_L_01_CS", "Secure Firmware Update - Installation successful", usecases=("L01",),
          requirements=("L01.FR.01", "L01.FR.10", "L01.FR.21", "L01.FR.28", "L01.FR.31"))
async def test_TC_L_01_CS(csms: CsmsRole, sut: StationControl, firmware_server: FirmwareServer) -> None:
    await booted(csms, sut)
    image = firmware_server.publish_signed("fw-l01.bin", csms.pki)
    mark = await _update(csms, image)
    with csms.step("3-12. FirmwareStatusNotification Downloading, Downloaded, SignatureVerified, (InstallRebooting,) "
                   f"Installing, Installed, each with requestId {REQUEST_ID}; the harness responds"):
        seen = await _statuses(csms, mark)
        statuses = [p.get("status") for p in seen]
        wanted = SUCCESS
        if "InstallRebooting" in statuses and "Installing" not in statuses:
            wanted = tuple(s for s in SUCCESS if s != "Installing")  # L01.FR.23
        _judge(csms, seen, wanted, what="a successful signed update", rules=("L01.FR.01", "L01.FR.04", "L01.FR.28"))
        if not firmware_server.downloads(image.name):
            raise csms.failure("the station reported the firmware installed without downloading it",
                               actual=" -> ".join(map(str, statuses)), requirements=("L01.FR.01",), rules=("SEQ",))
    with csms.step("13-14. SecurityEventNotification FirmwareUpdated (L01.FR.31); the harness responds"):
        await csms.receive("SecurityEventNotification", {"type": "FirmwareUpdated"}, after=mark)


@testcase("TC_L_06_CS", "Secure Firmware Update - InvalidSignature", usecases=("L01",),
          requirements=("L01.FR.03", "L01.FR.04", "L01.FR.12"),
          notes="The image served is the signed one with its last byte changed: signature and certificate are well "
                "formed, the signature does not match the download.")
async def test_TC_L_06_CS(csms: CsmsRole, sut: StationControl, firmware_server: FirmwareServer) -> None:
    await booted(csms, sut)
    image = firmware_server.publish_badly_signed("fw-l06.bin", csms.pki)
    mark = await _update(csms, image)
    with csms.step("3-8. FirmwareStatusNotification Downloading, Downloaded, InvalidSignature; never Installing or "
                   "Installed"):
        seen = await _statuses(csms, mark)
        statuses = [str(p.get("status")) for p in seen]
        installed = [s for s in statuses if s in ("SignatureVerified", "Installing", "Installed")]
        if installed:
            raise csms.failure("the station accepted a firmware image whose signature does not verify",
                               message=f"it reported {', '.join(installed)} instead of InvalidSignature",
                               expected="Downloading -> Downloaded -> InvalidSignature", actual=" -> ".join(statuses),
                               requirements=("L01.FR.04", "L01.FR.12"), rules=("SEQ",))
        _judge(csms, seen, ("Downloading", "Downloaded", "InvalidSignature"), what="a rejected signature",
               rules=("L01.FR.01",))
    with csms.step("9-10. SecurityEventNotification InvalidFirmwareSignature (L01.FR.03); the harness responds"):
        await csms.receive("SecurityEventNotification", {"type": "InvalidFirmwareSignature"}, after=mark)


@testcase("TC_L_07_CS", "Secure Firmware Update - DownloadFailed", usecases=("L01",),
          requirements=("L01.FR.01", "L01.FR.30"),
          notes=f"The location answers 404; with retries {RETRIES} the station may report Downloading again for each "
                "attempt before DownloadFailed.")
async def test_TC_L_07_CS(csms: CsmsRole, sut: StationControl, firmware_server: FirmwareServer) -> None:
    await booted(csms, sut)
    image = firmware_server.missing_image("fw-l07.bin", csms.pki)
    mark = await _update(csms, image)
    with csms.step("3-6. FirmwareStatusNotification Downloading, then DownloadFailed once the attempts are used up; "
                   "never Downloaded"):
        seen = await _statuses(csms, mark)
        statuses = [str(p.get("status")) for p in seen]
        if "Downloaded" in statuses or statuses[-1] != "DownloadFailed":
            raise csms.failure("the station did not report DownloadFailed for a firmware it could not download",
                               message=f"the location answers 404 on every request ({len(firmware_server.requests)} "
                                       "made); nothing was downloaded",
                               expected="Downloading -> DownloadFailed", actual=" -> ".join(statuses),
                               requirements=("L01.FR.30",), rules=("SEQ",))
        _judge(csms, seen, ("Downloading", "DownloadFailed"), what="a failed download", rules=("L01.FR.01",))
