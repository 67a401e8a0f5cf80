"""Block F Remote control, SUT = CSMS, as the Part 6 tables run them: the remote start before the EV (F02) with
and without the cable plug-in timeout, and TriggerMessage (F06). The harness plays a Charging Station configured
as Part 6 §3.1 says (TxStartPoint EVConnected,Authorized; AuthorizeRemoteStart false) at the profile's
<Configured evseId / connectorId>. The CSMS sends its requests when the operator asks it to (the control adapter's
trigger): the F06 tables start with "the CSMS sends", which a CSMS only does when told. TC_F_01/02/27_CSMS are in
test_transactions_csms.py, TC_F_06_CSMS is a YAML scenario.
"""

from __future__ import annotations

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

REMOTE_START_ID = 4712  # what the harness asks the operator to use; the CSMS's own value is the one that counts


def _check(station: StationRole, action: str, wanted: dict[str, Any], request: dict[str, Any], what: str) -> None:
    problems = difference(wanted, request)
    if problems:
        raise station.failure(f"{action}Request does not {what}", message="\n".join(problems),
                              expected=repr(wanted), actual=repr(request)[:400], rules=("SEQ",))


# ---- F02 remote start first -----------------------------------------------------------------------------------------
async def _remote_start(station: StationRole, sut: CsmsControl) -> tuple[StationTransaction, dict[str, Any]]:
    """Manual Action and steps 1-4: the CSMS's RequestStartTransactionRequest must carry the configured valid
    idToken; the harness answers Accepted (transactionId omitted) and reports the transaction Started with
    triggerReason RemoteStart and the CSMS's remoteStartId (the EV is not there yet)."""
    token = station.tokens.valid
    start = station.expect("RequestStartTransaction", respond={"status": "Accepted"})
    with station.step("Manual Action: trigger the CSMS to request the Charging Station to start a transaction"):
        await sut.trigger(station.identity, "RequestStartTransaction", {
            "idToken": token.wire(), "remoteStartId": REMOTE_START_ID, "evseId": station.configured.evse_id})
    with station.step("1-2. RequestStartTransactionRequest with the configured valid idToken; the harness responds "
                      "Accepted, transactionId omitted"):
        request: dict[str, Any] = dict((await station.received(start)).frame.payload)  # type: ignore[union-attr]
        _check(station, "RequestStartTransaction", {"idToken": {"idToken": token.id_token, "type": token.type}},
               request, "carry the configured valid idToken")
    tx = station.transaction(station.configured.evse_id, station.configured.connector_id)
    with station.step("3-4. TransactionEvent Started, triggerReason RemoteStart, with the CSMS's remoteStartId; the "
                      "CSMS responds"):
        await tx.event("Started", "RemoteStart", {}, id_token=token, charging_state="Idle",
                       remote_start_id=request.get("remoteStartId"))
    return tx, request


@testcase("TC_F_03_CSMS")
async def test_TC_F_03_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    tx, _ = await _remote_start(station, sut)
    await states.station_energy_transfer(station, tx)  # 5 (authorized, EV not connected: parts 1 and 2)


@testcase("TC_F_04_CSMS")
async def test_TC_F_04_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    tx, _ = await _remote_start(station, sut)
    await station.hold(station.configured.transaction_duration, "the configured Transaction Duration")
    with station.step("5-6. TransactionEvent Updated, triggerReason EVConnectTimeout; the CSMS responds"):
        await tx.event("Updated", "EVConnectTimeout", {}, charging_state="Idle")


# ---- F06 TriggerMessage ---------------------------------------------------------------------------------------------
async def _triggered(station: StationRole, sut: CsmsControl, requested: str, evse: dict[str, int] | None = None) -> None:
    """Manual Action and steps 1-2: the CSMS's TriggerMessageRequest must request `requested` (for `evse`'s id where
    the table names one); the harness answers Accepted."""
    where = f" for EVSE {evse['id']}" + (f" connector {evse['connectorId']}" if "connectorId" in evse else "") \
        if evse is not None else ""
    trigger = station.expect("TriggerMessage", respond={"status": "Accepted"})
    with station.step(f"Manual Action: trigger the CSMS to request a {requested}{where}"):
        await sut.trigger(station.identity, "TriggerMessage",
                          {"requestedMessage": requested, **({"evse": evse} if evse is not None else {})})
    with station.step(f"1-2. TriggerMessageRequest requestedMessage {requested}{where}; the harness responds "
                      "Accepted"):
        request = dict((await station.received(trigger)).frame.payload)  # type: ignore[union-attr]
        wanted: dict[str, Any] = {"requestedMessage": requested}
        if evse is not None:
            wanted["evse"] = {"id": evse["id"]}
        _check(station, "TriggerMessage", wanted, request,
               f"request {requested}" + (f" with evse.id {evse['id']}" if evse is not None else ""))


