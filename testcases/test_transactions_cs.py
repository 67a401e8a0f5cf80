"""Block E Transactions, SUT = Charging Station (the harness plays the CSMS).

Each case follows its Part 6 table (errata applied): the Configuration State is applied as the table words it (a
value the station must take, or one set only "if ReadWrite" / "if implemented"), and the reusable states follow
the station's own TxCtrlr start and stop points. The monitor checks seqNo, Started-first, offline flags and
stoppedReason on every event throughout; after the case the harness returns the station to idle.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from harness import (
    SILENCE,
    CallError,
    Contains,
    CsmsRole,
    IfImplemented,
    IfWritable,
    NotApplicable,
    OneOf,
    PreconditionNotMet,
    Record,
    StationControl,
    Where,
    booted,
    check_interval,
    states,
    testcase,
)

# Before of the local-start cases (E_03, E_04): authorization enabled where it can be set.
AUTH_ENABLED = {"AuthCtrlr.Enabled": IfWritable(True), "AuthCtrlr.DisableRemoteAuthorization": IfImplemented(False)}


def _sampled_config(csms: CsmsRole) -> dict[str, Any]:
    """SampledDataTxUpdatedMeasurands / Interval as configured (and sampled data enabled, where implemented)."""
    return {"SampledDataCtrlr.TxUpdatedMeasurands": csms.configured.tx_updated_measurands,
            "SampledDataCtrlr.TxUpdatedInterval": csms.configured.tx_updated_interval}




@testcase("TC_E_03_CS", "Local start transaction - Cable plugin first - Success", usecases=("E02",),
          requirements=("E02.FR.01", "E02.FR.05", "E02.FR.06", "E02.FR.07", "E02.FR.13", "E02.FR.15", "E02.FR.16",
                        "E02.FR.17", "E01.FR.16", "C01.FR.02", "C02.FR.01", "C06.FR.02"))
async def test_TC_E_03_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await csms.configure(AUTH_ENABLED)
    await states.ev_connected_pre_session(csms, sut)
    with csms.step("1. Reusable state Authorized (local)"):
        await states.authorized(csms, sut, local=True)
    with csms.step("2. Reusable state EnergyTransferStarted"):
        await states.energy_transfer_started(csms, sut)


@testcase("TC_E_04_CS", "Local start transaction - Authorization first - Success", usecases=("E03",),
          requirements=("E03.FR.01", "E03.FR.06", "E03.FR.12", "E01.FR.16", "C01.FR.02", "C02.FR.01", "C06.FR.02"))
async def test_TC_E_04_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await csms.configure(AUTH_ENABLED)
    with csms.step("1. Reusable state Authorized (local)"):
        await states.authorized(csms, sut, local=True)
    with csms.step("2. Reusable state EnergyTransferStarted (the EV connects)"):
        await states.energy_transfer_started(csms, sut)


@testcase("TC_E_09_CS", "Start transaction options - EVConnected", usecases=("E01",),
          requirements=("E01.FR.02", "E01.FR.07", "E01.FR.10", "E01.FR.15", "E01.FR.16"),
          notes="Errata 2025-02 extends the case until charging starts (Authorized, EnergyTransferStarted).")
async def test_TC_E_09_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    values = await csms.configure({"TxCtrlr.TxStartPoint": IfWritable(Contains("EVConnected"))})
    if "EVConnected" not in (values["TxCtrlr.TxStartPoint"] or "").split(","):
        raise NotApplicable("the station's TxStartPoint is read-only and does not contain EVConnected (prerequisite)")
    evse, connector = csms.configured.evse_id, csms.configured.connector_id
    with csms.step("Manual Action: connect the EV. 1-4. Connector Occupied; TransactionEvent Started, "
                   "CablePluggedIn or ChargingStateChanged, EVSE and connector, chargingState EVConnected"):
        mark = csms.mark()
        occupied = csms.expect_status(evse, connector, "Occupied", after=mark)
        started = csms.expect("TransactionEvent", {
            "eventType": "Started", "triggerReason": OneOf("CablePluggedIn", "ChargingStateChanged"),
            "evse": {"id": evse, "connectorId": connector}, "transactionInfo": {"chargingState": "EVConnected"}},
            after=mark)
        await sut.plug_in(evse, connector)
        await csms.received(occupied)
        await csms.received(started)
    with csms.step("Errata 2025-02: Reusable states Authorized and EnergyTransferStarted"):
        await states.authorized(csms, sut)
        await states.energy_transfer_started(csms, sut)


@testcase("TC_E_15_CS", "Stop transaction options - StopAuthorized - Local", usecases=("E06",),
          requirements=("E06.FR.03", "E06.FR.15"))
async def test_TC_E_15_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await csms.configure({"TxCtrlr.TxStopPoint": Contains("Authorized")})
    await states.energy_transfer_started(csms, sut)
    tx = csms.transaction_on(csms.configured.evse_id)
    with csms.step("Manual Action: present the idToken to stop. 1-2. TransactionEvent Ended, StopAuthorized, "
                   "stoppedReason Local"):
        await csms.hold(csms.configured.transaction_duration, "the configured Transaction Duration")
        mark = csms.mark()
        ended = csms.expect("TransactionEvent", {"eventType": "Ended", "triggerReason": "StopAuthorized",
                                                 "transactionInfo": {"transactionId": tx, "stoppedReason": "Local"}},
                            after=mark)
        await sut.present_token(csms.tokens.valid)
        await csms.received(ended)


@testcase("TC_E_39_CS", "Stop transaction options - Deauthorized - timeout", usecases=("E06",),
          requirements=("E06.FR.04", "E06.FR.15"),
          notes="The accepted stoppedReason values are the policy key tx.ev_connect_timeout.stopped_reason "
                "(default: Timeout, as the table).")
async def test_TC_E_39_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    timeout = csms.configured.ev_connection_timeout
    values = await csms.configure({"TxCtrlr.TxStopPoint": IfWritable(Contains("Authorized")),
                                   "TxCtrlr.EVConnectionTimeOut": timeout, **AUTH_ENABLED})
    if "Authorized" not in (values["TxCtrlr.TxStopPoint"] or "").split(","):
        raise NotApplicable("the station's TxStopPoint is read-only and does not contain Authorized (prerequisite)")
    start, _ = await csms.tx_points()
    reasons = list(csms.policy("tx.ev_connect_timeout.stopped_reason"))
    evse, connector = csms.configured.evse_id, csms.configured.connector_id
    first = await states.authorized(csms, sut)
    started = "Authorized" in start or "ParkingBayOccupancy" in start
    with csms.step(f"1-2. No EV within EVConnectionTimeOut ({timeout} s): TransactionEvent EVConnectTimeout, "
                   "stoppedReason Timeout (only when the transaction started at authorization)"):
        if started and first is not None:
            csms.sut_timer(timeout, "the station's EVConnectionTimeOut", since=first.mono)
            ended = await csms.receive("TransactionEvent", {
                "eventType": "Updated" if "ParkingBayOccupancy" in start else "Ended",
                "triggerReason": "EVConnectTimeout", "transactionInfo": {"stoppedReason": OneOf(*reasons)}},
                within=timeout + csms.settings.timing.tolerance + csms.settings.timing.default_timeout)
            csms.transcript.note(check_interval(ended.mono - first.mono, expected=timeout,
                                                tolerance=csms.settings.timing.tolerance, requirements=("E06.FR.04",),
                                                what="EVConnectionTimeOut", minimum_only=True))
        else:
            await csms.hold(timeout + csms.settings.timing.tolerance, "EVConnectionTimeOut expires")
    csms.authorized.pop(evse, None)
    with csms.step("Manual Action: connect the EV. 3-4. Connector Occupied; 5. a TransactionEvent may report the "
                   "cable, but charging must not start"):
        mark = csms.mark()
        csms.forbid("TransactionEvent", {"transactionInfo": {"chargingState": "Charging"}}, requirements=("E06.FR.04",),
                    reason="the authorization timed out: charging must not start without a new authorization")
        occupied = csms.expect_status(evse, connector, "Occupied", after=mark)
        await sut.plug_in(evse, connector)
        await csms.received(occupied)
        await csms.expect_none("TransactionEvent", {"triggerReason": OneOf(
            "Authorized", "ChargingStateChanged", "RemoteStart", "EnergyLimitReached", "ChargingRateChanged")},
            within=csms.settings.timing.default_timeout, requirements=("E06.FR.04",),
            reason="after the timeout only the cable plug-in may be reported (triggerReason CablePluggedIn)")


@testcase("TC_E_40_CS", "Offline Behaviour - Connection loss during transaction", usecases=("E11",),
          requirements=("E11.FR.01", "E11.FR.02", "E11.FR.06"))
async def test_TC_E_40_CS(csms: CsmsRole, sut: StationControl) -> None:
    if csms.configured.retry_back_off_wait_minimum <= csms.configured.tx_updated_interval:
        raise PreconditionNotMet("Part 6 needs <Configured RetryBackOffWaitMinimum_duration> greater than the "
                                 "sampled meter values interval, or nothing is queued while offline",
                                 fix="in the SUT profile, make configured.retry_back_off_wait_minimum greater than "
                                     "configured.tx_updated_interval")
    await booted(csms, sut)
    await csms.configure({**_sampled_config(csms), "SampledDataCtrlr.Enabled": IfImplemented(True),
                          **states.offline_window(csms)})
    await states.energy_transfer_started(csms, sut)
    wait = csms.configured.retry_back_off_wait_minimum
    with csms.step(f"1-2. The harness closes the connection, refuses reconnects for {wait} s, then accepts"):
        await csms.go_offline()
        mark = csms.mark()
        await csms.hold(wait, "<Configured RetryBackOffWaitMinimum_duration> before a reconnect is accepted")
        csms.go_online()
    with csms.step("3-4. The station empties its queue: every queued TransactionEvent is Updated, with meterValues "
                   "and offline true"):
        queued = await states.queued_transaction_events(csms, mark)
        for record in queued:
            payload = record.frame.payload  # type: ignore[union-attr]
            if payload.get("eventType") != "Updated" or not payload.get("meterValue"):
                raise csms.failure("a queued TransactionEvent is not an Updated event with meter values",
                                   actual=record.raw[:600], requirements=("E11.FR.01", "E11.FR.02"), rules=("SEQ",))


@testcase("TC_E_43_CS", "Offline Behaviour - Transaction during offline period", usecases=("E12",),
          requirements=("E12.FR.01", "E12.FR.02", "E12.FR.06"),
          notes="Memory state TransactionEventsInQueueEnded (errata 2024-06: in Before): a whole transaction "
                "while offline.")
async def test_TC_E_43_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    mark = await states.transaction_events_in_queue_ended(csms, sut)
    with csms.step("2-3. Back online, the station empties its queue: all offline true, a Started and an Ended"):
        queued = await states.queued_transaction_events(csms, mark, until_types=frozenset({"Started", "Ended"}))
        kinds = [r.frame.payload.get("eventType") for r in queued]  # type: ignore[union-attr]
        if "Started" not in kinds or "Ended" not in kinds:
            raise csms.failure("the queue of the offline transaction lacks its Started or its Ended event",
                               actual=f"queued eventTypes: {kinds}", requirements=("E12.FR.01",), rules=("SEQ",))


@testcase("TC_E_44_CS", "Offline Behaviour - Stop transaction during offline period", usecases=("E08",),
          requirements=("E08.FR.01", "E08.FR.04", "E08.FR.05", "E08.FR.06", "E08.FR.07", "E08.FR.08"))
async def test_TC_E_44_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await csms.configure(states.offline_window(csms))
    await states.energy_transfer_started(csms, sut)
    evse, connector = csms.configured.evse_id, csms.configured.connector_id
    with csms.step("1. The harness closes the connection and refuses reconnects. Manual Actions: present the same "
                   "idToken, disconnect the EV"):
        await csms.go_offline()
        mark = csms.mark()
        await sut.present_token(csms.authorized.pop(evse, csms.tokens.valid))
        await sut.unplug(evse, connector)
    with csms.step("2-4. The harness accepts the reconnect; the queued events are all offline true, one is Ended"):
        csms.go_online()
        queued = await states.queued_transaction_events(csms, mark, until_types=frozenset({"Ended"}))
        if not any(r.frame.payload.get("eventType") == "Ended" for r in queued):  # type: ignore[union-attr]
            raise csms.failure("no queued TransactionEvent Ended (offline true) after the offline stop",
                               actual=f"{len(queued)} queued event(s)", requirements=("E08.FR.01",), rules=("SEQ",))


@testcase("TC_E_31_CS", "Check Transaction status - Transaction with id ended - with message in queue",
          usecases=("E14",), requirements=("E14.FR.03", "E14.FR.04"),
          notes="The harness asks GetTransactionStatus the moment the station is back, and answers its first queued "
                "TransactionEvent only after that answer (within the message timeout), so the queue is not empty "
                "yet whatever the station's timing.")
async def test_TC_E_31_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    duration = csms.configured.transaction_duration
    await csms.configure({**_sampled_config(csms), **states.offline_window(csms, extra=duration),
                          "OCPPCommCtrlr.UnlockOnEVSideDisconnect": IfWritable(True)})
    await states.energy_transfer_started(csms, sut)
    evse, connector = csms.configured.evse_id, csms.configured.connector_id
    tx = csms.transaction_on(evse)
    remote = csms.profile.control.remote_start
    with csms.step("The harness closes the connection and refuses reconnects. Manual Actions: "
                   + ("stop the energy transfer via the EV" if remote else "present the same idToken")
                   + ", disconnect the EV"):
        await csms.go_offline()
        if remote:
            await sut.suspend_ev(evse)
        else:
            await sut.present_token(csms.authorized.pop(evse, csms.tokens.valid))
        await sut.unplug(evse, connector)
        await csms.hold(duration, "the configured Transaction Duration")
    answered = asyncio.Event()

    async def after_status(payload: dict[str, Any]) -> dict[str, Any]:
        with contextlib.suppress(TimeoutError):  # never longer than the station waits for an answer
            async with asyncio.timeout(max(0.5, csms.configured.message_timeout - csms.settings.timing.tolerance)):
                await answered.wait()
        return {"idTokenInfo": csms.id_token_info(payload["idToken"])} if "idToken" in payload else {}

    held = csms.expect("TransactionEvent", {"transactionInfo": {"transactionId": tx}}, respond=after_status)
    with csms.step("1-2. The moment the connection is restored: GetTransactionStatusRequest; ongoingIndicator false, "
                   "messagesInQueue true"):
        mark = csms.mark()
        csms.go_online()
        await csms.wait_record(lambda r: r.event == "open", after=mark.seq if mark else 0,
                               within=csms.reconnect_wait(), what="the station to reconnect")
        try:
            await csms.call_ok("GetTransactionStatus", {"transactionId": tx},
                               {"ongoingIndicator": False, "messagesInQueue": True})
        finally:
            answered.set()
    with csms.step("3-4. The station empties its queue: the events of StopAuthorized through EVDisconnected"):
        await csms.received(held, within=csms.reconnect_wait())
        await csms.transaction_events(tx, after=mark, what="the queued TransactionEvents up to Ended",
                                      until=lambda r: r.frame.payload.get("eventType") == "Ended",  # type: ignore[union-attr]
                                      within=csms.reconnect_wait())


def _optional_event(payload: dict[str, Any]) -> bool:
    """Steps 1-4 of the E13 cases: SignedDataReceived, or ChargingStateChanged to SuspendedEVSE."""
    return payload.get("triggerReason") == "SignedDataReceived" or (
        payload.get("triggerReason") == "ChargingStateChanged"
        and payload.get("transactionInfo", {}).get("chargingState") == "SuspendedEVSE")


async def _refused_first(csms: CsmsRole, sut: StationControl, answer: object, title: str) -> tuple[Record, int]:
    """E13 set-up: MessageAttempts and MessageAttemptInterval for TransactionEvent as configured, then reusable
    states Authorized and EVConnectedPreSession; the harness answers the first TransactionEvent after the optional
    steps 1-4 with `answer` (a CALLERROR, or SILENCE). The refused record and the station's MessageTimeout."""
    await booted(csms, sut)
    configured_timeout = await csms.read_variable("OCPPCommCtrlr.MessageTimeout[Default]")
    message_timeout = int(configured_timeout) if configured_timeout and configured_timeout.isdigit() else \
        csms.configured.message_timeout
    await csms.configure({
        "OCPPCommCtrlr.MessageAttempts[TransactionEvent]": csms.configured.message_attempts_transaction_event,
        "OCPPCommCtrlr.MessageAttemptInterval[TransactionEvent]":
            csms.configured.message_attempt_interval_transaction_event})
    evse = csms.configured.evse_id
    with csms.step("Reusable states Authorized and EVConnectedPreSession; 1-4 (optional) SignedDataReceived, "
                   f"SuspendedEVSE; 5. {title}"):
        mark = csms.mark()
        first = csms.expect("TransactionEvent", Where(lambda p: not _optional_event(p),
                                                      "a TransactionEvent other than the optional steps 1-4"),
                            respond=answer, after=mark)  # type: ignore[arg-type]
        csms.authorized[evse] = csms.tokens.valid
        await sut.present_token(csms.tokens.valid)
        await sut.plug_in(evse, csms.configured.connector_id)
        return await csms.received(first), message_timeout


