"""Blocks E Transactions, F Remote control, G Availability and J Meter values, SUT = CSMS (the harness plays a
Charging Station configured as Part 6 §3.1 says: TxStartPoint EVConnected,Authorized, TxStopPoint EVConnected,
AuthorizeRemoteStart false).

The Part 6 step tables and the Part 2 FR tables are not in the project's reference: the steps follow the use
cases, and requirements are named at use-case level.
"""

from __future__ import annotations

from harness import (
    ANY,
    AbsentOr,
    CsmsControl,
    StationRole,
    StationTransaction,
    now_iso,
    states,
    station_booted,
    testcase,
)

ACCEPTED = {"idTokenInfo": {"status": "Accepted"}}
NO_TOKEN_INFO = {"idTokenInfo": AbsentOr(ANY)}  # no idToken in the request: idTokenInfo is optional


async def _end(station: StationRole, tx: StationTransaction) -> None:
    with station.step("Cleanup: the EV leaves; Ended EVDisconnected"):
        await states.station_ev_disconnected(station, tx)


@testcase("TC_E_03_CSMS", "Local start transaction - Cable plugin first - Success", usecases=("E02",),
          requirements=("E02", "C01"))
async def test_TC_E_03_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    tx = await states.station_ev_connected(station)
    await states.station_authorized(station, tx)
    await states.station_energy_transfer(station, tx)
    await _end(station, tx)


@testcase("TC_E_04_CSMS", "Local start transaction - Authorization first - Success", usecases=("E03",),
          requirements=("E03", "C01"))
async def test_TC_E_04_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    token = station.tokens.valid
    tx = station.transaction()
    with station.step("1-4. AuthorizeRequest Accepted; TransactionEventRequest Started Authorized with the idToken"):
        await station.authorize(token, ACCEPTED)
        await tx.event("Started", "Authorized", ACCEPTED, id_token=token, charging_state="Idle")
    with station.step("5-8. The EV plugs in: StatusNotification Occupied; TransactionEvent Updated CablePluggedIn"):
        await station.status(1, 1, "Occupied")
        await tx.event("Updated", "CablePluggedIn", NO_TOKEN_INFO, charging_state="EVConnected")
    await states.station_energy_transfer(station, tx)
    await _end(station, tx)


@testcase("TC_E_09_CSMS", "Start transaction options - EVConnected", usecases=("E01",), requirements=("E01",))
async def test_TC_E_09_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    tx = await states.station_ev_connected(station)
    with station.step("Cleanup: the EV leaves before any authorization"):
        await tx.event("Ended", "EVCommunicationLost", {}, charging_state="Idle", stopped_reason="EVDisconnected")
        await station.status(1, 1, "Available")


@testcase("TC_E_15_CSMS", "Stop transaction options - StopAuthorized - Local", usecases=("E06",),
          requirements=("E06",))
async def test_TC_E_15_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    tx = await states.station_ev_connected(station)
    await states.station_authorized(station, tx)
    await states.station_energy_transfer(station, tx)
    with station.step("1-2. The driver stops with the same token: TransactionEvent Ended StopAuthorized, Local"):
        await tx.event("Ended", "StopAuthorized", ACCEPTED, id_token=station.tokens.valid, charging_state="EVConnected",
                       stopped_reason="Local")
    with station.step("3-4. The EV leaves: StatusNotification Available"):
        await station.status(1, 1, "Available")


@testcase("TC_E_31_CSMS", "Check Transaction status - Transaction with id ended - with message in queue",
          usecases=("E14",), requirements=("E14",), pics="C-16",
          notes="The operator makes the CSMS ask for the status of a transaction whose Ended event the station "
                "still holds; the CSMS must ask with the transactionId and take the answer.")
async def test_TC_E_31_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    tx = await states.station_ev_connected(station)
    ended = tx.payload("Ended", "EVCommunicationLost", charging_state="Idle", stopped_reason="EVDisconnected")
    asked = station.expect("GetTransactionStatus", {"transactionId": tx.id},
                           respond={"messagesInQueue": True, "ongoingIndicator": False})
    with station.step("Manual Action: trigger the CSMS to request the status of the transaction"):
        await sut.trigger(station.identity, "GetTransactionStatus", {"transactionId": tx.id})
    with station.step("1-2. GetTransactionStatusRequest with the transactionId; messagesInQueue true"):
        await station.received(asked)
    with station.step("3-4. The queued TransactionEvent Ended is delivered; the CSMS accepts it"):
        await station.call_ok("TransactionEvent", ended, {})
        await station.status(1, 1, "Available")


