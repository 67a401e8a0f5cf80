"""The control interfaces and their built-in-simulator adapters."""

from __future__ import annotations

import asyncio
from typing import Any, Protocol


class StationControl(Protocol):
    """Manual actions on a Charging Station under test."""

    async def power_cycle(self) -> None:
        """Part 6: "Manual Action: Power cycle the Charging Station"."""


class CsmsControl(Protocol):
    """Operator actions on a CSMS under test."""

    async def trigger(self, identity: str, action: str, payload: dict[str, Any]) -> None:
        """Part 6: "Trigger the CSMS to send <action> to the Charging Station"; returns once the CSMS is told."""

    async def configure_boot(self, identity: str, status: str) -> None:
        """Part 6 precondition: "the CSMS is configured to respond <status> to BootNotification"."""

    async def aclose(self) -> None:
        """Finish what the adapter started."""


class _Rebootable(Protocol):
    async def power_cycle(self) -> None: ...


class _Commandable(Protocol):
    async def send(self, identity: str, action: str, payload: dict[str, Any],
                   timeout: float | None = None) -> Any: ...

    def set_boot_status(self, identity: str, status: str) -> None: ...


class SimulatedStationControl:
    """Manual actions performed on the built-in station simulator, in process."""

    def __init__(self, simulator: _Rebootable) -> None:
        self.simulator = simulator

    async def power_cycle(self) -> None:
        await self.simulator.power_cycle()


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

    async def aclose(self) -> None:
        """End of test: cancel what is still running; a boot status a test configured goes back to Accepted."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for identity in self._configured:
            self.simulator.set_boot_status(identity, "Accepted")