def _same_event(record: Record) -> dict[str, Any]:
    """The pattern of a resend: the seqNo and transactionId of `record`."""
    payload = record.frame.payload  # type: ignore[union-attr]
    return {"seqNo": payload["seqNo"], "transactionInfo": {"transactionId": payload["transactionInfo"]["transactionId"]}}


async def _retries(csms: CsmsRole, sut: StationControl, answer: object) -> None:
    """E13 (TC_E_41/E_50): the harness refuses every delivery of the first TransactionEvent after Authorized and
    EVConnectedPreSession (CALLERROR, or silence); the optional SignedDataReceived / SuspendedEVSE events come
    first. The station sends it MessageAttempts times, waiting interval × preceding attempts (+ MessageTimeout
    when unanswered) between, then gives up: the harness watches one more interval."""
    attempts = csms.configured.message_attempts_transaction_event
    interval = csms.configured.message_attempt_interval_transaction_event
    tolerance = csms.settings.timing.tolerance
    silent = answer is SILENCE
    record, message_timeout = await _refused_first(csms, sut, answer, "the harness refuses the next TransactionEvent")
    refused = [record]
    pattern = _same_event(record)
    with csms.step(f"5. The station sends it {attempts} times in all, interval × preceding attempts apart"):
        for n in range(1, attempts):
            waited = interval * n + (message_timeout if silent else 0)
            again = csms.expect("TransactionEvent", pattern, respond=answer, after=refused[-1])  # type: ignore[arg-type]
            csms.sut_timer(waited, f"the station's retry {n}: MessageAttemptInterval × {n}"
                           + (" + MessageTimeout" if silent else ""), since=refused[-1].mono)
            refused.append(await csms.received(again, within=waited + tolerance + csms.timeout(None)))
            gap = refused[-1].mono - refused[-2].mono
            csms.transcript.note(check_interval(gap, expected=waited, tolerance=tolerance, minimum_only=True,
                                                what=f"retry {n} of the TransactionEvent",
                                                requirements=("E13.FR.02",)))
    with csms.step("The harness waits one more iteration: the station must not send it again"):
        await csms.expect_none("TransactionEvent", pattern, reason=f"the station must stop after {attempts} attempts",
                               within=interval * attempts + (message_timeout if silent else 0) + tolerance,
                               requirements=("E13.FR.03",))


