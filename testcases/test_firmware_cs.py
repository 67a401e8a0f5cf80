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
    ANY,
    CsmsRole,
    FirmwareImage,
    FirmwareServer,
    IfImplemented,
    OneOf,
    PreconditionNotMet,
    Record,
    StationControl,
    Variant,
    booted,
    states,
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


async def _update(csms: CsmsRole, firmware: dict[str, Any], *, request_id: int = REQUEST_ID,
                  status: str = "Accepted", step: str = "1-2", times: str = "retrieveDateTime and installDateTime "
                                                                           "two hours back") -> Record | None:
    """Steps 1-2: UpdateFirmwareRequest; the station must answer `status`. Returns the mark after which the
    station's notifications count."""
    mark = csms.mark()
    with csms.step(f"{step}. UpdateFirmwareRequest requestId {request_id}, location, {times}, signingCertificate, "
                   f"signature; the station responds {status}"):
        await csms.call_ok("UpdateFirmware", {"requestId": request_id, "firmware": firmware}, {"status": status})
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


def _request_ids(csms: CsmsRole, seen: list[dict[str, Any]], request_id: int = REQUEST_ID) -> None:
    """L01.FR.20 (beyond the tables, which check the statuses only): every notification names the request."""
    wrong = [f"{p.get('status')}: requestId {p.get('requestId')!r}" for p in seen if p.get("requestId") != request_id]
    with csms.beyond_part6("L01.FR.20", f"every FirmwareStatusNotification carries requestId {request_id}"):
        if wrong:
            raise csms.failure("FirmwareStatusNotification without the requestId of the UpdateFirmwareRequest",
                               message="\n".join(wrong), expected=f"requestId {request_id} on every notification",
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


# ---- L01 coverage: scheduled, refused, failing and replaced updates ----------------------------------------------
def _at(seconds: float) -> dt.datetime:
    return dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)


async def _installed(csms: CsmsRole, mark: Record | None, wanted: tuple[str, ...], *, what: str,
                     steps: tuple[str, str, str, str], request_id: int | None = REQUEST_ID,
                     seen_filter: Any = None) -> list[dict[str, Any]]:
    """The rest of a successful update from `mark` on: the statuses `wanted` in order (Installing may be left out
    after InstallRebooting), any reboot with reason FirmwareUpdate and a new connection, connectors made
    Unavailable reported Available again, the security event FirmwareUpdated. `steps`: the table's step numbers
    of these four parts."""
    event = csms.expect("SecurityEventNotification", {"type": "FirmwareUpdated"}, after=mark, shared=True)
    with csms.step(f"{steps[0]}. FirmwareStatusNotification {', '.join(wanted)}; the harness responds"):
        match: dict[str, Any] = {"status": OneOf(*TERMINAL)}
        if request_id is None:  # TC_L_10_CS: the end of the replacing update, whatever requestId it carries
            match = {"status": OneOf(*(s for s in TERMINAL if s not in ("DownloadFailed", "InstallationFailed")))}
        else:
            match["requestId"] = request_id
        last = await csms.receive("FirmwareStatusNotification", match, within=csms.configured.firmware_update_time,
                                  after=mark)
        seen = [p for p in _calls(csms, "FirmwareStatusNotification", mark, until=last)
                if seen_filter is None or seen_filter(p)]
        statuses = [p.get("status") for p in seen]
        if "InstallRebooting" in statuses and "Installing" not in statuses:
            wanted = tuple(s for s in wanted if s != "Installing")
        _judge(csms, seen, wanted, what=what, rules=("L01.FR.01",))
    with csms.step(f"{steps[1]}. Any reboot boots with reason FirmwareUpdate; the station connects anew"):
        await _reboots(csms, mark)
    with csms.step(f"{steps[2]}. Connectors made Unavailable for the update are reported Available again"):
        await _connectors_back(csms)
    with csms.step(f"{steps[3]}. SecurityEventNotificationRequest FirmwareUpdated; the harness responds"):
        await csms.received(event)
    return seen


@testcase("TC_L_02_CS",
          notes="installDateTime is now + <Configured install_offset_period>; retrieveDateTime two hours back.")
