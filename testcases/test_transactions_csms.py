"""Blocks E Transactions, F Remote control, G Availability and J Meter values, SUT = CSMS, as their Part 6 tables
run them. The harness plays a Charging Station configured as Part 6 §3.1 says (TxStartPoint EVConnected,Authorized;
TxStopPoint EVConnected; AuthorizeRemoteStart false) at the profile's <Configured evseId / connectorId>.
"""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime
from typing import Any

from harness import (
    CsmsControl,
    StationRole,
    StationTransaction,
    difference,
    now_iso,
    states,
    station_booted,
    testcase,
)

ACCEPTED = {"idTokenInfo": {"status": "Accepted"}}


def _transaction(station: StationRole) -> StationTransaction:
    return station.transaction(station.configured.evse_id, station.configured.connector_id)


async def _energy_transfer_started(station: StationRole) -> StationTransaction:
    """Reusable state EnergyTransferStarted from Booted: Authorized (Started), then parts 1 and 2."""
    tx = _transaction(station)
    await states.station_authorized(station, tx)
    await states.station_energy_transfer(station, tx)
    return tx


# ---- E Transactions ---------------------------------------------------------------------------------------------
@testcase("TC_E_03_CSMS")
async def test_TC_E_03_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    tx = await states.station_ev_connected(station)
    await states.station_authorized(station, tx)  # 1
    await states.station_energy_transfer(station, tx)  # 2


@testcase("TC_E_04_CSMS")
async def test_TC_E_04_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    tx = _transaction(station)
    await states.station_authorized(station, tx)  # 1
    await states.station_energy_transfer(station, tx)  # 2


@testcase("TC_E_09_CSMS")
async def test_TC_E_09_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    evse, connector = station.configured.evse_id, station.configured.connector_id
    with station.step("1-2. StatusNotification Occupied; the CSMS responds"):
        await station.status(evse, connector, "Occupied")
    with station.step("3-4. TransactionEvent Started, CablePluggedIn, EVConnected, with the EVSE and connector; "
                      "the CSMS responds"):
        await _transaction(station).event("Started", "CablePluggedIn", {}, charging_state="EVConnected")


@testcase("TC_E_15_CSMS")
async def test_TC_E_15_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    tx = await _energy_transfer_started(station)
    with station.step("1-2. TransactionEvent Ended, StopAuthorized, stoppedReason Local; the CSMS responds"):
        await tx.event("Ended", "StopAuthorized", {}, id_token=station.tokens.valid, charging_state="EVConnected",
                       stopped_reason="Local")


@testcase("TC_E_31_CSMS")
async def test_TC_E_31_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    tx = await _energy_transfer_started(station)
    with station.step("1-2. The station loses its connection; after the Transaction Duration it reconnects"):
        await station.disconnect()
        # what happened meanwhile, in seqNo order: the driver stopped, energy stopped, the EV left (sent last)
        stop = tx.payload("Updated", "StopAuthorized", offline=True)
        stopped = tx.payload("Updated", "ChargingStateChanged", charging_state="EVConnected", offline=True)
        await station.hold(station.configured.transaction_duration, "the configured Transaction Duration")
        await station.connect()
    with station.step("3-4. StatusNotification Available; the CSMS responds"):
        await station.status(tx.evse, tx.connector, "Available")
    asked = station.expect("GetTransactionStatus", respond={"ongoingIndicator": False, "messagesInQueue": True})
    with station.step(f"5-6. TransactionEvent Ended, offline, EVCommunicationLost, Idle, seqNo {tx.seq_no} (skips "
                      f"{stop['seqNo']} and {stopped['seqNo']})"):
        await station.call_ok("TransactionEvent", tx.payload("Ended", "EVCommunicationLost", charging_state="Idle",
                                                             stopped_reason="EVDisconnected", offline=True), {})
    with station.step("7-8. The CSMS notices the gap and asks GetTransactionStatus for the transaction; "
                      "ongoingIndicator false, messagesInQueue true"):
        request = (await station.received(asked)).frame.payload  # type: ignore[union-attr]
        if request.get("transactionId") != tx.id:
            raise station.failure("GetTransactionStatusRequest does not name the transaction with the gap",
                                  expected=f"transactionId {tx.id}", actual=repr(request)[:400],
                                  requirements=("E14.FR.03",), rules=("SEQ",))
    with station.step(f"9-10. The queued TransactionEvent Updated StopAuthorized, offline, seqNo {stop['seqNo']}"):
        await station.call_ok("TransactionEvent", stop, {})
    with station.step(f"11-12. The queued TransactionEvent Updated ChargingStateChanged, EVConnected, offline, seqNo "
                      f"{stopped['seqNo']}"):
        await station.call_ok("TransactionEvent", stopped, {})


@testcase("TC_E_39_CSMS")
async def test_TC_E_39_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    tx = _transaction(station)
    await states.station_authorized(station, tx)
    with station.step("1-2. After the EV connection timeout: TransactionEvent Ended, EVConnectTimeout, stoppedReason "
                      "Timeout; the CSMS responds"):
        await station.hold(station.configured.ev_connection_timeout, "the configured EV connection timeout")
        await tx.event("Ended", "EVConnectTimeout", {}, charging_state="Idle", stopped_reason="Timeout")


@testcase("TC_E_53_CSMS")
async def test_TC_E_53_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    for steps in ("1-2", "3-4"):
        with station.step(f"{steps}. A new transaction from seqNo 0 (EnergyTransferStarted, then EVDisconnected)"):
            tx = await _energy_transfer_started(station)
            await states.station_ev_disconnected(station, tx)


