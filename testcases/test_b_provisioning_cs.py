"""Block B Provisioning, SUT = Charging Station (the harness plays the CSMS).

Steps follow OCPP 2.0.1 Part 6 Ed.3; where the reference material lacks the table, the steps are built from the
use case's requirements and say so in `notes`.
"""

from __future__ import annotations

from harness import CallError, CsmsRole, Regex, StationControl, booted, check_interval, testcase


@testcase("TC_B_01_CS", "Cold Boot Charging Station - Accepted", usecases=("B01",),
          requirements=("B01.FR.01", "B01.FR.04", "B01.FR.05", "B01.FR.08"),
          notes="Part 6: reusable state Booted (power cycle). The first Heartbeat one interval after the boot "
                "(B01.FR.04) is checked beyond the table.")
async def test_TC_B_01_CS(csms: CsmsRole, sut: StationControl) -> None:
    interval = csms.configured.heartbeat_interval
    mark = csms.mark()
    with csms.step("Manual Action: power cycle the Charging Station. 1. Reusable state Booted"):
        await booted(csms, sut, power_cycle=True)
    boot_record = next(r for r in csms.transcript.records if r.action == "BootNotification" and r.direction == "tx"
                       and r.seq > (mark.seq if mark else 0))
    with csms.beyond_part6("B01.FR.04", f"the first HeartbeatRequest comes after the interval of {interval} s"):
        record = await csms.receive("Heartbeat", {}, after=boot_record,
                                    within=interval + csms.settings.timing.tolerance + 1)
        csms.transcript.note(check_interval(record.mono - boot_record.mono, expected=interval,
                                            tolerance=csms.settings.timing.tolerance,
                                            what="first Heartbeat after BootNotification", requirements=("B01.FR.04",)))


@testcase("TC_B_02_CS", "Cold Boot Charging Station - Pending", usecases=("B02", "F06"),
          requirements=("B02.FR.01", "B02.FR.02", "F06.FR.04", "F06.FR.05"),
          notes="While Pending the station sends nothing but BootNotification; the harness then triggers a "
                "BootNotification with TriggerMessage and accepts it.")
async def test_TC_B_02_CS(csms: CsmsRole, sut: StationControl) -> None:
    pending = csms.expect("BootNotification", respond=lambda _: csms.boot_response("Pending"))
    with csms.step("Manual Action: power cycle the Charging Station"):
        await sut.power_cycle()
    with csms.step("1-2. BootNotificationRequest; the harness responds Pending"):
        await csms.received(pending)
    # F06: the triggered BootNotification carries reason Triggered; an ordinary retry does not answer the trigger.
    accepted = csms.expect("BootNotification", {"reason": "Triggered"},
                           respond=lambda _: csms.boot_response("Accepted"))
    csms.forbid("*", unless=("BootNotification",), requirements=("B02.FR.02",), until=accepted,
                reason="while Pending the Charging Station sends no request but BootNotification")
    statuses = csms.expect_connector_status("Available")
    with csms.step("3-4. The harness sends TriggerMessageRequest BootNotification; the station accepts"):
        await csms.call_ok("TriggerMessage", {"requestedMessage": "BootNotification"}, {"status": "Accepted"})
    with csms.step("5-6. BootNotificationRequest reason Triggered; the harness responds Accepted"):
        await csms.received(accepted)
    with csms.step("7-8. StatusNotificationRequest Available for every connector"):
        for exp in statuses:
            await csms.received(exp)


@testcase("TC_B_03_CS", "Cold Boot Charging Station - Rejected", usecases=("B03",),
          requirements=("B03.FR.01", "B03.FR.02", "B03.FR.03"))
async def test_TC_B_03_CS(csms: CsmsRole, sut: StationControl) -> None:
    retry = csms.configured.boot_retry_interval
    rejected = csms.expect("BootNotification", respond=lambda _: csms.boot_response("Rejected", retry))
    with csms.step("Manual Action: power cycle the Charging Station"):
        await sut.power_cycle()
    with csms.step(f"1-2. BootNotificationRequest; the harness responds Rejected, interval {retry} s"):
        first = await csms.received(rejected)
    again = csms.expect("BootNotification", respond=lambda _: csms.boot_response("Accepted"), after=first)
    csms.forbid("*", unless=("BootNotification",), requirements=("B03.FR.03",), until=again,
                reason="while Rejected the Charging Station sends nothing before the interval has passed")
    statuses = csms.expect_connector_status("Available")
    with csms.step("3. No message until the interval has passed; then BootNotificationRequest again"):
        second = await csms.received(again, within=retry + csms.settings.timing.default_timeout)
        # Early is a failure; late is allowed (the station SHALL NOT send before the interval expired).
        csms.transcript.note(check_interval(second.mono - first.mono, expected=retry, tolerance=min(1.0, retry / 2),
                                            what="BootNotification retry after Rejected", minimum_only=True,
                                            requirements=("B03.FR.02",)))
    with csms.step("4. StatusNotificationRequest Available for every connector"):
        for exp in statuses:
            await csms.received(exp)


