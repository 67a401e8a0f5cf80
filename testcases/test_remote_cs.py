"""Blocks F Remote control, G Availability, J Meter values and B reconnection, SUT = Charging Station.

The Part 6 step tables and the Part 2 FR tables are not in the project's reference: the steps follow the use
cases and Part 6 §2's rules and mechanics, and requirements are named at use-case level (B_57: Part 4 §5.3).
"""

from __future__ import annotations

from harness import (
    ANY,
    CsmsRole,
    StationControl,
    booted,
    check_interval,
    parse_datetime,
    states,
    testcase,
)

REMOTE_START_ID = 815


async def _remote_start(csms: CsmsRole, evse: int = 1) -> None:
    token = csms.tokens.valid
    with csms.step(f"RequestStartTransactionRequest for EVSE {evse}, remoteStartId {REMOTE_START_ID}; Accepted"):
        await csms.call_ok("RequestStartTransaction", {"idToken": token.wire(), "remoteStartId": REMOTE_START_ID,
                                                       "evseId": evse}, {"status": "Accepted"})


@testcase("TC_F_01_CS", "Remote start transaction - Cable plugin first", usecases=("F01",), requirements=("F01",))
async def test_TC_F_01_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await csms.configure({"TxCtrlr.TxStartPoint": "PowerPathClosed", "TxCtrlr.TxStopPoint": "EVConnected",
                          "AuthCtrlr.AuthorizeRemoteStart": False})
    mark = csms.mark()
    await states.ev_connected_pre_session(csms, sut)
    started = csms.expect("TransactionEvent", {"triggerReason": "RemoteStart", "idToken": {"idToken": ANY},
                                               "transactionInfo": {"remoteStartId": REMOTE_START_ID}})
    await _remote_start(csms)
    with csms.step("TransactionEvent with triggerReason RemoteStart, the remoteStartId and the idToken"):
        await csms.received(started)
    await states.energy_transfer_started(csms, sut, after=mark)
    await states.ev_disconnected(csms, sut)


@testcase("TC_F_02_CS", "Remote start transaction - Remote start first - AuthorizeRemoteStart is true",
          usecases=("F02",), requirements=("F02",), pics="C-48")
async def test_TC_F_02_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await csms.configure({"TxCtrlr.TxStartPoint": "Authorized", "TxCtrlr.TxStopPoint": "EVConnected",
                          "AuthCtrlr.AuthorizeRemoteStart": True})
    token = csms.tokens.valid
    mark = csms.mark()
    auth = csms.expect("Authorize", {"idToken": {"idToken": token.id_token}})
    started = csms.expect("TransactionEvent", {"eventType": "Started", "triggerReason": "RemoteStart",
                                               "idToken": {"idToken": token.id_token},
                                               "transactionInfo": {"remoteStartId": REMOTE_START_ID}})
    await _remote_start(csms)
    with csms.step("AuthorizeRequest first (AuthorizeRemoteStart true), then Started RemoteStart"):
        await csms.received(auth)
        await csms.received(started)
    await states.ev_connected_pre_session(csms, sut)
    await states.energy_transfer_started(csms, sut, after=mark)
    await states.ev_disconnected(csms, sut)


@testcase("TC_F_08_CS", "Remote stop transaction - Success", usecases=("F03",), requirements=("F03",))
async def test_TC_F_08_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await csms.configure({"TxCtrlr.TxStartPoint": "PowerPathClosed", "TxCtrlr.TxStopPoint": "EVConnected,Authorized"})
    mark = csms.mark()
    await states.ev_connected_pre_session(csms, sut)
    await states.authorized(csms, sut)
    await states.energy_transfer_started(csms, sut, after=mark)
    tx = csms.transaction_on(1)
    ended = csms.expect("TransactionEvent", {"eventType": "Ended", "triggerReason": "RemoteStop",
                                             "transactionInfo": {"transactionId": tx, "stoppedReason": "Remote"}})
    with csms.step("1-2. RequestStopTransactionRequest; Accepted"):
        await csms.call_ok("RequestStopTransaction", {"transactionId": tx}, {"status": "Accepted"})
    with csms.step("3-4. TransactionEvent Ended RemoteStop, stoppedReason Remote"):
        await csms.received(ended)
    await states.ev_disconnected(csms, sut)


@testcase("TC_F_27_CS", "Trigger message - NotImplemented", usecases=("F06",), requirements=("F06",),
          notes="The message to trigger is the profile's configured value `other.trigger_not_implemented` "
                "(default: PublishFirmwareStatusNotification, which only a Local Controller implements).")
async def test_TC_F_27_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    requested = str(csms.configured.other.get("trigger_not_implemented", "PublishFirmwareStatusNotification"))
    with csms.step(f"1-2. TriggerMessageRequest {requested}; the station responds NotImplemented"):
        await csms.call_ok("TriggerMessage", {"requestedMessage": requested}, {"status": "NotImplemented"})


# ---- G Availability -------------------------------------------------------------------------------------------------
def _change(status: str, evse: int = 1) -> dict[str, object]:
    return {"operationalStatus": status, "evse": {"id": evse}}


@testcase("TC_G_11_CS", "Change Availability EVSE - With ongoing transaction", usecases=("G03",),
          requirements=("G03",))
