"""Part 6 reusable states, written once and used by Python and YAML test cases alike.

Each state takes the conversation of the test and the SUT's control adapter, and works in both roles:
- SUT = station (`CsmsRole`): the harness performs the manual action through the adapter and waits for what the
  station must send; the harness CSMS answers by the profile's token list. Which TransactionEvent comes follows the
  TxCtrlr start/stop points the test configured (`csms.configure`), as Part 6's tool validations do.
- SUT = CSMS (`StationRole`): the harness's station sends what a station in that state sends, with Part 6 §3.1's
  configuration (TxStartPoint EVConnected,Authorized; TxStopPoint EVConnected; AuthorizeRemoteStart false), and
  checks the CSMS's answers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from harness.control import CsmsControl, StationControl
from harness.matchers import ANY, AbsentOr, OneOf
from harness.ocppj import Call
from harness.profile import IdToken
from harness.roles.csms import CsmsRole
from harness.roles.station import StationRole, StationTransaction
from harness.transcript import Record

Conversation = CsmsRole | StationRole
Control = StationControl | CsmsControl


# ---- Booted ---------------------------------------------------------------------------------------------------------
async def booted(csms: CsmsRole, sut: StationControl) -> None:
    """Reusable State *Booted* (SUT = station): connected and accepted; else power cycle and accept the boot."""
    if csms.is_booted():
        return
    with csms.step("Reusable state Booted: power cycle, accept BootNotification"):
        boot = csms.expect("BootNotification", respond=lambda _: csms.boot_response("Accepted"))
        await sut.power_cycle()
        await csms.received(boot)
        await csms.receive("StatusNotification", {"connectorStatus": ANY})


async def station_booted(station: StationRole) -> None:
    """Reusable State *Booted* (SUT = CSMS): the harness's station connects, boots Accepted, reports connectors."""
    with station.step("Reusable state Booted: connect, BootNotification Accepted, StatusNotification"):
        await station.connect()
        await station.boot("PowerUp", {"status": "Accepted"})
        await station.report_connectors()


async def any_booted(conv: Conversation, sut: Control) -> None:
    if isinstance(conv, CsmsRole):
        await booted(conv, sut)  # type: ignore[arg-type]
    else:
        await station_booted(conv)


# ---- SUT = station ----------------------------------------------------------------------------------------------
def _tx_event(csms: CsmsRole, fields: dict[str, Any], what: str, after: Record | None) -> Awaitable[Record]:
    return csms.receive("TransactionEvent", fields, description=f"TransactionEvent {what}", after=after)


async def ev_connected_pre_session(csms: CsmsRole, sut: StationControl, evse: int = 1, connector: int = 1) -> Record:
    """*EVConnectedPreSession*: the EV is plugged in; connector Occupied; a transaction starts here when
    TxStartPoint has EVConnected, one already running (authorized first) reports CablePluggedIn. Returns the
    StatusNotification."""
    with csms.step(f"Reusable state EVConnectedPreSession: connect the EV at EVSE {evse}"):
        mark = csms.mark()
        running = csms.transaction_on(evse)
        await sut.plug_in(evse, connector)
        status = await csms.receive("StatusNotification", {"evseId": evse, "connectorId": connector,
                                                           "connectorStatus": "Occupied"}, after=mark)
        if running is not None:
            await _tx_event(csms, {"eventType": "Updated", "triggerReason": "CablePluggedIn",
                                   "transactionInfo": {"transactionId": running}}, "Updated CablePluggedIn", mark)
        elif "EVConnected" in csms.tx_start_points:
            await _tx_event(csms, {"eventType": "Started", "triggerReason": "CablePluggedIn",
                                   "evse": {"id": evse, "connectorId": connector}}, "Started CablePluggedIn", mark)
        return status


REMOTE_START_ID = 4242  # remoteStartId of the RequestStartTransaction a `remote_start` profile gets


def _remote(csms: CsmsRole, local: bool) -> bool:
    """Whether the driver's part is played remotely: the profile says so (`control.remote_start`, for a station
    without a reader the lab can reach) and the case does not test the token reader itself (`local`)."""
    return csms.profile.control.remote_start and not local


