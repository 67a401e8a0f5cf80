"""Block E Transactions, SUT = Charging Station (the harness plays the CSMS).

The Part 6 step tables and the Part 2 FR tables are not in the project's reference: the steps follow the use
cases and Part 6 §2's general rules and mechanics (offline windows, CALLERROR injection, timeouts), and
requirements are named at use-case level. Every case configures its TxCtrlr start/stop points first; the
monitor checks seqNo, Started-first, offline flags and stoppedReason on every event throughout.
"""

from __future__ import annotations

from harness import (
    SILENCE,
    AbsentOr,
    CallError,
    CsmsRole,
    OneOf,
    Record,
    StationControl,
    booted,
    check_interval,
    states,
    testcase,
)

EV_FIRST = {"TxCtrlr.TxStartPoint": "EVConnected", "TxCtrlr.TxStopPoint": "EVConnected"}
AUTH_FIRST = {"TxCtrlr.TxStartPoint": "Authorized", "TxCtrlr.TxStopPoint": "EVConnected"}
POWER_PATH = {"TxCtrlr.TxStartPoint": "PowerPathClosed", "TxCtrlr.TxStopPoint": "EVConnected"}


async def _charging(csms: CsmsRole, sut: StationControl, config: dict[str, str]) -> None:
    """A transaction charging on EVSE 1: configure, plug in, authorize, energy flows."""
    await booted(csms, sut)
    await csms.configure(config)
    mark = csms.mark()
    await states.ev_connected_pre_session(csms, sut)
    await states.authorized(csms, sut)
    await states.energy_transfer_started(csms, sut, after=mark)


async def _cleanup(csms: CsmsRole, sut: StationControl) -> None:
    with csms.step("Cleanup: the EV leaves"):
        await states.ev_disconnected(csms, sut)


def _reconnect_window(csms: CsmsRole) -> float:
    c = csms.configured
    backoff = (c.retry_back_off_wait_minimum + c.retry_back_off_random_range) * 2 ** c.retry_back_off_repeat_times
    return backoff + csms.settings.timing.default_timeout


@testcase("TC_E_03_CS", "Local start transaction - Cable plugin first - Success", usecases=("E02",),
          requirements=("E02", "C01"))
async def test_TC_E_03_CS(csms: CsmsRole, sut: StationControl) -> None:
    await _charging(csms, sut, EV_FIRST)
    await _cleanup(csms, sut)


@testcase("TC_E_04_CS", "Local start transaction - Authorization first - Success", usecases=("E03",),
          requirements=("E03", "C01"))
async def test_TC_E_04_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await csms.configure(AUTH_FIRST)
    mark = csms.mark()
    started = await states.authorized(csms, sut)
    if started is None or started.frame.payload["eventType"] != "Started":  # type: ignore[union-attr]
        raise csms.failure("authorization first must start the transaction (TxStartPoint Authorized)")
    await states.ev_connected_pre_session(csms, sut)
    await states.energy_transfer_started(csms, sut, after=mark)
    await _cleanup(csms, sut)


@testcase("TC_E_09_CS", "Start transaction options - EVConnected", usecases=("E01",), requirements=("E01",))
async def test_TC_E_09_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await csms.configure(EV_FIRST)
    with csms.step("1-4. The EV plugs in: Occupied and TransactionEvent Started CablePluggedIn, EVConnected"):
        await states.ev_connected_pre_session(csms, sut)
        tx = csms.transaction_on(1)
        if tx is None:
            raise csms.failure("no transaction started at EVConnected")
        first = csms.transactions[tx][0].frame.payload  # type: ignore[union-attr]
        if first.get("transactionInfo", {}).get("chargingState") not in ("EVConnected", None):
            raise csms.failure("the transaction started at plug-in reports energy before authorization",
                               actual=str(first.get("transactionInfo")), requirements=("E01",))
    await _cleanup(csms, sut)