async def test_TC_L_02_CS(csms: CsmsRole, sut: StationControl, firmware_server: FirmwareServer) -> None:
    await booted(csms, sut)
    image = firmware_server.publish_signed("fw-l02.bin", csms.pki)
    earlier = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    firmware = image.firmware(retrieve_date_time=earlier,
                              install_date_time=_at(csms.configured.install_offset_period))
    mark = await _update(csms, firmware, times="retrieveDateTime two hours back, installDateTime now + the install "
                                               "offset period")
    csms.sut_timer(csms.configured.install_offset_period, "the station installs at installDateTime")
    seen = await _installed(csms, mark, ("Downloading", "Downloaded", "SignatureVerified", "InstallScheduled",
                                         "Installing", "Installed"),
                            what="an update scheduled for installation", steps=("3-10, 14, 20", "13, 16-17", "11, 18",
                                                                                 "22-23"))
    _request_ids(csms, seen)


@testcase("TC_L_03_CS",
          notes="retrieveDateTime is now + <Configured download_offset_period>; installDateTime two hours back.")
async def test_TC_L_03_CS(csms: CsmsRole, sut: StationControl, firmware_server: FirmwareServer) -> None:
    await booted(csms, sut)
    image = firmware_server.publish_signed("fw-l03.bin", csms.pki)
    earlier = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    firmware = image.firmware(retrieve_date_time=_at(csms.configured.download_offset_period),
                              install_date_time=earlier)
    mark = await _update(csms, firmware, times="retrieveDateTime now + the download offset period, installDateTime "
                                               "two hours back")
    csms.sut_timer(csms.configured.download_offset_period, "the station downloads at retrieveDateTime")
    seen = await _installed(csms, mark, ("DownloadScheduled", "Downloading", "Downloaded", "SignatureVerified",
                                         "Installing", "Installed"),
                            what="an update scheduled for download", steps=("3-10, 14, 20", "13, 16-17", "11, 18",
                                                                             "22-23"))
    _request_ids(csms, seen)


@testcase("TC_L_05_CS",
          notes="The signingCertificate is the run's firmware signer re-issued by a root the station does not "
                "trust (same key: only the certificate is wrong).")
async def test_TC_L_05_CS(csms: CsmsRole, sut: StationControl, firmware_server: FirmwareServer) -> None:
    await booted(csms, sut)
    image = firmware_server.publish_signed("fw-l05.bin", csms.pki)
    firmware = _firmware(image)
    firmware["signingCertificate"] = csms.pki.firmware_signer(variant=Variant.UNKNOWN_CA).cert_pem
    mark = csms.mark()
    event = csms.expect("SecurityEventNotification", {"type": "InvalidFirmwareSigningCertificate"}, after=mark,
                        shared=True)
    with csms.step(f"1-2. UpdateFirmwareRequest requestId {REQUEST_ID} with a signingCertificate of an untrusted "
                   "root; the station responds InvalidCertificate or RevokedCertificate"):
        answer = await csms.call_ok("UpdateFirmware", {"requestId": REQUEST_ID, "firmware": firmware},
                                    {"status": ANY})
        if answer.get("status") not in ("InvalidCertificate", "RevokedCertificate"):
            raise csms.failure("the station did not refuse a firmware signing certificate it cannot trust",
                               expected="UpdateFirmwareResponse InvalidCertificate or RevokedCertificate",
                               actual=str(answer), requirements=("L01.FR.21", "L01.FR.22"), rules=("SEQ",))
    with csms.step("3-4. SecurityEventNotificationRequest InvalidFirmwareSigningCertificate; the harness responds"):
        await csms.received(event)


