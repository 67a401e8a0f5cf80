"""Block B Provisioning, SUT = Charging Station (the harness plays the CSMS).

Each case follows its OCPP 2.0.1 Part 6 table (Edition 3, errata up to 2025-09 applied); the step titles carry
the table's step numbers. Checks a table does not make run inside `csms.beyond_part6` (a warning by default).
"""

from __future__ import annotations

import random
import time

from harness import AbsentOr, Call, CsmsRole, OneOf, Record, StationControl, booted, check_interval, testcase

OFFLINE_THRESHOLD = {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "OfflineThreshold"}}
# a variable result as TC_B_06_CS / TC_B_09_CS validate it: the names echoed, attributeType Actual (absent means
# Actual, the schema's default), no attributeStatusInfo or one that says NoError
ACTUAL_RESULT = {**OFFLINE_THRESHOLD, "attributeStatus": "Accepted", "attributeType": AbsentOr("Actual"),
                 "attributeStatusInfo": AbsentOr({"reasonCode": "NoError"})}
REMOTE_START_ID = 2021  # remoteStartId of the RequestStartTransaction the station must refuse while Pending


@testcase("TC_B_01_CS")
async def test_TC_B_01_CS(csms: CsmsRole, sut: StationControl) -> None:
    interval = csms.configured.heartbeat_interval
    mark = csms.mark()
    with csms.step("Manual Action: power cycle the Charging Station. 1. Reusable state Booted"):
        await booted(csms, sut, power_cycle=True)
    boot = next((r for r in csms.transcript.records if r.action == "BootNotification" and r.direction == "tx"
                 and r.seq > (mark.seq if mark else 0)), None)
    with csms.beyond_part6("B01.FR.04", f"the first HeartbeatRequest comes after the interval of {interval} s"):
        if boot is None:
            raise csms.failure("no BootNotificationResponse of this boot to measure the first Heartbeat from")
        csms.sut_timer(interval, "the station's heartbeat interval from the BootNotificationResponse", since=boot.mono)
        record = await csms.receive("Heartbeat", {}, after=boot, within=interval + csms.settings.timing.tolerance + 1)
        csms.transcript.note(check_interval(record.mono - boot.mono, expected=interval,
                                            tolerance=csms.settings.timing.tolerance,
                                            what="first Heartbeat after BootNotification", requirements=("B01.FR.04",)))