async def authorized(csms: CsmsRole, sut: StationControl, token: IdToken | None = None, evse: int = 1, *,
                     authorize: bool = True, local: bool = False) -> Record | None:
    """*Authorized*: a valid token is presented; AuthorizeRequest (unless `authorize=False`: cached / local list
    with LocalPreAuthorize), then the TransactionEvent carrying the idToken: Updated Authorized on a running
    transaction, Started Authorized when TxStartPoint has Authorized (or PowerPathClosed with the EV plugged in).
    With a `remote_start` profile (and not `local`), Part 6's alternative: RequestStartTransaction instead, and
    the event's triggerReason is RemoteStart (AuthorizeRequest only if the station's AuthorizeRemoteStart asks).
    Returns that TransactionEvent, if one is due."""
    token = token or csms.tokens.valid
    remote = _remote(csms, local)
    action = "RequestStartTransaction" if remote else f"present idToken {token.id_token}"
    with csms.step(f"Reusable state Authorized: {action}"):
        mark = csms.mark()
        running = csms.transaction_on(evse)
        if remote:
            await csms.call_ok("RequestStartTransaction", {"idToken": token.wire(), "evseId": evse,
                                                           "remoteStartId": REMOTE_START_ID}, {"status": "Accepted"})
        else:
            await sut.present_token(token)
            if authorize:
                await csms.receive("Authorize", {"idToken": {"idToken": token.id_token}}, after=mark)
        fields: dict[str, Any] = {"triggerReason": "RemoteStart" if remote else "Authorized",
                                  "idToken": {"idToken": token.id_token}}
        if running is not None:
            return await _tx_event(csms, {**fields, "eventType": "Updated",
                                          "transactionInfo": {"transactionId": running}},
                                   f"Updated {fields['triggerReason']}", mark)
        plugged = _plugged(csms, evse)
        if "Authorized" in csms.tx_start_points or ("PowerPathClosed" in csms.tx_start_points and plugged):
            return await _tx_event(csms, {**fields, "eventType": "Started"}, f"Started {fields['triggerReason']}",
                                   mark)
        return None


def _plugged(csms: CsmsRole, evse: int) -> bool:
    """Whether the last StatusNotification of `evse` in this test says Occupied."""
    for record in reversed(csms.transcript.records):
        if record.action == "StatusNotification" and record.direction == "rx" and record.frame is not None:
            payload = getattr(record.frame, "payload", {})
            if payload.get("evseId") == evse:
                return bool(payload.get("connectorStatus") == "Occupied")
    return False


async def energy_transfer_started(csms: CsmsRole, sut: StationControl, evse: int = 1,
                                  after: Record | None = None) -> Record:
    """*EnergyTransferStarted*: a TransactionEvent of the EVSE's transaction with chargingState Charging (the EV
    and the authorization are there; the station closes the power path on its own)."""
    with csms.step(f"Reusable state EnergyTransferStarted: EVSE {evse} charging"):
        return await _tx_event(csms, {"eventType": OneOf("Started", "Updated"),
                                      "transactionInfo": {"chargingState": "Charging"}}, "chargingState Charging",
                               after)


async def energy_transfer_suspended(csms: CsmsRole, sut: StationControl, evse: int = 1) -> Record:
    """*EnergyTransferSuspended*: the EV stops drawing energy: Updated ChargingStateChanged SuspendedEV."""
    with csms.step(f"Reusable state EnergyTransferSuspended: the EV at EVSE {evse} pauses"):
        mark = csms.mark()
        await sut.suspend_ev(evse)
        return await _tx_event(csms, {"eventType": "Updated", "triggerReason": "ChargingStateChanged",
                                      "transactionInfo": {"chargingState": "SuspendedEV"}}, "SuspendedEV", mark)


