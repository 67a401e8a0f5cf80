"""Part 6 reusable states, written once and used by Python and YAML test cases alike.

Each state takes the conversation of the test and the SUT's control adapter, and works in both roles:
- SUT = station (`CsmsRole`, Part 6 §2.18): the harness performs the manual action through the adapter and waits
  for what the station must send, as the state's tool validations accept it. The states adapt to the station:
  its own TxCtrlr start and stop points decide which TransactionEvents come (read from the station, or as the case
  configured them), connector states may come as StatusNotification or NotifyEvent, and optional steps are
  optional. The harness CSMS answers by the profile's token list.
- SUT = CSMS (`StationRole`, Part 6 §3.18): the harness's station sends what a station in that state sends, with
  Part 6 §3.1's configuration (TxStartPoint EVConnected,Authorized; TxStopPoint EVConnected; AuthorizeRemoteStart
  false), and checks the CSMS's answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from harness.control import CsmsControl, StationControl
from harness.errors import ConfigError, PreconditionNotMet
from harness.failures import OcppFailure
from harness.matchers import ABSENT, ANY, AbsentOr, OneOf, difference
from harness.ocppj import Call
from harness.ocppj.monitor import connector_reports
from harness.pki import CsrRejected, PkiFactory, certificate_info, chain_problems, same_hash, split_pem
from harness.profile import IdToken
from harness.roles.configuration import IfImplemented
from harness.roles.csms import CsmsRole
from harness.roles.station import StationRole, StationTransaction
from harness.transcript import Record

Conversation = CsmsRole | StationRole
Control = StationControl | CsmsControl
How = Literal["default", "local", "remote"]  # Authorized / StopAuthorized: Main A (local), Main B (remote)

# ---- Booted ---------------------------------------------------------------------------------------------------------
async def booted(csms: CsmsRole, sut: StationControl, *, reset: str | None = None,
                 power_cycle: bool = False) -> None:
    """Reusable State *Booted* (SUT = station, Table 423). Part 6 §2.1 already asks for an accepted station with a
    stable connection, so a station in that state stays as it is (unless the case resets it: `reset` = the
    ResetRequest type of steps 1-2; `power_cycle`: the case's manual action). A station that is reconnecting is
    waited for (its back-off), then one that is still not accepted is power cycled. Steps 3-8: BootNotification
    (Accepted), the state of every connector (Available; StatusNotification or NotifyEvent),
    SecurityEventNotification StartupOfTheDevice or ResetOrReboot."""
    fresh = reset is not None or power_cycle
    if not fresh and not csms.is_booted() and csms.connection is None:
        await csms.await_reconnect()
    if not fresh and csms.is_booted():
        return
    how = f"ResetRequest {reset}" if reset else "power cycle"
    with csms.step(f"Reusable state Booted: {how}, BootNotification Accepted, connectors, security event"):
        mark = csms.mark()
        boot = csms.expect("BootNotification", respond=lambda _: csms.boot_response("Accepted"), after=mark,
                           answer_near_miss=True)
        statuses = csms.expect_connector_status("Available", after=mark)
        event = csms.expect("SecurityEventNotification", {"type": OneOf("StartupOfTheDevice", "ResetOrReboot")},
                            after=mark, shared=True,
                            description="SecurityEventNotification StartupOfTheDevice or ResetOrReboot")
        if reset:
            await csms.call_ok("Reset", {"type": reset}, {"status": "Accepted"})
        else:
            await sut.power_cycle()
        await csms.received(boot, within=csms.reboot_wait())
        for exp in statuses:
            await csms.received(exp)
        await csms.received(event)


async def station_booted(station: StationRole) -> dict[str, Any]:
    """Reusable State *Booted* (SUT = CSMS, Table 698): the harness's station connects, boots (reason PowerUp,
    the configured model and vendor) Accepted, reports connectors. Returns the BootNotificationResponse."""
    with station.step("Reusable state Booted: connect, BootNotification Accepted, StatusNotification"):
        await station.connect()
        answer = await station.boot("PowerUp", {"status": "Accepted"})
        await station.report_connectors()
        return answer


async def any_booted(conv: Conversation, sut: Control) -> None:
    if isinstance(conv, CsmsRole):
        await booted(conv, sut)  # type: ignore[arg-type]
    else:
        await station_booted(conv)


# ---- SUT = station: the transaction states -------------------------------------------------------------------------
def _where(csms: CsmsRole, evse: int | None, connector: int | None) -> tuple[int, int]:
    """The EVSE and connector a state acts on: the case's, else the profile's <Configured evseId/connectorId>."""
    return (evse if evse is not None else csms.configured.evse_id,
            connector if connector is not None else csms.configured.connector_id)


def _tx_event(csms: CsmsRole, fields: dict[str, Any], what: str, after: Record | None,
              within: float | None = None) -> Awaitable[Record]:
    return csms.receive("TransactionEvent", fields, description=f"TransactionEvent {what}", after=after,
                        within=within)


def _remote(csms: CsmsRole, how: How) -> bool:
    """Main B (remote) or Main A (local) of Authorized / StopAuthorized: the case's choice, else the profile's
    default (`control.remote_start`, for a station whose reader the lab cannot reach)."""
    return how == "remote" or (how == "default" and csms.profile.control.remote_start)


async def ev_connected_pre_session(csms: CsmsRole, sut: StationControl, evse: int | None = None,
                                   connector: int | None = None, *, lock_fails: bool = False) -> Record:
    """*EVConnectedPreSession* (Table 427): the EV is plugged in; the connector is reported Occupied; a
    TransactionEvent follows when TxStartPoint has EVConnected (Started), when a transaction already runs
    (Updated), or when the driver is already authorized and TxStartPoint has PowerPathClosed (Started):
    triggerReason CablePluggedIn, ChargingStateChanged or RemoteStart, chargingState EVConnected (SuspendedEVSE
    or Charging too when authorized), with the EVSE and connector. Returns the connector-state record.
    `lock_fails`: the cable goes in not fully, so it cannot be locked (TC_G_20_CS)."""
    evse, connector = _where(csms, evse, connector)
    start, _ = await csms.tx_points()
    with csms.step(f"Reusable state EVConnectedPreSession: connect the EV at EVSE {evse} connector {connector}"):
        if "ParkingBayOccupancy" in start:
            csms.transcript.note("ParkingBayOccupied is optional in Part 6 (no bay sensor is driven): skipped")
        mark = csms.mark()
        running = csms.transaction_on(evse)
        authorized = evse in csms.authorized
        occupied = csms.expect_status(evse, connector, "Occupied", after=mark)
        if lock_fails:
            await sut.plug_in(evse, connector, lock_fails=True)
        else:
            await sut.plug_in(evse, connector)
        status = await csms.received(occupied)
        fields: dict[str, Any] = {
            "triggerReason": OneOf("CablePluggedIn", "ChargingStateChanged", "RemoteStart"),
            "evse": {"id": evse, "connectorId": connector},
            "transactionInfo": {"chargingState": OneOf("EVConnected", "SuspendedEVSE", "Charging") if authorized
                                else "EVConnected"}}
        if running is not None:
            fields["transactionInfo"]["transactionId"] = running
            await _tx_event(csms, {**fields, "eventType": "Updated"}, "Updated, the EV connected", mark)
        elif "EVConnected" in start or (authorized and "PowerPathClosed" in start):
            await _tx_event(csms, {**fields, "eventType": "Started"}, "Started, the EV connected", mark)
        return status


REMOTE_START_ID = 4242  # remoteStartId of the RequestStartTransaction of Authorized Main B


async def authorized(csms: CsmsRole, sut: StationControl, token: IdToken | None = None, evse: int | None = None,
                     *, authorize: bool = True, local: bool = False, how: How = "default",
                     charging_profile: dict[str, Any] | None = None, power_path: bool = True) -> Record | None:
    """*Authorized* (Table 428; errata 2024-11 for Main B). Main A (local): the token is presented; an
    AuthorizeRequest follows unless the token needs none (`authorize=False`: cached, local list; also optional
    when the station's LocalPreAuthorize is true or AuthCtrlr.Enabled false); then the TransactionEvent with
    triggerReason Authorized and the idToken. Main B (remote, `how="remote"` or the profile's default unless
    `local`): RequestStartTransaction Accepted (with the running transaction's id when one runs), an
    AuthorizeRequest when AuthorizeRemoteStart is true, then the TransactionEvent with triggerReason RemoteStart,
    remoteStartId and the idToken. The event comes when TxStartPoint has Authorized, when a transaction runs
    (Updated), or when the EV is plugged in and TxStartPoint has PowerPathClosed (Started). Returns that event.
    `charging_profile`: sent with the RequestStartTransaction (TC_K_38_CS); `power_path=False`: the power path
    cannot close (TC_G_20_CS's cable that does not lock), so PowerPathClosed starts nothing."""
    token = token or csms.tokens.valid
    reader = evse  # a token presented for a named EVSE goes to that EVSE's reader (several EVSEs in one case)
    evse, connector = _where(csms, evse, None)
    remote = _remote(csms, "local" if local else how)
    start, _ = await csms.tx_points()
    action = "RequestStartTransaction" if remote else f"present idToken {token.id_token}"
    with csms.step(f"Reusable state Authorized: {action}"):
        mark = csms.mark()
        running = csms.transaction_on(evse)
        plugged = csms.connector_state(evse, connector) == "Occupied"
        flags = await csms.configuration.read("AuthCtrlr.LocalPreAuthorize", "AuthCtrlr.Enabled",
                                              "AuthCtrlr.AuthorizeRemoteStart")
        # shared: observed, never claimed, so that when it is not awaited it cannot take a later case's Authorize
        auth = csms.expect("Authorize", {"idToken": {"idToken": token.id_token, "type": token.type}}, after=mark,
                           shared=True)
        if remote:
            request = {"idToken": token.wire(), "evseId": evse, "remoteStartId": REMOTE_START_ID,
                       **({"chargingProfile": charging_profile} if charging_profile is not None else {})}
            answer = await csms.call_ok("RequestStartTransaction", request, {"status": "Accepted"})
            if running is not None and answer.get("transactionId") != running:
                raise csms.failure("RequestStartTransactionResponse does not name the running transaction",
                                   expected=f"transactionId {running!r}", actual=repr(answer.get("transactionId")),
                                   rules=("SEQ",))
            needs_authorize = flags["AuthCtrlr.AuthorizeRemoteStart"] == "true"
        else:
            await sut.present_token(token, reader)
            needs_authorize = authorize
        if needs_authorize and flags["AuthCtrlr.LocalPreAuthorize"] != "true" and flags["AuthCtrlr.Enabled"] != "false":
            await csms.received(auth)
        csms.authorized[evse] = token
        fields: dict[str, Any] = {"triggerReason": "RemoteStart" if remote else "Authorized",
                                  "idToken": {"idToken": token.id_token, "type": token.type}}
        if remote:
            fields["transactionInfo"] = {"remoteStartId": ANY}
        what = fields["triggerReason"]
        if running is not None:
            fields.setdefault("transactionInfo", {})["transactionId"] = running
            return await _tx_event(csms, {**fields, "eventType": "Updated"}, f"Updated {what}", mark)
        if "Authorized" in start or (plugged and power_path and "PowerPathClosed" in start):
            return await _tx_event(csms, {**fields, "eventType": "Started"}, f"Started {what}", mark)
        return None


async def energy_transfer_started(csms: CsmsRole, sut: StationControl, evse: int | None = None,
                                  after: Record | None = None, *, connector: int | None = None) -> Record:
    """*EnergyTransferStarted* (Table 430): authorized first (the Authorized state, when the case has not), the
    EV connected (part 1: EVConnectedPreSession, when it is not), then (part 2) a SignedDataReceived event when
    TxStartPoint has DataSigned and no transaction runs yet, and the TransactionEvent with triggerReason
    ChargingStateChanged and chargingState Charging (Started when no transaction runs yet). `after` is kept for
    older callers; the charging event is matched on the EVSE's transaction instead. Returns the charging event."""
    evse, connector = _where(csms, evse, connector)
    if evse not in csms.authorized:
        await authorized(csms, sut, evse=evse)
    if csms.connector_state(evse, connector) != "Occupied":
        await ev_connected_pre_session(csms, sut, evse, connector)
    start, _ = await csms.tx_points()
    with csms.step(f"Reusable state EnergyTransferStarted: EVSE {evse} charging"):
        running = csms.transaction_on(evse)
        fields: dict[str, Any] = {"triggerReason": "ChargingStateChanged",
                                  "transactionInfo": {"chargingState": "Charging"}}
        if running is None:
            if "DataSigned" in start:
                await _tx_event(csms, {"triggerReason": "SignedDataReceived"}, "SignedDataReceived", after)
                running = csms.transaction_on(evse)
        if running is not None:
            fields["transactionInfo"]["transactionId"] = running
            return await _tx_event(csms, {**fields, "eventType": OneOf("Started", "Updated")},
                                   "ChargingStateChanged, Charging", None)
        return await _tx_event(csms, {**fields, "eventType": "Started", "evse": {"id": evse}},
                               "Started ChargingStateChanged, Charging", after)


async def energy_transfer_suspended(csms: CsmsRole, sut: StationControl, evse: int | None = None) -> Record:
    """*EnergyTransferSuspended* (Table 431): after the configured Transaction Duration the EV suspends; the
    TransactionEvent has chargingState SuspendedEV or EVConnected (triggerReason ChargingStateChanged for
    SuspendedEV; Ended only with stoppedReason StoppedByEV)."""
    evse, _ = _where(csms, evse, None)
    running = csms.transaction_on(evse)
    with csms.step(f"Reusable state EnergyTransferSuspended: the EV at EVSE {evse} pauses"):
        await csms.hold(csms.configured.transaction_duration, "the configured Transaction Duration")
        mark = csms.mark()
        await sut.suspend_ev(evse)
        event = await _tx_event(csms, {"eventType": OneOf("Updated", "Ended"),
                                       "transactionInfo": {"transactionId": running,
                                                           "chargingState": OneOf("SuspendedEV", "EVConnected")}},
                                "SuspendedEV or EVConnected", mark)
        payload = event.frame.payload  # type: ignore[union-attr]
        info = payload.get("transactionInfo", {})
        if info.get("chargingState") == "SuspendedEV" and payload.get("triggerReason") != "ChargingStateChanged":
            raise csms.failure("the EV suspended, but the event does not say ChargingStateChanged",
                               actual=event.raw[:400], rules=("SEQ",))
        if payload.get("eventType") == "Ended" and info.get("stoppedReason") != "StoppedByEV":
            raise csms.failure("the transaction ended when the EV suspended, without stoppedReason StoppedByEV",
                               actual=event.raw[:400], rules=("SEQ",))
        return event


_ENDS_AT_STOP = ("Authorized", "PowerPathClosed", "EnergyTransfer")  # TxStopPoints that end it at StopAuthorized


async def stop_authorized(csms: CsmsRole, sut: StationControl, token: IdToken | None = None, evse: int | None = None,
                          *, authorize: bool = False, local: bool = False, how: How = "default") -> Record:
    """*StopAuthorized* (Table 432 as errata 2025-04 rewrote it), after the configured Transaction Duration.
    Main A (local): the token that started the transaction is presented again (another one of its group needs an
    AuthorizeRequest, `authorize=True`); an optional event with triggerReason StopAuthorized (idToken omitted or
    the token), then one with triggerReason ChargingStateChanged and chargingState EVConnected. Main B (remote):
    RequestStopTransaction Accepted; an optional RemoteStop event, then ChargingStateChanged / EVConnected. When
    TxStopPoint has Authorized, PowerPathClosed or EnergyTransfer the last of them is Ended with stoppedReason
    Local or omitted (remote: Remote), else both are Updated. A single stop event that already reports
    chargingState EVConnected stands for both (policy tx.stop_authorized.one_event). Returns the last event."""
    token = token or csms.tokens.valid
    evse, _ = _where(csms, evse, None)
    remote = _remote(csms, "local" if local else how)
    running = csms.transaction_on(evse)
    _, stop = await csms.tx_points()
    action = "RequestStopTransaction" if remote else f"present idToken {token.id_token} again"
    if running is None:
        raise csms.failure(f"no transaction runs on EVSE {evse} to stop", rules=("SEQ",))
    with csms.step(f"Reusable state StopAuthorized: {action}"):
        await csms.hold(csms.configured.transaction_duration, "the configured Transaction Duration")
        mark = csms.mark()
        if remote:
            await csms.call_ok("RequestStopTransaction", {"transactionId": running}, {"status": "Accepted"})
        else:
            auth = csms.expect("Authorize", {"idToken": {"idToken": token.id_token}}, after=mark,
                               shared=True)  # observed only: not awaited unless `authorize`
            await sut.present_token(token)
            if authorize:
                await csms.received(auth)
        csms.authorized.pop(evse, None)
        trigger = "RemoteStop" if remote else "StopAuthorized"
        ends = any(p in stop for p in _ENDS_AT_STOP)
        one_event = bool(csms.policy("tx.stop_authorized.one_event"))

        # Part 6 stops from EnergyTransferStarted; a case that stops before the EV drew energy (no EV yet) has
        # no state change to EVConnected to report
        energy = _charging_state(csms, running) in ("Charging", "SuspendedEV", "SuspendedEVSE")

        def done(record: Record) -> bool:
            payload = record.frame.payload  # type: ignore[union-attr]
            info = payload.get("transactionInfo", {})
            return payload.get("eventType") == "Ended" or not energy or (
                info.get("chargingState") == "EVConnected"
                and (payload.get("triggerReason") == "ChargingStateChanged" or one_event))

        events = await csms.transaction_events(running, after=mark, until=done,
                                               what=f"the TransactionEvents of {action.split(' again')[0]}")
        _judge_stop(csms, events, trigger=trigger, token=token, ends=ends, one_event=one_event, energy=energy)
        return events[-1]


def _charging_state(csms: CsmsRole, transaction: str) -> str | None:
    """The last chargingState the transaction's events reported in this case."""
    for record in reversed(csms.transactions.get(transaction, [])):
        state = record.frame.payload.get("transactionInfo", {}).get("chargingState")  # type: ignore[union-attr]
        if state is not None:
            return str(state)
    return None


def _judge_stop(csms: CsmsRole, events: list[Record], *, trigger: str, token: IdToken, ends: bool,
                one_event: bool, energy: bool) -> None:
    """StopAuthorized's tool validations over the events it collected (optional stop event, then the state
    change to EVConnected when energy was flowing; the last one Ended or all Updated, by TxStopPoint)."""
    payloads = [e.frame.payload for e in events]  # type: ignore[union-attr]
    first, last = payloads[0], payloads[-1]
    # errata 2025-04: the optional stop event names how the stop came: StopAuthorized (Main A), RemoteStop (Main B)
    wrong = [e for e, p in zip(events, payloads, strict=True)
             if p.get("triggerReason") in ({"StopAuthorized", "RemoteStop"} - {trigger})]
    if wrong:
        raise csms.failure(f"the stop is not reported with triggerReason {trigger}", expected=f"triggerReason {trigger}",
                           actual=wrong[0].raw[:400], rules=("SEQ",))
    if first.get("triggerReason") == trigger and trigger == "StopAuthorized":
        given = first.get("idToken")
        if given is not None and given.get("idToken") != token.id_token:
            raise csms.failure("the StopAuthorized event names another idToken than the one presented",
                               expected=f"idToken omitted or {token.id_token!r}", actual=events[0].raw[:400],
                               rules=("SEQ",))
    state_change = [p for p in payloads if p.get("transactionInfo", {}).get("chargingState") == "EVConnected"
                    and (p.get("triggerReason") == "ChargingStateChanged"
                         or (one_event and p.get("triggerReason") == trigger))]
    if not state_change and energy:
        raise csms.failure("the energy transfer stop was not reported: no TransactionEvent with triggerReason "
                           "ChargingStateChanged and chargingState EVConnected", actual=events[-1].raw[:400],
                           rules=("SEQ",))
    if ends:
        reason = "Remote" if trigger == "RemoteStop" else AbsentOr("Local")
        problems = [*(["the last event is not Ended"] if last.get("eventType") != "Ended" else []),
                    *(f"stoppedReason: {d}" for d in difference({"stoppedReason": reason},
                                                                  last.get("transactionInfo", {})))]
        if problems:
            raise csms.failure("TxStopPoint ends the transaction at StopAuthorized, but the events do not",
                               message="\n".join(problems), actual=events[-1].raw[:400], rules=("SEQ",))
    elif any(p.get("eventType") != "Updated" for p in payloads):
        raise csms.failure("TxStopPoint does not end the transaction at StopAuthorized, yet an event is not "
                           "Updated", actual=events[-1].raw[:400], rules=("SEQ",))


async def ev_connected_post_session(csms: CsmsRole, sut: StationControl, evse: int | None = None) -> None:
    """*EVConnectedPostSession* (Table 433): authorization ended, the EV still plugged in. A transaction still
    running reports ChargingStateChanged / EVConnected, unless StopAuthorized already saw it; with TxStopPoint
    DataSigned a SignedDataReceived event follows."""
    evse, _ = _where(csms, evse, None)
    running = csms.transaction_on(evse)
    with csms.step(f"Reusable state EVConnectedPostSession: EVSE {evse}, the EV still plugged in"):
        if running is None:
            csms.transcript.note("EVConnectedPostSession: the transaction has ended; nothing to wait for")
            return
        last = csms.transactions[running][-1].frame.payload  # type: ignore[union-attr]
        if last.get("transactionInfo", {}).get("chargingState") != "EVConnected":
            await _tx_event(csms, {"transactionInfo": {"transactionId": running, "chargingState": "EVConnected"},
                                   "triggerReason": "ChargingStateChanged"}, "ChargingStateChanged, EVConnected",
                            None)
        _, stop = await csms.tx_points()
        if "DataSigned" in stop:
            await _tx_event(csms, {"transactionInfo": {"transactionId": running},
                                   "triggerReason": "SignedDataReceived"}, "SignedDataReceived", None)


async def ev_disconnected(csms: CsmsRole, sut: StationControl, evse: int | None = None,
                          connector: int | None = None, *, connector_status: str | None = "Available") -> Record | None:
    """*EVDisconnected* (Table 434): the cable is unplugged; the connector is reported Available; a transaction
    that has not ended reports triggerReason EVCommunicationLost with chargingState Idle (Ended, stoppedReason
    EVDisconnected, when TxStopPoint has EVConnected). Returns the connector-state record. `connector_status`:
    the state the case expects the connector in afterwards (an EVSE made inoperative meanwhile reports
    Unavailable; None when its state does not change, so nothing is reported)."""
    evse, connector = _where(csms, evse, connector)
    _, stop = await csms.tx_points()
    with csms.step(f"Reusable state EVDisconnected: unplug the EV at EVSE {evse}"):
        mark = csms.mark()
        running = csms.transaction_on(evse)
        available = (csms.expect_status(evse, connector, connector_status, after=mark)
                     if connector_status is not None else None)
        await sut.unplug(evse, connector)
        if running is not None:
            fields: dict[str, Any] = {"triggerReason": "EVCommunicationLost",
                                      "transactionInfo": {"transactionId": running, "chargingState": "Idle"}}
            if "EVConnected" in stop:
                fields["eventType"] = "Ended"
                fields["transactionInfo"]["stoppedReason"] = "EVDisconnected"
            await _tx_event(csms, fields, f"{fields.get('eventType', '')} EVCommunicationLost".strip(), mark)
        csms.authorized.pop(evse, None)
        return await csms.received(available) if available is not None else None


async def parking_bay_unoccupied(csms: CsmsRole, sut: StationControl, evse: int | None = None) -> None:
    """*ParkingBayUnoccupied* (Table 435): optional in Part 6 without a bay sensor; the control adapters drive
    none, so there is nothing to observe (noted)."""
    with csms.step("Reusable state ParkingBayUnoccupied"):
        csms.transcript.note("ParkingBayUnoccupied: no parking bay sensor is driven; nothing to observe")


async def parking_bay_occupied(csms: CsmsRole, sut: StationControl, evse: int | None = None) -> None:
    """*ParkingBayOccupied* (Table 426): optional in Part 6 (even with TxStartPoint ParkingBayOccupancy); the
    control adapters drive no bay sensor, so there is nothing to observe (noted)."""
    with csms.step("Reusable state ParkingBayOccupied"):
        csms.transcript.note("ParkingBayOccupied: no parking bay sensor is driven; the state is optional")


def offline_window(csms: CsmsRole, extra: float = 0.0) -> dict[str, Any]:
    """The Configuration State of Part 6's offline cases: OfflineThreshold <Configured
    RetryBackOffWaitMinimum_duration> (+ `extra`, e.g. the Transaction Duration) + 60, RetryBackOffWaitMinimum that
    duration, RetryBackOffRandomRange 0: the station retries after a known back-off and counts as offline only a
    minute after it."""
    wait = csms.configured.retry_back_off_wait_minimum + extra
    return {"OCPPCommCtrlr.OfflineThreshold": int(wait + 60), "OCPPCommCtrlr.RetryBackOffWaitMinimum": int(wait),
            "OCPPCommCtrlr.RetryBackOffRandomRange": 0}


async def start_offline_transaction(csms: CsmsRole, sut: StationControl, token: IdToken | None = None,
                                    evse: int | None = None) -> Record | None:
    """*StartOfflineTransaction* (Table 436): the harness closes the connection and refuses reconnects; the EV
    enters the bay (optional: no sensor is driven), the token is presented, the EV is connected; then the harness
    accepts reconnects again. Returns the record of that moment (events the station stamped before it were queued
    while it was offline)."""
    token = token or csms.tokens.valid
    evse, connector = _where(csms, evse, None)
    with csms.step(f"Reusable state StartOfflineTransaction: offline, present idToken {token.id_token}, connect "
                   f"the EV at EVSE {evse} connector {connector}"):
        await csms.go_offline()
        csms.transcript.note("ParkingBayOccupied: no parking bay sensor is driven; the action is optional")
        await sut.present_token(token, evse)
        await sut.plug_in(evse, connector)
        csms.authorized[evse] = token
        csms.go_online()
        return csms.mark()


async def unavailable(csms: CsmsRole, sut: StationControl, evse: int | None = None,
                      connector: int | None = None) -> None:
    """*Unavailable* (Table 425): ChangeAvailability Inoperative for the EVSE (and connector, when given)
    Accepted; every connector concerned is reported Unavailable (StatusNotification, or NotifyEvent for the
    Connector, its EVSE or the ChargingStation)."""
    evse, _ = _where(csms, evse, None)
    target: dict[str, Any] = {"id": evse} if connector is None else {"id": evse, "connectorId": connector}
    with csms.step(f"Reusable state Unavailable: ChangeAvailability Inoperative for EVSE {evse}"
                   + (f" connector {connector}" if connector is not None else "")):
        mark = csms.mark()
        wanted = [csms.expect_status(e, c, "Unavailable", after=mark, wide=True) for e, c in csms.connectors()
                  if e == evse and (connector is None or c == connector)]
        await csms.call_ok("ChangeAvailability", {"operationalStatus": "Inoperative", "evse": target},
                           {"status": "Accepted"})
        for exp in wanted:
            await csms.received(exp)


# ---- SUT = station: memory states (Part 6 §2.19) ------------------------------------------------------------------
async def id_token_cached(csms: CsmsRole, sut: StationControl, token: IdToken | None = None) -> None:
    """Memory state *IdTokenCached* (Table 443 as errata 2025-04 rewrote it): a whole session with the token
    (Authorized; then, when it was accepted, EVConnectedPreSession, EnergyTransferStarted, StopAuthorized,
    EVDisconnected), which leaves it in the station's authorization cache."""
    token = token or csms.tokens.valid
    with csms.step(f"Memory state IdTokenCached: a session with idToken {token.id_token}"):
        if csms.id_token_info(token.wire()).get("status") != "Accepted":
            await _refused_token_cached(csms, sut, token)
            return
        await authorized(csms, sut, token, local=True)
        await energy_transfer_started(csms, sut)
        await stop_authorized(csms, sut, token, local=True)
        await ev_disconnected(csms, sut)


async def id_token_local_auth_list(csms: CsmsRole, sut: StationControl, token: IdToken | None = None, *,
                                   with_group: bool = False, version: int | None = None,
                                   status: str = "Accepted", others: tuple[tuple[IdToken, str], ...] = ()) -> None:
    """Memory state *IdTokenLocalAuthList* (Table 444; errata 2025-04: enable the list where implemented):
    SendLocalList Full with the token, Accepted. `with_group`: every entry names the token's groupIdToken (a case's
    "IdTokenLocalAuthList for … with <Configured GroupIdToken>", TC_E_45_CS; "… in the list with the same
    GroupId", TC_C_40/43_CS). `version`: the list's versionNumber (block D: <Configured versionNumber>, which its
    cases count from); by default one above the station's. `status`: the entry's idTokenInfo.status (a case's "A
    known invalid idToken is configured in the list"); `others`: more (token, status) entries of the same list."""
    token = token or csms.tokens.valid
    group = {"idToken": token.group_id_token, "type": "Central"} if with_group and token.group_id_token else None
    listed = ((token, status), *others)
    entries = [{"idToken": t.wire(), "idTokenInfo": {"status": s, **({"groupIdToken": group} if group else {})}}
               for t, s in listed]
    with csms.step("Memory state IdTokenLocalAuthList: idToken "
                   f"{', '.join(f'{t.id_token} ({s})' for t, s in listed)} in the local list"):
        await csms.configure({"LocalAuthListCtrlr.Enabled": IfImplemented(True)})
        if version is None:
            version = int((await csms.call_ok("GetLocalListVersion", {})).get("versionNumber", 0)) + 1
        await csms.call_ok("SendLocalList", {"versionNumber": version, "updateType": "Full",
                                             "localAuthorizationList": entries}, {"status": "Accepted"})


async def transaction_events_in_queue_ended(csms: CsmsRole, sut: StationControl) -> Record | None:
    """Memory state *TransactionEventsInQueueEnded* (Table 441): with OfflineTxForUnknownIdEnabled true and the
    token cached and in the local list (each where implemented), a whole transaction happens while the harness
    refuses the station's reconnects; then it accepts them. Returns the mark from before going offline, so the
    case can collect the queued events."""
    token = csms.tokens.valid
    evse, connector = _where(csms, None, None)
    await csms.configure({"AuthCtrlr.OfflineTxForUnknownIdEnabled": IfImplemented(True)})
    flags = await csms.configuration.read("AuthCacheCtrlr.Enabled", "LocalAuthListCtrlr.Enabled")
    if flags["AuthCacheCtrlr.Enabled"] is not None:
        await id_token_cached(csms, sut, token)
    if flags["LocalAuthListCtrlr.Enabled"] is not None:
        await id_token_local_auth_list(csms, sut, token)
    with csms.step("Memory state TransactionEventsInQueueEnded: a transaction while offline"):
        await csms.go_offline()
        mark = csms.mark()
        await sut.plug_in(evse, connector)
        await sut.present_token(token)
        await sut.present_token(token)
        await sut.unplug(evse, connector)
        csms.go_online()
        return mark


# ---- SUT = station: certificate states (Part 6 Tables 438, 442, 446 with errata 2024-09 / 2025-02) ----------------
def certificate_listed(answer: dict[str, Any], hash_data: dict[str, str], kind: str | None = None) -> bool:
    """Whether a GetInstalledCertificateIdsResponse lists `hash_data` (as `kind`, when given). The chain is optional
    in the schema (status NotFound has none) and a broken entry lists nothing."""
    chain = answer.get("certificateHashDataChain")
    entries = chain if isinstance(chain, list) else []
    return any(isinstance(c, dict) and isinstance(c.get("certificateHashData"), dict)
               and same_hash(c["certificateHashData"], hash_data) and (kind is None or c.get("certificateType") == kind)
               for c in entries)


@dataclass(frozen=True)
class NewCsmsRoot:
    """A new CSMSRootCertificate a case installs (<Configured (new) CSMS Root certificate …>): a further CA of the
    run's PKI, or, at a station with AdditionalRootCertificateCheck true, one signed by the run's CSMS root (the
    root the station holds must sign its successor, M05.FR.11; TC_M_01_CS: "a custom CSMSRootCertificate")."""

    name: str
    pem: str
    successor: bool  # signed by the run's CSMS root

    def server_context(self, pki: PkiFactory, security: int) -> ssl.SSLContext:
        """The harness's TLS server side with certificates this root issued."""
        return (pki.successor_server_context(self.name, security) if self.successor
                else pki.server_context_under(self.name, security))


async def holds_run_csms_root(csms: CsmsRole) -> bool:
    """The station lists the run's CSMS root among its CSMSRootCertificates."""
    answer = await csms.call_ok("GetInstalledCertificateIds", {"certificateType": ["CSMSRootCertificate"]},
                                {"status": OneOf("Accepted", "NotFound")})
    return certificate_listed(answer, certificate_info(csms.pki.csms_roots()[0]).hash_data, "CSMSRootCertificate")


async def new_csms_root(csms: CsmsRole, name: str) -> NewCsmsRoot:
    """The new CSMSRootCertificate `name` for this station (see `NewCsmsRoot`). With the check true the station must
    hold the run's CSMS root, else the case cannot build a root it accepts: PreconditionNotMet, with the fix."""
    if (await csms.read_variable("SecurityCtrlr.AdditionalRootCertificateCheck")) != "true":
        return NewCsmsRoot(name, csms.pki.ca_certificate(name), successor=False)
    if not await holds_run_csms_root(csms):
        raise PreconditionNotMet("the station has SecurityCtrlr.AdditionalRootCertificateCheck true and does not "
                                 "hold the run's CSMS root: a new CSMSRootCertificate must be signed by its current "
                                 "one", fix="install the harness PKI's CSMS root at the station (or run with its "
                                            "PKI), or run this case with AdditionalRootCertificateCheck false")
    csms.transcript.note(f"AdditionalRootCertificateCheck true: the new CSMSRootCertificate {name!r} is signed by "
                         "the run's CSMS root, which the station holds")
    return NewCsmsRoot(name, csms.pki.successor_root(name), successor=True)


async def uninstall_certificate(csms: CsmsRole, hash_data: dict[str, Any], what: str) -> None:
    """Cleanup of *CertificateInstalled*: DeleteCertificateRequest for the certificate the case installed;
    reported in the transcript, never raised (`csms.cleanup`: the case's verdict stands)."""
    with csms.cleanup(f"DeleteCertificateRequest for the {what} the case installed"):
        record = await csms.call("DeleteCertificate", {"certificateHashData": hash_data})
        csms.transcript.note(f"cleanup: {what} deleted: {record.raw[:200]}")


async def certificate_installed(csms: CsmsRole, kind: str, pem: str) -> dict[str, str]:
    """Memory state *CertificateInstalled* (Table 442): InstallCertificateRequest of `kind` with `pem`; the station
    answers Accepted. Returns the certificate's certificateHashData (SHA256)."""
    with csms.step(f"Memory state CertificateInstalled: InstallCertificateRequest {kind}; Accepted"):
        await csms.call_ok("InstallCertificate", {"certificateType": kind, "certificate": pem}, {"status": "Accepted"})
    return certificate_info(pem).hash_data


async def get_installed_certificates(csms: CsmsRole, kind: str, hash_data: dict[str, str], *,
                                     present: bool = True, step: str = "") -> dict[str, Any]:
    """Reusable state *GetInstalledCertificates* (Table 438): GetInstalledCertificateIdsRequest for `kind`; status
    Accepted and an entry of that type with `hash_data`. `present=False` (a case's own validation after a delete):
    the entry must be gone, and NotFound is then a fine answer. Returns the response."""
    title = f"{step}Reusable state GetInstalledCertificates for {kind}: " + (
        "Accepted, the certificate listed" if present else "the deleted certificate no longer listed")
    with csms.step(title.strip()):
        answer = await csms.call_ok("GetInstalledCertificateIds", {"certificateType": [kind]},
                                    {"status": OneOf("Accepted", "NotFound")})
        listed = certificate_listed(answer, hash_data, kind if present else None)
        if present and (answer.get("status") != "Accepted" or not listed):
            raise csms.failure(f"GetInstalledCertificateIds does not report the installed {kind}",
                               expected=f"status Accepted and an entry {kind} with certificateHashData {hash_data}",
                               actual=str(answer)[:800], rules=("SEQ",))
        if not present and listed:
            raise csms.failure("the station still reports the certificate it said it deleted",
                               expected="no entry with the deleted certificateHashData", actual=str(answer)[:800],
                               rules=("SEQ",))
        return answer


def sign_station_csr(csms: CsmsRole, record: Record) -> str:
    """The chain the harness CSMS issues for the CSR of a SignCertificateRequest, after the table's CSR checks (RFC
    2986 PEM; RSA/DSA >= 2048 bits, EC >= 224); a CN that is not the serial number only warns (beyond Part 6)."""
    payload = record.frame.payload if isinstance(record.frame, Call) else {}
    csr = str(payload.get("csr", ""))
    try:
        chain = csms.pki.sign_csr(csr)
    except CsrRejected as exc:
        raise csms.failure("the station's CSR does not meet the CSR rules", message=str(exc), actual=csr[:400],
                           rules=("SEC-4",)) from None
    serial = csms.serial_number
    if serial:
        with csms.beyond_part6("A00.FR.511", "the CSR's CN is the station's serial number"):
            cn = certificate_info(split_pem(chain)[0]).subject_cn
            if cn != serial:
                raise csms.failure("the CSR's CN is not the station's serial number", expected=serial,
                                   actual=repr(cn), requirements=("A00.FR.511",), rules=("SEC-4",))
    return chain


async def queued_transaction_events(csms: CsmsRole, mark: Record | None, what: str = "the queued TransactionEvents",
                                    *, until_types: frozenset[str] = frozenset()) -> list[Record]:
    """The TransactionEvents the station sends from its queue once back online: every one after `mark` with offline
    true, up to the first live one, or the end of the queue as the deadline sees it. `until_types`: the eventTypes
    the case needs (e.g. its Ended event): once the queue holds them all, stop there instead of waiting out the
    deadline for a live event a passing station may never send. A first event without offline true fails the case
    (every caller needs a queue)."""
    queued: list[Record] = []
    seen: set[str] = set()

    def end(record: Record) -> bool:
        if record.direction != "rx" or record.action != "TransactionEvent" or record.message_type != 2:
            return False
        payload = record.frame.payload  # type: ignore[union-attr]
        if payload.get("offline") is True:
            queued.append(record)
            seen.add(str(payload.get("eventType")))
            return bool(until_types) and until_types <= seen
        return True

    first = await csms.wait_record(lambda r: r.direction == "rx" and r.action == "TransactionEvent",
                                   after=mark.seq if mark else 0, within=csms.reconnect_wait(),
                                   what=f"{what} once the station is back online")
    if end(first):
        if not queued:  # the cases need a queue: say what came instead of "nothing queued"
            payload = first.frame.payload  # type: ignore[union-attr]
            raise csms.failure(f"the first TransactionEvent after the reconnect ({payload.get('eventType')}, seqNo "
                               f"{payload.get('seqNo')}, of {payload.get('timestamp')}) lacks offline true: the "
                               "station sent what it queued while offline without the flag, or queued nothing",
                               actual=first.raw[:600], rules=("TX-3",))
        return queued
    try:
        await csms.wait_record(end, after=first.seq, what="the end of the queue", within=csms.timeout(None))
    except AssertionError:
        pass  # no live event after the queue: the queue is what came
    return queued


async def reconnected(csms: CsmsRole, after: Record | None, what: str, *,
                      force: Callable[[], Awaitable[object]] | None = None, refused_too: bool = False) -> Record:
    """Part 6's "the station reconnects" after a change that needs a new connection (errata 2024-09 for
    RenewChargingStationCertificate): the station's own new connection, else, after the timeout, the harness
    forces one (`force`; by default it drops the connection, as Part 6 does); the new handshake, within the
    station's back-off. `refused_too`: the first handshake even when the harness refused it (the caller judges)."""
    start = after.seq if after is not None else 0

    def new_connection(record: Record) -> bool:
        return record.event == "handshake" and (refused_too or record.detail.get("status") == 101)

    try:
        handshake = await csms.wait_record(new_connection, after=start, what=what)
    except OcppFailure:
        csms.transcript.note(f"{what}: not by itself within {csms.settings.timing.default_timeout:g} s; the harness "
                             "makes it (Part 6: the Test System forces a reconnection)")
        if force is not None:
            await force()
        elif csms.connection is not None and not csms.connection.closed.is_set():
            await csms.connection.close(1000, "harness CSMS: reconnect, please")
        handshake = await csms.wait_record(new_connection, after=start, what=what,
                                           within=max(csms.reconnect_wait(), csms.reboot_wait()))
    if handshake.detail.get("status") == 101:
        await csms.wait_record(lambda r: r.event == "open", after=handshake.seq, within=csms.reconnect_wait(),
                               what="the new connection to open")
    return handshake


async def renew_charging_station_certificate(csms: CsmsRole) -> str:
    """Memory state *RenewChargingStationCertificate* (Table 446; errata 2024-09 and 2025-02): TriggerMessage
    SignChargingStationCertificate Accepted, SignCertificateRequest with a CSR meeting the rules (Accepted),
    CertificateSignedRequest with the chain issued for it, Accepted; then the station reconnects with the new
    certificate (under security profile 3, where the connection shows it), booting again if it rebooted. Returns
    the chain."""
    with csms.step("Memory state RenewChargingStationCertificate: 1-2. TriggerMessageRequest "
                   "SignChargingStationCertificate; Accepted"):
        request = csms.expect("SignCertificate", {"csr": ANY}, respond={"status": "Accepted"})
        await csms.call_ok("TriggerMessage", {"requestedMessage": "SignChargingStationCertificate"},
                           {"status": "Accepted"})
    with csms.step("3-4. SignCertificateRequest with a CSR (RFC 2986, PEM; RSA/DSA >= 2048 bits, EC >= 224); the "
                   "harness responds Accepted"):
        chain = sign_station_csr(csms, await csms.received(request))
    mark = csms.mark()
    with csms.step("5-6. CertificateSignedRequest with the chain issued for that CSR, ChargingStationCertificate; "
                   "Accepted"):
        await csms.call_ok("CertificateSigned", {"certificateChain": chain,
                                                 "certificateType": "ChargingStationCertificate"},
                           {"status": "Accepted"})
    if csms.settings.station.security.profile < 3:
        csms.transcript.note("RenewChargingStationCertificate: below security profile 3 no connection shows the new "
                             "certificate; step 7 (reconnect with it) is left out")
        return chain
    with csms.step("7. The station reconnects with the new certificate; 8-9. BootNotification if it rebooted"):
        handshake = await reconnected(csms, mark, "the station to reconnect with its new certificate")
        presented = str((handshake.detail.get("tls") or {}).get("peer_serial") or "").lower().lstrip("0")
        issued = certificate_info(split_pem(chain)[0]).serial_hex
        if presented != issued:
            raise csms.failure("the station did not reconnect with its new certificate",
                               expected=f"certificate serial {issued}", actual=f"serial {presented or 'none'}",
                               rules=("SEC-3",))
        if not csms.is_booted():
            await csms.wait_booted_again()
    return chain


async def return_to_idle(csms: CsmsRole, sut: StationControl, within: float) -> list[str]:
    """After a case that failed half-way: bring the station back to idle (no transaction, cables out, no fault,
    operative), so the next case fails only for its own reasons. Best effort within `within` seconds; never
    raises (the case's own failure is the verdict). Returns what it did or could not do, for the report."""
    done: list[str] = []
    if not csms.is_booted():
        return ["the station is not connected and booted: the next case's Booted state power-cycles it"]
    last: dict[tuple[int, int], str] = {}
    for record in csms.transcript.records:
        if record.direction == "rx" and isinstance(record.frame, Call):
            for e, c, status in connector_reports(record.frame.action, record.frame.payload):
                last[(e, c)] = status
    mark = csms.mark()
    try:
        async with asyncio.timeout(within):
            for evse, tx_id in sorted(csms.evse_transaction.items()):
                await csms.call("RequestStopTransaction", {"transactionId": tx_id})
                done.append(f"RequestStopTransaction for transaction {tx_id} on EVSE {evse}")
            for evse, token in sorted(_pending_authorizations(csms).items()):
                await _use_up_authorization(csms, sut, evse, token)
                done.append(f"EVSE {evse} still held the authorization of idToken {token.id_token} without an EV: "
                            "an EV plugged in and out to use it up")
            waiting: set[tuple[int, int]] = set()
            plugged = _left_plugged(csms)  # a connector made Unavailable while its EV was in still holds it
            undo = _made_inoperative(csms)  # what the case made inoperative: the station, EVSEs, connectors
            sent: list[dict[str, Any]] = []
            for (evse, connector) in sorted(set(last) | plugged):
                status = last.get((evse, connector), "Occupied")
                if status == "Occupied" or (evse, connector) in plugged:
                    await sut.unplug(evse, connector)
                if status == "Faulted":
                    await sut.set_fault(evse, connector, False)
                elif status == "Unavailable":
                    # each level the case made inoperative, once; else (the station's own doing) the EVSE
                    for target in undo or [{"evse": {"id": evse}}]:
                        if target not in sent:
                            sent.append(target)
                            await csms.call("ChangeAvailability", {"operationalStatus": "Operative", **target})
                elif status != "Occupied":
                    continue
                done.append(f"EVSE {evse} connector {connector} was {status}"
                            + (" with the EV still plugged in" if status != "Occupied" and (evse, connector) in plugged
                               else ""))
                waiting.add((evse, connector))
            for evse, connector in sorted(waiting):
                await csms.receive_status(evse, connector, "Available", after=mark)
    except Exception as exc:  # cleanup after a failure reports; it never replaces the verdict
        done.append(f"could not finish ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}); "
                    "the next case may find the station busy")
    return done


def _pending_authorizations(csms: CsmsRole) -> dict[int, IdToken]:
    """EVSEs the case authorized (reusable state Authorized) with no transaction and no EV: the station holds the
    authorization until an EV comes or TxCtrlr.EVConnectionTimeOut passes, and the next case's EV would take it."""
    return {evse: token for evse, token in csms.authorized.items() if csms.transaction_on(evse) is None
            and csms.connector_state(evse, csms.configured.connector_id) != "Occupied"}


async def _use_up_authorization(csms: CsmsRole, sut: StationControl, evse: int, token: IdToken) -> None:
    """Plug an EV in and out, stopping the transaction the authorization starts (if the station starts one): the
    quickest observable way back to idle (waiting out EVConnectionTimeOut shows nothing on the wire)."""
    connector = csms.configured.connector_id
    mark = csms.mark()
    started = csms.expect("TransactionEvent", {"idToken": {"idToken": token.id_token}}, after=mark, shared=True)
    await sut.plug_in(evse, connector)
    await csms.receive_status(evse, connector, "Occupied", after=mark)
    with contextlib.suppress(Exception):  # no transaction within the message timeout: nothing to stop
        await csms.received(started, within=float(csms.configured.message_timeout))
    tx_id = csms.transaction_on(evse)
    if tx_id is not None:
        await csms.call("RequestStopTransaction", {"transactionId": tx_id})
    csms.authorized.pop(evse, None)
    await sut.unplug(evse, connector)
    await csms.receive_status(evse, connector, "Available", after=mark)


def _made_inoperative(csms: CsmsRole) -> list[dict[str, Any]]:
    """The targets ({} or {"evse": …}) of the ChangeAvailability Inoperative requests this case sent and did not
    undo, the station first (the levels are independent: each one set needs its own Operative)."""
    targets: list[dict[str, Any]] = []
    for record in csms.transcript.records:
        if record.direction != "tx" or record.action != "ChangeAvailability" or not isinstance(record.frame, Call):
            continue
        payload = record.frame.payload
        target = {"evse": payload["evse"]} if isinstance(payload.get("evse"), dict) else {}
        if target in targets:
            targets.remove(target)
        if payload.get("operationalStatus") == "Inoperative":
            targets.append(target)
    return sorted(targets, key=lambda t: len(t.get("evse", {})))


def _left_plugged(csms: CsmsRole) -> set[tuple[int, int]]:
    """The connectors this case plugged an EV into (control actions in its transcript) and did not unplug."""
    plugged: set[tuple[int, int]] = set()
    for record in csms.transcript.records:
        if record.event != "control" or record.detail.get("action") not in ("plug-in", "unplug"):
            continue
        params = record.detail.get("params") or {}
        where = (params.get("evseId", 1), params.get("connectorId", 1))
        if record.detail["action"] == "plug-in":
            plugged.add(where)
        else:
            plugged.discard(where)
    return plugged


# ---- SUT = CSMS ---------------------------------------------------------------------------------------------------
_ACCEPTED = {"idTokenInfo": {"status": "Accepted"}}


def _station_where(station: StationRole, evse: int | None, connector: int | None) -> tuple[int, int]:
    """The EVSE and connector of the harness's station a state acts on: the case's, else <Configured …>."""
    return (evse if evse is not None else station.configured.evse_id,
            connector if connector is not None else station.configured.connector_id)


def _plugged(tx: StationTransaction) -> bool:
    """Whether the transaction's events already reported the EV plugged in (EVConnected is true)."""
    return any(e.get("triggerReason") == "CablePluggedIn" for e in tx.events)


async def station_ev_connected(station: StationRole, evse: int | None = None, connector: int | None = None, *,
                               tx: StationTransaction | None = None) -> StationTransaction:
    """*EVConnectedPreSession* as the harness's station (Table 701): Occupied, then TransactionEvent
    CablePluggedIn, chargingState EVConnected, with the EVSE and connector: Started, or Updated in the transaction
    `tx` the driver already started (state Authorized). Returns the transaction."""
    evse, connector = _station_where(station, evse, connector)
    with station.step(f"Reusable state EVConnectedPreSession: the station's EV plugs in at EVSE {evse}"):
        await station.status(evse, connector, "Occupied")
        if tx is None:
            tx = station.transaction(evse, connector)
            await tx.event("Started", "CablePluggedIn", {}, charging_state="EVConnected")
        else:
            await tx.event("Updated", "CablePluggedIn", {}, charging_state="EVConnected", with_evse=True)
        return tx


async def station_authorized(station: StationRole, tx: StationTransaction | None = None,
                             token: IdToken | None = None) -> None:
    """*Authorized* as the harness's station (Table 702): AuthorizeRequest with the token, answered Accepted; then
    (with a transaction) TransactionEvent Authorized with the idToken, Updated when the EV is already plugged in,
    else Started, whose idTokenInfo must be Accepted too."""
    token = token or station.tokens.valid
    with station.step(f"Reusable state Authorized: idToken {token.id_token}"):
        await station.authorize(token, _ACCEPTED)
        if tx is None:
            return
        if tx.events:
            await tx.event("Updated", "Authorized", _ACCEPTED, id_token=token, charging_state="EVConnected")
        else:
            await tx.event("Started", "Authorized", _ACCEPTED, id_token=token, charging_state="Idle")


async def station_energy_transfer(station: StationRole, tx: StationTransaction) -> None:
    """*EnergyTransferStarted* as the harness's station (Table 703): part 1 when the EV is not plugged in yet
    (Occupied, Updated CablePluggedIn), then part 2: Updated ChargingStateChanged, Charging."""
    if not _plugged(tx):
        await station_ev_connected(station, tx.evse, tx.connector, tx=tx)
    with station.step("Reusable state EnergyTransferStarted"):
        await tx.event("Updated", "ChargingStateChanged", {}, charging_state="Charging")


async def station_stop_authorized(station: StationRole, tx: StationTransaction, token: IdToken | None = None) -> None:
    """*StopAuthorized* as the harness's station (Table 705): after the configured Transaction Duration, Updated
    StopAuthorized with the idToken; the idTokenInfo of the answer must be Accepted (TxStopPoint EVConnected: the
    transaction goes on until the EV leaves)."""
    token = token or station.tokens.valid
    with station.step("Reusable state StopAuthorized"):
        await station.hold(station.configured.transaction_duration, "the configured Transaction Duration")
        await tx.event("Updated", "StopAuthorized", _ACCEPTED, id_token=token)


async def station_ev_connected_post_session(station: StationRole, tx: StationTransaction) -> None:
    """*EVConnectedPostSession* as the harness's station (Table 706): Updated ChargingStateChanged, EVConnected."""
    with station.step("Reusable state EVConnectedPostSession"):
        await tx.event("Updated", "ChargingStateChanged", {}, charging_state="EVConnected")


async def station_ev_disconnected(station: StationRole, tx: StationTransaction) -> None:
    """*EVDisconnected* as the harness's station (Table 707): Available, then Ended EVCommunicationLost, Idle,
    stoppedReason EVDisconnected."""
    with station.step("Reusable state EVDisconnected"):
        await station.status(tx.evse, tx.connector, "Available")
        await tx.event("Ended", "EVCommunicationLost", {}, charging_state="Idle", stopped_reason="EVDisconnected")


async def station_unavailable(station: StationRole, sut: CsmsControl, evse: int | None = None, *,
                              status: str = "Accepted") -> None:
    """*Unavailable* as the harness's station (Table 700): the operator asks the CSMS to make the EVSE inoperative;
    its ChangeAvailabilityRequest must say Inoperative for that EVSE with no connectorId; the station answers
    `status` (Accepted; Scheduled during a transaction, then the case reports the connectors itself) and, when
    Accepted, reports every connector of the EVSE Unavailable."""
    evse, _ = _station_where(station, evse, None)
    with station.step(f"Reusable state Unavailable: the CSMS makes EVSE {evse} inoperative"):
        change = station.expect("ChangeAvailability", respond={"status": status})
        await sut.trigger(station.identity, "ChangeAvailability", {"operationalStatus": "Inoperative",
                                                                   "evse": {"id": evse}})
        request = (await station.received(change)).frame.payload  # type: ignore[union-attr]
        problems = difference({"operationalStatus": "Inoperative", "evse": {"id": evse, "connectorId": ABSENT}},
                              request)
        if problems:
            raise station.failure("ChangeAvailabilityRequest is not Inoperative for the whole EVSE",
                                  message="\n".join(problems), expected=f"operationalStatus Inoperative, evse.id {evse},"
                                  " connectorId omitted", actual=repr(request)[:400], rules=("SEQ",))
        if status == "Accepted":
            await station_report_unavailable(station, evse)


async def station_report_unavailable(station: StationRole, evse: int) -> None:
    """StatusNotification Unavailable for every connector of the EVSE, each answered."""
    for connector in range(1, _connector_count(station, evse) + 1):
        await station.status(evse, connector, "Unavailable")


def _connector_count(station: StationRole, evse: int) -> int:
    return station.evses[evse - 1] if 0 < evse <= len(station.evses) else 1


async def station_renew_certificate(station: StationRole, sut: CsmsControl, *,
                                    answer: str = "Accepted") -> tuple[str, Path]:
    """Memory state *RenewChargingStationCertificate* as the harness's station (Table 711): the CSMS is made to
    send TriggerMessage SignChargingStationCertificate (answered Accepted); the station's SignCertificateRequest
    (a fresh CSR, CN = serial number) must be Accepted; the CSMS's CertificateSignedRequest must be of type
    ChargingStationCertificate and carry a certificate for the CSR's key (answered Accepted). `answer="Rejected"`:
    TC_A_14_CSMS, where the station refuses the certificate and nothing of it is checked. Returns the chain and
    the key's file."""
    if station.pki is None:
        raise ConfigError("RenewChargingStationCertificate needs the run's PKI for the station's key")
    trigger = station.expect("TriggerMessage", {"requestedMessage": ANY}, respond={"status": "Accepted"})
    with station.step("Memory state RenewChargingStationCertificate: Manual Action: request the CSMS to send "
                      "TriggerMessage SignChargingStationCertificate"):
        await sut.trigger(station.identity, "TriggerMessage", {"requestedMessage": "SignChargingStationCertificate"})
    with station.step("1-2. TriggerMessageRequest with requestedMessage SignChargingStationCertificate; the harness "
                      "responds Accepted"):
        record = await station.received(trigger)
        requested = record.frame.payload.get("requestedMessage") if isinstance(record.frame, Call) else None
        if requested != "SignChargingStationCertificate":
            raise station.failure("the CSMS's TriggerMessage does not ask for SignChargingStationCertificate",
                                  expected="requestedMessage SignChargingStationCertificate", actual=record.raw[:400],
                                  rules=("SEQ",))
    request = station.pki.new_csr(station.serial_number)
    refusal = {"statusInfo": {"reasonCode": "InvalidCertificate"}} if answer == "Rejected" else {}
    signed = station.expect("CertificateSigned", {"certificateChain": ANY}, respond={"status": answer, **refusal})
    with station.step("3-4. SignCertificateRequest with a CSR, ChargingStationCertificate; the CSMS responds "
                      "Accepted"):
        await station.call_ok("SignCertificate", {"csr": request.csr_pem,
                                                  "certificateType": "ChargingStationCertificate"},
                              {"status": "Accepted"})
    if answer != "Accepted":
        with station.step(f"5-6. CertificateSignedRequest; the harness responds {answer}"):
            record = await station.received(signed)
            payload = record.frame.payload if isinstance(record.frame, Call) else {}
            return str(payload.get("certificateChain", "")), request.key_path
    with station.step("5-6. CertificateSignedRequest, certificateType ChargingStationCertificate, a certificate for "
                      "the CSR's key; the harness responds Accepted"):
        record = await station.received(signed)
        payload = record.frame.payload if isinstance(record.frame, Call) else {}
        chain = str(payload.get("certificateChain", ""))
        problems = [] if payload.get("certificateType") == "ChargingStationCertificate" else [
            f"certificateType {payload.get('certificateType', '(omitted)')!r}, not ChargingStationCertificate"]
        bundle = split_pem(chain)
        problems += chain_problems(chain, trusted=bundle[1:] or None, expected_cn=station.serial_number,
                                   key_path=request.key_path)
        if problems:
            raise station.failure("the CSMS did not send a certificate for the station's CSR", message="\n".join(problems),
                                  actual=chain[:600], rules=("SEC-4",))
    return chain, request.key_path



# ---- block E additions (SUT = CSMS) ---------------------------------------------------------------------------------
async def station_energy_transfer_suspended(station: StationRole, tx: StationTransaction) -> None:
    """*EnergyTransferSuspended* as the harness's station (Table 704): after the configured Transaction Duration,
    Updated ChargingStateChanged, chargingState SuspendedEV."""
    with station.step("Reusable state EnergyTransferSuspended"):
        await station.hold(station.configured.transaction_duration, "the configured Transaction Duration")
        await tx.event("Updated", "ChargingStateChanged", {}, charging_state="SuspendedEV")

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
    "Unavailable": unavailable,
}


# ---- block C coverage: the Deauthorized state (errata 2025-04 §6.2.118) and IdTokenCached for a refused token ----
async def _refused_token_cached(csms: CsmsRole, sut: StationControl, token: IdToken) -> None:
    """IdTokenCached step 2 for a token the harness does not accept: the token is presented and its
    AuthorizeRequest answered (that answer is what the cache keeps); no TransactionEvent follows a refused token,
    so steps 3 and on are left out, as the state says. With LocalPreAuthorize true a station that already holds the
    token (cached by an earlier case) may decide locally: the AuthorizeRequest is then waited for, not required."""
    mark = csms.mark()
    flags = await csms.configuration.read("AuthCtrlr.LocalPreAuthorize", "AuthCtrlr.Enabled")
    await sut.present_token(token)

    def asked(r: Record) -> bool:
        return (r.direction == "rx" and r.action == "Authorize" and isinstance(r.frame, Call)
                and r.frame.payload.get("idToken", {}).get("idToken") == token.id_token)

    what = f"an AuthorizeRequest for idToken {token.id_token}"
    if flags["AuthCtrlr.LocalPreAuthorize"] != "true" and flags["AuthCtrlr.Enabled"] != "false":
        await csms.wait_record(asked, what=what, after=mark.seq if mark is not None else 0)
        return
    try:
        await csms.wait_record(asked, what=what, after=mark.seq if mark is not None else 0,
                               within=float(csms.configured.message_timeout))
    except OcppFailure:
        csms.transcript.note(f"IdTokenCached: no AuthorizeRequest for {token.id_token}: the station decided "
                             "locally (LocalPreAuthorize true), so it holds the token already")


_DEAUTHORIZE_ENDS = ("Authorized", "PowerPathClosed", "EnergyTransfer")  # TxStopPoints that end it when deauthorized


async def deauthorized(csms: CsmsRole, sut: StationControl, token: IdToken | None = None, evse: int | None = None,
                       *, after: Record | None = None) -> Record | None:
    """*Deauthorized* (errata 2025-04 §6.2.118; after Authorized): the transaction states go on until the first
    TransactionEvent with the token (EVConnectedPreSession when the EV is not plugged in yet); the harness answers
    it Invalid (from now on, for this token). Tool validation of step 1: that event names the token. When
    TxCtrlr.StopTxOnInvalidId is true (steps 3-4) a TransactionEvent with triggerReason Deauthorized follows,
    chargingState EVConnected or SuspendedEVSE: Ended with stoppedReason DeAuthorized when TxStopPoint has
    Authorized, PowerPathClosed or EnergyTransfer, else Updated. Steps 5-6 (UnlockConnector for a locked
    connector) need a lock the harness cannot see: left out (noted). `after`: where the Authorized state began.
    Returns the Deauthorized event, if one was due."""
    token = token or csms.tokens.valid
    evse, connector = _where(csms, evse, None)
    csms.answer_token(token, {"status": "Invalid"})
    with csms.step(f"Reusable state Deauthorized: the harness answers idToken {token.id_token} Invalid"):
        first = _first_event_naming(csms, token, after)
        if first is None and csms.connector_state(evse, connector) != "Occupied":
            await ev_connected_pre_session(csms, sut, evse, connector)
            first = _first_event_naming(csms, token, after)
        if first is None:
            first = await csms.receive("TransactionEvent", {"idToken": {"idToken": token.id_token}}, after=after,
                                       shared=True, description=f"TransactionEvent with idToken {token.id_token}")
        payload = first.frame.payload  # type: ignore[union-attr]
        problems = difference({"idToken": {"idToken": token.id_token, "type": token.type}}, payload)
        if problems:
            raise csms.failure("the TransactionEvent does not name the authorized idToken", message="\n".join(problems),
                               actual=first.raw[:400], rules=("SEQ",))
        csms.authorized.pop(evse, None)
        if await csms.read_variable("TxCtrlr.StopTxOnInvalidId") != "true":
            csms.transcript.note("Deauthorized: StopTxOnInvalidId is not true, so steps 3-4 do not apply")
            return None
        transaction = str(payload.get("transactionInfo", {}).get("transactionId"))
        events = await csms.transaction_events(
            transaction, after=first, until=lambda r: r.frame.payload.get("triggerReason") == "Deauthorized",  # type: ignore[union-attr]
            what="a TransactionEvent with triggerReason Deauthorized")
        event = events[-1]
        _, stop = await csms.tx_points()
        ends = any(p in stop for p in _DEAUTHORIZE_ENDS)
        wanted: dict[str, Any] = {"eventType": "Ended" if ends else "Updated",
                                  "transactionInfo": {"chargingState": OneOf("EVConnected", "SuspendedEVSE")}}
        if ends:
            wanted["transactionInfo"]["stoppedReason"] = "DeAuthorized"
        problems = difference(wanted, event.frame.payload)  # type: ignore[union-attr]
        if problems:
            raise csms.failure("the Deauthorized TransactionEvent is not as the state expects",
                               message="\n".join(problems), actual=event.raw[:400], rules=("SEQ",))
        csms.transcript.note("Deauthorized steps 5-6: an UnlockConnector for a locked connector is left out (the "
                             "harness cannot see a cable lock)")
        return event


def _first_event_naming(csms: CsmsRole, token: IdToken, after: Record | None) -> Record | None:
    """The first TransactionEvent after `after` whose idToken is `token`."""
    start = after.seq if after is not None else 0
    return next((r for r in csms.transcript.records
                 if r.seq > start and r.direction == "rx" and r.action == "TransactionEvent"
                 and isinstance(r.frame, Call) and r.frame.payload.get("idToken", {}).get("idToken") == token.id_token),
                None)


STATES["Deauthorized"] = deauthorized  # block C coverage (errata 2025-04 §6.2.118)
# ---- block G: the Charging Station as a whole ------------------------------------------------------------------
async def unavailable_station(csms: CsmsRole, sut: StationControl) -> None:
    """*Unavailable* (Table 425) for the whole Charging Station (no evse specified): ChangeAvailability Inoperative
    without evse, Accepted; every connector is reported Unavailable (StatusNotification, or NotifyEvent for the
    Connector, its EVSE or the ChargingStation)."""
    with csms.step("Reusable state Unavailable: ChangeAvailability Inoperative for the whole Charging Station"):
        mark = csms.mark()
        wanted = csms.expect_connector_status("Unavailable", after=mark, wide=True)
        await csms.call_ok("ChangeAvailability", {"operationalStatus": "Inoperative"}, {"status": "Accepted"})
        for exp in wanted:
            await csms.received(exp)
