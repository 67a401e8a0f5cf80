"""Block B Provisioning, SUT = CSMS (the harness plays a Charging Station)."""

from __future__ import annotations

from harness import (
    ANY,
    CsmsControl,
    HandshakeRefused,
    IsType,
    StationRole,
    TimeWithin,
    Where,
    now_iso,
    station_booted,
    testcase,
)

POSITIVE = Where(lambda v: isinstance(v, int) and v > 0, "integer > 0")


def _boot_answer(station: StationRole, status: str) -> dict[str, object]:
    return {"status": status, "interval": POSITIVE, "currentTime": TimeWithin(station.settings.timing.tolerance)}


@testcase("TC_B_01_CSMS", "Cold Boot Charging Station - Accepted", usecases=("B01",),
          requirements=("B01.FR.02", "B01.FR.03"))
async def test_TC_B_01_CSMS(station: StationRole, sut: CsmsControl) -> None:
    with station.step("Connect with HTTP Basic Authentication and subprotocol ocpp2.0.1"):
        await station.connect()
    with station.step("1-2. BootNotificationRequest reason PowerUp; the CSMS responds Accepted with its time"):
        await station.boot("PowerUp", _boot_answer(station, "Accepted"))
    with station.step("3-4. StatusNotificationRequest Available for every connector; the CSMS confirms"):
        await station.report_connectors()
    with station.step("5-6. HeartbeatRequest; the CSMS responds with its current time"):
        await station.call_ok("Heartbeat", {}, {"currentTime": TimeWithin(station.settings.timing.tolerance)})


@testcase("TC_B_02_CSMS", "Cold Boot Charging Station - Pending", usecases=("B02",),
          requirements=("B02.FR.01", "B02.FR.05", "F06.FR.04"), pics="C-44",
          notes="Manual action: configure the CSMS to answer Pending, then to accept and trigger a BootNotification.")
async def test_TC_B_02_CSMS(station: StationRole, sut: CsmsControl) -> None:
    with station.step("Manual Action: configure the CSMS to respond Pending to this station"):
        await sut.configure_boot(station.identity, "Pending")
    with station.step("1-2. BootNotificationRequest; the CSMS responds Pending with a retry interval"):
        await station.connect()
        await station.boot("PowerUp", _boot_answer(station, "Pending"))
    trigger = station.expect("TriggerMessage", {"requestedMessage": "BootNotification"}, respond={"status": "Accepted"})
    with station.step("Manual Action: configure the CSMS to accept; trigger it to request a BootNotification"):
        await sut.configure_boot(station.identity, "Accepted")
        await sut.trigger(station.identity, "TriggerMessage", {"requestedMessage": "BootNotification"})
    with station.step("3-4. TriggerMessageRequest BootNotification; the station accepts"):
        await station.received(trigger)
    with station.step("5-6. BootNotificationRequest reason Triggered; the CSMS responds Accepted"):
        await station.boot("Triggered", _boot_answer(station, "Accepted"))
        await station.report_connectors()


@testcase("TC_B_06_CSMS", "Get Variables - single value", usecases=("B06",), requirements=("B06.FR.01",))
async def test_TC_B_06_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    request = station.expect(
        "GetVariables", {"getVariableData": [{"component": {"name": ANY}, "variable": {"name": ANY}}]},
        respond=lambda p: {"getVariableResult": [{"attributeStatus": "Accepted", "attributeValue": "60",
                                                  "component": p["getVariableData"][0]["component"],
                                                  "variable": p["getVariableData"][0]["variable"]}]},
        description="GetVariablesRequest with exactly one getVariableData")
    with station.step("Manual Action: trigger the CSMS to get a single variable"):
        await sut.trigger(station.identity, "GetVariables", {"getVariableData": [
            {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}]})
    with station.step("1-2. GetVariablesRequest with one getVariableData; the station answers Accepted"):
        await station.received(request)