@testcase("TC_B_02_CS", notes="Part 6 prerequisite: TC_B_06_CS, TC_B_09_CS and TC_B_13_CS pass on this station.")
async def test_TC_B_02_CS(csms: CsmsRole, sut: StationControl) -> None:
    interval = csms.configured.heartbeat_interval
    pending = csms.expect("BootNotification", respond=lambda _: csms.boot_response("Pending", interval))
    with csms.step("Manual Action: reboot the Charging Station"):
        await sut.power_cycle()
    with csms.step(f"1-2. BootNotificationRequest; the harness answers Pending, interval {interval} s"):
        first = await csms.received(pending, within=csms.reboot_wait())
    # A station that retries at the interval while the harness is still in steps 3-14 is kept Pending.
    with csms.answering_boot("Pending", interval):
        with csms.step("3-4. SetVariablesRequest OCPPCommCtrlr.OfflineThreshold = 300, no attributeType; Accepted"):
            await csms.call_ok("SetVariables", {"setVariableData": [{**OFFLINE_THRESHOLD, "attributeValue": "300"}]},
                               {"setVariableResult": [{"attributeStatus": "Accepted"}]})
        with csms.step("5-6. GetVariablesRequest OCPPCommCtrlr.OfflineThreshold, no attributeType; Accepted"):
            await csms.call_ok("GetVariables", {"getVariableData": [OFFLINE_THRESHOLD]},
                               {"getVariableResult": [{"attributeStatus": "Accepted"}]})
        request_id = random.randint(1, 1_000_000)
        with csms.step(f"7-8. GetBaseReportRequest FullInventory, requestId {request_id}; Accepted"):
            await csms.call_ok("GetBaseReport", {"requestId": request_id, "reportBase": "FullInventory"},
                               {"status": "Accepted"})
        with csms.step("9-10. NotifyReportRequest after NotifyReportRequest until the report is complete"):
            await _whole_report(csms, request_id)
        with csms.step("11-12. RequestStartTransactionRequest; the station refuses it while Pending"):
            await csms.call_ok("RequestStartTransaction", {"idToken": csms.tokens.valid.wire(),
                                                           "remoteStartId": REMOTE_START_ID}, {"status": "Rejected"})
        mark = csms.mark()
        boot = csms.expect("BootNotification", respond=lambda _: csms.boot_response("Accepted", interval), after=mark)
        statuses = csms.expect_connector_status("Available", after=mark)
        with csms.step("13-14. TriggerMessageRequest BootNotification; Accepted or NotImplemented"):
            answer = await csms.call_ok("TriggerMessage", {"requestedMessage": "BootNotification"},
                                        {"status": OneOf("Accepted", "NotImplemented")})
    triggered = answer.get("status") == "Accepted"
    # Triggered: the station boots at once; NotImplemented: when the Pending interval is over. Either way the wait
    # ends no earlier than that interval (plus the usual timeout): the station's own timer is the rule.
    left = max(0.0, interval - (time.monotonic() - first.mono))
    if not triggered:
        csms.sut_timer(interval, "the station's retry after Pending: the BootNotificationResponse interval",
                       since=first.mono)
    with csms.step("15-16. BootNotificationRequest" + (" reason Triggered" if triggered else "")
                   + "; the harness answers Accepted"):
        accepted = await csms.received(boot, within=left + csms.settings.timing.default_timeout)
        reason = accepted.frame.payload.get("reason") if isinstance(accepted.frame, Call) else None
        if triggered and reason != "Triggered":
            raise csms.failure("the BootNotification that followed the accepted TriggerMessage is not reason "
                               "Triggered", expected="reason Triggered", actual=accepted.raw[:400], rules=("SEQ",))
    with csms.step("17-18. The station reports every connector Available (StatusNotification or NotifyEvent)"):
        for exp in statuses:
            await csms.received(exp)
    with csms.beyond_part6("B02.FR.02", "while Pending the station sent only BootNotification and the report"):
        _only_while_pending(csms, first, accepted)


async def _whole_report(csms: CsmsRole, request_id: int) -> None:
    """Wait for the NotifyReports of `request_id` one after the other (each within the timeout) until one says
    nothing follows (tbc false or absent)."""
    last: Record | None = None
    while True:
        last = await csms.receive("NotifyReport", {"requestId": request_id}, after=last,
                                  description=f"NotifyReportRequest of requestId {request_id}")
        if not (isinstance(last.frame, Call) and last.frame.payload.get("tbc", False)):
            return


def _only_while_pending(csms: CsmsRole, first: Record, accepted: Record) -> None:
    """B02.FR.02: between the Pending answer and the accepted boot the station sent no request of its own (a
    BootNotification, and the NotifyReports GetBaseReport asked for, are allowed)."""
    others = [r for r in csms.transcript.records if first.seq < r.seq < accepted.seq and r.direction == "rx"
              and isinstance(r.frame, Call) and r.action not in ("BootNotification", "NotifyReport")]
    if others:
        raise csms.failure(f"the station sent {others[0].action} while Pending", actual=others[0].raw[:400],
                           requirements=("B02.FR.02",), rules=("SEQ",))


@testcase("TC_B_03_CS")
async def test_TC_B_03_CS(csms: CsmsRole, sut: StationControl) -> None:
    interval = csms.configured.heartbeat_interval
    rejected = csms.expect("BootNotification", respond=lambda _: csms.boot_response("Rejected", interval))
    with csms.step("Manual Action: reboot the Charging Station"):
        await sut.power_cycle()
    with csms.step(f"1-2. BootNotificationRequest; the harness answers Rejected, interval {interval} s"):
        first = await csms.received(rejected, within=csms.reboot_wait())
    again = csms.expect("BootNotification", respond=lambda _: csms.boot_response("Accepted", interval), after=first)
    csms.forbid("*", unless=("BootNotification",), requirements=("B03.FR.02",), until=again,
                reason="while Rejected the Charging Station sends nothing before its next BootNotification")
    statuses = csms.expect_connector_status("Available", after=first)
    # The station may close the connection until it retries (B03.FR.04): the wait allows the interval and then
    # a reconnect after its configured back-off; early is a failure, later is the station's right.
    with csms.step("3-4. No message until the interval has passed; then BootNotificationRequest; Accepted"):
        csms.sut_timer(interval, "the station's retry after Rejected: the BootNotificationResponse interval",
                       since=first.mono)
        second = await csms.received(again, within=interval + csms.reconnect_wait())
        tolerance = min(csms.settings.timing.tolerance, interval / 2)
        csms.transcript.note(check_interval(second.mono - first.mono, expected=interval, tolerance=tolerance,
                                            what="BootNotification retry after Rejected", minimum_only=True,
                                            requirements=("B03.FR.02",)))
    with csms.step("5-6. The station reports every connector Available (StatusNotification or NotifyEvent)"):
        for exp in statuses:
            await csms.received(exp)