@testcase("TC_E_39_CSMS", "Stop transaction options - Deauthorized - timeout", usecases=("E06", "E03"),
          requirements=("E03", "E06"))
async def test_TC_E_39_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    token = station.tokens.valid
    tx = station.transaction()
    with station.step("1-4. Authorized first: AuthorizeRequest, TransactionEvent Started Authorized"):
        await station.authorize(token, ACCEPTED)
        await tx.event("Started", "Authorized", ACCEPTED, id_token=token, charging_state="Idle")
    with station.step("5-6. No EV within EVConnectionTimeOut: Ended EVConnectTimeout, stoppedReason Timeout"):
        await tx.event("Ended", "EVConnectTimeout", {}, charging_state="Idle", stopped_reason="Timeout")


@testcase("TC_E_53_CSMS", "Reset Sequence Number - CSMS accepting seqNo = 0 at start of transaction",
          usecases=("E01",), requirements=("E01",),
          notes="Two transactions in a row, each starting at seqNo 0: the CSMS must accept both.")
async def test_TC_E_53_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    for n in (1, 2):
        tx = await states.station_ev_connected(station)
        with station.step(f"Transaction {n} started with seqNo 0 was accepted; end it"):
            if tx.events[0]["seqNo"] != 0:
                raise station.failure("the harness station did not start at seqNo 0")
            await tx.event("Ended", "EVCommunicationLost", {}, charging_state="Idle", stopped_reason="EVDisconnected")
            await station.status(1, 1, "Available")


# ---- F Remote control -------------------------------------------------------------------------------------------
REMOTE_START_ID = 4711


def _remote_start(station: StationRole, evse: int | None = 1) -> dict[str, object]:
    request: dict[str, object] = {"idToken": station.tokens.valid.wire(), "remoteStartId": REMOTE_START_ID}
    if evse is not None:
        request["evseId"] = evse
    return request


@testcase("TC_F_01_CSMS", "Remote start transaction - Cable plugin first", usecases=("F01",), requirements=("F01",))
async def test_TC_F_01_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    tx = await states.station_ev_connected(station)
    start = station.expect("RequestStartTransaction", {"idToken": {"idToken": ANY}, "remoteStartId": ANY},
                           respond={"status": "Accepted", "transactionId": tx.id})
    with station.step("Manual Action: trigger the CSMS to start a transaction on EVSE 1"):
        await sut.trigger(station.identity, "RequestStartTransaction", _remote_start(station))
    with station.step("1-2. RequestStartTransactionRequest with idToken and remoteStartId; Accepted"):
        request = (await station.received(start)).frame.payload  # type: ignore[union-attr]
    with station.step("3-4. TransactionEvent Updated RemoteStart with the idToken and remoteStartId"):
        token = station.tokens.valid.model_copy(update={"id_token": request["idToken"]["idToken"],
                                                        "type": request["idToken"]["type"]})
        await tx.event("Updated", "RemoteStart", ACCEPTED, id_token=token, charging_state="EVConnected",
                       remote_start_id=request["remoteStartId"])
    await states.station_energy_transfer(station, tx)
    await _end(station, tx)


@testcase("TC_F_02_CSMS", "Remote start transaction - Remote start first - AuthorizeRemoteStart is true",
          usecases=("F02",), requirements=("F02",))
async def test_TC_F_02_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    start = station.expect("RequestStartTransaction", {"idToken": {"idToken": ANY}, "remoteStartId": ANY},
                           respond={"status": "Accepted"})
    with station.step("Manual Action: trigger the CSMS to start a transaction"):
        await sut.trigger(station.identity, "RequestStartTransaction", _remote_start(station))
    with station.step("1-2. RequestStartTransactionRequest; Accepted"):
        request = (await station.received(start)).frame.payload  # type: ignore[union-attr]
    token = station.tokens.valid.model_copy(update={"id_token": request["idToken"]["idToken"],
                                                    "type": request["idToken"]["type"]})
    tx = station.transaction()
    with station.step("3-6. AuthorizeRequest (AuthorizeRemoteStart true) Accepted; Started RemoteStart"):
        await station.authorize(token, ACCEPTED)
        await tx.event("Started", "RemoteStart", ACCEPTED, id_token=token, charging_state="Idle",
                       remote_start_id=request["remoteStartId"])
    with station.step("7-10. The EV plugs in: Occupied; Updated CablePluggedIn"):
        await station.status(1, 1, "Occupied")
        await tx.event("Updated", "CablePluggedIn", NO_TOKEN_INFO, charging_state="EVConnected")
    await states.station_energy_transfer(station, tx)
    await _end(station, tx)


