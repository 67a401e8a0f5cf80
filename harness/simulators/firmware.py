"""Secure firmware update (L01) in both simulators.

`FirmwareUpdater` is the station's side of UpdateFirmware: check the signing certificate before accepting
(L01.FR.21/22), download with `retries` / `retryInterval`, verify the signature with the signing certificate
(L01.FR.04, L01.FR.12), install, and report every state with the request's `requestId` (L01.FR.01, L01.FR.10)
plus the security events of L01.FR.02, L01.FR.03 and L01.FR.31. It activates the new firmware with a reboot
(InstallRebooting, BootNotification reason FirmwareUpdate: Part 6 RebootBeforeFirmwareActivation), then reports
Installed. A new UpdateFirmware cancels a running one: AcceptedCanceled (L01.FR.24).

`FirmwareHost` is the CSMS's side: it serves the image it names in UpdateFirmware from its own FirmwareServer
(HTTPS when the CSMS itself speaks TLS) and fills in location, signature, signing certificate and retrieveDateTime.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
from collections.abc import Awaitable, Callable, Mapping
from functools import partial
from ssl import SSLContext
from typing import Any, Protocol

from harness.fileserver import UNINSTALLABLE, FirmwareImage, FirmwareServer, TransferError, download
from harness.ocppj.defaults import now_iso
from harness.pki import PkiFactory, chain_problems, verify_firmware

DEFAULT_RETRIES = 1  # when UpdateFirmware leaves it to the station
DEFAULT_RETRY_INTERVAL = 5.0
MAX_RETRIES = 10  # a CSMS asking for a million retries gets ten
TERMINAL = frozenset({"Installed", "InvalidSignature", "DownloadFailed", "InstallationFailed",
                      "InstallVerificationFailed"})

Work = Callable[[], Awaitable[None]]


class FirmwareLink(Protocol):
    """What the updater needs of its station: send a CALL while online, write a note into the transcript."""

    async def notify(self, action: str, payload: dict[str, Any]) -> bool: ...

    def note(self, text: str) -> None: ...

    async def reboot_to_activate(self) -> None:
        """Reboot (BootNotification reason FirmwareUpdate); return once booted and online again."""

    async def report_connectors_as(self, status: str) -> None:
        """Report every connector in `status` (whatever its real state): a fault's doing."""


class UpdaterFaults(Protocol):
    install_unverified_firmware: bool
    firmware_wrong_request_id: bool
    report_downloaded_when_missing: bool
    no_firmware_security_event: bool
    fake_firmware_download: bool
    skip_downloaded_status: bool
    no_reconnect_after_firmware: bool
    firmware_leaves_unavailable: bool
    accept_unsigned_firmware: bool
    install_broken_firmware: bool
    accept_untrusted_firmware_certificate: bool
    firmware_ignores_install_time: bool
    firmware_ignores_retrieve_time: bool
    reject_second_firmware: bool
    accept_uncancelable_firmware: bool
    canceled_firmware_old_request_id: bool