def _meter_values(evse: int) -> dict[str, Any]:
    return {"evseId": evse, "meterValue": [{"timestamp": now_iso(), "sampledValue": [
        {"value": 1234.0, "context": "Trigger", "measurand": "Energy.Active.Import.Register",
         "unitOfMeasure": {"unit": "Wh"}}]}]}


@testcase("TC_F_11_CSMS")
async def test_TC_F_11_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    evse = station.configured.evse_id
    await _triggered(station, sut, "MeterValues", {"id": evse})
    with station.step(f"3-4. MeterValuesRequest evseId {evse}, context Trigger; the CSMS responds"):
        await station.call_ok("MeterValues", _meter_values(evse), {})


@testcase("TC_F_12_CSMS",
          notes="Part 6 sends the MeterValues \"with evseId omitted\"; evseId is required by the schema, so the "
                "harness's station sends one per EVSE with its id (the step runs for every EVSE).")
async def test_TC_F_12_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    await _triggered(station, sut, "MeterValues")
    for evse in range(1, len(station.evses) + 1):
        with station.step(f"3-4. MeterValuesRequest of EVSE {evse}, context Trigger; the CSMS responds"):
            await station.call_ok("MeterValues", _meter_values(evse), {})


async def _energy_transfer_started(station: StationRole) -> StationTransaction:
    """Reusable state EnergyTransferStarted from Booted: Authorized (Started), then parts 1 and 2."""
    tx = station.transaction(station.configured.evse_id, station.configured.connector_id)
    await states.station_authorized(station, tx)
    await states.station_energy_transfer(station, tx)
    return tx


async def _triggered_event(station: StationRole, tx: StationTransaction, *, with_evse: bool) -> None:
    """Steps 3-4 of TC_F_13/14_CSMS: TransactionEvent Updated, triggerReason Trigger, Charging, a meter value with
    context Trigger (with or without the EVSE)."""
    payload = tx.payload("Updated", "Trigger", charging_state="Charging", with_evse=with_evse)
    payload["meterValue"][0]["sampledValue"][0]["context"] = "Trigger"
    if not with_evse:
        payload.pop("evse", None)
    where = f"evse.id {tx.evse}" if with_evse else "evse omitted"
    with station.step(f"3-4. TransactionEventRequest {where}, triggerReason Trigger, chargingState Charging, "
                      "meterValue with context Trigger; the CSMS responds"):
        await station.call_ok("TransactionEvent", payload, {})


@testcase("TC_F_13_CSMS")
async def test_TC_F_13_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    tx = await _energy_transfer_started(station)
    await _triggered(station, sut, "TransactionEvent", {"id": tx.evse})
    await _triggered_event(station, tx, with_evse=True)


@testcase("TC_F_14_CSMS")
async def test_TC_F_14_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    tx = await _energy_transfer_started(station)  # the harness's station charges on one EVSE: one event
    await _triggered(station, sut, "TransactionEvent")
    await _triggered_event(station, tx, with_evse=False)


@testcase("TC_F_15_CSMS")
async def test_TC_F_15_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    await _triggered(station, sut, "LogStatusNotification")
    with station.step("3-4. LogStatusNotificationRequest status Idle; the CSMS responds"):
        await station.call_ok("LogStatusNotification", {"status": "Idle"}, {})


@testcase("TC_F_18_CSMS")
async def test_TC_F_18_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    await _triggered(station, sut, "FirmwareStatusNotification")
    with station.step("3-4. FirmwareStatusNotificationRequest status Idle; the CSMS responds"):
        await station.call_ok("FirmwareStatusNotification", {"status": "Idle"}, {})


@testcase("TC_F_20_CSMS")
async def test_TC_F_20_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    await _triggered(station, sut, "Heartbeat")
    with station.step("3-4. HeartbeatRequest; the CSMS responds"):
        await station.call_ok("Heartbeat", {})


async def _connector_status(station: StationRole, numbers: str, state: str) -> None:
    evse, connector = station.configured.evse_id, station.configured.connector_id
    with station.step(f"{numbers}. StatusNotificationRequest {state} for EVSE {evse} connector {connector}; the CSMS "
                      "responds"):
        await station.status(evse, connector, state)


@testcase("TC_F_23_CSMS")
async def test_TC_F_23_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    await _triggered(station, sut, "StatusNotification",
                     {"id": station.configured.evse_id, "connectorId": station.configured.connector_id})
    await _connector_status(station, "3-4", "Available")


@testcase("TC_F_24_CSMS")
async def test_TC_F_24_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    await _connector_status(station, "1-2", "Occupied")
    await _triggered(station, sut, "StatusNotification",
                     {"id": station.configured.evse_id, "connectorId": station.configured.connector_id})
    await _connector_status(station, "5-6", "Occupied")
