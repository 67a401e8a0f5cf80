"""Block L Secure firmware update (L01) with the Charging Station under test: the harness plays the CSMS.

The harness hosts the image on its `firmware_server` (HTTPS with the run's server certificate under security
profiles 2 and 3), signed with the run's firmware signing certificate, which the station must trust (its
manufacturer root; for the built-in station, the run's CSMS root). As in Part 6, UpdateFirmware carries
installDateTime and retrieveDateTime two hours back and no retries.
"""

from __future__ import annotations

import datetime as dt
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
TERMINAL = ("Installed", "InvalidSignature", "DownloadFailed", "InstallationFailed", "InstallVerificationFailed")
# what a successful secure update reports, in this order; Installing may be left out when the station reboots into
# a bootloader that cannot talk OCPP (RebootBeforeFirmwareInstallation), after InstallRebooting
SUCCESS = ("Downloading", "Downloaded", "SignatureVerified", "Installing", "Installed")


def _firmware(image: FirmwareImage, location: str | None = None) -> dict[str, Any]:
    """The FirmwareType of Part 6's UpdateFirmwareRequest: retrieveDateTime and installDateTime two hours back."""
    earlier = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    firmware = image.firmware(retrieve_date_time=earlier, install_date_time=earlier)
    if location is not None:
        firmware["location"] = location
    return firmware


async def _update(csms: CsmsRole, firmware: dict[str, Any]) -> Record | None:
    """Steps 1-2: UpdateFirmwareRequest; the station must answer Accepted. Returns the mark after which the
    station's notifications count."""
    mark = csms.mark()
    with csms.step(f"1-2. UpdateFirmwareRequest requestId {REQUEST_ID}, location, retrieveDateTime and "
                   "installDateTime two hours back, signingCertificate, signature; the station responds Accepted"):
        await csms.call_ok("UpdateFirmware", {"requestId": REQUEST_ID, "firmware": firmware}, {"status": "Accepted"})
    return mark


async def _statuses(csms: CsmsRole, mark: Record | None) -> list[dict[str, Any]]:
    """Every FirmwareStatusNotification payload after `mark` up to the first terminal status, which must come
    within the profile's <Configured firmware_update_time>."""
    last = await csms.receive("FirmwareStatusNotification", {"status": OneOf(*TERMINAL)},
                              within=csms.configured.firmware_update_time, after=mark)
    return _calls(csms, "FirmwareStatusNotification", mark, until=last)


def _calls(csms: CsmsRole, action: str, mark: Record | None, until: Record | None = None) -> list[dict[str, Any]]:
    """The payloads of the station's `action` CALLs after `mark` (up to `until`)."""
    after, last = (mark.seq if mark is not None else 0), (until.seq if until is not None else None)
    return [dict(r.frame.payload) for r in csms.transcript.records  # type: ignore[union-attr]
            if r.seq > after and (last is None or r.seq <= last) and r.direction == "rx" and r.message_type == 2
            and r.action == action]


def _request_ids(csms: CsmsRole, seen: list[dict[str, Any]]) -> None:
    """L01.FR.20 (beyond the tables, which check the statuses only): every notification names the request."""
    wrong = [f"{p.get('status')}: requestId {p.get('requestId')!r}" for p in seen if p.get("requestId") != REQUEST_ID]
    with csms.beyond_part6("L01.FR.20", f"every FirmwareStatusNotification carries requestId {REQUEST_ID}"):
        if wrong:
            raise csms.failure("FirmwareStatusNotification without the requestId of the UpdateFirmwareRequest",
                               message="\n".join(wrong), expected=f"requestId {REQUEST_ID} on every notification",
                               actual=" -> ".join(str(p.get("status")) for p in seen),
                               requirements=("L01.FR.10", "L01.FR.20"), rules=("SEQ",))


def _judge(csms: CsmsRole, seen: list[dict[str, Any]], wanted: tuple[str, ...], *, what: str,
           rules: tuple[str, ...]) -> None:
    """The statuses must hold `wanted` in order (others may come between)."""
    statuses = [str(p.get("status")) for p in seen]
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


async def _reboots(csms: CsmsRole, mark: Record | None) -> None:
    """Steps 11, 14, 15: the reusable states RebootBeforeFirmwareInstallation / -Activation (BootNotification with
    reason FirmwareUpdate, Accepted), and at least a new connection before the case ends."""
    since = mark.seq if mark is not None else 0
    wrong = [str(p.get("reason")) for p in _calls(csms, "BootNotification", mark) if p.get("reason") != "FirmwareUpdate"]
    if wrong:
        raise csms.failure("the station rebooted for the firmware update with another BootNotification reason",
                           expected="reason FirmwareUpdate", actual=", ".join(wrong), rules=("SEQ",))
    await csms.wait_record(lambda r: r.event == "handshake" and r.detail.get("status") == 101, after=since,
                           within=csms.reboot_wait(),
                           what="the station to reconnect after the update (Part 6 step 15: at least a new "
                                "connection, to agree the protocol version again)")
    if not csms.is_booted():
        await csms.wait_booted_again()