@testcase("TC_B_09_CSMS", "Set Variables - single value", usecases=("B05",), requirements=("B05.FR.01",))
async def test_TC_B_09_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    request = station.expect(
        "SetVariables", {"setVariableData": [{"component": {"name": ANY}, "variable": {"name": ANY},
                                              "attributeValue": IsType(str)}]},
        respond=lambda p: {"setVariableResult": [{"attributeStatus": "Accepted",
                                                  "component": p["setVariableData"][0]["component"],
                                                  "variable": p["setVariableData"][0]["variable"]}]},
        description="SetVariablesRequest with exactly one setVariableData")
    with station.step("Manual Action: trigger the CSMS to set a single variable"):
        await sut.trigger(station.identity, "SetVariables", {"setVariableData": [
            {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"},
             "attributeValue": "120"}]})
    with station.step("1-2. SetVariablesRequest with one setVariableData; the station answers Accepted"):
        await station.received(request)


@testcase("TC_B_20_CSMS", "Reset Charging Station - Without ongoing transaction - OnIdle", usecases=("B11",),
          requirements=("B11.FR.01",))
async def test_TC_B_20_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    reset = station.expect("Reset", {"type": "OnIdle"}, respond={"status": "Accepted"})
    with station.step("Manual Action: trigger the CSMS to reset the Charging Station, type OnIdle"):
        await sut.trigger(station.identity, "Reset", {"type": "OnIdle"})
    with station.step("1-2. ResetRequest OnIdle; the station answers Accepted"):
        await station.received(reset)
    with station.step("3-4. The station reboots: BootNotificationRequest reason RemoteReset; CSMS accepts"):
        await station.disconnect()
        await station.connect()
        await station.boot("RemoteReset", _boot_answer(station, "Accepted"))
        await station.report_connectors()


@testcase("TC_B_30_CSMS", "Cold Boot Charging Station - Pending/Rejected - SecurityError", usecases=("B02", "B03"),
          requirements=("B03.FR.05", "B03.FR.06"),
          notes="Errata 2025-01: SecurityError is required only when the boot was Rejected.")
async def test_TC_B_30_CSMS(station: StationRole, sut: CsmsControl) -> None:
    with station.step("Manual Action: configure the CSMS to respond Rejected to this station"):
        await sut.configure_boot(station.identity, "Rejected")
    with station.step("1-2. BootNotificationRequest; the CSMS responds Rejected"):
        await station.connect()
        await station.boot("PowerUp", _boot_answer(station, "Rejected"))
    with station.step("3-4. The station sends a StatusNotificationRequest; the CSMS answers CALLERROR SecurityError"):
        record = await station.call("StatusNotification", {"timestamp": now_iso(), "connectorStatus": "Available",
                                                           "evseId": 1, "connectorId": 1})
        if record.kind != "CALLERROR" or getattr(record.frame, "error_code", None) != "SecurityError":
            raise station.failure("a request from a Rejected station was not refused with SecurityError",
                                  expected="CALLERROR SecurityError", actual=record.raw[:400],
                                  requirements=("B03.FR.06",))
    with station.step("Manual Action: configure the CSMS to accept; BootNotificationRequest is accepted"):
        await sut.configure_boot(station.identity, "Accepted")
        await station.boot("PowerUp", _boot_answer(station, "Accepted"))


@testcase("TC_B_58_CSMS", "WebSocket Subprotocol validation", usecases=("Part 4 section 3.2",),
          requirements=("RPC-03",), notes="Added by errata 2025-04/09.")
async def test_TC_B_58_CSMS(station: StationRole, sut: CsmsControl) -> None:
    with station.step("1. Connect offering only 'ocpp0.1': the CSMS agrees no subprotocol and closes"):
        result = await station.try_connect(station.options(subprotocols=["ocpp0.1"]))
        if not isinstance(result, HandshakeRefused):
            if result.subprotocol is not None:
                raise station.failure("the CSMS selected a subprotocol the station did not offer",
                                      expected="no Sec-WebSocket-Protocol header, then close",
                                      actual=f"selected {result.subprotocol!r}", rules=("RPC-03",))
            await station.wait_closed(what="the CSMS to close a connection without an agreed subprotocol")
    with station.step("2. Connect offering 'ocpp0.1, ocpp2.0.1': the CSMS selects exactly ocpp2.0.1"):
        conn = await station.connect(station.options(subprotocols=["ocpp0.1", "ocpp2.0.1"]))
        if conn.subprotocol != "ocpp2.0.1":
            raise station.failure("the CSMS did not select ocpp2.0.1", expected="ocpp2.0.1",
                                  actual=repr(conn.subprotocol), rules=("RPC-03",))
        await station.boot("PowerUp", _boot_answer(station, "Accepted"))
