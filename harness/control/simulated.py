"""Adapters that act on the built-in simulators in process (used by the simulators' own self-tests; the suite
drives the simulators through their HTTP control API, like any lab's SUT)."""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from harness.profile import IdToken


class _Commandable(Protocol):
    async def send(self, identity: str, action: str, payload: dict[str, Any],
                   timeout: float | None = None) -> Any: ...

    def set_boot_status(self, identity: str, status: str) -> None: ...

    def set_security_profile(self, identity: str, security_profile: int) -> None: ...


class SimulatedStationControl:
    """Manual actions performed on the built-in station simulator, in process (adapter `builtin`)."""

    def __init__(self, simulator: Any) -> None:
        self.simulator = simulator

    async def power_cycle(self) -> None:
        await self.simulator.power_cycle()

    async def plug_in(self, evse_id: int = 1, connector_id: int = 1, *, lock_fails: bool = False) -> None:
        await self.simulator.plug_in(evse_id, connector_id, lock_fails)

    async def unplug(self, evse_id: int = 1, connector_id: int = 1) -> None:
        await self.simulator.unplug(evse_id, connector_id)

    async def present_token(self, token: IdToken, evse_id: int | None = None) -> None:
        await self.simulator.present_token(token.id_token, token.type, evse_id)

    async def set_fault(self, evse_id: int, connector_id: int, faulted: bool) -> None:
        await self.simulator.set_fault(evse_id, connector_id, faulted)

    async def suspend_ev(self, evse_id: int = 1) -> None:
        await self.simulator.suspend_ev(evse_id)

    async def resume_ev(self, evse_id: int = 1) -> None:
        await self.simulator.resume_ev(evse_id)

    async def ev_side(self, evse_id: int, connector_id: int, connected: bool) -> None:
        await self.simulator.ev_side(evse_id, connector_id, connected)

    async def parking_bay(self, evse_id: int, occupied: bool) -> None:
        await self.simulator.parking_bay(evse_id, occupied)

    async def restore_network_profile(self) -> None:
        await self.simulator.restore_network_profile()

    async def remove_station_certificate(self) -> None:
        await self.simulator.remove_station_certificate()

    async def select_transactions(self, evse_ids: list[int] | None = None) -> None:
        await self.simulator.select_transactions(evse_ids)

    async def store_customer_identifier(self, identifier: str) -> None:
        await self.simulator.store_customer_identifier(identifier)

    async def aclose(self) -> None:
        """Nothing to release."""


class SimulatedCsmsControl:
    """Operator actions performed on the built-in CSMS simulator, in process.

    `trigger` does not wait for the CSMS's CALL to be answered: the harness (as station) answers it inside the
    test, so waiting here would deadlock the scenario.
    """

    def __init__(self, simulator: _Commandable) -> None:
        self.simulator = simulator
        self._tasks: set[asyncio.Task[Any]] = set()
        self._configured: set[str] = set()

    async def trigger(self, identity: str, action: str, payload: dict[str, Any]) -> None:
        task = asyncio.create_task(self.simulator.send(identity, action, payload))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def configure_boot(self, identity: str, status: str) -> None:
        self._configured.add(identity)
        self.simulator.set_boot_status(identity, status)

    async def configure_security_profile(self, identity: str, security_profile: int) -> None:
        self.simulator.set_security_profile(identity, security_profile)

    async def aclose(self) -> None:
        """End of test: cancel what is still running; a boot status a test configured goes back to Accepted."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for identity in self._configured:
            self.simulator.set_boot_status(identity, "Accepted")
