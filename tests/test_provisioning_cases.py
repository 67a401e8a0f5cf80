"""Block B provisioning cases beyond the fault table: the TC_B_30_CS false pass of issue 12, reproduced in process,
and the legal simulator variants the B tables allow (each must pass)."""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from suite_runner import ROOT, run_suite

from harness.config import Settings, Timing
from harness.control.simulated import SimulatedStationControl
from harness.failures import OcppFailure
from harness.ocppj import default_store
from harness.profile import builtin_station_profile
from harness.roles import CsmsEndpoint, CsmsRole
from harness.simulators import StationConfig, StationSimulator
from harness.transcript import Record, Transcript

PASSWORD = "Abcdefghij0123456789"
DEADLINE = 10.0
FAST = ("-o", "ocpp_heartbeat_interval=3", "-o", "ocpp_tolerance=1", "-o", "ocpp_timeout=6")


def _cases() -> ModuleType:
    """testcases/test_b_provisioning_cs.py as a module (the case functions are plain async functions)."""
    spec = importlib.util.spec_from_file_location("b_provisioning_cs", ROOT / "testcases" / "test_b_provisioning_cs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class NoReboot(SimulatedStationControl):
    """A station that ignores the case's reboot: the only BootNotification of the case is the late one before it."""

    async def power_cycle(self) -> None:
        """Nothing happens."""


@pytest.fixture
async def lab() -> AsyncIterator[tuple[CsmsEndpoint, StationSimulator]]:
    station = builtin_station_profile()
    station.configured.heartbeat_interval = 2
    station.configured.reboot_time = 2
    ep = CsmsEndpoint(Settings(station=station, timing=Timing(default_timeout=4, tolerance=1)), default_store(),
                      PASSWORD)
    await ep.start()
    sim = StationSimulator(StationConfig(identity=station.identity, csms_url=ep.server.url, password=PASSWORD))
    try:
        await sim.start()
        async with asyncio.timeout(DEADLINE):
            await sim.booted.wait()
        yield ep, sim
    finally:
        await sim.stop()
        await ep.stop()


async def _answered(transcript: Transcript, status: str) -> Record:
    """The harness's BootNotificationResponse with `status`, once it is in the transcript."""
    arrived = asyncio.Event()
    unsubscribe = transcript.subscribe(lambda _: arrived.set())
    try:
        async with asyncio.timeout(DEADLINE):
            while True:
                for record in transcript.records:
                    if record.direction == "tx" and record.action == "BootNotification" and \
                            f'"status":"{status}"' in record.raw:
                        return record
                arrived.clear()
                await arrived.wait()
    finally:
        unsubscribe()


async def _late_boot_then(ep: CsmsEndpoint, sim: StationSimulator,
                          case: Callable[[CsmsRole, Any], Awaitable[None]], control: Any) -> CsmsRole:
    """Begin a case's conversation, let the station boot once on its own (answered by default, Accepted: the late
    BootNotification of the previous case), then run `case`."""
    role = ep.begin(Transcript(name="TC_B_30_CS"))
    try:
        await sim.power_cycle()
        await _answered(role.transcript, "Accepted")
        await case(role, control)
    finally:
        ep.end(role)
    return role


async def test_tc_b_30_cs_is_not_passed_by_a_late_boot_answered_by_default(
        lab: tuple[CsmsEndpoint, StationSimulator]) -> None:
    """Issue 12: the late BootNotification, answered Accepted by default, once stood in for the one the case answers
    Rejected, and the case passed without ever answering Rejected. Now a station that does not boot for the case
    fails it, naming the early boot; one that does gets Rejected and is judged on its SecurityError."""
    ep, sim = lab
    case = _cases().test_TC_B_30_CS
    with pytest.raises(OcppFailure) as failure:
        await _late_boot_then(ep, sim, case, NoReboot(sim))
    text = str(failure.value)
    assert "no BootNotification" in text and "came before this step and was answered by default" in text, text

    role = await _late_boot_then(ep, sim, case, SimulatedStationControl(sim))
    early, rejected = await _answered(role.transcript, "Accepted"), await _answered(role.transcript, "Rejected")
    assert early.seq < rejected.seq
    refusal = next(r for r in role.transcript.records if r.seq > rejected.seq and r.kind == "CALLERROR")
    assert refusal.action == "GetBaseReport" and '"SecurityError"' in refusal.raw


@pytest.mark.parametrize(("variants", "cases"), [
    # F06: a station may answer TriggerMessage(BootNotification) NotImplemented and boot at its Pending interval
    (("boot_trigger_not_implemented",), ("TC_B_02_CS",)),
    # B02: a CSMS may give interval 0 with Pending (the station waits its configured heartbeat interval) and read
    # the station's configuration while it is Pending
    (("pending_interval_zero", "provision_while_pending"), ("TC_B_02_CSMS", "TC_B_30_CSMS", "TC_B_31_CSMS")),
])
def test_legal_boot_variants_pass(variants: tuple[str, ...], cases: tuple[str, ...], tmp_path: Path) -> None:
    result = run_suite(tmp_path, *cases, variants=variants, extra=FAST)
    assert result.verdicts == dict.fromkeys(cases, "passed"), result.output[-3000:]