async def stop_authorized(csms: CsmsRole, sut: StationControl, token: IdToken | None = None, evse: int = 1, *,
                          authorize: bool = False, local: bool = False) -> Record:
    """*StopAuthorized*: the token is presented again to stop (the starting token needs no AuthorizeRequest;
    another one of its group does, `authorize=True`). Ended StopAuthorized (stoppedReason Local or absent) when
    TxStopPoint has Authorized, else Updated StopAuthorized with the energy transfer stopped. With a
    `remote_start` profile (and not `local`): RequestStopTransaction, triggerReason RemoteStop, stoppedReason
    Remote."""
    token = token or csms.tokens.valid
    remote = _remote(csms, local)
    running = csms.transaction_on(evse)
    action = "RequestStopTransaction" if remote else f"present idToken {token.id_token} again"
    with csms.step(f"Reusable state StopAuthorized: {action}"):
        mark = csms.mark()
        if remote:
            if running is None:
                raise csms.failure(f"no transaction on EVSE {evse} to stop remotely", rules=("SEQ",))
            await csms.call_ok("RequestStopTransaction", {"transactionId": running}, {"status": "Accepted"})
        else:
            await sut.present_token(token)
            if authorize:
                await csms.receive("Authorize", {"idToken": {"idToken": token.id_token}}, after=mark)
        trigger = "RemoteStop" if remote else "StopAuthorized"
        fields: dict[str, Any] = {"triggerReason": trigger}
        if running is not None:
            fields["transactionInfo"] = {"transactionId": running}
        if "Authorized" in csms.tx_stop_points:
            fields["eventType"] = "Ended"
            fields.setdefault("transactionInfo", {})["stoppedReason"] = "Remote" if remote else AbsentOr("Local")
            return await _tx_event(csms, fields, f"Ended {trigger}", mark)
        fields["eventType"] = "Updated"
        return await _tx_event(csms, fields, f"Updated {trigger}", mark)


async def ev_connected_post_session(csms: CsmsRole, sut: StationControl, evse: int = 1) -> None:
    """*EVConnectedPostSession*: authorization ended, the EV still plugged in (StopAuthorized already did it; a
    state of its own because Part 6 names it)."""
    if csms.transaction_on(evse) is not None and "Authorized" not in csms.tx_stop_points:
        return
    with csms.step(f"Reusable state EVConnectedPostSession: EVSE {evse} idle with the EV plugged in"):
        csms.transcript.note("EVConnectedPostSession: no transaction running on the EVSE; the EV stays plugged in")


async def ev_disconnected(csms: CsmsRole, sut: StationControl, evse: int = 1, connector: int = 1) -> Record:
    """*EVDisconnected*: the cable is unplugged; connector Available; a running transaction ends (EVDisconnected,
    when TxStopPoint has EVConnected) or reports EVCommunicationLost. Returns the StatusNotification."""
    with csms.step(f"Reusable state EVDisconnected: unplug the EV at EVSE {evse}"):
        mark = csms.mark()
        running = csms.transaction_on(evse)
        await sut.unplug(evse, connector)
        if running is not None:
            ends = "EVConnected" in csms.tx_stop_points or "PowerPathClosed" in csms.tx_stop_points
            fields: dict[str, Any] = {"triggerReason": "EVCommunicationLost", "eventType": "Ended" if ends else "Updated",
                                      "transactionInfo": {"transactionId": running}}
            if ends:
                fields["transactionInfo"]["stoppedReason"] = "EVDisconnected"
            await _tx_event(csms, fields, f"{fields['eventType']} EVCommunicationLost", mark)
        return await csms.receive("StatusNotification", {"evseId": evse, "connectorId": connector,
                                                         "connectorStatus": "Available"}, after=mark)


async def parking_bay_unoccupied(csms: CsmsRole, sut: StationControl, evse: int = 1) -> None:
    """*ParkingBayUnoccupied*: only observable with a parking-bay detector (TxStopPoint ParkingBayOccupancy);
    without one, Part 6 has nothing to check."""
    with csms.step("Reusable state ParkingBayUnoccupied"):
        if "ParkingBayOccupancy" in csms.tx_stop_points:
            raise csms.failure("ParkingBayOccupancy stop points need a bay detector the control adapters do not "
                               "drive yet", rules=("SEQ",))
        csms.transcript.note("ParkingBayUnoccupied: no parking bay detector configured; nothing to observe")


