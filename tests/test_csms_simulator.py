"""The built-in CSMS simulator: a conforming minimal CSMS when clean, and each fault switch breaks what it says.

Every test talks to the simulator through a real WebSocket, as a station would: `harness.transport.connect` plus
an `OcppConnection` that judges each frame, so "schema-valid" means the harness's own monitor found nothing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from harness.ocppj import Call, CallError, CallResult, RpcSession, default_store
from harness.ocppj.defaults import now_iso, station_default
from harness.simulators.csms import CsmsConfig, CsmsFaults, CsmsSimulator, CsmsVariants
from harness.transcript import Record, Transcript
from harness.transport import (
    CallTimeout,
    ClientOptions,
    ConnectionLost,
    HandshakeRefused,
    OcppConnection,
    connect,
)

pytestmark = pytest.mark.filterwarnings("error")  # an un-awaited coroutine or unclosed socket fails the test

IDENTITY = "SIM-CS-001"
PASSWORD = "Secret0123456789abcd"  # 20 characters: a valid passwordString
BOOT = {"reason": "PowerUp", "chargingStation": {"model": "TestModel", "vendorName": "TestVendor"}}
STATUS = {"timestamp": "2024-01-01T00:00:00Z", "connectorStatus": "Available", "evseId": 1, "connectorId": 1}


@dataclass
class Station:
    """The test's side of one connection: what the simulator sent it, and the judged transcript."""

    conn: OcppConnection
    transcript: Transcript
    received: list[Call] = field(default_factory=list)

    async def boot(self) -> dict[str, Any]:
        return _result(await self.conn.call("BootNotification", BOOT))

    def rx_failures(self) -> list[str]:
        return [f"{r.short()}: {f.one_line()}" for r, f in self.transcript.failures() if r.direction == "rx"]


class Lab:
    """Starts simulators and stations, and at the end proves they all stopped with nothing left running."""

    def __init__(self) -> None:
        self._before = asyncio.all_tasks()
        self.sims: list[CsmsSimulator] = []
        self.stations: list[Station] = []
        self._runs: list[asyncio.Task[None]] = []

    async def csms(self, **overrides: Any) -> CsmsSimulator:
        faults = overrides.pop("faults", CsmsFaults())
        sim = CsmsSimulator(CsmsConfig(stations={IDENTITY: PASSWORD, "OTHER-CS": PASSWORD}, faults=faults,
                                       heartbeat_interval=30, boot_retry_interval=2, **overrides))
        await sim.start()
        self.sims.append(sim)
        return sim

    async def station(self, sim: CsmsSimulator, identity: str = IDENTITY, **options: Any) -> Station:
        values: dict[str, Any] = {"password": PASSWORD, "open_timeout": 5.0}
        values.update(options)
        ws = await connect(sim.url, identity, ClientOptions(**values))
        transcript = Transcript(name=f"station {identity}")
        received: list[Call] = []

        async def on_call(call: Call, record: Record) -> Mapping[str, Any] | CallError | None:
            received.append(call)
            if call.action == "GetVariables":
                return {"getVariableResult": [{"attributeStatus": "Accepted", "attributeValue": "30", **d}
                                              for d in call.payload["getVariableData"]]}
            return station_default(call.action, call.payload)

        conn = OcppConnection(ws, RpcSession(default_store()), transcript, on_call, identity=identity,
                              call_timeout=5.0)
        station = Station(conn, transcript, received)
        self.stations.append(station)
        self._runs.append(asyncio.create_task(conn.run()))
        return station

    async def close(self) -> None:
        for station in self.stations:
            if not station.conn.closed.is_set():
                await station.conn.close()
        await asyncio.gather(*self._runs)
        for sim in self.sims:
            await sim.stop()
        leftover = [t for t in asyncio.all_tasks() - self._before if t is not asyncio.current_task() and not t.done()]
        assert not leftover, f"tasks still running after stop(): {leftover}"


@pytest.fixture
async def lab() -> AsyncIterator[Lab]:
    lab = Lab()
    try:
        yield lab
    finally:
        await lab.close()


def _result(record: Record) -> dict[str, Any]:
    assert isinstance(record.frame, CallResult), record.short()
    return record.frame.payload