class FirmwareUpdater:
    """One station's firmware update state machine; `request()` answers an UpdateFirmware."""

    def __init__(self, link: FirmwareLink, faults: UpdaterFaults, *, trusted: Callable[[], list[str]],
                 tls: SSLContext | None = None, download_timeout: float = 10.0, cancelable: bool = True) -> None:
        self.link = link
        self.faults = faults
        self.cancelable = cancelable  # Part 5 C-60: a new request cancels the running update (else: Rejected)
        self.trusted = trusted  # PEMs that may issue the firmware signing certificate (manufacturer roots)
        self.tls = tls  # trusts the run's PKI for https:// locations
        self.download_timeout = download_timeout
        self.status = "Idle"  # the last status reported (TriggerMessage FirmwareStatusNotification, L01.FR.25/26)
        self.request_id: int | None = None
        self._running: asyncio.Task[Any] | None = None
        self._canceled_id: int | None = None  # the requestId of the update the last AcceptedCanceled replaced

    def request(self, payload: Mapping[str, Any]) -> tuple[dict[str, Any], Work | None]:
        """The UpdateFirmwareResponse, and the work to start once it is on the wire (None: nothing)."""
        firmware = payload["firmware"]
        certificate = firmware.get("signingCertificate")
        if certificate is None and firmware.get("signature") is None and not self.faults.accept_unsigned_firmware:
            # a station that supports the secure update takes no unsigned one (Part 6 TC_L_18_CS)
            self.link.note("UpdateFirmware refused: neither signature nor signingCertificate")
            return {"status": "Rejected", "statusInfo": {"reasonCode": "InvalidCertificate",
                                                         "additionalInfo": "an unsigned firmware update"}}, None
        if certificate is not None:
            problems = chain_problems(certificate, trusted=self.trusted())
            if problems and self.faults.accept_untrusted_firmware_certificate:
                problems = []
            if problems:  # L01.FR.21/22, and the security event of L01.FR.02
                reason = "; ".join(problems)
                self.link.note(f"UpdateFirmware refused: signing certificate {reason}")
                return ({"status": "InvalidCertificate", "statusInfo": {"reasonCode": "InvalidCertificate",
                                                                        "additionalInfo": reason[:512]}},
                        partial(self._security_event, "InvalidFirmwareSigningCertificate", reason))
        status = "Accepted"
        if self._running is not None and not self._running.done():
            if not self.cancelable or self.faults.reject_second_firmware:  # L01.FR.27: it goes on with the first
                self.link.note("UpdateFirmware refused: the running firmware update cannot be canceled")
                if self.faults.accept_uncancelable_firmware:
                    return {"status": "Accepted"}, None
                return {"status": "Rejected"}, None
            self._running.cancel()  # L01.FR.24: the new request replaces the running update
            self._canceled_id = self.request_id
            status = "AcceptedCanceled"
        return {"status": status}, partial(self._update, dict(payload))

    async def _update(self, payload: dict[str, Any]) -> None:
        self._running = asyncio.current_task()
        firmware: dict[str, Any] = payload["firmware"]
        self.request_id = int(payload["requestId"]) + (1 if self.faults.firmware_wrong_request_id else 0)
        if self.faults.canceled_firmware_old_request_id and self._canceled_id is not None:
            self.request_id = self._canceled_id
        retrieve = _moment(firmware.get("retrieveDateTime"))
        if retrieve is not None and retrieve > dt.datetime.now(dt.UTC) and not self.faults.firmware_ignores_retrieve_time:
            await self._report("DownloadScheduled")  # L01.FR.13
            await _until(retrieve)
        if self.faults.fake_firmware_download:  # the success sequence, and nothing behind it
            for status in ("Downloading", "Downloaded", "SignatureVerified"):
                await self._report(status)
            await self._install(payload)
            return
        data = await self._download(firmware["location"], payload)
        if data is None:
            return
        signature, certificate = firmware.get("signature"), firmware.get("signingCertificate")
        if signature is not None or certificate is not None:  # neither: an unsigned (L02) update, nothing to check
            verified = signature is not None and certificate is not None and verify_firmware(data, signature,
                                                                                             certificate)
            if not verified and not self.faults.install_unverified_firmware:
                await self._report("InvalidSignature")
                await self._security_event("InvalidFirmwareSignature", "signature does not match the image")
                return
            await self._report("SignatureVerified")
        await self._install(payload, data)

    async def _install(self, payload: dict[str, Any], data: bytes = b"") -> None:
        install = _moment(payload["firmware"].get("installDateTime"))
        if install is not None and install > dt.datetime.now(dt.UTC) and not self.faults.firmware_ignores_install_time:
            await self._report("InstallScheduled")  # L01.FR.16
            await _until(install)
        if self.faults.firmware_leaves_unavailable:  # Part 6 TC_L_01_CS step 9 (allowed) ...
            await self.link.report_connectors_as("Unavailable")
        await self._report("Installing")
        if data.startswith(UNINSTALLABLE) and not self.faults.install_broken_firmware:
            self.link.note("the image does not pass the installer's own verification: the old firmware stays")
            await self._report("InstallVerificationFailed")  # Part 6 TC_L_08_CS
            return
        if not self.faults.no_reconnect_after_firmware:  # Part 6 TC_L_01_CS: at least a new connection
            await self._report("InstallRebooting")
            await self.link.reboot_to_activate()
        if self.faults.firmware_leaves_unavailable:  # ... and never Available again (step 16 missing)
            await self.link.report_connectors_as("Unavailable")
        await self._report("Installed")
        await self._security_event("FirmwareUpdated", f"firmware of request {payload['requestId']} installed")

    async def _download(self, location: str, payload: Mapping[str, Any]) -> bytes | None:
        """The image, after at most 1 + `retries` attempts `retryInterval` apart; None after DownloadFailed."""
        retries = min(max(0, int(payload.get("retries", DEFAULT_RETRIES))), MAX_RETRIES)
        interval = max(0.0, float(payload.get("retryInterval", DEFAULT_RETRY_INTERVAL)))
        for attempt in itertools.count(1):
            await self._report("Downloading")  # on every attempt (L01.FR.30 note)
            try:
                data = await download(location, ssl=self.tls, timeout=self.download_timeout)
            except TransferError as exc:
                self.link.note(f"firmware download attempt {attempt} failed: {exc}")
                if attempt > retries:
                    break
            else:
                await self._report("Downloaded")
                return data
            await asyncio.sleep(interval)  # allow-sleep: the retryInterval of UpdateFirmware
        if self.faults.report_downloaded_when_missing:
            await self._report("Downloaded")
            return b""  # nothing was downloaded; it goes on as if something had been
        await self._report("DownloadFailed")  # L01.FR.30
        return None

    async def _report(self, status: str) -> None:
        self.status = status
        if status == "Downloaded" and self.faults.skip_downloaded_status:
            return
        await self.link.notify("FirmwareStatusNotification", {"status": status, "requestId": self.request_id})

    async def _security_event(self, kind: str, info: str) -> None:
        if self.faults.no_firmware_security_event:
            return
        await self.link.notify("SecurityEventNotification", {"type": kind, "timestamp": now_iso(),
                                                             "techInfo": info[:255]})

    def trigger_payload(self) -> dict[str, Any]:
        """FirmwareStatusNotification for TriggerMessage: Idle after Installed (L01.FR.25), else the last status
        with its requestId (L01.FR.26)."""
        if self.status in ("Idle", "Installed"):
            return {"status": "Idle"}
        return {"status": self.status, "requestId": self.request_id}