async def return_to_idle(csms: CsmsRole, sut: StationControl, within: float) -> list[str]:
    """After a case that failed half-way: bring the station back to idle (no transaction, cables out, no fault,
    operative), so the next case fails only for its own reasons. Best effort within `within` seconds; never
    raises (the case's own failure is the verdict). Returns what it did or could not do, for the report."""
    done: list[str] = []
    if not csms.is_booted():
        return ["the station is not connected and booted: the next case's Booted state power-cycles it"]
    last: dict[tuple[int, int], str] = {}
    for record in csms.transcript.records:
        if record.direction == "rx" and record.action == "StatusNotification" and isinstance(record.frame, Call):
            payload = record.frame.payload
            if isinstance(payload.get("evseId"), int) and isinstance(payload.get("connectorId"), int):
                last[(payload["evseId"], payload["connectorId"])] = str(payload.get("connectorStatus"))
    mark = csms.mark()
    try:
        async with asyncio.timeout(within):
            for evse, tx_id in sorted(csms.evse_transaction.items()):
                await csms.call("RequestStopTransaction", {"transactionId": tx_id})
                done.append(f"RequestStopTransaction for transaction {tx_id} on EVSE {evse}")
            waiting: set[tuple[int, int]] = set()
            for (evse, connector), status in sorted(last.items()):
                if status == "Occupied":
                    await sut.unplug(evse, connector)
                elif status == "Faulted":
                    await sut.set_fault(evse, connector, False)
                elif status == "Unavailable":
                    await csms.call("ChangeAvailability", {"operationalStatus": "Operative", "evse": {"id": evse}})
                else:
                    continue
                done.append(f"EVSE {evse} connector {connector} was {status}")
                waiting.add((evse, connector))
            for evse, connector in sorted(waiting):
                await csms.receive("StatusNotification", {"evseId": evse, "connectorId": connector,
                                                          "connectorStatus": "Available"}, after=mark)
    except Exception as exc:  # cleanup after a failure reports; it never replaces the verdict
        done.append(f"could not finish ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}); "
                    "the next case may find the station busy")
    return done


# ---- SUT = CSMS ---------------------------------------------------------------------------------------------------
async def station_ev_connected(station: StationRole, evse: int = 1, connector: int = 1) -> StationTransaction:
    """*EVConnectedPreSession* as the harness's station: Occupied, then TransactionEvent Started CablePluggedIn
    (TxStartPoint EVConnected). Returns the transaction."""
    with station.step(f"Reusable state EVConnectedPreSession: the station's EV plugs in at EVSE {evse}"):
        await station.status(evse, connector, "Occupied")
        tx = station.transaction(evse, connector)
        await tx.event("Started", "CablePluggedIn", {}, charging_state="EVConnected")
        return tx


async def station_authorized(station: StationRole, tx: StationTransaction | None = None,
                             token: IdToken | None = None) -> None:
    """*Authorized* as the harness's station: AuthorizeRequest Accepted, then (in a transaction) Updated
    Authorized with the idToken, whose idTokenInfo must be Accepted too."""
    token = token or station.tokens.valid
    with station.step(f"Reusable state Authorized: idToken {token.id_token}"):
        await station.authorize(token, {"idTokenInfo": {"status": "Accepted"}})
        if tx is not None:
            await tx.event("Updated", "Authorized", {"idTokenInfo": {"status": "Accepted"}}, id_token=token,
                           charging_state="EVConnected")


async def station_energy_transfer(station: StationRole, tx: StationTransaction) -> None:
    """*EnergyTransferStarted* as the harness's station: Updated ChargingStateChanged, Charging."""
    with station.step("Reusable state EnergyTransferStarted"):
        await tx.event("Updated", "ChargingStateChanged", {}, charging_state="Charging")


async def station_stop_authorized(station: StationRole, tx: StationTransaction) -> None:
    """*StopAuthorized* as the harness's station (TxStopPoint EVConnected: the transaction goes on until unplug)."""
    with station.step("Reusable state StopAuthorized"):
        await tx.event("Updated", "StopAuthorized", {}, charging_state="EVConnected")


async def station_ev_disconnected(station: StationRole, tx: StationTransaction) -> None:
    """*EVDisconnected* as the harness's station: Ended EVCommunicationLost / EVDisconnected, then Available."""
    with station.step("Reusable state EVDisconnected"):
        await tx.event("Ended", "EVCommunicationLost", {}, charging_state="Idle", stopped_reason="EVDisconnected")
        await station.status(tx.evse, tx.connector, "Available")


# The states by their Part 6 names, for YAML scenarios: (SUT = station, SUT = CSMS) implementations.
StateFn = Callable[..., Awaitable[Any]]
STATES: dict[str, StateFn] = {
    "Booted": any_booted,
    "EVConnectedPreSession": ev_connected_pre_session,
    "Authorized": authorized,
    "EnergyTransferStarted": energy_transfer_started,
    "EnergyTransferSuspended": energy_transfer_suspended,
    "StopAuthorized": stop_authorized,
    "EVConnectedPostSession": ev_connected_post_session,
    "EVDisconnected": ev_disconnected,
    "ParkingBayUnoccupied": parking_bay_unoccupied,
}