@testcase("TC_E_15_CS", "Stop transaction options - StopAuthorized - Local", usecases=("E06",),
          requirements=("E06",))
async def test_TC_E_15_CS(csms: CsmsRole, sut: StationControl) -> None:
    await _charging(csms, sut, {"TxCtrlr.TxStartPoint": "PowerPathClosed", "TxCtrlr.TxStopPoint": "Authorized"})
    with csms.step("1-2. Present the same token: TransactionEvent Ended StopAuthorized, stoppedReason Local"):
        await states.stop_authorized(csms, sut, local=True)
    with csms.step("3-4. The EV leaves: StatusNotification Available and no further TransactionEvent"):
        await states.ev_disconnected(csms, sut)


@testcase("TC_E_39_CS", "Stop transaction options - Deauthorized - timeout", usecases=("E06", "E03"),
          requirements=("E03", "E06"),
          notes="Authorized first (TxStartPoint Authorized), no EV within EVConnectionTimeOut: the transaction "
                "ends with triggerReason EVConnectTimeout; the accepted stoppedReason values are the policy key "
                "tx.ev_connect_timeout.stopped_reason.")
async def test_TC_E_39_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    timeout = csms.configured.ev_connection_timeout
    original = await csms.read_variable("TxCtrlr.EVConnectionTimeOut")
    await csms.configure({**AUTH_FIRST, "TxCtrlr.EVConnectionTimeOut": timeout})
    reasons = list(csms.policy("tx.ev_connect_timeout.stopped_reason"))
    try:
        started = await states.authorized(csms, sut)
        if started is None:
            raise csms.failure("authorization first must start the transaction (TxStartPoint Authorized)")
        with csms.step(f"1-2. No EV within EVConnectionTimeOut ({timeout} s): Ended EVConnectTimeout"):
            ended = await csms.receive("TransactionEvent", {"eventType": "Ended", "triggerReason": "EVConnectTimeout",
                                                            "transactionInfo": {"stoppedReason": OneOf(*reasons)}},
                                       within=timeout + csms.settings.timing.tolerance + 1)
            csms.transcript.note(check_interval(ended.mono - started.mono, expected=timeout,
                                                tolerance=csms.settings.timing.tolerance, requirements=("E03",),
                                                what="EVConnectionTimeOut"))
    finally:
        if original is not None:  # later cases authorize without an EV for longer than this short timeout
            await csms.configure({"TxCtrlr.EVConnectionTimeOut": original})


@testcase("TC_E_40_CS", "Offline Behaviour - Connection loss during transaction", usecases=("E11",),
          requirements=("E11",),
          notes="The harness goes offline during charging; the EV leaves meanwhile. Back online, the queued "
                "events arrive in order with offline true (the monitor checks seqNo and the flags).")
async def test_TC_E_40_CS(csms: CsmsRole, sut: StationControl) -> None:
    await _charging(csms, sut, EV_FIRST)
    tx = csms.transaction_on(1)
    with csms.step("1. The harness closes the connection and refuses reconnects"):
        await csms.go_offline()
    with csms.step("2. Manual Action: disconnect the EV while offline"):
        await sut.unplug(1, 1)
    ended = csms.expect("TransactionEvent", {"eventType": "Ended", "offline": True,
                                             "transactionInfo": {"transactionId": tx,
                                                                 "stoppedReason": "EVDisconnected"}})
    with csms.step("3-4. Back online: the queued TransactionEvent Ended arrives with offline true"):
        csms.go_online()
        await csms.received(ended, within=_reconnect_window(csms))
    with csms.step("5. The connector is reported Available"):
        await csms.receive("StatusNotification", {"evseId": 1, "connectorStatus": "Available"})


@testcase("TC_E_43_CS", "Offline Behaviour - Transaction during offline period", usecases=("E12",),
          requirements=("E12", "C13"),
          notes="The whole transaction happens offline, authorized by the local list; back online every event "
                "arrives in order with offline true.")