@testcase("TC_B_06_CS")
async def test_TC_B_06_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await csms.configure({"OCPPCommCtrlr.OfflineThreshold": 300})
    with csms.step("1-2. GetVariablesRequest OCPPCommCtrlr.OfflineThreshold, attributeType Actual; the station "
                   "answers Accepted, Actual, \"300\""):
        await csms.call_ok("GetVariables", {"getVariableData": [{**OFFLINE_THRESHOLD, "attributeType": "Actual"}]},
                           {"getVariableResult": [{**ACTUAL_RESULT, "attributeValue": "300"}]})


@testcase("TC_B_09_CS")
async def test_TC_B_09_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    with csms.step("1-2. SetVariablesRequest OCPPCommCtrlr.OfflineThreshold = 300, attributeType Actual; the "
                   "station answers Accepted"):
        await csms.call_ok("SetVariables", {"setVariableData": [{**OFFLINE_THRESHOLD, "attributeValue": "300",
                                                                 "attributeType": "Actual"}]},
                           {"setVariableResult": [ACTUAL_RESULT]})


@testcase("TC_B_20_CS")
async def test_TC_B_20_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    boot = csms.expect("BootNotification", respond=lambda _: csms.boot_response("Accepted"))
    statuses = csms.expect_connector_status("Available")
    with csms.step("1-2. ResetRequest OnIdle (no evseId); the station answers Accepted"):
        await csms.call_ok("Reset", {"type": "OnIdle"}, {"status": "Accepted"})
    with csms.step("3-4. The station reboots: BootNotificationRequest; the harness answers Accepted"):
        record = await csms.received(boot, within=csms.reboot_wait())
    with csms.step("5-6. The station reports every connector Available (StatusNotification or NotifyEvent)"):
        for exp in statuses:
            await csms.received(exp)
    with csms.beyond_part6("BootReason", "the BootNotification after the Reset gives reason RemoteReset"):
        reason = record.frame.payload.get("reason") if isinstance(record.frame, Call) else None
        if reason != "RemoteReset":
            raise csms.failure("the BootNotification after a ResetRequest is not reason RemoteReset",
                               expected="reason RemoteReset", actual=record.raw[:400], rules=("SEQ",))


@testcase("TC_B_30_CS")
async def test_TC_B_30_CS(csms: CsmsRole, sut: StationControl) -> None:
    interval = csms.configured.heartbeat_interval
    # registered before the reboot: only a BootNotification still to come is answered Rejected (one answered
    # by default before this step, e.g. a late boot of the previous case, never counts)
    rejected = csms.expect("BootNotification", respond=lambda _: csms.boot_response("Rejected", interval))
    with csms.step("Manual Action: reboot the Charging Station"):
        await sut.power_cycle()
    with csms.step("1-2. BootNotificationRequest; the harness answers Rejected"):
        await csms.received(rejected, within=csms.reboot_wait())
    with csms.step("3-4. GetBaseReportRequest FullInventory (unless the station disconnected); the station "
                   "answers CALLERROR SecurityError"):
        record = await csms.call_unless_closed("GetBaseReport", {"requestId": random.randint(1, 1_000_000),
                                                                 "reportBase": "FullInventory"})
        if record is None:
            csms.transcript.note("the station disconnected after Rejected (B03.FR.04): Part 6 sends no request then")
            return
        code = getattr(record.frame, "error_code", None)
        if record.kind != "CALLERROR" or code != "SecurityError":
            raise csms.failure("a request to a Rejected station was not refused with CALLERROR SecurityError",
                               expected="CALLERROR SecurityError", actual=record.raw[:400],
                               requirements=("B03.FR.08",), rules=("SEQ",))