def _invalid_firmware(csms: CsmsRole, firmware_server: FirmwareServer) -> dict[str, Any]:
    """<Configured invalid firmware location / signature / signingCertificate>; unset on the built-in station: a
    signed image of the harness whose content the built-in station's installer refuses."""
    configured = csms.configured
    earlier = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    if configured.invalid_firmware_location:
        image = FirmwareImage("invalid-firmware", configured.invalid_firmware_location, b"",
                              configured.invalid_firmware_signature, configured.invalid_firmware_signing_certificate)
    elif csms.settings.station.builtin:
        image = firmware_server.publish_uninstallable("fw-l08.bin", csms.pki)
    else:
        raise PreconditionNotMet("TC_L_08_CS needs a firmware image that makes this station fail its installation "
                                 "verification", fix="set configured.invalid_firmware_location, "
                                                     "invalid_firmware_signature and "
                                                     "invalid_firmware_signing_certificate in the SUT profile")
    return image.firmware(retrieve_date_time=earlier, install_date_time=earlier)


@testcase("TC_L_08_CS")
async def test_TC_L_08_CS(csms: CsmsRole, sut: StationControl, firmware_server: FirmwareServer) -> None:
    await booted(csms, sut)
    firmware = _invalid_firmware(csms, firmware_server)
    mark = await _update(csms, firmware)
    with csms.step("3-8, 12, 16. FirmwareStatusNotification Downloading, Downloaded, SignatureVerified, Installing "
                   "(unless the station rebooted to install), InstallVerificationFailed or InstallationFailed"):
        seen = await _statuses(csms, mark)
        statuses = [str(p.get("status")) for p in seen]
        if statuses[-1:] not in (["InstallVerificationFailed"], ["InstallationFailed"]):
            raise csms.failure("the station did not report the failed installation of a firmware that cannot be "
                               "installed", expected="... -> InstallVerificationFailed or InstallationFailed",
                               actual=" -> ".join(statuses), requirements=("L01.FR.01",), rules=("SEQ",))
        wanted: tuple[str, ...] = ("Downloading", "Downloaded", "SignatureVerified", "Installing")
        if "InstallRebooting" in statuses and "Installing" not in statuses:
            wanted = wanted[:-1]
        _judge(csms, seen, wanted, what="an update whose installation fails", rules=("L01.FR.01",))
    with csms.step("11. Any reboot boots with reason FirmwareUpdate"):
        if "InstallRebooting" in statuses:
            await _reboots(csms, mark)
    with csms.step("9, 14-15. Connectors made Unavailable for the update are reported Available again"):
        await _connectors_back(csms)
    _request_ids(csms, seen)


async def _busy_downloading(csms: CsmsRole, firmware_server: FirmwareServer, name: str) -> FirmwareImage:
    """Steps 1-4 of TC_L_10/11_CS: an update whose download the file server holds (the station stays busy
    downloading), until the station reports Downloading."""
    image = firmware_server.publish_signed(name, csms.pki)
    firmware_server.hold(name)
    mark = await _update(csms, _firmware(image), request_id=FIRST_ID)
    with csms.step("3-4. FirmwareStatusNotificationRequest Downloading; the harness responds"):
        await csms.receive("FirmwareStatusNotification", {"status": "Downloading", "requestId": FIRST_ID}, after=mark,
                           within=csms.configured.firmware_update_time)
    return image


FIRST_ID = 4700


@testcase("TC_L_10_CS",
          notes="The file server holds the first image's download until the case ends, so the station is still "
                "downloading when the second UpdateFirmwareRequest comes.")
async def test_TC_L_10_CS(csms: CsmsRole, sut: StationControl, firmware_server: FirmwareServer) -> None:
    await booted(csms, sut)
    try:
        await _busy_downloading(csms, firmware_server, "fw-l10-first.bin")
        image = firmware_server.publish_signed("fw-l10.bin", csms.pki)
        mark = await _update(csms, _firmware(image), status="AcceptedCanceled", step="5-6")

        def second(payload: dict[str, Any]) -> bool:  # errata 6.2.82: the first may still end Download/InstallFailed
            return not (payload.get("requestId") == FIRST_ID
                        and payload.get("status") in ("DownloadFailed", "InstallationFailed"))

        seen = await _installed(csms, mark, ("Downloading", "Downloaded", "SignatureVerified", "Installing",
                                             "Installed"), what="the update that replaced the running one",
                                steps=("7-12, 16, 22", "15, 18-19", "13, 20", "24-25"), seen_filter=second,
                                request_id=None)
        wrong = [f"{p.get('status')}: requestId {p.get('requestId')!r}" for p in seen if p.get("requestId") != REQUEST_ID]
        if wrong:
            raise csms.failure("after AcceptedCanceled the FirmwareStatusNotifications do not carry the second "
                               "request's requestId", message="\n".join(wrong),
                               expected=f"requestId {REQUEST_ID} from step 6 on", requirements=("L01.FR.24",),
                               rules=("SEQ",))
    finally:
        firmware_server.release("fw-l10-first.bin")


