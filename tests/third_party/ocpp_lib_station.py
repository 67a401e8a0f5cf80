"""A thin Charging Station written on someone else's OCPP stack: the PyPI `ocpp` library (mobilityhouse) v201
`ChargePoint` over a `websockets` client. The harness judges it as a lab's station (tests/test_third_party.py).

All OCPP-J of this station is the library's: framing, message ids, routing of CALLs to the `@on` handlers below,
schema validation of both directions and the CALLERRORs it answers with. What is written here is only what a
simple station does on top of it: boot (retrying after Pending/Rejected), one StatusNotification per connector and
a SecurityEventNotification after an accepted boot, a Heartbeat every interval, Get/SetVariables over a small
dict, Reset (reconnect and boot again), TriggerMessage for a few messages, UnlockConnector and ChangeAvailability.

    OCPP_STATION_PASSWORD=… python tests/third_party/ocpp_lib_station.py --csms-url ws://127.0.0.1:9000/ocpp \\
        --identity TP-CS-1 --control-port 0

prints `control API on http://127.0.0.1:PORT` (the README's HTTP control convention: power-cycle, plug-in,
unplug) and stops on SIGTERM. The control API is the harness's own small server (`harness.simulators.
control_server`): it is the lab rig around the station, not part of the OCPP stack under test.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import logging
import os
import signal
import sys
from datetime import UTC, datetime
from typing import Any

import websockets
from ocpp.routing import after, on
from ocpp.v201 import ChargePoint, call
from ocpp.v201 import call_result as result
from ocpp.v201.enums import Action

from harness.simulators.control_server import BadRequest, ControlServer

LOG = logging.getLogger("ocpp_lib_station")


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Device:
    """What outlives a connection: variables, connectors, how the next boot is reasoned."""

    def __init__(self, identity: str, evses: int, heartbeat: int) -> None:
        # (component, variable) -> [value, mutability]
        self.variables: dict[tuple[str, str], list[str]] = {
            ("OCPPCommCtrlr", "HeartbeatInterval"): [str(heartbeat), "ReadWrite"],
            ("OCPPCommCtrlr", "OfflineThreshold"): ["60", "ReadWrite"],
            ("OCPPCommCtrlr", "NetworkConfigurationPriority"): ["1", "ReadWrite"],
            ("SecurityCtrlr", "SecurityProfile"): ["1", "ReadOnly"],
            ("SecurityCtrlr", "Identity"): [identity, "ReadOnly"],
            ("AuthCtrlr", "AuthorizeRemoteStart"): ["true", "ReadWrite"],
            ("TxCtrlr", "EVConnectionTimeOut"): ["30", "ReadWrite"],
        }
        self.connectors: dict[tuple[int, int], str] = {(e, 1): "Available" for e in range(1, evses + 1)}
        self.inoperative: set[int] = set()  # EVSE ids made Inoperative by ChangeAvailability
        self.boot_reason = "PowerUp"  # of the next BootNotification
        self.booted = False  # accepted since the last power-up or reset
        self.reboot = asyncio.Event()  # set: drop the connection and boot again

    @property
    def heartbeat(self) -> float:
        return float(self.variables[("OCPPCommCtrlr", "HeartbeatInterval")][0])

    def status(self, evse: int, connector: int) -> str:
        return "Unavailable" if evse in self.inoperative else self.connectors[(evse, connector)]


class LibStation(ChargePoint):
    """One connection's ChargePoint of the library, with the station's handlers."""

    def __init__(self, identity: str, connection: Any, device: Device) -> None:
        super().__init__(identity, connection)
        self.device = device
        self.registration = "none"
        self.boot_now = asyncio.Event()  # a TriggerMessage BootNotification came
        self.timer_reset = asyncio.Event()  # the heartbeat interval changed

    # ---- what the station sends ------------------------------------------------------------------------------
    async def life(self) -> None:
        """Boot (again after Pending/Rejected), report, then heartbeats: until the connection goes."""
        dev = self.device
        if not dev.booted:
            while True:
                answer = await self.call(call.BootNotification(
                    charging_station={"vendor_name": "mobilityhouse-ocpp", "model": "thin-station"},
                    reason=dev.boot_reason))
                self.registration = answer.status if answer is not None else "none"
                if self.registration == "Accepted":
                    break
                retry = answer.interval if answer is not None and answer.interval > 0 else 10
                try:
                    await asyncio.wait_for(self.boot_now.wait(), retry)
                    dev.boot_reason = "Triggered"
                except TimeoutError:
                    pass
                self.boot_now.clear()
            dev.variables[("OCPPCommCtrlr", "HeartbeatInterval")][0] = str(answer.interval)
            startup = "StartupOfTheDevice" if dev.boot_reason == "PowerUp" else "ResetOrReboot"
            dev.booted, dev.boot_reason = True, "PowerUp"
            for evse, connector in sorted(dev.connectors):
                await self.send_status(evse, connector)
            await self.call(call.SecurityEventNotification(type=startup, timestamp=now()))
        else:
            self.registration = "Accepted"
        while True:
            try:
                await asyncio.wait_for(self.timer_reset.wait(), dev.heartbeat)
                self.timer_reset.clear()
            except TimeoutError:
                await self.call(call.Heartbeat())

    async def send_status(self, evse: int, connector: int) -> None:
        await self.call(call.StatusNotification(timestamp=now(), connector_status=self.device.status(evse, connector),
                                                evse_id=evse, connector_id=connector))

    # ---- what the station answers ------------------------------------------------------------------------------
    @on(Action.get_variables)
    def on_get_variables(self, get_variable_data: list[dict[str, Any]], **_: Any) -> result.GetVariables:
        out = []
        for item in get_variable_data:
            key = (item["component"]["name"], item["variable"]["name"])
            entry: dict[str, Any] = {"component": item["component"], "variable": item["variable"]}
            found = self.device.variables.get(key)
            if found is None:
                known = any(c == key[0] for c, _ in self.device.variables)
                entry["attribute_status"] = "UnknownVariable" if known else "UnknownComponent"
            elif item.get("attribute_type", "Actual") != "Actual":
                entry["attribute_status"] = "NotSupportedAttributeType"
            else:
                entry.update(attribute_status="Accepted", attribute_value=found[0])
            out.append(entry)
        return result.GetVariables(get_variable_result=out)

    @on(Action.set_variables)
    def on_set_variables(self, set_variable_data: list[dict[str, Any]], **_: Any) -> result.SetVariables:
        out = []
        for item in set_variable_data:
            key = (item["component"]["name"], item["variable"]["name"])
            value = item["attribute_value"]
            found = self.device.variables.get(key)
            status = "Accepted"
            if found is None:
                known = any(c == key[0] for c, _ in self.device.variables)
                status = "UnknownVariable" if known else "UnknownComponent"
            elif item.get("attribute_type", "Actual") != "Actual":
                status = "NotSupportedAttributeType"
            elif found[1] == "ReadOnly" or (key[1] == "HeartbeatInterval" and not (value.isdigit() and int(value))):
                status = "Rejected"
            else:
                found[0] = value
                if key[1] == "HeartbeatInterval":
                    self.timer_reset.set()
            out.append({"component": item["component"], "variable": item["variable"], "attribute_status": status})
        return result.SetVariables(set_variable_result=out)

    @on(Action.reset)
    def on_reset(self, type: str, evse_id: int | None = None, **_: Any) -> result.Reset:
        return result.Reset(status="Rejected" if evse_id is not None else "Accepted")

    @after(Action.reset)
    def after_reset(self, type: str, evse_id: int | None = None, **_: Any) -> None:
        if evse_id is None:
            self.device.boot_reason, self.device.booted = "RemoteReset", False
            self.device.reboot.set()

    @on(Action.trigger_message)
    def on_trigger_message(self, requested_message: str, **_: Any) -> result.TriggerMessage:
        if requested_message == "BootNotification":
            # F06.FR.17: a station already accepted rejects a triggered BootNotification
            return result.TriggerMessage(status="Rejected" if self.registration == "Accepted" else "Accepted")
        if requested_message in ("Heartbeat", "StatusNotification"):
            return result.TriggerMessage(status="Accepted")
        return result.TriggerMessage(status="NotImplemented")

    @after(Action.trigger_message)
    async def after_trigger_message(self, requested_message: str, evse: dict[str, Any] | None = None,
                                    **_: Any) -> None:
        if requested_message == "BootNotification" and self.registration != "Accepted":
            self.boot_now.set()
        elif requested_message == "Heartbeat" and self.registration == "Accepted":
            await self.call(call.Heartbeat())
        elif requested_message == "StatusNotification" and self.registration == "Accepted":
            for e, c in sorted(self.device.connectors):
                if evse is None or (evse["id"] == e and evse.get("connector_id", c) == c):
                    await self.send_status(e, c)

    @on(Action.unlock_connector)
    def on_unlock_connector(self, evse_id: int, connector_id: int, **_: Any) -> result.UnlockConnector:
        known = (evse_id, connector_id) in self.device.connectors
        return result.UnlockConnector(status="Unlocked" if known else "UnknownConnector")

    @on(Action.change_availability)
    def on_change_availability(self, operational_status: str, evse: dict[str, Any] | None = None,
                               **_: Any) -> result.ChangeAvailability:
        return result.ChangeAvailability(status="Accepted")

    @after(Action.change_availability)
    async def after_change_availability(self, operational_status: str, evse: dict[str, Any] | None = None,
                                        **_: Any) -> None:
        dev = self.device
        evses = {e for e, _ in dev.connectors} if evse is None else {evse["id"]}
        before = {k: dev.status(*k) for k in dev.connectors}
        if operational_status == "Inoperative":
            dev.inoperative |= evses
        else:
            dev.inoperative -= evses
        for key in sorted(dev.connectors):
            if dev.status(*key) != before[key]:
                await self.send_status(*key)


class Station:
    """The connection loop: connect, run one LibStation until the connection ends or the station reboots."""

    def __init__(self, url: str, identity: str, password: str, device: Device) -> None:
        self.url, self.identity, self.device = url.rstrip("/") + "/" + identity, identity, device
        self.auth = "Basic " + base64.b64encode(f"{identity}:{password}".encode()).decode()
        self.cp: LibStation | None = None
        self.closed = asyncio.Event()  # set while no connection is open

    async def run(self) -> None:
        self.closed.set()
        while True:
            self.device.reboot.clear()  # a power cycle while not connected: the next connection boots anyway
            try:
                async with websockets.connect(self.url, subprotocols=[websockets.Subprotocol("ocpp2.0.1")],
                                              additional_headers={"Authorization": self.auth}, open_timeout=5,
                                              ping_interval=None) as ws:
                    self.closed.clear()
                    self.cp = LibStation(self.identity, ws, self.device)
                    tasks = [asyncio.create_task(self.cp.start()), asyncio.create_task(self.cp.life()),
                             asyncio.create_task(self.device.reboot.wait())]
                    await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                    pending = set(tasks)
                    while pending:
                        # a cancel that races the answer of the library's call() is swallowed by wait_for
                        # (Python 3.11): life() then went on heartbeating until its next call timed out (30 s)
                        for task in pending:
                            task.cancel()
                        _, pending = await asyncio.wait(pending, timeout=0.5)
                    await asyncio.gather(*tasks, return_exceptions=True)  # all done: collects their exceptions
                    await ws.close(1000, "rebooting" if self.device.reboot.is_set() else "")
            except (OSError, TimeoutError, websockets.InvalidHandshake, websockets.ConnectionClosed) as exc:
                LOG.info("connection to %s: %s", self.url, exc)
            self.cp = None
            self.closed.set()
            if not self.device.reboot.is_set():
                await asyncio.sleep(1)  # reconnect back-off; a reboot connects at once

    # ---- the control API's actions ---------------------------------------------------------------------------
    async def power_cycle(self, _: dict[str, Any]) -> None:
        self.device.boot_reason, self.device.booted = "PowerUp", False
        self.device.reboot.set()
        if self.cp is not None:  # answer once the connection is down; a close that hangs is not the caller's wait
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(5):
                    await self.closed.wait()

    async def _plug(self, params: dict[str, Any], status: str) -> None:
        key = (int(params.get("evseId", 1)), int(params.get("connectorId", 1)))
        if key not in self.device.connectors:
            raise BadRequest(f"no connector {key}")
        self.device.connectors[key] = status
        cp = self.cp
        if cp is not None and cp.registration == "Accepted":
            asyncio.get_running_loop().create_task(cp.send_status(*key))

    async def plug_in(self, params: dict[str, Any]) -> None:
        await self._plug(params, "Occupied")

    async def unplug(self, params: dict[str, Any]) -> None:
        await self._plug(params, "Available")


async def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--csms-url", required=True, help="CSMS endpoint without the identity")
    parser.add_argument("--identity", default="TP-CS-1")
    parser.add_argument("--password-env", default="OCPP_STATION_PASSWORD")
    parser.add_argument("--control-port", type=int, default=0)
    parser.add_argument("--evses", type=int, default=1, help="EVSEs, one connector each")
    parser.add_argument("--verbose", action="store_true", help="log every frame (the library's INFO log)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    password = os.environ.get(args.password_env)
    if not password:
        parser.error(f"set the Basic Auth password in ${args.password_env}")
    station = Station(args.csms_url, args.identity, password, Device(args.identity, args.evses, 60))
    control = ControlServer("station", args.identity, {"power-cycle": station.power_cycle,
                                                       "plug-in": station.plug_in, "unplug": station.unplug},
                            port=args.control_port)
    await control.start()
    print(f"control API on {control.url}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    runner = asyncio.create_task(station.run())
    await stop.wait()
    runner.cancel()
    await asyncio.gather(runner, return_exceptions=True)
    await control.stop()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