@testcase("TC_B_06_CS", "Get Variables - single value", usecases=("B06",),
          requirements=("B06.FR.01", "B06.FR.02", "B06.FR.03"))
async def test_TC_B_06_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    with csms.step("1-2. GetVariablesRequest OCPPCommCtrlr.HeartbeatInterval; the station answers Accepted"):
        await csms.call_ok(
            "GetVariables",
            {"getVariableData": [{"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}]},
            {"getVariableResult": [{"attributeStatus": "Accepted", "component": {"name": "OCPPCommCtrlr"},
                                    "variable": {"name": "HeartbeatInterval"}, "attributeValue": Regex(r"\d+")}]})


@testcase("TC_B_09_CS", "Set Variables - single value", usecases=("B05",),
          requirements=("B05.FR.01", "B05.FR.02", "B05.FR.05"))
async def test_TC_B_09_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    value = str(csms.configured.heartbeat_interval)
    target = {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}
    with csms.step(f"1-2. SetVariablesRequest OCPPCommCtrlr.HeartbeatInterval = {value}; the station accepts"):
        await csms.call_ok("SetVariables", {"setVariableData": [{**target, "attributeValue": value}]},
                           {"setVariableResult": [{**target, "attributeStatus": "Accepted"}]})
    with csms.step("3-4. GetVariablesRequest returns the value just set"):
        await csms.call_ok("GetVariables", {"getVariableData": [target]},
                           {"getVariableResult": [{**target, "attributeStatus": "Accepted", "attributeValue": value}]})


@testcase("TC_B_20_CS", "Reset Charging Station - Without ongoing transaction - OnIdle", usecases=("B11",),
          requirements=("B11.FR.01", "B11.FR.03", "B11.FR.08"))
async def test_TC_B_20_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    boot = csms.expect("BootNotification", {"reason": "RemoteReset"}, respond=lambda _: csms.boot_response("Accepted"))
    statuses = csms.expect_connector_status("Available")
    with csms.step("1-2. ResetRequest OnIdle; the station answers Accepted"):
        await csms.call_ok("Reset", {"type": "OnIdle"}, {"status": "Accepted"})
    with csms.step("3-4. The station reboots: BootNotificationRequest reason RemoteReset; responds Accepted"):
        await csms.received(boot, within=csms.settings.timing.default_timeout * 3)
    with csms.step("5-6. StatusNotificationRequest Available for every connector"):
        for exp in statuses:
            await csms.received(exp)


@testcase("TC_B_30_CS", "Cold Boot Charging Station - Pending/Rejected - SecurityError", usecases=("B03",),
          requirements=("B03.FR.03", "B03.FR.04"),
          notes="Errata 2025-01: SecurityError only while Rejected. The harness responds Rejected; any other request "
                "the station sends before the interval is answered with CALLERROR SecurityError and fails the case; "
                "the station must then boot again and be accepted.")
async def test_TC_B_30_CS(csms: CsmsRole, sut: StationControl) -> None:
    retry = csms.configured.boot_retry_interval
    rejected = csms.expect("BootNotification", respond=lambda _: csms.boot_response("Rejected", retry))
    with csms.step("Manual Action: power cycle the Charging Station"):
        await sut.power_cycle()
    with csms.step("1-2. BootNotificationRequest; the harness responds Rejected"):
        first = await csms.received(rejected)
    again = csms.expect("BootNotification", respond=lambda _: csms.boot_response("Accepted"), after=first)
    csms.forbid("*", unless=("BootNotification",), requirements=("B03.FR.03",), until=again,
                respond=CallError("", "SecurityError", "BootNotification was rejected"),
                reason="a request while Rejected (the harness answered CALLERROR SecurityError)")
    with csms.step("3-4. After the interval, BootNotificationRequest again; the harness responds Accepted"):
        await csms.received(again, within=retry + csms.settings.timing.default_timeout)
    with csms.step("5-6. The station is operational: GetVariablesRequest is answered"):
        await csms.call_ok("GetVariables", {"getVariableData": [
            {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}]},
            {"getVariableResult": [{"attributeStatus": "Accepted"}]})
