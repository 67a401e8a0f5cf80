"""The built-in simulators as the run's SUTs: configured from their SUT profile, each with its HTTP control API
(so the suite drives them exactly as it drives a lab's SUT)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any

from harness.profile import SutProfile
from harness.simulators.control_server import ControlServer, csms_actions, station_actions
from harness.simulators.csms import CsmsConfig, CsmsFaults, CsmsSimulator
from harness.simulators.station import StationConfig, StationFaults, StationSimulator


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


async def start_station(profile: SutProfile, *, csms_url: str, password: str, faults: list[str],
                        boot_timeout: float) -> BuiltinSut:
    """The station simulator of `profile`, connected to `csms_url` and (unless a fault prevents it) booted."""
    sim = StationSimulator(StationConfig(
        identity=profile.identity, csms_url=csms_url, password=password, evses=profile.connectors,
        serial_number=profile.serial_number or StationConfig.serial_number, vendor=profile.vendor or StationConfig.vendor,
        model=profile.model or StationConfig.model, firmware=profile.firmware_version or StationConfig.firmware,
        faults=faults_of(StationFaults, faults)))
    control = ControlServer("station", profile.identity, station_actions(sim), action_timeout=profile.control.timeout)
    await control.start()
    await sim.start()
    # Part 6 §2.1 precondition: the station is Accepted before the first test (a faulty one may never be).
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(sim.booted.wait(), boot_timeout)
    return BuiltinSut(sim, control)


async def start_csms(profile: SutProfile, *, password: str, faults: list[str], heartbeat_interval: int,
                     boot_retry_interval: int) -> BuiltinSut:
    """The CSMS simulator of `profile`, knowing the harness's station identity and password."""
    sim = CsmsSimulator(CsmsConfig(stations={profile.identity: password}, heartbeat_interval=heartbeat_interval,
                                   boot_retry_interval=boot_retry_interval, tokens=profile.id_tokens,
                                   faults=faults_of(CsmsFaults, faults)))
    await sim.start()
    sut = BuiltinSut(sim, ControlServer("csms", profile.identity, {}, action_timeout=profile.control.timeout))
    sut.control.actions.update(csms_actions(sim, sut.spawn))
    await sut.control.start()
    return sut
