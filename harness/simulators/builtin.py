"""The built-in simulators as the run's SUTs: configured from their SUT profile, each with its HTTP control API
(so the suite drives them exactly as it drives a lab's SUT)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import ssl
from collections.abc import Awaitable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import ConfigError
from harness.pki import PkiFactory, Variant
from harness.profile import SutProfile
from harness.simulators.control_server import ControlServer, csms_actions, station_actions
from harness.simulators.csms import CsmsConfig, CsmsFaults, CsmsSimulator, CsmsVariants
from harness.simulators.station import StationConfig, StationFaults, StationSimulator, StationVariants
from harness.transport.tls import server_context


def faults_of(cls: Any, names: list[str]) -> Any:
    """The fault dataclass with the named switches on (names of the other simulator are ignored)."""
    fields = {f.name for f in dataclasses.fields(cls)}
    return cls(**{n: True for n in names if n in fields})


@dataclass
class BuiltinSut:
    """A running simulator and its control API."""

    simulator: Any
    control: ControlServer
    _tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    @property
    def control_url(self) -> str:
        return self.control.url

    def spawn(self, work: Awaitable[Any]) -> None:
        """Run a CSMS `send` in the background; its outcome is the test's business (it sees the frames)."""

        async def run() -> None:
            with contextlib.suppress(Exception):  # the station side of the test judges what happened
                await work

        task = asyncio.ensure_future(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def stop(self) -> None:
        await self.control.stop()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.simulator.stop()


def _need(pki: PkiFactory | None, security: int, which: str) -> PkiFactory:
    if pki is None:
        raise ConfigError(f"the built-in {which} simulator's profile asks for security profile {security}: it needs "
                          "the run's PKI (PkiFactory)")
    return pki


def _trust_anything(context: ssl.SSLContext) -> None:
    """Fault `accept_invalid_server_cert`: no certificate check at all (no chain, dates, host or key size)."""
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE


async def start_station(profile: SutProfile, *, csms_url: str, password: str, faults: list[str],
                        boot_timeout: float, pki: PkiFactory | None = None,
                        variants: list[str] | None = None) -> BuiltinSut:
    """The station simulator of `profile`, connected to `csms_url` and (unless a fault prevents it) booted.

    Under security profile 2 or 3 it connects with TLS, trusting `pki`'s CSMS root; under 3 it presents its own
    station certificate (CN = its serial number; `station_wrong_cn_cert`: another CN) and no Basic Auth."""
    station_faults: StationFaults = faults_of(StationFaults, faults)
    serial = profile.serial_number or StationConfig.serial_number
    security = profile.security.profile
    tls = None
    if security >= 2:
        variant = Variant.WRONG_CN if station_faults.station_wrong_cn_cert else Variant.GOOD
        tls = _need(pki, security, "station").client_context(
            security, serial, variant, old_tls="accept" if station_faults.station_accept_old_tls else "refuse")
        if station_faults.accept_invalid_server_cert:
            _trust_anything(tls)
    sim = StationSimulator(StationConfig(
        identity=profile.identity, csms_url=csms_url, password=password if security < 3 else None,
        evses=profile.connectors, serial_number=serial, vendor=profile.vendor or StationConfig.vendor,
        model=profile.model or StationConfig.model, firmware=profile.firmware_version or StationConfig.firmware,
        faults=station_faults, variants=faults_of(StationVariants, variants or []), security_profile=security,
        tls=tls, pki=pki))
    control = ControlServer("station", profile.identity, station_actions(sim), action_timeout=profile.control.timeout)
    await control.start()
    await sim.start()
    # Part 6 §2.1 precondition: the station is Accepted before the first test (a faulty one may never be).
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(sim.booted.wait(), boot_timeout)
    return BuiltinSut(sim, control)


async def start_csms(profile: SutProfile, *, password: str, faults: list[str], heartbeat_interval: int,
                     boot_retry_interval: int, pki: PkiFactory | None = None, log_dir: Path | None = None,
                     variants: list[str] | None = None) -> BuiltinSut:
    """The CSMS simulator of `profile`, knowing the harness's station identity and password.

    Under security profile 2 or 3 it serves wss:// with `pki`'s server certificate (`csms_expired_cert`: an
    expired one); under 3 it requires the station's certificate (CN = the profile's serial number), no Basic Auth."""
    csms_faults: CsmsFaults = faults_of(CsmsFaults, faults)
    security = profile.security.profile
    tls = None
    if security >= 2:
        variant = Variant.EXPIRED if csms_faults.csms_expired_cert else Variant.GOOD
        tls = _need(pki, security, "CSMS").server_context(
            security, variant, old_tls="accept" if csms_faults.csms_accept_old_tls else "refuse")
        if csms_faults.csms_rsa_only and pki is not None:
            rsa = pki.server(kind="rsa")
            tls = server_context([(rsa.cert_path, rsa.key_path)],
                                 client_ca=pki.station_trust_path if security == 3 else None)
        if csms_faults.accept_invalid_client_cert:
            tls.verify_mode = ssl.CERT_NONE  # asks for no client certificate, so none is ever refused
    serials = {profile.identity: profile.serial_number} if profile.serial_number else {}
    sim = CsmsSimulator(CsmsConfig(stations={profile.identity: password}, heartbeat_interval=heartbeat_interval,
                                   boot_retry_interval=boot_retry_interval, tokens=profile.id_tokens,
                                   faults=csms_faults, require_auth=security < 3, tls=tls, serial_numbers=serials, pki=pki,
                                   log_dir=log_dir, variants=faults_of(CsmsVariants, variants or []),
                                   network_message_timeout=profile.configured.message_timeout,
                                   ocpp_interface=profile.configured.ocpp_interface))
    await sim.start()
    sut = BuiltinSut(sim, ControlServer("csms", profile.identity, {}, action_timeout=profile.control.timeout))
    sut.control.actions.update(csms_actions(sim, sut.spawn))
    await sut.control.start()
    return sut
