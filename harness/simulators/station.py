"""The built-in Charging Station simulator: the default SUT when the harness plays the CSMS.

A real OCPP 2.0.1 peer over a real WebSocket: it boots (handling Pending and Rejected with their retry interval),
sends heartbeats and a StatusNotification per connector, serves GetVariables/SetVariables from its device model,
reboots on Reset and sends what TriggerMessage asks for. Fault switches make it break one rule at a time, so the
self-tests can prove each check of the harness catches what it claims.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import string
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.errors import TransportSetupError
from harness.ocppj import CallError, CallResult, RpcSession, default_store
from harness.ocppj.defaults import now_iso, station_default
from harness.simulators.device_model import DeviceModel
from harness.simulators.faults import bad_input_reply
from harness.transcript import Record, Transcript
from harness.transport import ClientOptions, HandshakeRefused, OcppConnection, connect


def _password() -> str:
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(20))


@dataclass
class StationFaults:
    """Each switch breaks one rule; all off is a conforming station."""

    bad_boot_payload: bool = False  # BootNotification without chargingStation.vendorName (schema-invalid)
    bad_boot_reason: bool = False  # BootNotification reason "Foo"
    no_subprotocol: bool = False  # offers ocpp1.6 only
    wrong_password: bool = False  # Basic Auth with another (valid-looking) password
    bad_auth_user: bool = False  # Basic Auth user name differs from the identity
    short_password: bool = False  # an 8-character password
    ignore_retry_interval: bool = False  # retries BootNotification at once after Pending/Rejected
    send_while_rejected: bool = False  # sends a Heartbeat while Rejected
    skip_status_notification: bool = False  # no StatusNotification after boot
    reuse_message_id: bool = False  # every CALL reuses the previous CALL's id
    long_message_id: bool = False  # 40-character message ids
    heartbeat_too_fast: bool = False  # heartbeats at a quarter of the interval
    bad_get_variables_enum: bool = False  # GetVariables attributeStatus "Fine"
    no_reboot_on_reset: bool = False  # accepts Reset, never reboots
    ignore_trigger: bool = False  # accepts TriggerMessage, never sends the message
    wrong_error_code: bool = False  # answers bad input with GenericError
    silent_on_bad_input: bool = False  # does not answer bad input at all
    error_code_1_6_spelling: bool = False  # FormationViolation / OccurenceConstraintViolation


@dataclass
class StationConfig:
    identity: str = "SIM-CS-001"
    csms_url: str = "ws://127.0.0.1:9000/ocpp"
    password: str | None = field(default_factory=_password)
    serial_number: str = "SIM-SN-0001"
    model: str = "HarnessSim"
    vendor: str = "OpenOCPPHarness"
    firmware: str = "1.0.0"
    evses: list[int] = field(default_factory=lambda: [1, 1])  # connectors per EVSE
    heartbeat_interval: int = 60  # until the CSMS's BootNotificationResponse says otherwise
    call_timeout: float = 10.0
    reconnect_delay: float = 0.2
    faults: StationFaults = field(default_factory=StationFaults)


class StationSimulator:
    def __init__(self, config: StationConfig | None = None) -> None:
        self.config = config or StationConfig()
        self.faults = self.config.faults
        self.model = DeviceModel(self.config.heartbeat_interval, 1, self.config.password or "")
        self.transcript = Transcript(name=f"station {self.config.identity}")
        self.conn: OcppConnection | None = None
        self.connected = asyncio.Event()
        self.boot_status: str | None = None
        self.boot_count = 0
        self.booted = asyncio.Event()  # set while the last BootNotification was Accepted
        self._generation = 0  # bumped by every reboot: an old boot's late answer must not undo the reboot
        self._attempted = asyncio.Event()
        self._needs_boot = True
        self._boot_reason = "PowerUp"
        self._wake = asyncio.Event()  # a TriggerMessage(BootNotification) ends the Pending wait
        self._last_id: str | None = None
        self._runner: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    # ---- life cycle --------------------------------------------------------------------------------------------
    async def start(self) -> None:
        """Start connecting; returns after the first attempt (connected, or refused when a fault says so)."""
        self._runner = asyncio.create_task(self._main())
        await self._attempted.wait()

    async def stop(self) -> None:
        if self._runner is not None:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.conn is not None and not self.conn.closed.is_set():
            await self.conn.close(1001, "station shutting down")

    async def power_cycle(self) -> None:
        """Part 6 manual action: power off (the connection drops), power on (connect, BootNotification PowerUp)."""
        await self._reboot("PowerUp")

    async def _reboot(self, reason: str) -> None:
        self._needs_boot, self._boot_reason = True, reason
        self._generation += 1
        self.booted.clear()
        conn = self.conn
        if conn is not None and not conn.closed.is_set():
            await conn.close(1000, "rebooting")

    def _options(self) -> ClientOptions:
        f, password = self.faults, self.config.password
        if password is not None and f.wrong_password:
            password = "Wrong" + password[5:] + "X"
        if password is not None and f.short_password:
            password = password[:8]
        return ClientOptions(subprotocols=["ocpp1.6"] if f.no_subprotocol else ["ocpp2.0.1"], password=password,
                             username=self.config.identity + "-x" if f.bad_auth_user else None,
                             open_timeout=self.config.call_timeout)

    async def _main(self) -> None:
        while True:
            try:
                ws = await connect(self.config.csms_url, self.config.identity, self._options())
            except (HandshakeRefused, TransportSetupError):
                self._attempted.set()
                await asyncio.sleep(self.config.reconnect_delay)  # allow-sleep: reconnect delay of the station
                continue
            conn = OcppConnection(ws, RpcSession(default_store()), self.transcript, self._on_call,
                                  identity=self.config.identity, call_timeout=self.config.call_timeout,
                                  bad_input_reply=bad_input_reply(self.faults))
            if ws.subprotocol is None:  # the CSMS agreed no subprotocol: it will close; wait for that
                self._attempted.set()
                await conn.run()
                await asyncio.sleep(self.config.reconnect_delay)  # allow-sleep: reconnect delay of the station
                continue
            self.conn = conn
            self.connected.set()
            self._attempted.set()
            session = asyncio.create_task(self._session(conn))
            await conn.run()
            session.cancel()
            await asyncio.gather(session, return_exceptions=True)
            self.connected.clear()
            self.conn = None
            await asyncio.sleep(self.config.reconnect_delay)  # allow-sleep: reconnect delay of the station

    # ---- what the station sends --------------------------------------------------------------------------------
    async def _call(self, conn: OcppConnection, action: str, payload: Mapping[str, Any]) -> Record:
        message_id = str(uuid.uuid4())
        if self.faults.long_message_id:
            message_id = (message_id + "-" + uuid.uuid4().hex)[:40]
        if self.faults.reuse_message_id and self._last_id is not None:
            message_id = self._last_id
        self._last_id = message_id
        return await conn.call(action, payload, message_id=message_id)

    async def _session(self, conn: OcppConnection) -> None:
        if self._needs_boot:
            await self._boot(conn)
        await self._report_connectors(conn)
        await self._call(conn, "SecurityEventNotification",
                         {"type": "StartupOfTheDevice" if self._boot_reason == "PowerUp" else "ResetOrReboot",
                          "timestamp": now_iso()})
        while True:
            interval = int(self.model.variables[("OCPPCommCtrlr", None, "HeartbeatInterval", None)].value)
            wait = interval / 4 if self.faults.heartbeat_too_fast else interval
            await asyncio.sleep(max(wait, 0.1))  # allow-sleep: the heartbeat timer of the station
            await self._call(conn, "Heartbeat", {})

    def _boot_payload(self, reason: str) -> dict[str, Any]:
        station: dict[str, Any] = {"model": self.config.model, "vendorName": self.config.vendor,
                                   "serialNumber": self.config.serial_number,
                                   "firmwareVersion": self.config.firmware}
        if self.faults.bad_boot_payload:
            del station["vendorName"]
        return {"reason": "Foo" if self.faults.bad_boot_reason else reason, "chargingStation": station}

    async def _boot(self, conn: OcppConnection) -> None:
        reason = self._boot_reason
        generation = self._generation
        while True:
            self._wake.clear()
            record = await self._call(conn, "BootNotification", self._boot_payload(reason))
            self.boot_count += 1
            frame = record.frame
            if not isinstance(frame, CallResult):
                await asyncio.sleep(self.config.reconnect_delay)  # allow-sleep: retry after a CALLERROR
                continue
            self.boot_status = str(frame.payload.get("status"))
            interval = int(frame.payload.get("interval", 0) or 0)
            if generation != self._generation:  # rebooted meanwhile: this connection is going away
                await conn.closed.wait()
                return
            if self.boot_status == "Accepted":
                if interval > 0:
                    self.model.variables[("OCPPCommCtrlr", None, "HeartbeatInterval", None)].value = str(interval)
                self._needs_boot = False
                self.booted.set()
                return
            if self.faults.send_while_rejected:
                await self._call(conn, "Heartbeat", {})
            if not self.faults.ignore_retry_interval:
                # B02/B03: nothing but BootNotification until the interval has passed (or a trigger, if Pending)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), max(interval, 1))
            if self._wake.is_set():
                reason = "Triggered"

    async def _report_connectors(self, conn: OcppConnection, only: tuple[int, int] | None = None) -> None:
        if self.faults.skip_status_notification:
            return
        for evse_id, count in enumerate(self.config.evses, start=1):
            for connector_id in range(1, count + 1):
                if only is None or only == (evse_id, connector_id) or (only[1] == 0 and only[0] == evse_id):
                    await self._call(conn, "StatusNotification", {
                        "timestamp": now_iso(), "connectorStatus": "Available", "evseId": evse_id,
                        "connectorId": connector_id})

    # ---- what the CSMS asks ------------------------------------------------------------------------------------
    async def _on_call(self, call: Any, record: Record) -> Mapping[str, Any] | CallError | None:
        handler = {"GetVariables": self._get_variables, "SetVariables": self._set_variables, "Reset": self._reset,
                   "TriggerMessage": self._trigger}.get(call.action)
        if handler is not None:
            return handler(call)
        return station_default(call.action, call.payload) or CallError(
            call.message_id, "NotSupported", f"{call.action} is not supported by this station", {})

    def _too_many(self, call: Any, items: list[Any]) -> CallError | None:
        limit = self.model.items_limit(call.action)
        if len(items) > limit:
            return CallError(call.message_id, "OccurrenceConstraintViolation",
                             f"{len(items)} items; DeviceDataCtrlr.ItemsPerMessage is {limit}", {})
        return None

    def _get_variables(self, call: Any) -> Mapping[str, Any] | CallError:
        items = call.payload["getVariableData"]
        refused = self._too_many(call, items)
        if refused is not None:
            return refused
        results = [self.model.get(d, now_iso()) for d in items]
        if self.faults.bad_get_variables_enum:
            for r in results:
                r["attributeStatus"] = "Fine"
        return {"getVariableResult": results}

    def _set_variables(self, call: Any) -> Mapping[str, Any] | CallError:
        items = call.payload["setVariableData"]
        refused = self._too_many(call, items)
        if refused is not None:
            return refused
        return {"setVariableResult": [self.model.set(d)[0] for d in items]}

    def _after_answer(self, call: Any, coro: Any) -> None:
        """Run `coro` once the answer to `call` is on the wire (a reboot must not swallow its own answer)."""
        conn = self.conn

        async def later() -> None:
            if conn is not None:
                await conn.wait_sent(call.message_id)
            await coro

        task = asyncio.create_task(later())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _reset(self, call: Any) -> Mapping[str, Any]:
        if "evseId" in call.payload:
            return {"status": "Rejected", "statusInfo": {"reasonCode": "UnsupportedRequest"}}
        if not self.faults.no_reboot_on_reset:
            self._after_answer(call, self._reboot("RemoteReset"))
        return {"status": "Accepted"}

    def _trigger(self, call: Any) -> Mapping[str, Any]:
        requested = call.payload["requestedMessage"]
        evse = call.payload.get("evse")
        conn = self.conn
        if conn is None:
            return {"status": "Rejected"}
        sends: dict[str, Any] = {
            "BootNotification": lambda: self._triggered_boot(conn),
            "Heartbeat": lambda: self._call(conn, "Heartbeat", {}),
            "StatusNotification": lambda: self._report_connectors(
                conn, (evse["id"], evse.get("connectorId", 0)) if evse else None),
            "LogStatusNotification": lambda: self._call(conn, "LogStatusNotification", {"status": "Idle"}),
            "FirmwareStatusNotification": lambda: self._call(conn, "FirmwareStatusNotification", {"status": "Idle"}),
            "MeterValues": lambda: self._call(conn, "MeterValues", {"evseId": evse["id"] if evse else 1, "meterValue": [
                {"timestamp": now_iso(), "sampledValue": [{"value": 0.0}]}]}),
        }
        if requested not in sends:
            return {"status": "NotImplemented"}
        if not self.faults.ignore_trigger:
            self._after_answer(call, sends[requested]())
        return {"status": "Accepted"}

    async def _triggered_boot(self, conn: OcppConnection) -> None:
        if self.boot_status in ("Pending", "Rejected"):
            self._wake.set()  # the waiting boot loop sends it, reason Triggered
            return
        await self._call(conn, "BootNotification", self._boot_payload("Triggered"))


__all__ = ["StationConfig", "StationFaults", "StationSimulator"]