async def test_TC_G_11_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await csms.configure({"TxCtrlr.TxStartPoint": "PowerPathClosed", "TxCtrlr.TxStopPoint": "EVConnected"})
    mark = csms.mark()
    await states.ev_connected_pre_session(csms, sut)
    await states.authorized(csms, sut)
    await states.energy_transfer_started(csms, sut, after=mark)
    with csms.step("1-2. ChangeAvailabilityRequest Inoperative for EVSE 1 during the transaction; Scheduled"):
        await csms.call_ok("ChangeAvailability", _change("Inoperative"), {"status": "Scheduled"})
    with csms.step("3. The transaction goes on: no Unavailable while it runs"):
        await csms.expect_none("StatusNotification", {"evseId": 1, "connectorStatus": "Unavailable"},
                               within=csms.settings.timing.tolerance, reason="the change waits for the transaction "
                                                                             "to end (Scheduled)", requirements=("G03",))
    unavailable = csms.expect_status(1, 1, "Unavailable", wide=True)
    with csms.step("4-6. The EV leaves; the transaction ends; then StatusNotification Unavailable"):
        await sut.unplug(1, 1)
        await csms.received(unavailable)
    available = csms.expect_status(1, 1, "Available", wide=True)
    with csms.step("Cleanup: Operative again"):
        await csms.call_ok("ChangeAvailability", _change("Operative"), {"status": "Accepted"})
        await csms.received(available)


# ---- J Meter values -------------------------------------------------------------------------------------------------
@testcase("TC_J_01_CS", "Clock-aligned Meter Values - No transaction ongoing", usecases=("J01",),
          requirements=("J01",),
          notes="Two consecutive clock-aligned MeterValues: context Sample.Clock, timestamps on the interval's "
                "clock boundaries (within the profile's max time deviation), one interval apart.")
async def test_TC_J_01_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    interval = csms.configured.aligned_data_interval
    deviation = csms.configured.max_time_deviation
    await csms.configure({"AlignedDataCtrlr.Interval": interval,
                          "AlignedDataCtrlr.Measurands": "Energy.Active.Import.Register"})
    clock = {"meterValue": [{"timestamp": ANY, "sampledValue": [{"context": "Sample.Clock"}]}]}
    try:
        with csms.step(f"1-2. MeterValuesRequest, context Sample.Clock, every {interval} s on the clock"):
            first = await csms.receive("MeterValues", clock, within=interval + csms.settings.timing.tolerance)
            second = await csms.receive("MeterValues", clock, after=first,
                                        within=interval + csms.settings.timing.tolerance)
        with csms.step("Validation: timestamps on clock boundaries, one interval apart"):
            stamps = [parse_datetime(r.frame.payload["meterValue"][0]["timestamp"])  # type: ignore[union-attr]
                      for r in (first, second)]
            for stamp in stamps:
                if stamp is None:
                    raise csms.failure("MeterValues timestamp is not a date-time", requirements=("J01",))
                offset = stamp.timestamp() % interval
                if min(offset, interval - offset) > deviation:
                    raise csms.failure("clock-aligned value not on an interval boundary",
                                       actual=stamp.isoformat(), requirements=("J01",), rules=("TIMING",))
            assert stamps[0] is not None and stamps[1] is not None
            csms.transcript.note(check_interval((stamps[1] - stamps[0]).total_seconds(), expected=interval,
                                                tolerance=deviation, what="clock-aligned interval",
                                                requirements=("J01",)))
    finally:
        await csms.configure({"AlignedDataCtrlr.Interval": 0})


# ---- B reconnection -------------------------------------------------------------------------------------------------
@testcase("TC_B_57_CS", "Network Reconnection - After connection loss", usecases=("Part 4 section 5.3",),
          requirements=("RPC-17",),
          notes="Part 6 mechanics: RetryBackOffRepeatTimes 2, RandomRange 0, WaitMinimum configured; the harness "
                "closes and accepts; then closes, refuses one attempt and accepts. The first reconnect waits at "
                "least WaitMinimum, the second attempt after a refusal at least twice that.")
async def test_TC_B_57_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    wait = csms.configured.retry_back_off_wait_minimum
    await csms.configure({"OCPPCommCtrlr.RetryBackOffRepeatTimes": 2, "OCPPCommCtrlr.RetryBackOffRandomRange": 0,
                          "OCPPCommCtrlr.RetryBackOffWaitMinimum": wait})
    window = 4 * wait + csms.settings.timing.default_timeout
    with csms.step("1-2. The harness closes the connection and accepts the reconnect"):
        mark = csms.mark()
        await csms.go_offline(refuse=0)
        closed = await csms.wait_record(lambda r: r.event == "close", what="the close", after=mark.seq if mark else 0)
        first = await csms.wait_record(lambda r: r.event == "handshake",
                                       what="a reconnect attempt", after=closed.seq, within=window)
        csms.transcript.note(check_interval(first.mono - closed.mono, expected=wait, tolerance=0.5,
                                            minimum_only=True, what="first reconnect after connection loss",
                                            requirements=("RPC-17",)))
        await csms.wait_connected(within=window)
    with csms.step("3-5. Closed again; the first reconnect is refused; the next comes at least 2 × later"):
        mark = csms.mark()
        await csms.go_offline(refuse=1)
        closed = await csms.wait_record(lambda r: r.event == "close", what="the close", after=mark.seq if mark else 0)
        refused = await csms.wait_record(lambda r: r.event == "handshake", what="a reconnect attempt",
                                         after=closed.seq, within=window)
        accepted = await csms.wait_record(lambda r: r.event == "handshake", what="a second reconnect attempt",
                                          after=refused.seq, within=window)
        csms.transcript.note(check_interval(accepted.mono - refused.mono, expected=2 * wait, tolerance=0.5,
                                            minimum_only=True, what="back-off after a refused reconnect",
                                            requirements=("RPC-17",)))
        await csms.wait_connected(within=window)
