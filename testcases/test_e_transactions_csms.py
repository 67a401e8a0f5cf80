"""Block E Transactions, SUT = CSMS: the start and stop options, the EV-side disconnects and the transaction status
requests, as their Part 6 tables run them. The harness plays a Charging Station configured as Part 6 §3.1 says
(TxStartPoint EVConnected,Authorized; TxStopPoint EVConnected) at the profile's <Configured evseId / connectorId>;
where a table sends the messages of another start or stop point, the harness's station sends them as the table
lists them.
"""

from __future__ import annotations

from typing import Any

from harness import (
    ABSENT,
    CsmsControl,
    IdToken,
    OneOf,
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


async def _ev_connected_post_session(station: StationRole) -> StationTransaction:
    """Reusable state EVConnectedPostSession, with the states it needs before (EnergyTransferStarted,
    StopAuthorized)."""
    tx = await _energy_transfer_started(station)
    await states.station_stop_authorized(station, tx)
    await states.station_ev_connected_post_session(station, tx)
    return tx


async def _energy_transfer_suspended(station: StationRole) -> StationTransaction:
    tx = await _energy_transfer_started(station)
    await states.station_energy_transfer_suspended(station, tx)
    return tx


async def _authorize_and_plug_in(station: StationRole, token: IdToken, steps: str) -> None:
    """Steps 1-4 of the start options E_01, E_02, E_11: AuthorizeRequest (the CSMS must answer Accepted), then the
    connector Occupied."""
    with station.step(f"{steps[0]}. AuthorizeRequest with the configured valid idToken; the CSMS responds with "
                      "idTokenInfo.status Accepted"):
        await station.authorize(token, ACCEPTED)
    with station.step(f"{steps[1]}. StatusNotification Occupied; the CSMS responds"):
        await station.status(station.configured.evse_id, station.configured.connector_id, "Occupied")


async def _operator_request(station: StationRole, sut: CsmsControl, action: str, payload: dict[str, Any],
                            answer: dict[str, Any], title: str) -> dict[str, Any]:
    """The CSMS sends `action` (the operator asks it to: Part 6 leaves the trigger to the CSMS); the harness
    answers `answer`. The request's payload."""
    request = station.expect(action, respond=answer)
    with station.step(f"Manual Action: make the CSMS send {action}"):
        await sut.trigger(station.identity, action, payload)
    with station.step(title):
        return dict((await station.received(request)).frame.payload)  # type: ignore[union-attr]


def _check_request(station: StationRole, action: str, wanted: dict[str, Any], request: dict[str, Any],
                   what: str) -> None:
    problems = difference(wanted, request)
    if problems:
        raise station.failure(f"{action}Request does not {what}", message="\n".join(problems),
                              expected=repr(wanted), actual=repr(request)[:400], rules=("SEQ",))


async def _offline_then_status(station: StationRole, sut: CsmsControl, with_id: bool) -> None:
    """TC_E_29 / TC_E_33: the station loses its connection for the Transaction Duration and reconnects; the
    CSMS asks GetTransactionStatus (with the transaction's id, or without one); the harness answers that messages
    are queued, then sends the queued Updated event (offline, meter values)."""
    tx = await _energy_transfer_started(station)
    with station.step("1-2. The station closes its connection; after the Transaction Duration it reconnects"):
        await station.disconnect()
        queued = tx.payload("Updated", "MeterValuePeriodic", charging_state="Charging", offline=True)
        await station.hold(station.configured.transaction_duration, "the configured Transaction Duration")
        await station.connect()
    answer: dict[str, Any] = {"messagesInQueue": True, **({"ongoingIndicator": True} if with_id else {})}
    request = await _operator_request(
        station, sut, "GetTransactionStatus", {"transactionId": tx.id} if with_id else {}, answer,
        "3-4. GetTransactionStatusRequest " + ("for the transaction" if with_id else "without transactionId")
        + f"; the harness responds {answer}")
    wanted = {"transactionId": tx.id if with_id else ABSENT}
    _check_request(station, "GetTransactionStatus", wanted, request,
                   "name the transaction of Before" if with_id else "leave transactionId out")
    with station.step("5-6. The queued TransactionEvent Updated, meter values, offline true; the CSMS responds"):
        await station.call_ok("TransactionEvent", queued, {})


# ---- E01 start options --------------------------------------------------------------------------------------------
@testcase("TC_E_01_CSMS")
async def test_TC_E_01_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    token, tx = station.tokens.valid, _transaction(station)
    await _authorize_and_plug_in(station, token, ("1-2", "3-4"))
    with station.step("5-6. TransactionEvent Started, ChargingStateChanged, the idToken, EVSE and connector, "
                      "SuspendedEVSE; the CSMS responds with idTokenInfo.status Accepted"):
        await tx.event("Started", "ChargingStateChanged", ACCEPTED, id_token=token, charging_state="SuspendedEVSE")
    with station.step("7-8. TransactionEvent Updated, ChargingStateChanged, Charging; the CSMS responds"):
        await tx.event("Updated", "ChargingStateChanged", {}, charging_state="Charging")


@testcase("TC_E_02_CSMS")
async def test_TC_E_02_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    token, tx = station.tokens.valid, _transaction(station)
    await _authorize_and_plug_in(station, token, ("1-2", "3-4"))
    with station.step("5-6. TransactionEvent Started, ChargingStateChanged, the idToken, EVSE and connector, "
                      "Charging; the CSMS responds with idTokenInfo.status Accepted"):
        await tx.event("Started", "ChargingStateChanged", ACCEPTED, id_token=token, charging_state="Charging")


@testcase("TC_E_10_CSMS")
async def test_TC_E_10_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    token = station.tokens.valid
    with station.step("1-2. AuthorizeRequest with the configured valid idToken; the CSMS responds with "
                      "idTokenInfo.status Accepted"):
        await station.authorize(token, ACCEPTED)
    with station.step("3-4. TransactionEvent Started, Authorized, the idToken; the CSMS responds with "
                      "idTokenInfo.status Accepted"):
        await _transaction(station).event("Started", "Authorized", ACCEPTED, id_token=token, charging_state="Idle")


@testcase("TC_E_11_CSMS")
async def test_TC_E_11_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    token, tx = station.tokens.valid, _transaction(station)
    await _authorize_and_plug_in(station, token, ("1-2", "3-4"))
    started = tx.payload("Started", "SignedDataReceived", id_token=token, charging_state="EVConnected")
    # a signed Transaction.Begin reading of 0.0 Wh (Part 6: a generated SignedMeterValueType)
    started["meterValue"] = [{"timestamp": now_iso(), "sampledValue": [{
        "value": 0.0, "context": "Transaction.Begin", "measurand": "Energy.Active.Import.Register",
        "signedMeterValue": {"signedMeterData": "SEFSTkVTUy1TSUdORUQtMC4w", "signingMethod": "ECDSA-secp256r1-SHA256",
                             "encodingMethod": "OCMF", "publicKey": "SEFSTkVTUy1QVUJMSUMtS0VZ"}}]}]
    with station.step("5-6. TransactionEvent Started, SignedDataReceived, the idToken, EVSE and connector, a signed "
                      "Transaction.Begin meter value; the CSMS responds with idTokenInfo.status Accepted"):
        await station.call_ok("TransactionEvent", started, ACCEPTED)
    with station.step("7-8. TransactionEvent Updated, ChargingStateChanged, Charging; the CSMS responds"):
        await tx.event("Updated", "ChargingStateChanged", {}, charging_state="Charging")


@testcase("TC_E_12_CSMS")
async def test_TC_E_12_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    with station.step("1-2. TransactionEvent Started, EVDetected; the CSMS responds"):
        await _transaction(station).event("Started", "EVDetected", {}, charging_state="Idle")


@testcase("TC_E_38_CSMS")
async def test_TC_E_38_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    tx = _transaction(station)
    await states.station_authorized(station, tx)
    await states.station_ev_connected(station, tx=tx)  # 1
    with station.step("2-3. TransactionEvent Updated, ChargingStateChanged, SuspendedEV; the CSMS responds"):
        await tx.event("Updated", "ChargingStateChanged", {}, charging_state="SuspendedEV")


# ---- E06 stop options, E10 EV-side disconnect ---------------------------------------------------------------------
@testcase("TC_E_07_CSMS")
async def test_TC_E_07_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    tx = await _energy_transfer_started(station)
    with station.step("1-2. TransactionEvent Ended, StopAuthorized, stoppedReason Local; the CSMS responds"):
        await tx.event("Ended", "StopAuthorized", {}, charging_state="EVConnected", stopped_reason="Local")


@testcase("TC_E_08_CSMS")
async def test_TC_E_08_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    tx = await _energy_transfer_started(station)
    await states.station_stop_authorized(station, tx)
    with station.step("1-2. TransactionEvent Ended, ChargingStateChanged, EVConnected, stoppedReason Local; the "
                      "CSMS responds"):
        await tx.event("Ended", "ChargingStateChanged", {}, charging_state="EVConnected", stopped_reason="Local")


@testcase("TC_E_14_CSMS")
async def test_TC_E_14_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    tx = await _ev_connected_post_session(station)
    await states.station_ev_disconnected(station, tx)  # 1


@testcase("TC_E_16_CSMS")
async def test_TC_E_16_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    tx = _transaction(station)
    with station.step("1-2. TransactionEvent Started, Authorized, the configured invalid idToken; the CSMS responds "
                      "with idTokenInfo.status Invalid or Unknown"):
        await tx.event("Started", "Authorized", {"idTokenInfo": {"status": OneOf("Invalid", "Unknown")}},
                       id_token=station.tokens.invalid, charging_state="Idle")
    with station.step("3-4. TransactionEvent Ended, Deauthorized, stoppedReason DeAuthorized; the CSMS responds"):
        await tx.event("Ended", "Deauthorized", {}, charging_state="Idle", stopped_reason="DeAuthorized")


@testcase("TC_E_17_CSMS")
async def test_TC_E_17_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    tx = await _energy_transfer_suspended(station)
    with station.step("1-2. TransactionEvent Ended, EVCommunicationLost, Idle, stoppedReason EVDisconnected; the "
                      "CSMS responds"):
        await tx.event("Ended", "EVCommunicationLost", {}, charging_state="Idle", stopped_reason="EVDisconnected")


@testcase("TC_E_19_CSMS", notes="EVDisconnected reports the transaction Updated: its stop point is the parking bay")
async def test_TC_E_19_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    tx = await _ev_connected_post_session(station)
    with station.step("Reusable state EVDisconnected: StatusNotification Available; TransactionEvent "
                      "EVCommunicationLost, Idle (the transaction goes on until the EV leaves the bay)"):
        await station.status(tx.evse, tx.connector, "Available")
        await tx.event("Updated", "EVCommunicationLost", {}, charging_state="Idle")
    with station.step("1-2. TransactionEvent Ended, EVDeparted, stoppedReason Local; the CSMS responds"):
        await tx.event("Ended", "EVDeparted", {}, charging_state="Idle", stopped_reason="Local")


@testcase("TC_E_20_CSMS")
async def test_TC_E_20_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    tx = await _energy_transfer_suspended(station)
    with station.step("1. Reusable state EVDisconnected: StatusNotification Available; TransactionEvent Ended, "
                      "EVCommunicationLost, Idle, stoppedReason EVDisconnected; the CSMS responds to each"):
        await station.status(tx.evse, tx.connector, "Available")
        await tx.event("Ended", "EVCommunicationLost", {}, charging_state="Idle", stopped_reason="EVDisconnected")


@testcase("TC_E_21_CSMS")
async def test_TC_E_21_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    tx = await _energy_transfer_started(station)
    request = await _operator_request(station, sut, "RequestStopTransaction", {"transactionId": tx.id},
                                      {"status": "Accepted"}, "1-2. RequestStopTransactionRequest for the "
                                      "transaction; the harness responds Accepted")
    _check_request(station, "RequestStopTransaction", {"transactionId": tx.id}, request,
                   "name the transaction the station started")
    with station.step("3-4. TransactionEvent Ended, RemoteStop, stoppedReason Remote; the CSMS responds"):
        await tx.event("Ended", "RemoteStop", {}, charging_state="EVConnected", stopped_reason="Remote")


@testcase("TC_E_22_CSMS")
async def test_TC_E_22_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    tx = await _energy_transfer_started(station)
    with station.step("1-2. TransactionEvent Ended, ChargingStateChanged, SuspendedEV, stoppedReason StoppedByEV; "
                      "the CSMS responds"):
        await tx.event("Ended", "ChargingStateChanged", {}, charging_state="SuspendedEV", stopped_reason="StoppedByEV")


@testcase("TC_E_26_CSMS")
async def test_TC_E_26_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    tx = await _energy_transfer_suspended(station)
    with station.step("1-2. TransactionEvent Updated, EVCommunicationLost, Idle; the CSMS responds"):
        await tx.event("Updated", "EVCommunicationLost", {}, charging_state="Idle")
    with station.step("3-4. StatusNotification Available; the CSMS responds"):
        await station.status(tx.evse, tx.connector, "Available")
    with station.step("5-6. TransactionEvent Updated, CablePluggedIn, EVConnected; the CSMS responds"):
        await tx.event("Updated", "CablePluggedIn", {}, charging_state="EVConnected")
    with station.step("7-8. TransactionEvent Updated, ChargingStateChanged, Charging; the CSMS responds"):
        await tx.event("Updated", "ChargingStateChanged", {}, charging_state="Charging")


# ---- E14 transaction status -----------------------------------------------------------------------------------------
@testcase("TC_E_29_CSMS", notes="The operator makes the CSMS ask (control action send); the table names no trigger.")
async def test_TC_E_29_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    await _offline_then_status(station, sut, with_id=True)


@testcase("TC_E_30_CSMS", notes="The operator makes the CSMS ask (control action send); the table names no trigger.")
async def test_TC_E_30_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    tx = await _energy_transfer_started(station)
    request = await _operator_request(station, sut, "GetTransactionStatus", {"transactionId": tx.id},
                                      {"ongoingIndicator": True, "messagesInQueue": False},
                                      "1-2. GetTransactionStatusRequest for the transaction; the harness responds "
                                      "ongoingIndicator true, messagesInQueue false")
    _check_request(station, "GetTransactionStatus", {"transactionId": tx.id}, request, "name the transaction of Before")


@testcase("TC_E_33_CSMS", notes="The operator makes the CSMS ask (control action send); the table names no trigger.")
async def test_TC_E_33_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    await _offline_then_status(station, sut, with_id=False)


@testcase("TC_E_34_CSMS", notes="The operator makes the CSMS ask (control action send); the table names no trigger.")
async def test_TC_E_34_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    request = await _operator_request(station, sut, "GetTransactionStatus", {}, {"messagesInQueue": False},
                                      "1-2. GetTransactionStatusRequest without transactionId; the harness responds "
                                      "messagesInQueue false")
    _check_request(station, "GetTransactionStatus", {"transactionId": ABSENT}, request, "leave transactionId out")