def _error_code(record: Record | None) -> str:
    assert record is not None and isinstance(record.frame, CallError), record.short() if record else None
    return record.frame.error_code


# ---- boot ---------------------------------------------------------------------------------------------------------
async def test_boot_accepted_with_time_and_heartbeat_interval(lab: Lab) -> None:
    sim = await lab.csms()
    station = await lab.station(sim)
    await sim.wait_connected(IDENTITY, 5)
    assert sim.connected(IDENTITY) and station.conn.subprotocol == "ocpp2.0.1"
    booted, answer = await asyncio.gather(sim.wait_boot(IDENTITY, 5), station.boot())
    assert answer["status"] == "Accepted" and answer["interval"] == 30
    skew = abs(datetime.fromisoformat(answer["currentTime"]).timestamp() - time.time())
    assert skew < 5 and datetime.fromisoformat(answer["currentTime"]).tzinfo == UTC
    assert booted == BOOT
    assert _result(await station.conn.call("Heartbeat", {}))["currentTime"]
    await station.conn.call("StatusNotification", STATUS)
    state = sim.station(IDENTITY)
    assert state.boot_status == "Accepted" and state.boots == 1 and state.last_heartbeat is not None
    assert state.connectors[(1, 1)]["connectorStatus"] == "Available"
    assert station.rx_failures() == []


@pytest.mark.parametrize("status", ["Pending", "Rejected"])
async def test_boot_pending_or_rejected_with_retry_interval(lab: Lab, status: str) -> None:
    sim = await lab.csms(boot_status={IDENTITY: status})
    station = await lab.station(sim)
    answer = await station.boot()
    assert (answer["status"], answer["interval"]) == (status, 2)
    assert station.rx_failures() == []


@pytest.mark.parametrize("status", ["Pending", "Rejected"])
async def test_security_error_until_boot_accepted(lab: Lab, status: str) -> None:
    sim = await lab.csms()
    sim.set_boot_status(IDENTITY, status)
    station = await lab.station(sim)
    await station.boot()
    for action, payload in (("StatusNotification", STATUS), ("Heartbeat", {})):
        record = await station.conn.call(action, payload)
        assert _error_code(record) == "SecurityError"
        assert isinstance(record.frame, CallError) and record.frame.error_description == "Boot not accepted"
    sim.set_boot_status(IDENTITY, "Accepted")
    assert (await station.boot())["status"] == "Accepted"
    assert _result(await station.conn.call("StatusNotification", STATUS)) == {}
    assert station.rx_failures() == []


async def test_variant_pending_interval_zero_and_provisioning_while_pending(lab: Lab) -> None:
    """B02: interval 0 with Pending (and Rejected); while a station is Pending the CSMS reads its OfflineThreshold,
    after the BootNotificationResponse is out."""
    sim = await lab.csms(boot_status={IDENTITY: "Pending"},
                         variants=CsmsVariants(pending_interval_zero=True, provision_while_pending=True))
    station = await lab.station(sim)
    asked = asyncio.Event()
    station.transcript.subscribe(lambda r: asked.set() if r.direction == "rx" and r.action == "GetVariables" else None)
    answer = await station.boot()
    assert (answer["status"], answer["interval"]) == ("Pending", 0)
    await asyncio.wait_for(asked.wait(), 5)
    assert station.received[0].action == "GetVariables"
    assert station.received[0].payload["getVariableData"] == [
        {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "OfflineThreshold"}}]
    sim.set_boot_status(IDENTITY, "Rejected")
    assert (await station.boot())["interval"] == 0
    assert len(station.received) == 1  # nothing read from a Rejected station
    assert station.rx_failures() == []


@pytest.mark.parametrize(("fault", "configured", "answered"), [
    ("always_accept_boot", ("Pending",), ("Accepted",)),
    ("stay_not_accepted", ("Pending", "Accepted"), ("Pending", "Pending")),
])
async def test_fault_boot_status_not_as_configured(lab: Lab, fault: str, configured: tuple[str, ...],
                                                    answered: tuple[str, ...]) -> None:
    sim = await lab.csms(faults=_faults(**{fault: True}))
    station = await lab.station(sim)
    for status, expected in zip(configured, answered, strict=True):
        sim.set_boot_status(IDENTITY, status)
        assert (await station.boot())["status"] == expected