async def _connectors_back(csms: CsmsRole) -> None:
    """Steps 9 and 16: a connector the station made Unavailable for the update (its last reported state) is
    reported Available again."""
    for evse, connector in csms.connectors():
        if csms.connector_state(evse, connector) == "Unavailable":
            await csms.receive_status(evse, connector, "Available", after=csms.mark())


@testcase("TC_L_01_CS")
async def test_TC_L_01_CS(csms: CsmsRole, sut: StationControl, firmware_server: FirmwareServer) -> None:
    await booted(csms, sut)
    image = firmware_server.publish_signed("fw-l01.bin", csms.pki)
    mark = await _update(csms, _firmware(image))
    event = csms.expect("SecurityEventNotification", {"type": "FirmwareUpdated"}, after=mark, shared=True)
    with csms.step("3-8, 12, 18. FirmwareStatusNotification Downloading, Downloaded, SignatureVerified, Installing "
                   "(unless the station rebooted to install), Installed; the harness responds"):
        seen = await _statuses(csms, mark)
        statuses = [p.get("status") for p in seen]
        wanted = SUCCESS
        if "InstallRebooting" in statuses and "Installing" not in statuses:
            wanted = tuple(s for s in SUCCESS if s != "Installing")
        _judge(csms, seen, wanted, what="a successful signed update", rules=("L01.FR.01",))
    with csms.step("11, 14-15. Any reboot boots with reason FirmwareUpdate; the station connects anew"):
        await _reboots(csms, mark)
    with csms.step("9, 16-17. Connectors made Unavailable for the update are reported Available again"):
        await _connectors_back(csms)
    with csms.step("20-21. SecurityEventNotificationRequest FirmwareUpdated; the harness responds"):
        await csms.received(event)
    _request_ids(csms, seen)
    with csms.beyond_part6("L01.FR.01", "the station downloaded the image before it reported it installed"):
        if not firmware_server.downloads(image.name):
            raise csms.failure("the station reported the firmware installed without downloading it",
                               actual=" -> ".join(map(str, statuses)), requirements=("L01.FR.01",), rules=("SEQ",))


@testcase("TC_L_06_CS",
          notes="The image served is the signed one with its last byte changed: signature and certificate are well "
                "formed, the signature does not match the download.")
async def test_TC_L_06_CS(csms: CsmsRole, sut: StationControl, firmware_server: FirmwareServer) -> None:
    await booted(csms, sut)
    image = firmware_server.publish_badly_signed("fw-l06.bin", csms.pki)
    mark = await _update(csms, _firmware(image))
    event = csms.expect("SecurityEventNotification", {"type": "InvalidFirmwareSignature"}, after=mark, shared=True)
    with csms.step("3-8. FirmwareStatusNotification Downloading, Downloaded, InvalidSignature"):
        seen = await _statuses(csms, mark)
        statuses = [str(p.get("status")) for p in seen]
        installed = [s for s in statuses if s in ("SignatureVerified", "Installing", "Installed")]
        if installed:
            raise csms.failure("the station accepted a firmware image whose signature does not verify",
                               message=f"it reported {', '.join(installed)} instead of InvalidSignature",
                               expected="Downloading -> Downloaded -> InvalidSignature", actual=" -> ".join(statuses),
                               requirements=("L01.FR.04",), rules=("SEQ",))
        _judge(csms, seen, ("Downloading", "Downloaded", "InvalidSignature"), what="a rejected signature",
               rules=("L01.FR.01",))
    with csms.step("9-10. SecurityEventNotificationRequest InvalidFirmwareSignature (before or after step 7, errata "
                   "6.2.83); the harness responds"):
        await csms.received(event)
    _request_ids(csms, seen)


@testcase("TC_L_07_CS",
          notes="The location is the image's URL + '_does_not_exist' (the server answers 404), as Part 6 has it.")
async def test_TC_L_07_CS(csms: CsmsRole, sut: StationControl, firmware_server: FirmwareServer) -> None:
    await booted(csms, sut)
    image = firmware_server.publish_signed("fw-l07.bin", csms.pki)
    mark = await _update(csms, _firmware(image, location=image.url + "_does_not_exist"))
    with csms.step("3-6. FirmwareStatusNotification Downloading (optional), then DownloadFailed; never Downloaded"):
        seen = await _statuses(csms, mark)
        statuses = [str(p.get("status")) for p in seen]
        if "Downloaded" in statuses or statuses[-1:] != ["DownloadFailed"]:
            raise csms.failure("the station did not report DownloadFailed for a firmware it could not download",
                               message="the location answers 404 on every request; nothing was downloaded",
                               expected="(Downloading ->) DownloadFailed", actual=" -> ".join(statuses),
                               requirements=("L01.FR.30",), rules=("SEQ",))
    _request_ids(csms, seen)