# ---- F Remote control -------------------------------------------------------------------------------------------
REMOTE_START_ID = 4711  # what the harness asks the operator to use; the CSMS's own value is the one that counts


async def _remote_start(station: StationRole, sut: CsmsControl, answer: dict[str, Any]) -> dict[str, Any]:
    """Manual Action and steps 1-2: the operator asks the CSMS to start a transaction with the configured valid
    idToken; its RequestStartTransactionRequest must carry that idToken. The request payload."""
    token = station.tokens.valid
    start = station.expect("RequestStartTransaction", respond=answer)
    with station.step("Manual Action: the operator asks the CSMS to start a transaction"):
        await sut.trigger(station.identity, "RequestStartTransaction", {
            "idToken": token.wire(), "remoteStartId": REMOTE_START_ID, "evseId": station.configured.evse_id})
    with station.step(f"1-2. RequestStartTransactionRequest with the configured valid idToken; {answer['status']}"):
        request: dict[str, Any] = (await station.received(start)).frame.payload  # type: ignore[union-attr]
        problems = difference({"idToken": {"idToken": token.id_token, "type": token.type}}, request)
        if problems:
            raise station.failure("RequestStartTransactionRequest does not carry the configured valid idToken",
                                  message="\n".join(problems), expected=repr(token.wire()),
                                  actual=repr(request)[:400], rules=("SEQ",))
    return request


@testcase("TC_F_01_CSMS")
async def test_TC_F_01_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    tx = await states.station_ev_connected(station)
    request = await _remote_start(station, sut, {"status": "Accepted", "transactionId": tx.id})
    with station.step("3-4. TransactionEvent Updated, RemoteStart, with the CSMS's remoteStartId; the CSMS responds"):
        await tx.event("Updated", "RemoteStart", {}, id_token=station.tokens.valid, charging_state="EVConnected",
                       remote_start_id=request.get("remoteStartId"))
    await states.station_energy_transfer(station, tx)  # 5 (authorized, EV connected: part 2)


@testcase("TC_F_02_CSMS")
async def test_TC_F_02_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    request = await _remote_start(station, sut, {"status": "Accepted"})
    token = station.tokens.valid
    with station.step("3-4. AuthorizeRequest with the configured valid idToken; the CSMS responds Accepted"):
        await station.authorize(token, ACCEPTED)
    tx = _transaction(station)
    # Part 6 calls this remoteStartId the OCTT's; the station reports the one the CSMS's request carried (F01)
    with station.step("5-6. TransactionEvent Started, RemoteStart, with the remoteStartId; the CSMS responds"):
        await tx.event("Started", "RemoteStart", {}, id_token=token, charging_state="Idle",
                       remote_start_id=request.get("remoteStartId"))
    await states.station_energy_transfer(station, tx)  # 7 (authorized, EV not connected: parts 1 and 2)


@testcase("TC_F_27_CSMS")
async def test_TC_F_27_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    trigger = station.expect("TriggerMessage", respond={"status": "NotImplemented"})
    with station.step("Manual Action: the operator asks the CSMS to trigger a message"):
        await sut.trigger(station.identity, "TriggerMessage", {"requestedMessage": "LogStatusNotification"})
    with station.step("1-2. TriggerMessageRequest; the station responds NotImplemented"):
        await station.received(trigger)


# ---- G Availability ----------------------------------------------------------------------------------------------
@testcase("TC_G_03_CSMS")
async def test_TC_G_03_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    await states.station_unavailable(station, sut)  # 1


@testcase("TC_G_11_CSMS")
async def test_TC_G_11_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    tx = await _energy_transfer_started(station)
    await states.station_unavailable(station, sut, tx.evse, status="Scheduled")  # 1-2
    await states.station_stop_authorized(station, tx)  # 3 (its wait is the table's Transaction Duration)
    await states.station_ev_connected_post_session(station, tx)  # 4
    await states.station_ev_disconnected(station, tx)  # 5
    with station.step(f"6-7. The transaction has ended: every connector of EVSE {tx.evse} Unavailable; the CSMS "
                      "responds to each"):
        await states.station_report_unavailable(station, tx.evse)


# ---- J Meter values -------------------------------------------------------------------------------------------------
ROUNDS = 3


@testcase("TC_J_01_CSMS")
async def test_TC_J_01_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    interval = max(station.configured.aligned_data_interval, 1)
    evses = [0, *range(1, len(station.evses) + 1)]
    for round_no in range(1, ROUNDS + 1):
        boundary = math.floor(time.time() / interval + 1) * interval
        await station.hold(boundary - time.time(), f"the next clock-aligned boundary ({interval} s interval)")
        stamp = datetime.fromtimestamp(boundary, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        with station.step(f"1-2. ({round_no}/{ROUNDS}) clock-aligned MeterValuesRequest for evseId "
                          f"{', '.join(map(str, evses))} at {stamp}, and NotifyEvent FiscalMetering; the CSMS responds"):
            for evse in evses:
                await station.call_ok("MeterValues", {"evseId": evse, "meterValue": [{"timestamp": stamp, "sampledValue": [
                    {"value": 1000.0 * round_no, "context": "Sample.Clock",
                     "measurand": "Energy.Active.Import.Register", "unitOfMeasure": {"unit": "Wh"}}]}]}, {})
            await station.call_ok("NotifyEvent", {"generatedAt": now_iso(), "seqNo": 0, "tbc": False, "eventData": [{
                "eventId": round_no, "timestamp": stamp, "trigger": "Periodic", "actualValue": str(1000.0 * round_no),
                "eventNotificationType": "PreconfiguredMonitor", "component": {"name": "FiscalMetering"},
                "variable": {"name": "EnergyImportRegister"}}]}, {})