@pytest.mark.parametrize(("fault", "action", "payload", "sent"), [
    ("request_other_variable", "GetVariables", {"getVariableData": [{"component": {"name": "OCPPCommCtrlr"},
                                                                    "variable": {"name": "OfflineThreshold"}}]},
     {"getVariableData": [{"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}]}),
    ("set_target_attribute", "SetVariables", {"setVariableData": [{"component": {"name": "OCPPCommCtrlr"},
                                                                   "variable": {"name": "OfflineThreshold"},
                                                                   "attributeValue": "123"}]},
     {"setVariableData": [{"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "OfflineThreshold"},
                           "attributeValue": "123", "attributeType": "Target"}]}),
    ("set_wrong_value", "SetVariables", {"setVariableData": [{"component": {"name": "OCPPCommCtrlr"},
                                                              "variable": {"name": "OfflineThreshold"},
                                                              "attributeValue": "123"}]},
     {"setVariableData": [{"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "OfflineThreshold"},
                           "attributeValue": "1230"}]}),
    ("reset_with_evse", "Reset", {"type": "OnIdle"}, {"type": "OnIdle", "evseId": 1}),
    ("reset_immediate", "Reset", {"type": "OnIdle"}, {"type": "Immediate"}),
    ("wrong_trigger_message", "TriggerMessage", {"requestedMessage": "BootNotification"},
     {"requestedMessage": "Heartbeat"}),
])
async def test_fault_operator_request_spoiled(lab: Lab, fault: str, action: str, payload: dict[str, Any],
                                              sent: dict[str, Any]) -> None:
    sim = await lab.csms(faults=_faults(**{fault: True}))
    station = await lab.station(sim)
    await station.boot()
    await sim.send(IDENTITY, action, payload)
    assert station.received[-1].action == action and station.received[-1].payload == sent


async def test_rejected_state_survives_a_reconnect(lab: Lab) -> None:
    sim = await lab.csms(boot_status={IDENTITY: "Rejected"})
    first = await lab.station(sim)
    await first.boot()
    await first.conn.close()
    second = await lab.station(sim)
    assert _error_code(await second.conn.call("Heartbeat", {})) == "SecurityError"


def test_set_boot_status_refuses_an_unknown_status() -> None:
    with pytest.raises(ValueError, match="Maybe"):
        CsmsSimulator().set_boot_status(IDENTITY, "Maybe")


def test_set_security_profile_refuses_an_unknown_profile() -> None:
    with pytest.raises(ValueError, match="4"):
        CsmsSimulator().set_security_profile(IDENTITY, 4)


# ---- handshake ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("identity", "options", "status"), [
    ("UNKNOWN-CS", {}, 404),
    (IDENTITY, {"password": "WrongPassword0123456"}, 401),
    (IDENTITY, {"username": "OTHER-CS"}, 401),
    (IDENTITY, {"password": None}, 401),
    (IDENTITY, {"password": "Pässwörd0123456789ab"}, 401),
], ids=["unknown-identity", "bad-password", "wrong-user", "no-credentials", "non-ascii-password"])
async def test_handshake_refused(lab: Lab, identity: str, options: dict[str, Any], status: int) -> None:
    sim = await lab.csms()
    with pytest.raises(HandshakeRefused) as refused:
        await lab.station(sim, identity, **options)
    assert refused.value.status == status
    handshake = [r for r in sim.transcript.records if r.event == "handshake"][-1]
    assert handshake.detail["status"] == status
    assert PASSWORD not in str(handshake.to_json()) and "WrongPassword" not in str(handshake.to_json())
    assert "Pässwörd" not in str(handshake.to_json())


async def test_no_auth_required_when_switched_off(lab: Lab) -> None:
    sim = await lab.csms(require_auth=False)
    station = await lab.station(sim, password=None)
    assert (await station.boot())["status"] == "Accepted"


async def test_subprotocol_not_offered_is_refused_without_an_upgrade(lab: Lab) -> None:
    """TC_B_58_CSMS (errata 2025-04): no supported subprotocol offered, no WebSocket: HTTP 400."""
    sim = await lab.csms()
    with pytest.raises(HandshakeRefused) as refused:
        await lab.station(sim, subprotocols=["ocpp0.1"])
    assert refused.value.status == 400
    handshake = [r for r in sim.transcript.records if r.event == "handshake"][-1]
    assert handshake.detail["status"] == 400 and [f.rule for f in handshake.findings] == ["RPC-03"]
    assert not sim.connected(IDENTITY)


async def test_fault_upgrade_without_subprotocol_closes_with_1002(lab: Lab) -> None:
    sim = await lab.csms(faults=_faults(upgrade_without_subprotocol=True))
    station = await lab.station(sim, subprotocols=["ocpp0.1"])
    assert station.conn.subprotocol is None
    await asyncio.wait_for(station.conn.closed.wait(), 5)
    assert station.conn.close_code == 1002
    assert not sim.connected(IDENTITY)


async def test_subprotocol_ocpp201_selected_among_others(lab: Lab) -> None:
    sim = await lab.csms()
    station = await lab.station(sim, subprotocols=["ocpp0.1", "ocpp2.0.1"])
    assert station.conn.subprotocol == "ocpp2.0.1"
    assert (await station.boot())["status"] == "Accepted"


async def test_newest_connection_of_an_identity_wins(lab: Lab) -> None:
    sim = await lab.csms()
    first = await lab.station(sim)
    await sim.wait_connected(IDENTITY, 5)
    second = await lab.station(sim)
    await asyncio.wait_for(first.conn.closed.wait(), 5)
    assert (await second.boot())["status"] == "Accepted"
    live = sim.station(IDENTITY).conn
    assert live is not None and not live.closed.is_set()


# ---- bad input from the station -----------------------------------------------------------------------------------
BAD_INPUT = [
    ("malformed-json", '[2,"m1","Heartbeat",{', "-1", "RpcFrameworkError"),
    ("unknown-action", '[2,"m2","FooBar",{}]', "m2", "NotImplemented"),
    ("missing-required", '[2,"m3","StatusNotification",{"timestamp":"2024-01-01T00:00:00Z","evseId":1,'
                         '"connectorId":1}]', "m3", "OccurrenceConstraintViolation"),
    ("wrong-type", '[2,"m4","StatusNotification",{"timestamp":"2024-01-01T00:00:00Z",'
                   '"connectorStatus":"Available","evseId":"one","connectorId":1}]', "m4", "TypeConstraintViolation"),
    ("extra-property", '[2,"m5","Heartbeat",{"extra":1}]', "m5", "FormatViolation"),
    ("long-id", f'[2,"{"x" * 37}","Heartbeat",{{}}]', "x" * 37, "RpcFrameworkError"),
    ("unknown-message-type", '[7,"m7","Heartbeat",{}]', "m7", "MessageTypeNotSupported"),
    ("payload-not-object", '[2,"m8","Heartbeat",[]]', "m8", "FormatViolation"),
]


@pytest.mark.parametrize(("text", "message_id", "code"), [c[1:] for c in BAD_INPUT], ids=[c[0] for c in BAD_INPUT])
async def test_bad_input_gets_the_prescribed_callerror(lab: Lab, text: str, message_id: str, code: str) -> None:
    sim = await lab.csms()
    station = await lab.station(sim)
    await station.boot()
    answer = await station.conn.send_raw(text)
    assert answer is not None and answer.message_id == message_id
    assert _error_code(answer) == code
    assert _result(await station.conn.call("Heartbeat", {}))  # the connection survives bad input
    assert station.rx_failures() == []


# ---- operator commands --------------------------------------------------------------------------------------------
async def test_commands_reach_the_station_and_answers_come_back(lab: Lab) -> None:
    sim = await lab.csms()
    station = await lab.station(sim)
    await station.boot()
    got = _result(await sim.get_variables(IDENTITY, [("OCPPCommCtrlr", "HeartbeatInterval")]))
    assert got["getVariableResult"][0]["attributeValue"] == "30"
    assert _result(await sim.set_variables(IDENTITY, [("OCPPCommCtrlr", "HeartbeatInterval", "60")]))
    assert _result(await sim.reset(IDENTITY, "Immediate", evse_id=1)) == {"status": "Rejected"}
    assert _result(await sim.trigger_message(IDENTITY, "Heartbeat", {"id": 1}))["status"] == "NotImplemented"
    assert _result(await sim.send(IDENTITY, "ClearCache", {})) == {"status": "Rejected"}
    assert [(c.action, c.payload) for c in station.received] == [
        ("GetVariables", {"getVariableData": [{"component": {"name": "OCPPCommCtrlr"},
                                               "variable": {"name": "HeartbeatInterval"}}]}),
        ("SetVariables", {"setVariableData": [{"component": {"name": "OCPPCommCtrlr"},
                                               "variable": {"name": "HeartbeatInterval"}, "attributeValue": "60"}]}),
        ("Reset", {"type": "Immediate", "evseId": 1}),
        ("TriggerMessage", {"requestedMessage": "Heartbeat", "evse": {"id": 1}}),
        ("ClearCache", {}),
    ]
    assert len({c.message_id for c in station.received}) == 5
    assert station.rx_failures() == []


async def test_send_to_a_station_that_is_not_connected(lab: Lab) -> None:
    sim = await lab.csms()
    with pytest.raises(ConnectionLost, match="not connected"):
        await sim.send(IDENTITY, "ClearCache", {})


async def test_wait_boot_after_a_count_read_earlier(lab: Lab) -> None:
    sim = await lab.csms()
    station = await lab.station(sim)
    seen = sim.station(IDENTITY).boots
    await station.boot()  # the boot happens before anyone waits for it: `after` still catches it
    assert await sim.wait_boot(IDENTITY, 5, after=seen) == BOOT


async def test_wait_connected_and_wait_boot_end_at_their_deadline(lab: Lab) -> None:
    sim = await lab.csms()
    with pytest.raises(TimeoutError):
        await sim.wait_connected(IDENTITY, 0.05)
    with pytest.raises(TimeoutError):
        await sim.wait_boot(IDENTITY, 0.05)


async def test_stop_closes_live_connections(lab: Lab) -> None:
    sim = await lab.csms()
    station = await lab.station(sim)
    await station.boot()
    await sim.stop()
    assert station.conn.closed.is_set() and station.conn.close_code == 1001
    assert not sim.connected(IDENTITY)


# ---- fault switches: each one changes what a station observes -----------------------------------------------------
def _faults(**on: bool) -> CsmsFaults:
    return CsmsFaults(**on)


@pytest.mark.parametrize(("fault", "path"), [("bad_boot_enum", "$.status"), ("bad_boot_time", "$.currentTime")])
async def test_fault_bad_boot_answer_is_schema_invalid(lab: Lab, fault: str, path: str) -> None:
    sim = await lab.csms(faults=_faults(**{fault: True}))
    station = await lab.station(sim)
    await station.boot()
    findings = [f for _, f in station.transcript.failures()]
    assert [(f.rule, f.path) for f in findings] == [("RPC-12", path)], findings


@pytest.mark.parametrize(("fault", "identity", "options"), [
    ("accept_unknown_station", "UNKNOWN-CS", {"password": "AnyPassword012345678"}),
    ("accept_bad_password", IDENTITY, {"password": "WrongPassword0123456"}),
    ("accept_wrong_user", IDENTITY, {"username": "OTHER-CS"}),
])
async def test_fault_handshake_accepted_that_must_be_refused(lab: Lab, fault: str, identity: str,
                                                             options: dict[str, Any]) -> None:
    sim = await lab.csms(faults=_faults(**{fault: True}))
    station = await lab.station(sim, identity, **options)
    assert (await station.boot())["status"] == "Accepted"
    assert sim.connected(identity)


async def test_fault_keep_without_subprotocol(lab: Lab) -> None:
    sim = await lab.csms(faults=_faults(keep_without_subprotocol=True))
    station = await lab.station(sim, subprotocols=["ocpp0.1"])
    assert station.conn.subprotocol is None
    assert (await station.boot())["status"] == "Accepted"  # still open: it answers
    assert not station.conn.closed.is_set()


async def test_fault_no_security_error(lab: Lab) -> None:
    sim = await lab.csms(boot_status={IDENTITY: "Rejected"}, faults=_faults(no_security_error=True))
    station = await lab.station(sim)
    assert (await station.boot())["status"] == "Rejected"
    assert _result(await station.conn.call("StatusNotification", STATUS)) == {}


@pytest.mark.parametrize(("fault", "text", "code"), [
    ("wrong_error_code", '[2,"m1","Heartbeat",{', "GenericError"),
    ("error_code_1_6_spelling", '[2,"m2","Heartbeat",{"extra":1}]', "FormationViolation"),
    ("error_code_1_6_spelling", '[2,"m3","StatusNotification",{"timestamp":"2024-01-01T00:00:00Z","evseId":1,'
                                '"connectorId":1}]', "OccurenceConstraintViolation"),
])
async def test_fault_bad_input_answered_with_a_wrong_code(lab: Lab, fault: str, text: str, code: str) -> None:
    sim = await lab.csms(faults=_faults(**{fault: True}))
    station = await lab.station(sim)
    await station.boot()
    answer = await station.conn.send_raw(text)
    assert _error_code(answer) == code
    rules = {f.rule for _, f in station.transcript.failures()}
    assert rules == ({"RPC-16"} if fault == "error_code_1_6_spelling" else set())  # the 1.6 spelling is judged


async def test_fault_silent_on_bad_input(lab: Lab) -> None:
    sim = await lab.csms(faults=_faults(silent_on_bad_input=True))
    station = await lab.station(sim)
    await station.boot()
    await station.conn.send_raw('[2,"m1","FooBar",{}]', expect_answer=False)
    # The simulator handles frames in order: once the next CALL is answered, the bad one never will be.
    assert _result(await station.conn.call("Heartbeat", {}))
    assert [r for r in station.transcript.records if r.direction == "rx" and r.message_id == "m1"] == []


async def test_fault_reuse_message_id(lab: Lab) -> None:
    sim = await lab.csms(faults=_faults(reuse_message_id=True))
    station = await lab.station(sim)
    await station.boot()
    await sim.send(IDENTITY, "ClearCache", {})
    await sim.get_variables(IDENTITY, [("OCPPCommCtrlr", "HeartbeatInterval")])
    assert len({c.message_id for c in station.received}) == 1
    assert "RPC-14" in {f.rule for _, f in station.transcript.failures()}


async def test_fault_no_response_to_heartbeat(lab: Lab) -> None:
    sim = await lab.csms(faults=_faults(no_response=True))
    station = await lab.station(sim)
    await station.boot()
    with pytest.raises(CallTimeout):
        await station.conn.call("Heartbeat", {}, timeout=0.3)
    assert _result(await station.conn.call("StatusNotification", STATUS)) == {}  # other requests still answered


async def test_fault_slow_response(lab: Lab) -> None:
    sim = await lab.csms(call_timeout=0.1, faults=_faults(slow_response=True))
    station = await lab.station(sim)
    started = time.monotonic()
    answer = await station.conn.call("BootNotification", BOOT, timeout=5)
    assert _result(answer)["status"] == "Accepted"
    assert time.monotonic() - started >= 1.1


async def test_clean_simulator_sends_nothing_schema_invalid(lab: Lab) -> None:
    """A whole short life cycle, judged by the monitor on the station side: not one FAIL finding."""
    sim = await lab.csms()
    station = await lab.station(sim)
    await station.boot()
    await station.conn.call("StatusNotification", STATUS)
    await station.conn.call("Authorize", {"idToken": {"idToken": "ABC123", "type": "ISO14443"}})
    await station.conn.call("TransactionEvent", {
        "eventType": "Started", "timestamp": now_iso(), "triggerReason": "Authorized", "seqNo": 0,
        "transactionInfo": {"transactionId": "tx-1"}, "idToken": {"idToken": "ABC123", "type": "ISO14443"}})
    await station.conn.call("MeterValues", {"evseId": 1, "meterValue": [
        {"timestamp": now_iso(), "sampledValue": [{"value": 1.5}]}]})
    assert _error_code(await station.conn.call("Reset", {"type": "OnIdle"})) == "NotSupported"
    await sim.trigger_message(IDENTITY, "StatusNotification", {"id": 1, "connectorId": 1})
    assert sim.station(IDENTITY).transactions == {"tx-1": "Started"}
    assert station.rx_failures() == []
    assert [f for r, f in sim.transcript.findings(include_own=True) if r.direction == "tx"] == []
