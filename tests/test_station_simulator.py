"""The built-in Charging Station simulator: a conforming station when clean, and each fault switch breaks what it says.

Each test runs a tiny real CSMS (`OcppServer` + `OcppConnection`, judging every frame) and the simulator against it
over loopback. Waits are "until this record appears in the CSMS's transcript, or this deadline"; "schema-valid"
means the CSMS side's own monitor found nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import pytest

from harness.ocppj import Call, CallError, CallResult, RpcSession, Severity, default_store
from harness.ocppj.defaults import csms_default, now_iso
from harness.simulators import StationConfig, StationFaults, StationSimulator, StationVariants
from harness.transcript import Record, Transcript
from harness.transport import CallTimeout, Handshake, OcppConnection, OcppServer, ServerSocket

pytestmark = pytest.mark.filterwarnings("error")  # an un-awaited coroutine or unclosed socket fails the test

IDENTITY = "SIM-CS-001"
PASSWORD = "Secret0123456789abcd"  # 20 characters: a valid passwordString
DEADLINE = 5.0
HB = {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}

Predicate = Callable[[Record], bool]


def rx_call(action: str | None = None) -> Predicate:
    """A CALL the station sent (to the CSMS), of `action` if given."""
    return lambda r: r.direction == "rx" and r.message_type == 2 and (action is None or r.action == action)


def event(name: str) -> Predicate:
    return lambda r: r.direction == "event" and r.event == name


class Watch:
    """Waits on a transcript in order: each `next()` looks only after the record the previous one returned."""

    def __init__(self, transcript: Transcript) -> None:
        self.transcript = transcript
        self.cursor = 0  # seq of the last record `next()` returned
        self._changed = asyncio.Event()
        transcript.subscribe(lambda _: self._changed.set())

    async def next(self, match: Predicate, timeout: float = DEADLINE) -> Record:
        """The first record after the cursor that matches; the cursor moves onto it. TimeoutError at the deadline."""
        async with asyncio.timeout(timeout):
            while True:
                self._changed.clear()
                for record in self.transcript.records[self.cursor:]:
                    if match(record):
                        self.cursor = record.seq
                        return record
                await self._changed.wait()

    def between(self, first: Record, last: Record) -> list[Record]:
        return [r for r in self.transcript.records if first.seq < r.seq < last.seq]


class TinyCsms(Watch):
    """A minimal CSMS for the tests: answers boots from a script, records everything, lets the test wait on it."""

    def __init__(self, *, boots: tuple[str, ...] = ("Accepted",), interval: int = 30, retry: int = 30) -> None:
        super().__init__(Transcript(name="tiny csms"))
        self.boots = list(boots)  # answers to successive BootNotifications; the last one repeats
        self.interval, self.retry = interval, retry
        self.security_error = False  # answer everything but BootNotification with CALLERROR SecurityError
        self.refuse = False  # refuse connections (the station is offline)
        self.before_answer: Callable[[Call], Awaitable[None]] | None = None  # the world changes before an answer
        self.conn: OcppConnection | None = None
        self.server = OcppServer(self._on_connect, authenticate=lambda _, password: password == PASSWORD
                                 and not self.refuse, on_handshake=self._on_handshake)

    @property
    def url(self) -> str:
        return self.server.url

    def _on_handshake(self, hs: Handshake) -> None:
        self.transcript.add(0, "event", event="handshake", detail=hs.to_json(), findings=hs.findings)

    async def _on_connect(self, ws: ServerSocket, hs: Handshake) -> None:
        conn = OcppConnection(ws, RpcSession(default_store()), self.transcript, self._answer, identity=hs.identity,
                              call_timeout=DEADLINE)
        self.conn = conn
        self.transcript.add(conn.conn, "event", event="open")
        await conn.run()

    async def _answer(self, call: Call, record: Record) -> Mapping[str, Any] | CallError | None:
        if self.before_answer is not None:
            await self.before_answer(call)
        if call.action == "BootNotification":
            status = self.boots.pop(0) if len(self.boots) > 1 else self.boots[0]
            return {"currentTime": now_iso(), "status": status,
                    "interval": self.interval if status == "Accepted" else self.retry}
        if self.security_error:
            return CallError(call.message_id, "SecurityError", "boot not accepted", {})
        return csms_default(call.action, call.payload)

    async def answer_to(self, request: Record) -> Record:
        """The CSMS's answer to the station's `request` (the cursor moves onto it)."""
        return await self.next(lambda r: r.direction == "tx" and r.message_id == request.message_id)

    async def call(self, action: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        """A CALL to the station; the payload of its CALLRESULT."""
        assert self.conn is not None
        record = await self.conn.call(action, payload, timeout=DEADLINE)
        assert isinstance(record.frame, CallResult), record.short()
        return record.frame.payload

    def failures(self) -> list[str]:
        return [f"{r.short()}: {f.one_line()}" for r, f in self.transcript.findings() if f.severity is Severity.FAIL]

    def rules(self) -> set[str]:
        return {f.rule for _, f in self.transcript.findings()}


class Lab:
    """Starts the CSMS and the station; at the end proves both stopped with nothing left running."""

    def __init__(self) -> None:
        self._before = asyncio.all_tasks()
        self.csms: TinyCsms | None = None
        self.station: StationSimulator | None = None

    async def start(self, faults: StationFaults | None = None, *, evses: list[int] | None = None,
                    variants: StationVariants | None = None, **csms: Any) -> tuple[TinyCsms, StationSimulator]:
        self.csms = TinyCsms(**csms)
        await self.csms.server.start()
        self.station = StationSimulator(StationConfig(
            identity=IDENTITY, csms_url=self.csms.url, password=PASSWORD, faults=faults or StationFaults(),
            evses=evses or [1, 1], call_timeout=DEADLINE, reconnect_delay=0.05,
            variants=variants or StationVariants()))
        await self.station.start()
        return self.csms, self.station

    async def close(self) -> None:
        if self.station is not None:
            await self.station.stop()
        if self.csms is not None:
            if self.csms.conn is not None and not self.csms.conn.closed.is_set():
                await self.csms.conn.close()
            await self.csms.server.stop()
        leftover = [t for t in asyncio.all_tasks() - self._before if t is not asyncio.current_task() and not t.done()]
        assert not leftover, f"tasks still running after stop(): {leftover}"


@pytest.fixture
async def lab() -> AsyncIterator[Lab]:
    lab = Lab()
    try:
        yield lab
    finally:
        await lab.close()


async def booted(csms: TinyCsms) -> Record:
    """Wait through boot and connector reports; the record of the Accepted BootNotification."""
    boot = await csms.next(rx_call("BootNotification"))
    await csms.answer_to(await csms.next(rx_call("SecurityEventNotification")))
    return boot


# ---- boot, status, heartbeat ---------------------------------------------------------------------------------------
async def test_boot_reports_connectors_and_keeps_the_heartbeat_interval(lab: Lab) -> None:
    csms, station = await lab.start(interval=1, evses=[1, 2])
    assert station.connected.is_set()
    boot = await csms.next(rx_call("BootNotification"))
    assert isinstance(boot.frame, Call)
    assert boot.frame.payload == {"reason": "PowerUp", "chargingStation": {
        "model": "HarnessSim", "vendorName": "OpenOCPPHarness", "serialNumber": "SIM-SN-0001",
        "firmwareVersion": "1.0.0"}}
    seen = []
    for _ in range(3):
        record = await csms.next(rx_call("StatusNotification"))
        assert isinstance(record.frame, Call) and record.frame.payload["connectorStatus"] == "Available"
        seen.append((record.frame.payload["evseId"], record.frame.payload["connectorId"]))
    assert seen == [(1, 1), (2, 1), (2, 2)]
    security = await csms.next(rx_call())
    assert isinstance(security.frame, Call) and security.frame.action == "SecurityEventNotification"
    assert security.frame.payload["type"] == "StartupOfTheDevice"
    first = await csms.next(rx_call(), timeout=3)
    second = await csms.next(rx_call(), timeout=3)
    assert first.action == second.action == "Heartbeat"
    assert 0.9 <= first.mono - boot.mono <= 2.5, "first Heartbeat one interval after the BootNotification"
    assert 0.9 <= second.mono - first.mono <= 2.5
    assert station.booted.is_set() and station.state.boot_status == "Accepted" and station.boot_count == 1
    assert csms.failures() == []


async def test_pending_then_trigger_message_boots_again_with_reason_triggered(lab: Lab) -> None:
    csms, station = await lab.start(boots=("Pending", "Accepted"), retry=60)
    pending = await csms.next(rx_call("BootNotification"))
    assert await csms.call("GetVariables", {"getVariableData": [HB]})  # answered while Pending
    assert station.state.boot_status == "Pending" and not station.booted.is_set()
    assert await csms.call("TriggerMessage", {"requestedMessage": "Heartbeat"}) == {"status": "Rejected"}
    assert await csms.call("TriggerMessage", {"requestedMessage": "BootNotification"}) == {"status": "Accepted"}
    again = await csms.next(rx_call("BootNotification"))
    assert isinstance(again.frame, Call) and again.frame.payload["reason"] == "Triggered"
    assert [r.action for r in csms.between(pending, again) if rx_call()(r)] == [], "nothing else while Pending"
    answers = [r for r in csms.between(pending, again) if r.direction == "rx" and r.message_type == 3]
    assert answers and answers[-1].action == "TriggerMessage", "the trigger's answer precedes the triggered boot"
    await csms.next(rx_call("StatusNotification"))
    await station.booted.wait()
    assert station.boot_count == 2
    assert await csms.call("TriggerMessage", {"requestedMessage": "BootNotification"}) == {"status": "Rejected"}
    assert csms.failures() == []


async def test_rejected_sends_nothing_until_the_interval_then_boots_again(lab: Lab) -> None:
    csms, station = await lab.start(boots=("Rejected", "Accepted"), retry=1)
    rejected = await csms.next(rx_call("BootNotification"))
    again = await csms.next(rx_call(), timeout=3)
    assert again.action == "BootNotification"
    assert again.mono - rejected.mono >= 1.0, "the retry waits out the interval"
    assert (await csms.next(rx_call())).action == "StatusNotification"
    assert station.boot_count == 2 and csms.failures() == []


async def test_security_error_means_boot_again_after_the_interval(lab: Lab) -> None:
    csms, station = await lab.start(interval=1)
    await booted(csms)
    csms.security_error = True
    heartbeat = await csms.next(rx_call("Heartbeat"), timeout=3)
    refused = await csms.answer_to(heartbeat)
    assert isinstance(refused.frame, CallError) and refused.frame.error_code == "SecurityError"
    csms.security_error = False
    boot = await csms.next(rx_call(), timeout=3)
    assert boot.action == "BootNotification" and boot.mono - heartbeat.mono >= 1.0
    await csms.next(rx_call("StatusNotification"))
    assert station.boot_count == 2 and station.booted.is_set() and station.state.startup_event is None
    assert csms.failures() == []


async def test_rejected_station_answers_every_request_with_security_error(lab: Lab) -> None:
    """B03.FR.08 (TC_B_30_CS): a request right behind the Rejected answer is refused already."""
    csms, station = await lab.start(boots=("Rejected",), retry=30)
    await csms.next(rx_call("BootNotification"))
    assert csms.conn is not None
    record = await csms.conn.call("GetBaseReport", {"requestId": 1, "reportBase": "FullInventory"}, timeout=DEADLINE)
    assert isinstance(record.frame, CallError) and record.frame.error_code == "SecurityError"
    assert not station.booted.is_set() and csms.failures() == []


async def test_fault_no_security_error_while_rejected(lab: Lab) -> None:
    csms, _ = await lab.start(StationFaults(no_security_error_while_rejected=True), boots=("Rejected",), retry=30)
    await csms.next(rx_call("BootNotification"))
    assert await csms.call("GetBaseReport", {"requestId": 1, "reportBase": "FullInventory"}) == {"status": "Accepted"}


@pytest.mark.parametrize(("fault", "status"), [(None, "Rejected"), ("start_while_pending", "Accepted")])
async def test_remote_start_while_pending(lab: Lab, fault: str | None, status: str) -> None:
    """B02 (TC_B_02_CS step 12): no transaction starts while Pending."""
    csms, _ = await lab.start(StationFaults(**({fault: True} if fault else {})), boots=("Pending",), retry=60)
    await csms.next(rx_call("BootNotification"))
    answer = await csms.call("RequestStartTransaction", {"idToken": {"idToken": "T1", "type": "ISO14443"},
                                                         "remoteStartId": 1})
    assert answer["status"] == status


@pytest.mark.parametrize(("fault", "variant", "status"), [("reject_boot_trigger", None, "Rejected"),
                                                          (None, "boot_trigger_not_implemented", "NotImplemented")])
async def test_boot_trigger_refused_while_pending(lab: Lab, fault: str | None, variant: str | None,
                                                  status: str) -> None:
    csms, _ = await lab.start(StationFaults(**({fault: True} if fault else {})), boots=("Pending", "Accepted"),
                                    retry=1, variants=StationVariants(**({variant: True} if variant else {})))
    pending = await csms.next(rx_call("BootNotification"))
    assert await csms.call("TriggerMessage", {"requestedMessage": "BootNotification"}) == {"status": status}
    again = await csms.next(rx_call("BootNotification"), timeout=3)
    assert isinstance(again.frame, Call) and again.frame.payload["reason"] == "PowerUp"
    assert again.mono - pending.mono >= 1.0, "the retry waits out the Pending interval"


async def test_fault_send_while_pending(lab: Lab) -> None:
    csms, _ = await lab.start(StationFaults(send_while_pending=True), boots=("Pending",), retry=30)
    await csms.next(rx_call("BootNotification"))
    assert (await csms.next(rx_call())).action == "Heartbeat"


# ---- device model --------------------------------------------------------------------------------------------------
async def test_get_variables_statuses(lab: Lab) -> None:
    csms, _ = await lab.start()
    await booted(csms)
    data = [HB,
            {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "NoSuchVariable"}},
            {"component": {"name": "NoSuchCtrlr"}, "variable": {"name": "HeartbeatInterval"}},
            {"component": {"name": "SecurityCtrlr"}, "variable": {"name": "BasicAuthPassword"}},
            {**HB, "attributeType": "MaxSet"},
            {"component": {"name": "EVSE", "evse": {"id": 2}}, "variable": {"name": "AvailabilityState"}},
            {"component": {"name": "EVSE", "evse": {"id": 9}}, "variable": {"name": "AvailabilityState"}},
            {"component": {"name": "DeviceDataCtrlr"}, "variable": {"name": "ItemsPerMessage",
                                                                    "instance": "GetVariables"}}]
    results = (await csms.call("GetVariables", {"getVariableData": data}))["getVariableResult"]
    assert [r["attributeStatus"] for r in results] == [
        "Accepted", "UnknownVariable", "UnknownComponent", "Rejected", "NotSupportedAttributeType", "Accepted",
        "UnknownComponent", "Accepted"]
    assert results[0]["attributeValue"] == "30", "the interval of the BootNotificationResponse"
    assert "attributeValue" not in results[3], "a WriteOnly value is never read out"
    assert results[5]["component"] == {"name": "EVSE", "evse": {"id": 2}}
    assert csms.failures() == []


async def test_set_variables_validates_and_changes_the_heartbeat(lab: Lab) -> None:
    csms, _ = await lab.start()
    await booted(csms)

    def item(component: str, variable: str, value: str, **extra: Any) -> dict[str, Any]:
        return {"component": {"name": component}, "variable": {"name": variable}, "attributeValue": value, **extra}

    data = [item("OCPPCommCtrlr", "HeartbeatInterval", "abc"), item("ClockCtrlr", "DateTime", now_iso()),
            item("AuthCtrlr", "Enabled", "maybe"), item("TxCtrlr", "TxStartPoint", "EVConnected,Authorized"),
            item("TxCtrlr", "TxStopPoint", "EVConnected,Nowhere"), item("OCPPCommCtrlr", "NoSuchVariable", "1"),
            item("NoSuchCtrlr", "Enabled", "true"), item("OCPPCommCtrlr", "NetworkConfigurationPriority", "1"),
            item("OCPPCommCtrlr", "HeartbeatInterval", "5", attributeType="Target")]
    results = (await csms.call("SetVariables", {"setVariableData": data}))["setVariableResult"]
    assert [r["attributeStatus"] for r in results] == [
        "Rejected", "Rejected", "Rejected", "Accepted", "Rejected", "UnknownVariable", "UnknownComponent",
        "RebootRequired", "NotSupportedAttributeType"]
    set_at = (await csms.call("SetVariables", {"setVariableData": [item("OCPPCommCtrlr", "HeartbeatInterval", "1")]}),
              asyncio.get_running_loop().time())[1]
    heartbeat = await csms.next(rx_call("Heartbeat"), timeout=3)
    assert heartbeat.mono - set_at < 3, "the heartbeat timer follows the new interval (1 s, was 30 s) at once"
    got = (await csms.call("GetVariables", {"getVariableData": [
        HB, {"component": {"name": "TxCtrlr"}, "variable": {"name": "TxStartPoint"}}]}))["getVariableResult"]
    assert [r["attributeValue"] for r in got] == ["1", "EVConnected,Authorized"]
    assert csms.failures() == []


async def test_too_many_items_is_an_occurrence_constraint_violation(lab: Lab) -> None:
    csms, _ = await lab.start()
    await booted(csms)
    assert csms.conn is not None
    record = await csms.conn.call("GetVariables", {"getVariableData": [HB] * 17}, timeout=DEADLINE)
    assert isinstance(record.frame, CallError) and record.frame.error_code == "OccurrenceConstraintViolation"
    assert csms.failures() == []


async def test_base_report_is_sent_after_the_answer(lab: Lab) -> None:
    csms, _ = await lab.start()
    await booted(csms)
    assert await csms.call("GetBaseReport", {"requestId": 7, "reportBase": "FullInventory"}) == {"status": "Accepted"}
    reports = [await csms.next(rx_call("NotifyReport"))]
    while isinstance(reports[-1].frame, Call) and reports[-1].frame.payload["tbc"]:
        reports.append(await csms.next(rx_call("NotifyReport")))
    payloads = [r.frame.payload for r in reports if isinstance(r.frame, Call)]
    assert [p["seqNo"] for p in payloads] == list(range(len(payloads))) and payloads[0]["requestId"] == 7
    names = {d["variable"]["name"] for p in payloads for d in p["reportData"]}
    assert {"HeartbeatInterval", "BasicAuthPassword", "AvailabilityState"} <= names
    assert all("value" not in a for p in payloads for d in p["reportData"] for a in d["variableAttribute"]
               if a["mutability"] == "WriteOnly")
    assert csms.failures() == []


OT = {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "OfflineThreshold"}}


@pytest.mark.parametrize(("fault", "get", "set_"), [
    ("get_variables_rejected", {**OT, "attributeStatus": "Rejected"}, {**OT, "attributeStatus": "Accepted"}),
    ("reject_offline_threshold", {**OT, "attributeStatus": "Rejected"}, {**OT, "attributeStatus": "Rejected"}),
    ("set_variables_not_stored", {**OT, "attributeStatus": "Accepted", "attributeValue": "60"},
     {**OT, "attributeStatus": "Accepted"}),
    ("variables_wrong_type", {**OT, "attributeStatus": "Accepted", "attributeValue": "300", "attributeType": "Target"},
     {**OT, "attributeStatus": "Accepted", "attributeType": "Target"}),
    ("variables_wrong_names", {**OT, "variable": {"name": "offlinethreshold"}, "attributeStatus": "Accepted",
                               "attributeValue": "300"},
     {**OT, "variable": {"name": "offlinethreshold"}, "attributeStatus": "Accepted"}),
    ("variables_status_info_error", {**OT, "attributeStatus": "Accepted", "attributeValue": "300",
                                     "attributeStatusInfo": {"reasonCode": "InternalError"}},
     {**OT, "attributeStatus": "Accepted", "attributeStatusInfo": {"reasonCode": "InternalError"}}),
])
async def test_fault_variables_results(lab: Lab, fault: str, get: dict[str, Any], set_: dict[str, Any]) -> None:
    """Each switch breaks one check of TC_B_06_CS / TC_B_09_CS: SetVariables 300, then GetVariables."""
    csms, _ = await lab.start(StationFaults(**{fault: True}))
    await booted(csms)
    assert await csms.call("SetVariables", {"setVariableData": [{**OT, "attributeValue": "300"}]}) == {
        "setVariableResult": [set_]}
    assert await csms.call("GetVariables", {"getVariableData": [OT]}) == {"getVariableResult": [get]}
    assert csms.failures() == []


async def test_fault_base_report(lab: Lab) -> None:
    csms, _ = await lab.start(StationFaults(refuse_base_report=True))
    await booted(csms)
    assert await csms.call("GetBaseReport", {"requestId": 7, "reportBase": "FullInventory"}) == {"status": "Rejected"}


async def test_fault_truncated_report(lab: Lab) -> None:
    csms, _ = await lab.start(StationFaults(truncated_report=True))
    await booted(csms)
    assert await csms.call("GetBaseReport", {"requestId": 7, "reportBase": "FullInventory"}) == {"status": "Accepted"}
    first = await csms.next(rx_call("NotifyReport"))
    assert isinstance(first.frame, Call) and first.frame.payload["tbc"] is True
    with pytest.raises(TimeoutError):
        await csms.next(rx_call("NotifyReport"), timeout=1.0)  # a deadline: the rest never comes


# ---- reset, power cycle, trigger -------------------------------------------------------------------------------------
async def test_reset_reboots_with_reason_remote_reset(lab: Lab) -> None:
    csms, station = await lab.start()
    await booted(csms)
    assert (await csms.call("Reset", {"type": "OnIdle", "evseId": 1}))["status"] == "Rejected"
    assert await csms.call("Reset", {"type": "Immediate"}) == {"status": "Accepted"}
    closed = await csms.next(event("close"))
    assert closed.detail["code"] == 1000 and closed.detail["by"] == "peer"
    boot = await csms.next(rx_call("BootNotification"))
    assert isinstance(boot.frame, Call) and boot.frame.payload["reason"] == "RemoteReset"
    assert boot.conn != closed.conn
    security = await csms.next(rx_call("SecurityEventNotification"))
    assert isinstance(security.frame, Call) and security.frame.payload["type"] == "ResetOrReboot"
    assert station.boot_count == 2 and csms.failures() == []


async def test_power_cycle_reconnects_and_boots_power_up(lab: Lab) -> None:
    csms, station = await lab.start()
    await booted(csms)
    await station.power_cycle()
    closed = await csms.next(event("close"))
    assert closed.detail["code"] == 1000
    boot = await csms.next(rx_call("BootNotification"))
    assert isinstance(boot.frame, Call) and boot.frame.payload["reason"] == "PowerUp"
    await station.booted.wait()
    assert station.connected.is_set() and csms.failures() == []


@pytest.mark.parametrize(("requested", "evse", "sent"), [
    ("Heartbeat", None, ["Heartbeat"]),
    ("StatusNotification", {"id": 2, "connectorId": 1}, ["StatusNotification"]),
    ("MeterValues", None, ["MeterValues", "MeterValues"]),
    ("LogStatusNotification", None, ["LogStatusNotification"]),
    ("FirmwareStatusNotification", None, ["FirmwareStatusNotification"]),
])
async def test_trigger_message_sends_the_message_after_its_answer(lab: Lab, requested: str,
                                                                  evse: dict[str, int] | None, sent: list[str]) -> None:
    csms, _ = await lab.start()
    await booted(csms)
    payload: dict[str, Any] = {"requestedMessage": requested, **({"evse": evse} if evse else {})}
    assert await csms.call("TriggerMessage", payload) == {"status": "Accepted"}
    answer = csms.transcript.records[-1]
    assert answer.message_type == 3 and answer.action == "TriggerMessage"
    records = [await csms.next(rx_call()) for _ in sent]
    assert [r.action for r in records] == sent and records[0].seq > answer.seq
    if requested == "StatusNotification":
        assert isinstance(records[0].frame, Call) and records[0].frame.payload["evseId"] == 2
    assert csms.failures() == []


async def test_trigger_message_refusals(lab: Lab) -> None:
    csms, _ = await lab.start()
    await booted(csms)
    for requested, status in (("SignV2GCertificate", "NotImplemented"), ("BootNotification", "Rejected"),
                              ("SignChargingStationCertificate", "Rejected")):
        assert await csms.call("TriggerMessage", {"requestedMessage": requested}) == {"status": status}
    answer = await csms.call("TriggerMessage", {"requestedMessage": "StatusNotification", "evse": {"id": 9}})
    assert answer == {"status": "Rejected"}
    assert await csms.call("CancelReservation", {"reservationId": 1}) == {"status": "Rejected"}, \
        "requests it does not implement: polite default"
    assert csms.failures() == []


# ---- fault switches ------------------------------------------------------------------------------------------------
def failing_rules(csms: TinyCsms) -> set[str]:
    return {f.rule for _, f in csms.transcript.findings() if f.severity is Severity.FAIL}


@pytest.mark.parametrize("fault", ["bad_boot_payload", "bad_boot_reason"])
async def test_fault_schema_invalid_boot(lab: Lab, fault: str) -> None:
    csms, _ = await lab.start(StationFaults(**{fault: True}))
    boot = await csms.next(rx_call("BootNotification"))
    assert {f.rule for f in boot.findings} == {"RPC-12"}
    answer = await csms.answer_to(boot)
    assert isinstance(answer.frame, CallError), "the CSMS refuses the invalid request"


async def test_fault_no_subprotocol(lab: Lab) -> None:
    csms, station = await lab.start(StationFaults(no_subprotocol=True))
    handshake = await csms.next(event("handshake"))
    assert handshake.detail["offered"] == ["ocpp1.6"] and "RPC-03" in {f.rule for f in handshake.findings}
    closed = await Watch(station.transcript).next(event("close"))
    assert closed.detail["code"] == 1002, "the CSMS closes a connection without ocpp2.0.1"
    assert not station.connected.is_set() and station.boot_count == 0


@pytest.mark.parametrize(("fault", "text"), [("wrong_password", "not the configured one"),
                                             ("bad_auth_user", "differs from the identity"),
                                             ("short_password", "8 characters")])
async def test_fault_basic_auth(lab: Lab, fault: str, text: str) -> None:
    csms, station = await lab.start(StationFaults(**{fault: True}))
    handshake = await csms.next(event("handshake"))
    assert handshake.detail["status"] == 401
    assert any(f.rule == "SEC-5" and text in f.text for f in handshake.findings), handshake.findings
    assert not station.connected.is_set()


async def test_fault_reuse_message_id(lab: Lab) -> None:
    csms, _ = await lab.start(StationFaults(reuse_message_id=True))
    boot = await csms.next(rx_call("BootNotification"))
    status = await csms.next(rx_call("StatusNotification"))
    assert status.message_id == boot.message_id and "RPC-14" in {f.rule for f in status.findings}


async def test_fault_long_message_id(lab: Lab) -> None:
    csms, _ = await lab.start(StationFaults(long_message_id=True))
    boot = await csms.next(rx_call("BootNotification"))
    assert boot.message_id is not None and len(boot.message_id) == 40 and "RPC-13" in failing_rules(csms)


async def test_fault_ignore_retry_interval(lab: Lab) -> None:
    csms, _ = await lab.start(StationFaults(ignore_retry_interval=True), boots=("Rejected", "Accepted"), retry=30)
    first = await csms.next(rx_call("BootNotification"))
    second = await csms.next(rx_call("BootNotification"), timeout=2)
    assert second.mono - first.mono < 2, "retried long before the 30 s interval"


async def test_fault_send_while_rejected(lab: Lab) -> None:
    csms, _ = await lab.start(StationFaults(send_while_rejected=True), boots=("Rejected",), retry=30)
    csms.security_error = True
    await csms.next(rx_call("BootNotification"))
    assert (await csms.next(rx_call())).action == "Heartbeat"


async def test_fault_skip_status_notification(lab: Lab) -> None:
    csms, _ = await lab.start(StationFaults(skip_status_notification=True))
    await csms.next(rx_call("BootNotification"))
    assert (await csms.next(rx_call())).action == "SecurityEventNotification"


async def test_a_change_during_the_reconnect_report_is_reported_after_it(lab: Lab) -> None:
    """The EV plugged in while offline is reported Occupied on reconnect; the driver unplugs while that report
    waits for its answer. The unplug seems no change (Available is what the station last sent), so only a look
    after the report finds it: the station must still send Available (it once stayed Occupied at the CSMS, and
    TC_B_52_CS's cleanup waited 10 s for it in vain)."""
    csms, station = await lab.start()
    await booted(csms)
    assert csms.conn is not None
    csms.refuse = True
    await csms.conn.close()
    await csms.next(lambda r: r.event == "handshake" and r.detail.get("status") == 401)  # the station is offline
    await station.plug_in(1, 1)
    assert csms.conn.closed.is_set()

    async def unplug_during_the_report(call: Call) -> None:
        if call.action == "StatusNotification" and call.payload.get("connectorStatus") == "Occupied":
            csms.before_answer = None
            await station.unplug(1, 1)

    csms.before_answer = unplug_during_the_report
    csms.refuse = False
    occupied = await csms.next(lambda r: rx_call("StatusNotification")(r) and isinstance(r.frame, Call)
                               and r.frame.payload["connectorStatus"] == "Occupied")
    available = await csms.next(lambda r: rx_call("StatusNotification")(r) and isinstance(r.frame, Call)
                                and r.frame.payload["evseId"] == 1 and r.frame.payload["connectorStatus"] == "Available")
    assert available.seq > occupied.seq


@pytest.mark.parametrize(("fault", "code"), [(None, "OccurrenceConstraintViolation"),
                                             ("wrong_error_code", "GenericError"),
                                             ("error_code_1_6_spelling", "OccurenceConstraintViolation"),
                                             ("silent_on_bad_input", None)])
async def test_fault_answers_to_bad_input(lab: Lab, fault: str | None, code: str | None) -> None:
    csms, _ = await lab.start(StationFaults(**({fault: True} if fault else {})))
    await booted(csms)
    assert csms.conn is not None
    bad = '[2,"bad-1","GetVariables",{}]'  # getVariableData is required
    if code is None:
        with pytest.raises(CallTimeout):
            await csms.conn.send_raw(bad, timeout=1.0)
        return
    record = await csms.conn.send_raw(bad, timeout=DEADLINE)
    assert record is not None and isinstance(record.frame, CallError) and record.frame.error_code == code


async def test_fault_bad_get_variables_enum(lab: Lab) -> None:
    csms, _ = await lab.start(StationFaults(bad_get_variables_enum=True))
    await booted(csms)
    assert csms.conn is not None
    record = await csms.conn.call("GetVariables", {"getVariableData": [HB]}, timeout=DEADLINE)
    assert "RPC-12" in {f.rule for f in record.findings}


async def test_fault_no_reboot_on_reset(lab: Lab) -> None:
    csms, station = await lab.start(StationFaults(no_reboot_on_reset=True), interval=1)
    boot = await booted(csms)
    assert await csms.call("Reset", {"type": "Immediate"}) == {"status": "Accepted"}
    after = await csms.next(lambda r: rx_call("Heartbeat")(r) or event("close")(r), timeout=3)
    assert after.action == "Heartbeat" and after.conn == boot.conn and station.boot_count == 1


async def test_fault_reset_boot_reason_power_up(lab: Lab) -> None:
    csms, _ = await lab.start(StationFaults(reset_boot_reason_power_up=True))
    await booted(csms)
    assert await csms.call("Reset", {"type": "OnIdle"}) == {"status": "Accepted"}
    boot = await csms.next(rx_call("BootNotification"))
    assert isinstance(boot.frame, Call) and boot.frame.payload["reason"] == "PowerUp"


async def test_fault_ignore_trigger(lab: Lab) -> None:
    csms, _ = await lab.start(StationFaults(ignore_trigger=True))
    await booted(csms)
    assert await csms.call("TriggerMessage", {"requestedMessage": "Heartbeat"}) == {"status": "Accepted"}
    with pytest.raises(TimeoutError):
        await csms.next(rx_call("Heartbeat"), timeout=1.0)  # a deadline: the triggered Heartbeat never comes


async def test_fault_heartbeat_too_fast(lab: Lab) -> None:
    csms, _ = await lab.start(StationFaults(heartbeat_too_fast=True), interval=4)
    boot = await booted(csms)
    heartbeat = await csms.next(rx_call("Heartbeat"), timeout=3)
    assert heartbeat.mono - boot.mono < 3, "a quarter of the 4 s interval"