async def _retry_then_answer(csms: CsmsRole, sut: StationControl, refusal: object) -> None:
    """TC_E_42 / TC_E_51: the harness refuses the first delivery of the TransactionEvent after Authorized and
    EVConnectedPreSession (silence, or CALLERROR InternalError) and answers the second, which must come
    interval × 1 (+ MessageTimeout when unanswered) later; then it watches one more (longer) iteration: no third."""
    attempts = csms.configured.message_attempts_transaction_event
    interval = csms.configured.message_attempt_interval_transaction_event
    tolerance = csms.settings.timing.tolerance
    if attempts <= 2:
        raise PreconditionNotMet("Part 6 needs <Configured message_attempts_transaction_event> greater than 2",
                                 fix="in the SUT profile, set configured.message_attempts_transaction_event to 3 or more")
    silent = refusal is SILENCE
    refused, message_timeout = await _refused_first(csms, sut, refusal,
                                                    "the harness refuses the next TransactionEvent once")
    pattern = _same_event(refused)
    waited = interval + (message_timeout if silent else 0)
    with csms.step("5-6. The station sends it a second time, the interval later; the harness answers"):
        csms.sut_timer(waited, "the station's retry: MessageAttemptInterval" + (" + MessageTimeout" if silent else ""),
                       since=refused.mono)
        again = await csms.receive("TransactionEvent", pattern, after=refused,
                                   within=waited + tolerance + csms.timeout(None))
        csms.transcript.note(check_interval(again.mono - refused.mono, expected=waited, tolerance=tolerance,
                                            minimum_only=True, what="the retry of the TransactionEvent",
                                            requirements=("E13.FR.02",)))
    with csms.step("The harness waits one more iteration: the station must not send it again"):
        await csms.expect_none("TransactionEvent", pattern, reason="the CSMS answered it: no more attempts",
                               within=interval * 2 + (message_timeout if silent else 0) + tolerance,
                               requirements=("E13.FR.03",))