@testcase("TC_L_11_CS",
          notes="The file server holds the first image's download until the station answered the second request, "
                "so the station is still downloading then.")
async def test_TC_L_11_CS(csms: CsmsRole, sut: StationControl, firmware_server: FirmwareServer) -> None:
    await booted(csms, sut)
    name = "fw-l11.bin"
    try:
        await _busy_downloading(csms, firmware_server, name)
        mark = csms.mark()
        other = firmware_server.publish_signed("fw-l11-second.bin", csms.pki)
        await _update(csms, _firmware(other), status="Rejected", step="5-6")
        firmware_server.release(name)
        seen = await _installed(csms, mark, ("Downloaded", "SignatureVerified", "Installing", "Installed"),
                                what="the running update the station could not cancel",
                                steps=("7-10, 14, 20", "13, 16-17", "11, 18", "22-23"), request_id=FIRST_ID)
        _request_ids(csms, seen, FIRST_ID)
    finally:
        firmware_server.release(name)


@testcase("TC_L_18_CS")
async def test_TC_L_18_CS(csms: CsmsRole, sut: StationControl, firmware_server: FirmwareServer) -> None:
    await booted(csms, sut)
    image = firmware_server.publish_signed("fw-l18.bin", csms.pki)
    firmware = {k: v for k, v in _firmware(image).items() if k not in ("signature", "signingCertificate")}
    with csms.step(f"1-2. UpdateFirmwareRequest requestId {REQUEST_ID} without signingCertificate and signature; the "
                   "station responds Rejected or InvalidCertificate"):
        answer = await csms.call_ok("UpdateFirmware", {"requestId": REQUEST_ID, "firmware": firmware},
                                    {"status": ANY})
        if answer.get("status") not in ("Rejected", "InvalidCertificate"):
            raise csms.failure("the station accepted a firmware update without signature and signing certificate",
                               expected="UpdateFirmwareResponse Rejected or InvalidCertificate", actual=str(answer),
                               rules=("SEQ",))


# ---- L01.FR.06/07: an update while transactions run --------------------------------------------------------------
PENDING = "ChargingStation.AllowNewSessionsPendingFirmwareUpdate"
STARTED = ("Downloading", "Downloaded", "SignatureVerified", "Installing", "Installed", "InstallRebooting")


async def _charging(csms: CsmsRole, sut: StationControl, evse: int, token: Any) -> None:
    """Reusable state EnergyTransferStarted on `evse`, authorized with `token`."""
    with csms.step(f"Reusable state EnergyTransferStarted on EVSE {evse} with idToken {token.id_token}"):
        await states.authorized(csms, sut, token, evse, local=True)
        await states.energy_transfer_started(csms, sut, evse)


async def _session_ends(csms: CsmsRole, sut: StationControl, evse: int, token: Any, step: str) -> None:
    """Reusable state ParkingBayUnoccupied for `evse` (the end state a running transaction proceeds to):
    StopAuthorized, EVConnectedPostSession, EVDisconnected, ParkingBayUnoccupied."""
    with csms.step(f"{step}. Reusable state ParkingBayUnoccupied for EVSE {evse}: the transaction stops"):
        await states.stop_authorized(csms, sut, token, evse)
        csms.authorized.pop(evse, None)
        await states.ev_connected_post_session(csms, sut, evse)
        await states.ev_disconnected(csms, sut, evse)
        await states.parking_bay_unoccupied(csms, sut, evse)


