"""Block B Provisioning, SUT = CSMS (the harness plays a Charging Station).

Each case follows its OCPP 2.0.1 Part 6 table (Edition 3, errata up to 2025-09 applied); the step titles carry
the table's step numbers. "Prerequisite" steps configure the CSMS through the control adapter as the table's
Prerequisite(s) row says it must be configured; checks a table does not make run inside `station.beyond_part6`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness import (
    ABSENT,
    AbsentOr,
    AnyItem,
    CsmsControl,
    HandshakeRefused,
    OneOf,
    StationRole,
    now_iso,
    station_booted,
    testcase,
)

OFFLINE_THRESHOLD = {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "OfflineThreshold"}}


def _is_offline_threshold(item: Mapping[str, Any]) -> bool:
    return (item.get("component") or {}).get("name") == "OCPPCommCtrlr" and \
        (item.get("variable") or {}).get("name") == "OfflineThreshold"


def _get_answer(payload: dict[str, Any]) -> dict[str, Any]:
    """The station's GetVariablesResponse: OfflineThreshold is 300, anything else unknown to it."""
    results = []
    for item in payload.get("getVariableData") or []:
        result: dict[str, Any] = {"component": item.get("component", {"name": "?"}),
                                  "variable": item.get("variable", {"name": "?"})}
        if "attributeType" in item:
            result["attributeType"] = item["attributeType"]
        known = _is_offline_threshold(item)
        result["attributeStatus"] = "Accepted" if known else "UnknownComponent"
        if known:
            result["attributeValue"] = "300"
        results.append(result)
    return {"getVariableResult": results}


def _set_answer(payload: dict[str, Any]) -> dict[str, Any]:
    """The station's SetVariablesResponse: OfflineThreshold is taken, anything else unknown to it."""
    return {"setVariableResult": [
        {"component": item.get("component", {"name": "?"}), "variable": item.get("variable", {"name": "?"}),
         **({"attributeType": item["attributeType"]} if "attributeType" in item else {}),
         "attributeStatus": "Accepted" if _is_offline_threshold(item) else "UnknownComponent"}
        for item in payload.get("setVariableData") or []]}


async def _boot_not_accepted(station: StationRole, sut: CsmsControl, prefer: str) -> None:
    """Prerequisite and steps 1-2 of TC_B_30/31_CSMS: the CSMS, configured to answer the first BootNotification
    Pending or Rejected, answers a PowerUp boot with either. It is configured `prefer`, unless the CSMS profile's
    Part 5 answers rule that out (C-44: it can answer Pending; AQ-16: it refuses unknown stations at the WebSocket
    set-up, so it does not answer Rejected)."""
    pics = station.profile.pics
    can = {"Pending": bool(pics.get("C-44")), "Rejected": not pics.get("AQ-16")}
    other = "Rejected" if prefer == "Pending" else "Pending"
    status = prefer if can[prefer] or not can[other] else other
    with station.step(f"Prerequisite: the CSMS answers this station's first BootNotification {status}"):
        await sut.configure_boot(station.identity, status)
    with station.step("1-2. BootNotificationRequest reason PowerUp; the CSMS answers Pending or Rejected"):
        await station.connect()
        await station.boot("PowerUp", {"status": OneOf("Pending", "Rejected")})


@testcase("TC_B_01_CSMS")
async def test_TC_B_01_CSMS(station: StationRole, sut: CsmsControl) -> None:
    with station.step("1. Reusable state Booted: BootNotification reason PowerUp (Accepted), connectors"):
        await station_booted(station)
    with station.beyond_part6("G02", "the CSMS answers a HeartbeatRequest"):
        await station.call_ok("Heartbeat", {})


@testcase("TC_B_02_CSMS", notes="The wait between the two boots is the Pending interval, or the configured "
                                "heartbeat interval when the CSMS gives 0.")
async def test_TC_B_02_CSMS(station: StationRole, sut: CsmsControl) -> None:
    with station.step("Prerequisite: the CSMS answers this station's first BootNotification Pending"):
        await sut.configure_boot(station.identity, "Pending")
    with station.step("1-2. BootNotificationRequest reason PowerUp; the CSMS answers Pending"):
        await station.connect()
        answer = await station.boot("PowerUp", {"status": "Pending"})
    interval = answer.get("interval")
    wait = interval if isinstance(interval, int) and interval > 0 else station.configured.heartbeat_interval
    with station.step("Prerequisite: the CSMS answers Pending first only; from now on it accepts this station"):
        await sut.configure_boot(station.identity, "Accepted")
    with station.step(f"Wait {wait} s before booting again (the CSMS may get or set variables meanwhile)"):
        await station.hold(wait, "the Pending interval" if wait == interval else
                           f"interval {interval!r}: the configured heartbeat interval instead")
    with station.step("3-4. BootNotificationRequest reason PowerUp; the CSMS answers Accepted"):
        await station.boot("PowerUp", {"status": "Accepted"})
    with station.step("5-6. StatusNotificationRequest Available for every connector; the CSMS confirms"):
        await station.report_connectors()