async def test_TC_E_43_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    token = csms.tokens.valid
    await csms.configure({**EV_FIRST, "LocalAuthListCtrlr.Enabled": True, "AuthCtrlr.LocalAuthorizeOffline": True})
    version = (await csms.call_ok("GetLocalListVersion", {}))["versionNumber"]
    await csms.call_ok("SendLocalList", {"versionNumber": version + 1, "updateType": "Full", "localAuthorizationList": [
        {"idToken": token.wire(), "idTokenInfo": {"status": "Accepted"}}]}, {"status": "Accepted"})
    with csms.step("1. The harness goes offline"):
        await csms.go_offline()
    with csms.step("2. Manual Actions while offline: connect the EV, present the token, disconnect the EV"):
        await sut.plug_in(1, 1)
        await sut.present_token(token)
        await sut.unplug(1, 1)
    started = csms.expect("TransactionEvent", {"eventType": "Started", "offline": True})
    ended = csms.expect("TransactionEvent", {"eventType": "Ended", "offline": True})
    with csms.step("3-6. Back online: Started … Ended, all offline true, in seqNo order"):
        csms.go_online()
        first = await csms.received(started, within=_reconnect_window(csms))
        last = await csms.received(ended)
        _in_order(csms, first, last)


def _in_order(csms: CsmsRole, first: Record, last: Record) -> None:
    """The events of one transaction arrived in seqNo order (queued events are replayed in order)."""
    tx = first.frame.payload["transactionInfo"]["transactionId"]  # type: ignore[union-attr]
    seq = [r.frame.payload["seqNo"] for r in csms.transactions.get(tx, [])  # type: ignore[union-attr]
           if first.seq <= r.seq <= last.seq]
    if seq != sorted(seq):
        raise csms.failure("queued TransactionEvents were not replayed in order", actual=f"seqNo {seq}",
                           requirements=("E12",), rules=("TX-1",))


@testcase("TC_E_44_CS", "Offline Behaviour - Stop transaction during offline period", usecases=("E08",),
          requirements=("E08", "E12"))
async def test_TC_E_44_CS(csms: CsmsRole, sut: StationControl) -> None:
    await _charging(csms, sut, {"TxCtrlr.TxStartPoint": "PowerPathClosed", "TxCtrlr.TxStopPoint": "Authorized"})
    tx = csms.transaction_on(1)
    with csms.step("1. The harness goes offline"):
        await csms.go_offline()
    with csms.step("2. Manual Action: present the token again to stop, while offline"):
        await sut.present_token(csms.tokens.valid)
    ended = csms.expect("TransactionEvent", {"eventType": "Ended", "offline": True, "triggerReason": "StopAuthorized",
                                             "transactionInfo": {"transactionId": tx,
                                                                 "stoppedReason": AbsentOr("Local")}})
    with csms.step("3-4. Back online: the queued Ended arrives with offline true"):
        csms.go_online()
        await csms.received(ended, within=_reconnect_window(csms))
    await _cleanup(csms, sut)


@testcase("TC_E_31_CS", "Check Transaction status - Transaction with id ended - with message in queue",
          usecases=("E14",), requirements=("E14",),
          notes="The transaction ends offline; back online the harness refuses the first delivery of the queued "
                "Ended (CALLERROR) and asks GetTransactionStatus while the event is still queued.")