def _second_evse(csms: CsmsRole) -> int:
    """<Configured second Connector>: the first EVSE other than <Configured evseId>."""
    others = sorted({e for e, _ in csms.connectors()} - {csms.configured.evse_id})
    if not others:
        raise PreconditionNotMet("the case starts a second transaction on another EVSE; the station reports one "
                                 "EVSE", fix="run it on a station with two EVSEs (Part 6 prerequisite)")
    return others[0]


async def _idle_unavailable(csms: CsmsRole, mark: Record | None, busy: set[int], step: str) -> None:
    """L01.FR.07: every connector without a transaction is reported Unavailable (StatusNotification or NotifyEvent
    AvailabilityState) while the update waits."""
    with csms.step(f"{step}. The station reports its Available connectors (no transaction) Unavailable"):
        for evse, connector in csms.connectors():
            if evse not in busy:
                await csms.receive_status(evse, connector, "Unavailable", after=mark)


def _last_ended(csms: CsmsRole, mark: Record | None) -> Record | None:
    """The record of the last TransactionEvent Ended after `mark`: where the transactions were over."""
    after = mark.seq if mark is not None else 0
    ended = [r for r in csms.transcript.records if r.seq > after and r.direction == "rx" and r.message_type == 2
             and r.action == "TransactionEvent" and r.frame.payload.get("eventType") == "Ended"]  # type: ignore[union-attr]
    return ended[-1] if ended else csms.mark()


def _not_before(csms: CsmsRole, mark: Record | None, ended: Record | None, forbidden: tuple[str, ...], *,
                what: str) -> None:
    """The table's order: none of `forbidden` before the transactions ended (the mark `ended`)."""
    early = [str(p.get("status")) for p in _calls(csms, "FirmwareStatusNotification", mark, until=ended)
             if p.get("status") in forbidden]
    booted_early = _calls(csms, "BootNotification", mark, until=ended)
    if early or booted_early:
        raise csms.failure(f"the station {what} while a transaction was running",
                           message=f"before the transactions ended: {', '.join(early) or 'a reboot (BootNotification)'}",
                           expected=f"{' / '.join(forbidden)} only after the transactions ended",
                           actual=" -> ".join(str(p.get("status")) for p in
                                              _calls(csms, "FirmwareStatusNotification", mark, until=ended)),
                           requirements=("L01.FR.06",), rules=("SEQ",))


async def _during_transaction(csms: CsmsRole, sut: StationControl, firmware_server: FirmwareServer, *,
                              allow_new: bool, download_first: bool) -> None:
    """TC_L_12 to TC_L_15_CS. `allow_new`: AllowNewSessionsPendingFirmwareUpdate true and a second transaction
    starts meanwhile; `download_first`: the station downloads during the transaction (AQ-7) and waits to install
    and activate (TC_L_14/15), else it waits before downloading (TC_L_12/13)."""
    await booted(csms, sut)
    if allow_new:
        await csms.configure({PENDING: IfImplemented(True)})
        second = _second_evse(csms)
    else:
        await csms.configure({PENDING: False})
    first, token = csms.configured.evse_id, csms.tokens.valid
    await _charging(csms, sut, first, token)
    image = firmware_server.publish_signed("fw-tx.bin", csms.pki)
    mark = await _update(csms, _firmware(image))
    if download_first:
        with csms.step("3-10. FirmwareStatusNotification Downloading, Downloaded, SignatureVerified, then "
                       "InstallScheduled or Installing"):
            await csms.receive("FirmwareStatusNotification", {"status": OneOf("InstallScheduled", "Installing")},
                               after=mark, within=csms.configured.firmware_update_time)
    else:
        with csms.step("3-4. FirmwareStatusNotification DownloadScheduled (optional: the station may just wait)"):
            csms.transcript.note("DownloadScheduled is optional here; judged with the sequence at the end")
    if allow_new:
        await _charging(csms, sut, second, csms.tokens.valid2)
        await _session_ends(csms, sut, first, token, "12" if download_first else "6")
        await _session_ends(csms, sut, second, csms.tokens.valid2, "13" if download_first else "7")
    else:
        await _idle_unavailable(csms, mark, {first}, "11-12" if download_first else "5-6")
        await _session_ends(csms, sut, first, token, "13" if download_first else "7")
    ended = _last_ended(csms, mark)
    with csms.step("The order of the table: " + ("no download" if not download_first else "no activation")
                   + " before the transactions ended"):
        if download_first:
            _not_before(csms, mark, ended, ("InstallRebooting", "Installed"), what="activated the new firmware")
        else:
            _not_before(csms, mark, ended, STARTED, what="downloaded the firmware")
    wanted = ("Downloading", "Downloaded", "SignatureVerified", "Installing", "Installed")
    seen = await _installed(csms, mark, wanted, what="an update that waited for the transactions",
                            steps=("8-13, 17, 23" if not download_first else "3-9, 17, 23", "16, 19-20", "14, 21",
                                   "25-26"))
    _request_ids(csms, seen)