def _moment(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    with contextlib.suppress(ValueError):
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
    return None


async def _until(moment: dt.datetime) -> None:
    await asyncio.sleep(max(0.0, (moment - dt.datetime.now(dt.UTC)).total_seconds()))  # allow-sleep: a set time


class HostFaults(Protocol):
    unsigned_firmware_update: bool
    badly_signed_firmware_update: bool
    missing_firmware_image: bool
    firmware_times_now: bool


class FirmwareHost:
    """The CSMS simulator's firmware: its own FirmwareServer (started on first use) and the UpdateFirmware it
    sends when an operator asks for one without saying which firmware."""

    def __init__(self, pki: PkiFactory | None, faults: HostFaults, *, tls: bool) -> None:
        self.pki = pki
        self.faults = faults
        self.tls = tls and pki is not None  # HTTPS with the run's server certificate, as its OCPP endpoint
        self.server: FirmwareServer | None = None
        self._request_ids = itertools.count(1)

    async def start(self) -> FirmwareServer:
        if self.server is None:
            assert self.pki is not None
            self.server = FirmwareServer(ssl=self.pki.server_context(2) if self.tls else None)
            await self.server.start()
        return self.server

    async def stop(self) -> None:
        server, self.server = self.server, None
        if server is not None:
            await server.stop()

    async def complete(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """`payload` with what the operator left out: a requestId; without a `firmware` location, also a signed
        image of its own (the operator's retrieveDateTime / installDateTime kept: a scheduled update), retries 1
        and retryInterval 1 (short: the station's retries are not what a test waits for)."""
        out = dict(payload)
        out.setdefault("requestId", next(self._request_ids))
        given = out.get("firmware")
        if (not isinstance(given, Mapping) or "location" not in given) and self.pki is not None:
            out.setdefault("retries", 1)
            out.setdefault("retryInterval", 1)
            times = {k: v for k, v in (given or {}).items() if k in ("retrieveDateTime", "installDateTime")}
            if self.faults.firmware_times_now:
                times = {}
            out["firmware"] = {**(await self._image(f"csms-firmware-{out['requestId']}.bin")).firmware(), **times}
        return out

    async def _image(self, name: str) -> FirmwareImage:
        server, pki = await self.start(), self.pki
        assert pki is not None
        if self.faults.missing_firmware_image:
            return server.missing_image(name, pki)
        if self.faults.badly_signed_firmware_update:
            return server.publish_badly_signed(name, pki)
        image = server.publish_signed(name, pki)
        if self.faults.unsigned_firmware_update:
            return FirmwareImage(image.name, image.url, image.data)
        return image


__all__ = ["TERMINAL", "FirmwareHost", "FirmwareUpdater"]
