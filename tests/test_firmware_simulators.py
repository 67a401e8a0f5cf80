"""The simulators' firmware update (L01) without OCPP around it: the station's FirmwareUpdater against a real
FirmwareServer on 127.0.0.1 with a recording link, and the CSMS's FirmwareHost."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.fileserver import FirmwareServer, download
from harness.pki import PkiFactory, verify_firmware
from harness.simulators.firmware import FirmwareHost, FirmwareUpdater

T = 5.0


@dataclass
class Faults:
    install_unverified_firmware: bool = False
    firmware_wrong_request_id: bool = False
    report_downloaded_when_missing: bool = False
    no_firmware_security_event: bool = False
    fake_firmware_download: bool = False
    skip_downloaded_status: bool = False
    no_reconnect_after_firmware: bool = False
    firmware_leaves_unavailable: bool = False
    unsigned_firmware_update: bool = False
    badly_signed_firmware_update: bool = False
    missing_firmware_image: bool = False
    firmware_times_now: bool = False
    accept_unsigned_firmware: bool = False
    install_broken_firmware: bool = False
    accept_untrusted_firmware_certificate: bool = False
    firmware_ignores_install_time: bool = False
    firmware_ignores_retrieve_time: bool = False
    reject_second_firmware: bool = False
    accept_uncancelable_firmware: bool = False
    canceled_firmware_old_request_id: bool = False


class Link:
    """Records what the updater sends."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.notes: list[str] = []
        self.changed = asyncio.Event()  # set on every message sent

    async def notify(self, action: str, payload: dict[str, Any]) -> bool:
        self.sent.append((action, payload))
        self.changed.set()
        return True

    def note(self, text: str) -> None:
        self.notes.append(text)

    async def reboot_to_activate(self) -> None:
        self.sent.append(("reboot", {}))

    async def report_connectors_as(self, status: str) -> None:
        self.sent.append(("StatusNotification", {"connectorStatus": status}))

    def statuses(self) -> list[str]:
        return [p["status"] for a, p in self.sent if a == "FirmwareStatusNotification"]

    def events(self) -> list[str]:
        return [p["type"] for a, p in self.sent if a == "SecurityEventNotification"]


def updater(pki: PkiFactory, link: Link, faults: Faults | None = None) -> FirmwareUpdater:
    return FirmwareUpdater(link, faults or Faults(), trusted=lambda: [pki.csms_root_path.read_text()],
                           download_timeout=T)


async def run(updater: FirmwareUpdater, payload: dict[str, Any]) -> dict[str, Any]:
    answer, work = updater.request(payload)
    if work is not None:
        await asyncio.wait_for(asyncio.ensure_future(work()), T)
    return answer


async def test_a_signed_image_is_downloaded_verified_and_installed(pki: PkiFactory) -> None:
    link = Link()
    async with FirmwareServer() as server:
        image = server.publish_signed("ok.bin", pki)
        answer = await run(updater(pki, link), {"requestId": 7, "firmware": image.firmware()})
        assert len(server.downloads("ok.bin")) == 1
    assert answer == {"status": "Accepted"}
    assert link.statuses() == ["Downloading", "Downloaded", "SignatureVerified", "Installing", "InstallRebooting",
                               "Installed"]
    assert ("reboot", {}) in link.sent  # Part 6 RebootBeforeFirmwareActivation: a new connection before Installed
    assert all(p["requestId"] == 7 for a, p in link.sent if a == "FirmwareStatusNotification")
    assert link.events() == ["FirmwareUpdated"]


async def test_a_triggered_status_is_the_last_one_with_its_request_id_and_idle_once_installed(pki: PkiFactory) -> None:
    link = Link()
    firmware = updater(pki, link)
    assert firmware.trigger_payload() == {"status": "Idle"}  # nothing asked yet
    async with FirmwareServer() as server:
        await run(firmware, {"requestId": 4, "retries": 0, "retryInterval": 0,
                             "firmware": server.missing_image("gone.bin", pki).firmware()})
        assert firmware.trigger_payload() == {"status": "DownloadFailed", "requestId": 4}  # L01.FR.26
        await run(firmware, {"requestId": 5, "firmware": server.publish_signed("ok.bin", pki).firmware()})
    assert firmware.trigger_payload() == {"status": "Idle"}  # L01.FR.25: Idle after Installed