@testcase("TC_L_12_CS")
async def test_TC_L_12_CS(csms: CsmsRole, sut: StationControl, firmware_server: FirmwareServer) -> None:
    await _during_transaction(csms, sut, firmware_server, allow_new=True, download_first=False)


@testcase("TC_L_13_CS")
async def test_TC_L_13_CS(csms: CsmsRole, sut: StationControl, firmware_server: FirmwareServer) -> None:
    await _during_transaction(csms, sut, firmware_server, allow_new=False, download_first=False)


@testcase("TC_L_14_CS")
async def test_TC_L_14_CS(csms: CsmsRole, sut: StationControl, firmware_server: FirmwareServer) -> None:
    await _during_transaction(csms, sut, firmware_server, allow_new=True, download_first=True)


@testcase("TC_L_15_CS")
async def test_TC_L_15_CS(csms: CsmsRole, sut: StationControl, firmware_server: FirmwareServer) -> None:
    await _during_transaction(csms, sut, firmware_server, allow_new=False, download_first=True)


@testcase("TC_L_16_CS",
          notes="The transaction of the Before state still runs when the case ends (the cleanup ends it).")
async def test_TC_L_16_CS(csms: CsmsRole, sut: StationControl, firmware_server: FirmwareServer) -> None:
    await booted(csms, sut)
    await _charging(csms, sut, csms.configured.evse_id, csms.tokens.valid)
    image = firmware_server.publish_signed("fw-l16.bin", csms.pki)
    mark = await _update(csms, _firmware(image))
    event = csms.expect("SecurityEventNotification", {"type": "FirmwareUpdated"}, after=mark, shared=True)
    with csms.step("3-10. FirmwareStatusNotification Downloading, Downloaded, SignatureVerified, Installing while "
                   "the transaction runs; the harness responds"):
        installing = await csms.receive("FirmwareStatusNotification", {"status": OneOf("Installing", *TERMINAL)},
                                        after=mark, within=csms.configured.firmware_update_time)
        seen = _calls(csms, "FirmwareStatusNotification", mark, until=installing)
        _judge(csms, seen, ("Downloading", "Downloaded", "SignatureVerified", "Installing"),
               what="an update during a transaction", rules=("L01.FR.01",))
    with csms.step("11. The harness waits for the station to reconnect"):
        await csms.wait_record(lambda r: r.event == "handshake" and r.detail.get("status") == 101,
                               after=installing.seq, within=csms.reboot_wait(),
                               what="the station to reconnect with the new firmware (Part 6 step 11)")
        if not csms.is_booted():
            await csms.wait_booted_again()
    with csms.step("12-13. FirmwareStatusNotification Installed; the harness responds"):
        last = await csms.receive("FirmwareStatusNotification", {"status": OneOf(*TERMINAL)}, after=installing,
                                  within=csms.configured.firmware_update_time)
        if last.frame.payload.get("status") != "Installed":  # type: ignore[union-attr]
            raise csms.failure("the station did not install the firmware during the transaction",
                               expected="FirmwareStatusNotification Installed",
                               actual=str(last.frame.payload.get("status")),  # type: ignore[union-attr]
                               requirements=("L01.FR.06",), rules=("SEQ",))
    with csms.step("14-15. SecurityEventNotificationRequest FirmwareUpdated; the harness responds"):
        await csms.received(event)
    _request_ids(csms, _calls(csms, "FirmwareStatusNotification", mark, until=last))