async def test_TC_E_31_CS(csms: CsmsRole, sut: StationControl) -> None:
    await _charging(csms, sut, EV_FIRST)
    tx = csms.transaction_on(1)
    await csms.configure({"OCPPCommCtrlr.MessageAttemptInterval[TransactionEvent]": 2})
    with csms.step("Memory state TransactionEventsInQueueEnded: offline, the EV leaves"):
        await csms.go_offline()
        await sut.unplug(1, 1)
    first = csms.expect("TransactionEvent", {"eventType": "Ended", "transactionInfo": {"transactionId": tx}},
                        respond=CallError("", "InternalError", "try again later", {}))
    with csms.step("1-2. Back online; the harness answers the queued Ended with CALLERROR"):
        csms.go_online()
        await csms.received(first, within=_reconnect_window(csms))
    retry = csms.expect("TransactionEvent", {"eventType": "Ended", "transactionInfo": {"transactionId": tx}})
    with csms.step("3-4. GetTransactionStatusRequest: messagesInQueue true, ongoingIndicator false"):
        await csms.call_ok("GetTransactionStatus", {"transactionId": tx},
                           {"messagesInQueue": True, "ongoingIndicator": False})
    with csms.step("5-6. The station delivers the Ended again; then nothing is queued"):
        await csms.received(retry)
        await csms.call_ok("GetTransactionStatus", {"transactionId": tx}, {"messagesInQueue": False})


async def _retries(csms: CsmsRole, sut: StationControl, answer: object, use_case: str) -> None:
    """E13: the harness refuses every delivery of one TransactionEvent (CALLERROR, or silence); the station sends
    it MessageAttempts times in all, waiting interval × preceding attempts between, then gives up on it."""
    attempts = csms.configured.message_attempts_transaction_event
    interval = csms.configured.message_attempt_interval_transaction_event
    tolerance = csms.settings.timing.tolerance
    await _charging(csms, sut, EV_FIRST)
    await csms.configure({"OCPPCommCtrlr.MessageAttempts[TransactionEvent]": attempts,
                          "OCPPCommCtrlr.MessageAttemptInterval[TransactionEvent]": interval,
                          "OCPPCommCtrlr.MessageTimeout[Default]": csms.configured.message_timeout})
    tx = csms.transaction_on(1)
    pattern = {"eventType": "Ended", "transactionInfo": {"transactionId": tx}}
    seen: list[Record] = []
    with csms.step(f"1. Manual Action: disconnect the EV; the harness refuses its Ended {attempts} times"):
        expectations = [csms.expect("TransactionEvent", pattern, respond=answer)]  # type: ignore[arg-type]
        await sut.unplug(1, 1)
        for n in range(attempts):
            record = await csms.received(expectations[-1], within=interval * n + csms.settings.timing.default_timeout
                                         + (csms.configured.message_timeout if answer is SILENCE else 0))
            seen.append(record)
            if n + 1 < attempts:
                expectations.append(csms.expect("TransactionEvent", pattern, respond=answer,  # type: ignore[arg-type]
                                                after=record))
    with csms.step("2. The retries come after interval × number of attempts so far"):
        for n in range(1, attempts):
            gap = seen[n].mono - seen[n - 1].mono
            waited = interval * n + (csms.configured.message_timeout if answer is SILENCE else 0)
            csms.transcript.note(check_interval(gap, expected=waited, tolerance=tolerance, minimum_only=True,
                                                what=f"retry {n} of the TransactionEvent", requirements=(use_case,)))
    with csms.step("3. After the last attempt the station gives up: no further delivery"):
        await csms.expect_none("TransactionEvent", pattern, within=interval * attempts + tolerance,
                               reason=f"the station must stop after {attempts} attempts", requirements=(use_case,))


@testcase("TC_E_41_CS", "Retry sending transaction message when failed - Max retry count reached",
          usecases=("E13",), requirements=("E13",),
          notes="The harness never answers (timeout); the station's own message timeout decides when it retries.")
async def test_TC_E_41_CS(csms: CsmsRole, sut: StationControl) -> None:
    await _retries(csms, sut, SILENCE, "E13")


@testcase("TC_E_50_CS", "Retry sending transaction message when failed - Max retry count reached - CallError",
          usecases=("E13",), requirements=("E13",))
async def test_TC_E_50_CS(csms: CsmsRole, sut: StationControl) -> None:
    await _retries(csms, sut, CallError("", "InternalError", "harness refuses on purpose", {}), "E13")