@testcase("TC_E_41_CS", "Retry sending transaction message when failed - Max retry count reached",
          usecases=("E13",), requirements=("E13.FR.01", "E13.FR.02", "E13.FR.03", "E13.FR.04"),
          notes="The harness never answers (timeout); the station's own message timeout decides when it retries.")
async def test_TC_E_41_CS(csms: CsmsRole, sut: StationControl) -> None:
    await _retries(csms, sut, SILENCE)


@testcase("TC_E_50_CS", "Retry sending transaction message when failed - Max retry count reached - CallError",
          usecases=("E13",), requirements=("E13.FR.01", "E13.FR.02", "E13.FR.03", "E13.FR.04"))
async def test_TC_E_50_CS(csms: CsmsRole, sut: StationControl) -> None:
    await _retries(csms, sut, CallError("", "InternalError", "harness refuses on purpose", {}))


@testcase("TC_E_42_CS", notes="The harness does not answer the first delivery; the station's own message timeout "
                              "decides when it retries.")
async def test_TC_E_42_CS(csms: CsmsRole, sut: StationControl) -> None:
    await _retry_then_answer(csms, sut, SILENCE)


@testcase("TC_E_51_CS")
async def test_TC_E_51_CS(csms: CsmsRole, sut: StationControl) -> None:
    await _retry_then_answer(csms, sut, CallError("", "InternalError", "harness refuses on purpose", {}))