async def test_a_bad_signature_is_reported_and_not_installed(pki: PkiFactory) -> None:
    link = Link()
    async with FirmwareServer() as server:
        image = server.publish_badly_signed("bad.bin", pki)
        await run(updater(pki, link), {"requestId": 1, "firmware": image.firmware()})
    assert link.statuses() == ["Downloading", "Downloaded", "InvalidSignature"]
    assert link.events() == ["InvalidFirmwareSignature"]


async def test_a_missing_image_is_tried_retries_plus_one_times(pki: PkiFactory) -> None:
    link = Link()
    async with FirmwareServer() as server:
        image = server.missing_image("gone.bin", pki)
        await run(updater(pki, link), {"requestId": 2, "retries": 2, "retryInterval": 0, "firmware": image.firmware()})
        assert len([r for r in server.requests if r.status == 404]) == 3
    assert link.statuses() == ["Downloading", "Downloading", "Downloading", "DownloadFailed"]


async def test_a_foreign_signing_certificate_is_refused(pki: PkiFactory, tmp_path: Path) -> None:
    link = Link()
    other = PkiFactory(tmp_path / "other")  # another manufacturer: its firmware root is not the station's
    async with FirmwareServer() as server:
        image = server.publish_signed("foreign.bin", other)
        answer = await run(updater(pki, link), {"requestId": 3, "firmware": image.firmware()})
        assert server.requests == []
    assert answer["status"] == "InvalidCertificate" and "trusted root" in answer["statusInfo"]["additionalInfo"]
    assert link.statuses() == [] and link.events() == ["InvalidFirmwareSigningCertificate"]


async def test_a_new_request_cancels_a_scheduled_one(pki: PkiFactory) -> None:
    link = Link()
    station = updater(pki, link)
    async with FirmwareServer() as server:
        image = server.publish_signed("later.bin", pki)
        later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
        answer, work = station.request({"requestId": 4, "firmware": image.firmware(retrieve_date_time=later)})
        assert answer == {"status": "Accepted"} and work is not None
        first = asyncio.ensure_future(work())
        async with asyncio.timeout(T):
            while link.statuses() != ["DownloadScheduled"]:
                link.changed.clear()
                await link.changed.wait()
        answer = await run(station, {"requestId": 5, "firmware": image.firmware()})
        assert answer == {"status": "AcceptedCanceled"}
        await asyncio.gather(first, return_exceptions=True)
        assert first.cancelled()
    assert link.statuses()[-1] == "Installed" and link.sent[-2][1]["requestId"] == 5
    assert link.sent[-2][0] == "FirmwareStatusNotification"


async def test_the_csms_host_serves_a_signed_image_and_breaks_it_on_request(pki: PkiFactory) -> None:
    host = FirmwareHost(pki, Faults(), tls=True)
    try:
        payload = await host.complete({})
        firmware = payload["firmware"]
        assert firmware["location"].startswith("https://127.0.0.1:") and payload["requestId"] == 1
        data = await download(firmware["location"], ssl=pki.client_context(2), timeout=T)
        assert verify_firmware(data, firmware["signature"], firmware["signingCertificate"])
        host.faults = Faults(unsigned_firmware_update=True)
        unsigned = (await host.complete({}))["firmware"]
        assert "signature" not in unsigned and "signingCertificate" not in unsigned
        host.faults = Faults(badly_signed_firmware_update=True)
        bad = (await host.complete({}))["firmware"]
        data = await download(bad["location"], ssl=pki.client_context(2), timeout=T)
        assert not verify_firmware(data, bad["signature"], bad["signingCertificate"])
        assert await host.complete({"requestId": 99, "firmware": firmware}) == {"requestId": 99, "firmware": firmware}
    finally:
        await host.stop()


async def test_half_a_signature_is_invalid_and_none_is_refused(pki: PkiFactory) -> None:
    half, unsigned = Link(), Link()
    async with FirmwareServer() as server:
        image = server.publish_signed("half.bin", pki)
        firmware = image.firmware()
        del firmware["signingCertificate"]
        await run(updater(pki, half), {"requestId": 1, "firmware": firmware})
        del firmware["signature"]
        await run(updater(pki, unsigned), {"requestId": 2, "firmware": firmware})
    assert half.statuses() == ["Downloading", "Downloaded", "InvalidSignature"]
    assert unsigned.statuses() == []  # a station of the secure update refuses an unsigned one (TC_L_18_CS)