@testcase("TC_F_27_CSMS", "Trigger message - NotImplemented", usecases=("F06",), requirements=("F06",),
          notes="The station answers NotImplemented; the CSMS must take that answer (no CALLERROR, no retry storm).")
async def test_TC_F_27_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    trigger = station.expect("TriggerMessage", {"requestedMessage": ANY}, respond={"status": "NotImplemented"})
    with station.step("Manual Action: trigger the CSMS to send a TriggerMessageRequest"):
        await sut.trigger(station.identity, "TriggerMessage", {"requestedMessage": "LogStatusNotification"})
    with station.step("1-2. TriggerMessageRequest; the station responds NotImplemented"):
        await station.received(trigger)
    with station.step("3. The CSMS still answers the station normally"):
        await station.call_ok("Heartbeat", {}, {"currentTime": ANY})


# ---- G Availability ----------------------------------------------------------------------------------------------
def _change(evse: int, status: str) -> dict[str, object]:
    return {"operationalStatus": status, "evse": {"id": evse}}


async def _operative_again(station: StationRole, sut: CsmsControl) -> None:
    back = station.expect("ChangeAvailability", {"operationalStatus": "Operative"}, respond={"status": "Accepted"})
    with station.step("Cleanup: trigger the CSMS to make EVSE 1 operative again"):
        await sut.trigger(station.identity, "ChangeAvailability", _change(1, "Operative"))
        await station.received(back)
        await station.status(1, 1, "Available")


@testcase("TC_G_03_CSMS", "Change Availability EVSE - Operative to inoperative", usecases=("G03",),
          requirements=("G03",))
async def test_TC_G_03_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    change = station.expect("ChangeAvailability", {"operationalStatus": "Inoperative", "evse": {"id": 1}},
                            respond={"status": "Accepted"})
    with station.step("Manual Action: trigger the CSMS to make EVSE 1 inoperative"):
        await sut.trigger(station.identity, "ChangeAvailability", _change(1, "Inoperative"))
    with station.step("1-2. ChangeAvailabilityRequest Inoperative for EVSE 1; Accepted"):
        await station.received(change)
    with station.step("3-4. StatusNotification Unavailable; the CSMS confirms"):
        await station.status(1, 1, "Unavailable")
    await _operative_again(station, sut)


@testcase("TC_G_11_CSMS", "Change Availability EVSE - With ongoing transaction", usecases=("G03",),
          requirements=("G03",))
async def test_TC_G_11_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    tx = await states.station_ev_connected(station)
    await states.station_authorized(station, tx)
    change = station.expect("ChangeAvailability", {"operationalStatus": "Inoperative", "evse": {"id": 1}},
                            respond={"status": "Scheduled"})
    with station.step("Manual Action: trigger the CSMS to make EVSE 1 inoperative during the transaction"):
        await sut.trigger(station.identity, "ChangeAvailability", _change(1, "Inoperative"))
    with station.step("1-2. ChangeAvailabilityRequest Inoperative; the station responds Scheduled"):
        await station.received(change)
    with station.step("3-6. The transaction ends; StatusNotification Unavailable"):
        await tx.event("Ended", "EVCommunicationLost", {}, charging_state="Idle", stopped_reason="EVDisconnected")
        await station.status(1, 1, "Unavailable")
    await _operative_again(station, sut)


# ---- J Meter values -------------------------------------------------------------------------------------------------
@testcase("TC_J_01_CSMS", "Clock-aligned Meter Values - No transaction ongoing", usecases=("J01",),
          requirements=("J01",))
async def test_TC_J_01_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    for evse in (0, 1):
        with station.step(f"MeterValuesRequest for EVSE {evse}, context Sample.Clock; the CSMS confirms"):
            await station.call_ok("MeterValues", {"evseId": evse, "meterValue": [{"timestamp": now_iso(), "sampledValue": [
                {"value": 1234.5, "context": "Sample.Clock", "measurand": "Energy.Active.Import.Register"}]}]}, {})