@testcase("TC_B_31_CSMS", notes="The CSMS is told through the control adapter to send the TriggerMessage.")
async def test_TC_B_31_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await _boot_not_accepted(station, sut, "Pending")
    trigger = station.expect("TriggerMessage", {"requestedMessage": "BootNotification"}, respond={"status": "Accepted"})
    with station.step("Manual Action: the CSMS is to accept this station and to trigger its BootNotification"):
        await sut.configure_boot(station.identity, "Accepted")
        await sut.trigger(station.identity, "TriggerMessage", {"requestedMessage": "BootNotification"})
    with station.step("3-4. TriggerMessageRequest BootNotification; the station answers Accepted"):
        await station.received(trigger)
    with station.step("5-6. BootNotificationRequest reason Triggered; the CSMS answers Accepted"):
        await station.boot("Triggered", {"status": "Accepted"})
    with station.step("7-8. StatusNotificationRequest Available for every connector; the CSMS confirms"):
        await station.report_connectors()


@testcase("TC_B_06_CSMS", notes="Part 6's post-scenario check (the CSMS shows the value it read) is manual.")
async def test_TC_B_06_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    request = station.expect(
        "GetVariables", {"getVariableData": AnyItem({
            **OFFLINE_THRESHOLD, "attributeType": AbsentOr(OneOf("Actual", "Target", "MinSet", "MaxSet"))})},
        respond=_get_answer, description="GetVariablesRequest for OCPPCommCtrlr.OfflineThreshold")
    with station.step("Manual Action: request the CSMS to get OCPPCommCtrlr.OfflineThreshold"):
        await sut.trigger(station.identity, "GetVariables", {"getVariableData": [OFFLINE_THRESHOLD]})
    with station.step("1-2. GetVariablesRequest OCPPCommCtrlr.OfflineThreshold; the station answers"):
        await station.received(request)


@testcase("TC_B_09_CSMS", notes="Part 6's post-scenario check (the CSMS shows the value it set) is manual.")
async def test_TC_B_09_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    request = station.expect(
        "SetVariables", {"setVariableData": AnyItem({**OFFLINE_THRESHOLD, "attributeValue": "123",
                                                     "attributeType": AbsentOr("Actual")})},
        respond=_set_answer, description="SetVariablesRequest OCPPCommCtrlr.OfflineThreshold = 123")
    with station.step("Manual Action: request the CSMS to set OCPPCommCtrlr.OfflineThreshold to 123"):
        await sut.trigger(station.identity, "SetVariables",
                          {"setVariableData": [{**OFFLINE_THRESHOLD, "attributeValue": "123"}]})
    with station.step("1-2. SetVariablesRequest OCPPCommCtrlr.OfflineThreshold = 123; the station answers"):
        await station.received(request)


@testcase("TC_B_20_CSMS")
async def test_TC_B_20_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    reset = station.expect("Reset", {"type": "OnIdle", "evseId": ABSENT}, respond={"status": "Accepted"},
                           description="ResetRequest OnIdle without evseId")
    with station.step("Manual Action: request the CSMS to reset the Charging Station, type OnIdle"):
        await sut.trigger(station.identity, "Reset", {"type": "OnIdle"})
    with station.step("1-2. ResetRequest OnIdle, evseId omitted; the station answers Accepted"):
        await station.received(reset)
    with station.step("3-4. The station reboots: BootNotificationRequest; the CSMS answers Accepted"):
        await station.disconnect()
        await station.connect()
        await station.boot("RemoteReset", {"status": "Accepted"})
    with station.step("5-6. StatusNotificationRequest Available for every connector; the CSMS confirms"):
        await station.report_connectors()


@testcase("TC_B_30_CSMS")
async def test_TC_B_30_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await _boot_not_accepted(station, sut, "Rejected")
    with station.step("3-4. StatusNotificationRequest for every connector; the CSMS answers CALLERROR SecurityError"):
        for evse, count in enumerate(station.evses, start=1):
            for connector in range(1, count + 1):
                record = await station.call("StatusNotification", {
                    "timestamp": now_iso(), "connectorStatus": "Available", "evseId": evse, "connectorId": connector})
                if record.kind != "CALLERROR" or getattr(record.frame, "error_code", None) != "SecurityError":
                    raise station.failure("a request from a station that is not accepted was not refused with "
                                          "SecurityError", expected="CALLERROR SecurityError",
                                          actual=record.raw[:400], rules=("SEQ",))


@testcase("TC_B_58_CSMS")
async def test_TC_B_58_CSMS(station: StationRole, sut: CsmsControl) -> None:
    with station.step("1-2. Connect offering only 'ocpp0.1': the CSMS refuses the upgrade"):
        result = await station.try_connect(station.options(subprotocols=["ocpp0.1"]))
        if not isinstance(result, HandshakeRefused):
            await station.disconnect()
            raise station.failure("the CSMS upgraded a connection that offered no subprotocol it supports",
                                  expected="the upgrade refused (errata 2025-04)",
                                  actual=f"HTTP 101, subprotocol {result.subprotocol!r}", rules=("RPC-03",))
    with station.step("3-4. Connect offering 'ocpp0.1, ocpp2.0.1': the CSMS upgrades and selects ocpp2.0.1"):
        conn = await station.connect(station.options(subprotocols=["ocpp0.1", "ocpp2.0.1"]))
        if conn.subprotocol != "ocpp2.0.1":
            raise station.failure("the CSMS did not select ocpp2.0.1 in Sec-WebSocket-Protocol",
                                  expected="Sec-WebSocket-Protocol: ocpp2.0.1", actual=repr(conn.subprotocol),
                                  rules=("RPC-03",))
