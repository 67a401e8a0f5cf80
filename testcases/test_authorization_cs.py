"""Block C Authorization (with the Local Authorization List cases of block C), SUT = Charging Station (the
harness plays the CSMS); block D is in test_d_local_list_cs.py.

Each case follows its Part 6 table (errata applied). The Configuration State is applied as the table words it
("if implemented", "if ReadWrite") and nothing else is written: LocalPreAuthorize false is Part 6 §2.1's general
precondition, not something a case sets. The reusable states follow the station's own TxCtrlr start and stop
points; a Prerequisite(s) row the station's own values rule out ends the case as not applicable. After the case
the harness returns the station to idle and restores what it wrote.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from harness import (
    Call,
    CsmsRole,
    IdToken,
    IfImplemented,
    IfWritable,
    NotApplicable,
    PreconditionNotMet,
    Record,
    StationControl,
    booted,
    states,
    testcase,
)

# Before of C_02 / C_06: authorization on where it can be switched, remote authorization not disabled.
AUTH_ENABLED = {"AuthCtrlr.Enabled": IfWritable(True), "AuthCtrlr.DisableRemoteAuthorization": IfImplemented(False)}


# ---- Prerequisite(s) rows ------------------------------------------------------------------------------------------
async def _implemented_true(csms: CsmsRole, key: str) -> None:
    """"X is implemented with value true": otherwise the case does not apply to this station."""
    if await csms.read_variable(key) != "true":
        raise NotApplicable(f"{key} is not implemented with value true (prerequisite)")


async def _authorizes(csms: CsmsRole) -> None:
    """"The Charging Station supports authorization methods other than NoAuthorization": not so for a station
    whose AuthCtrlr.Enabled is false (and stays so, being read-only)."""
    if await csms.read_variable("AuthCtrlr.Enabled") == "false":
        raise NotApplicable("AuthCtrlr.Enabled is false: the station authorizes nothing (prerequisite: an "
                            "authorization method other than NoAuthorization)")


async def _asked(csms: CsmsRole, sut: StationControl, token: IdToken, status: str, what: str) -> Record:
    """`what` (naming `token`) is presented; an AuthorizeRequest with that idToken and type follows, which the
    harness answers `status`. Its record."""
    auth = csms.expect("Authorize", {"idToken": token.wire()}, respond={"idTokenInfo": {"status": status}},
                       description=f"AuthorizeRequest for idToken {token.id_token} type {token.type}")
    with csms.step(f"Manual Action: present {what}. 1-2. AuthorizeRequest with that idToken and type; the harness "
                   f"responds {status}"):
        await sut.present_token(token)
        return await csms.received(auth)


# ---- TC_C_02_CS, TC_C_06_CS -----------------------------------------------------------------------------------------
async def _refused(csms: CsmsRole, sut: StationControl, token: IdToken, status: str) -> None:
    """Main of C_02 / C_06 (the EV already connected): the token is presented, its AuthorizeRequest is answered
    `status`, and no TransactionEventRequest may follow it for <Configured message timeout> seconds."""
    asked = await _asked(csms, sut, token, status, f"idToken {token.id_token}")
    wait = float(csms.configured.message_timeout)
    with csms.step(f"Note: no TransactionEventRequest after the AuthorizeRequest; the harness waits the message "
                   f"timeout ({wait:g} s)"):
        reason = f"the CSMS answered the AuthorizeRequest {status}: no TransactionEventRequest may follow it"
        early = _transaction_events(csms, after=asked)
        if early:  # sent before the watch below began
            raise csms.failure(f"forbidden message: TransactionEvent: {reason}", actual=early[0].raw[:400],
                               rules=("SEQ",))
        await csms.expect_none("TransactionEvent", within=wait, reason=reason)


@testcase("TC_C_02_CS")
async def test_TC_C_02_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await csms.configure(AUTH_ENABLED)
    await _authorizes(csms)
    await states.ev_connected_pre_session(csms, sut)
    await _refused(csms, sut, csms.tokens.invalid, "Invalid")


@testcase("TC_C_06_CS")
async def test_TC_C_06_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await csms.configure(AUTH_ENABLED)
    await _authorizes(csms)
    await states.ev_connected_pre_session(csms, sut)
    await _refused(csms, sut, csms.tokens.blocked, "Blocked")


@testcase("TC_C_05_CS")
async def test_TC_C_05_CS(csms: CsmsRole, sut: StationControl) -> None:
    # AQ-2 (a cable lock keeps the EV out before authorization) decides applicability; the prerequisite on a
    # read-only TxStartPoint without Authorized cannot be read over OCPP (no mutability in GetVariables): the
    # checks below hold for any start point
    await booted(csms, sut)
    await csms.configure(AUTH_ENABLED)
    await _authorizes(csms)
    await _refused(csms, sut, csms.tokens.invalid, "Invalid")


@testcase("TC_C_07_CS")
async def test_TC_C_07_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await csms.configure(AUTH_ENABLED)
    await _authorizes(csms)
    await states.ev_connected_pre_session(csms, sut)
    await _refused(csms, sut, csms.tokens.expired, "Expired")


@testcase("TC_C_56_CS")
async def test_TC_C_56_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await csms.configure(AUTH_ENABLED)
    await _authorizes(csms)
    await states.ev_connected_pre_session(csms, sut)
    await _refused(csms, sut, csms.tokens.invalid, "Unknown")


# ---- TC_C_08_CS, TC_C_37_CS: the authorization cache ------------------------------------------------------------
@testcase("TC_C_08_CS")
async def test_TC_C_08_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await _implemented_true(csms, "AuthCacheCtrlr.Available")
    await _authorizes(csms)
    values = await csms.configure({"AuthCacheCtrlr.Enabled": IfImplemented(True),
                                   "AuthCtrlr.LocalPreAuthorize": IfImplemented(True)})
    token = csms.tokens.valid
    await states.id_token_cached(csms, sut, token)
    await states.ev_connected_pre_session(csms, sut)
    mark = csms.mark()
    with csms.step(f"1. Reusable state Authorized: present the cached idToken {token.id_token} (an "
                   "AuthorizeRequest is not needed for a cached token)"):
        await states.authorized(csms, sut, token, authorize=False, local=True)
    with csms.step("2. Reusable state EnergyTransferStarted (post scenario: energy transfer is started)"):
        await states.energy_transfer_started(csms, sut)
    if values["AuthCtrlr.LocalPreAuthorize"] == "true":
        with csms.beyond_part6("C12.FR.02", "with LocalPreAuthorize true, a token cached as Accepted starts "
                                            "without an AuthorizeRequest"):
            asked = [r for r in _calls(csms, "Authorize", after=mark) if _names(r, token)]
            if asked:
                raise csms.failure("the station asked the CSMS about a token cached as Accepted although "
                                   "LocalPreAuthorize is true", actual=asked[0].raw[:400],
                                   requirements=("C12.FR.02",), rules=("SEQ",))


@testcase("TC_C_37_CS")
async def test_TC_C_37_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await _implemented_true(csms, "AuthCacheCtrlr.Available")
    await _authorizes(csms)
    await csms.configure({"AuthCacheCtrlr.Enabled": IfImplemented(True)})
    token = csms.tokens.valid
    await states.id_token_cached(csms, sut, token)
    with csms.step("1-2. ClearCacheRequest; the station responds Accepted"):
        await csms.call_ok("ClearCache", {}, {"status": "Accepted"})
    with csms.step("3. Reusable state ParkingBayOccupied"):
        await states.parking_bay_occupied(csms, sut)
    with csms.step("4. Reusable state EVConnectedPreSession"):
        await states.ev_connected_pre_session(csms, sut)
    with csms.step(f"Manual Action: present the formerly cached idToken {token.id_token}. 5-6. AuthorizeRequest "
                   "with its idToken and type, Accepted; 7-8. TransactionEvent triggerReason Authorized"):
        asked = csms.expect("Authorize", {"idToken": token.wire()}, after=csms.mark(), shared=True,
                            description=f"AuthorizeRequest for idToken {token.id_token} type {token.type}")
        await states.authorized(csms, sut, token, local=True)
        await csms.received(asked)
    with csms.step("9. Reusable state EnergyTransferStarted"):
        await states.energy_transfer_started(csms, sut)


# ---- TC_C_39_CS: group id ------------------------------------------------------------------------------------------
def _group_of(csms: CsmsRole) -> tuple[IdToken, IdToken, str]:
    """<Configured valid idToken>, the other valid token of its group and <Configured groupIdToken>, from the
    profile's token list (what the harness CSMS answers)."""
    first, other = csms.tokens.valid, csms.tokens.group
    group = first.group_id_token
    if not group or other.group_id_token != group or other.id_token == first.id_token:
        raise PreconditionNotMet("TC_C_39_CS needs two valid idTokens with one <Configured groupIdToken>",
                                 fix="in the station profile give id_tokens.valid and id_tokens.group (another "
                                     "token) the same groupIdToken")
    return first, other, group


@testcase("TC_C_39_CS")
async def test_TC_C_39_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await _authorizes(csms)
    first, other, group = _group_of(csms)
    accepted = {"idTokenInfo": {"status": "Accepted", "groupIdToken": {"idToken": group, "type": "Central"}}}
    evse, connector = csms.configured.evse_id, csms.configured.connector_id
    await states.ev_connected_pre_session(csms, sut)
    start, _ = await csms.tx_points()
    with csms.step(f"Manual Action: present idToken {first.id_token} (group {group}). 1-2. AuthorizeRequest with "
                   "it; Accepted with the groupIdToken. 3-4. TransactionEvent Authorized with it (when TxStartPoint "
                   "has Authorized or the transaction runs); Accepted with the groupIdToken"):
        mark, running = csms.mark(), csms.transaction_on(evse)
        auth = csms.expect("Authorize", {"idToken": first.wire()}, respond=accepted)
        event = None
        if (running is not None or "Authorized" in start
                or (csms.connector_state(evse, connector) == "Occupied" and "PowerPathClosed" in start)):
            event = csms.expect("TransactionEvent", {"eventType": "Updated" if running else "Started",
                                                     "triggerReason": "Authorized", "idToken": first.wire()},
                                respond=accepted, after=mark)
        await sut.present_token(first)
        await csms.received(auth)
        if event is not None:
            await csms.received(event)
        csms.authorized[evse] = first
    with csms.step("5. Reusable state EnergyTransferStarted"):
        await states.energy_transfer_started(csms, sut)
    running = csms.transaction_on(evse)
    with csms.step(f"Manual Action: present the other idToken of the group, {other.id_token}. 6-7. AuthorizeRequest "
                   "with it; Accepted with the groupIdToken. 8-9. TransactionEvent StopAuthorized naming the "
                   "idToken; Accepted with the groupIdToken"):
        auth = csms.expect("Authorize", {"idToken": other.wire()}, respond=accepted)
        stop = csms.expect("TransactionEvent", {"triggerReason": "StopAuthorized",
                                                "transactionInfo": {"transactionId": running}},
                           respond=lambda p: accepted if "idToken" in p else {}, after=csms.mark())
        await sut.present_token(other)
        await csms.received(auth)
        stopped = await csms.received(stop)
        named = stopped.frame.payload.get("idToken")  # type: ignore[union-attr]
        # the table's validation names <Configured valid_idtoken> here, where the other token was presented
        if not isinstance(named, dict) or (named.get("idToken"), named.get("type")) not in (
                (first.id_token, first.type), (other.id_token, other.type)):
            raise csms.failure("the StopAuthorized TransactionEvent does not name the idToken of the group",
                               expected=f"idToken {other.id_token} (or {first.id_token}), type {other.type}",
                               actual=stopped.raw[:400], rules=("SEQ",))
        csms.authorized.pop(evse, None)
    with csms.step("10. Reusable state EVConnectedPostSession"):
        await states.ev_connected_post_session(csms, sut)
    with csms.step("11. Reusable state EVDisconnected"):
        await states.ev_disconnected(csms, sut)
    with csms.step("12. Reusable state ParkingBayUnoccupied"):
        await states.parking_bay_unoccupied(csms, sut)


# ---- TC_C_21_CS, TC_C_26_CS: offline -------------------------------------------------------------------------------
@testcase("TC_C_21_CS")
async def test_TC_C_21_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await _implemented_true(csms, "LocalAuthListCtrlr.Available")
    await _authorizes(csms)
    await csms.configure({"LocalAuthListCtrlr.Enabled": IfImplemented(True),
                          "AuthCtrlr.LocalPreAuthorize": IfImplemented(True),
                          "AuthCtrlr.OfflineTxForUnknownIdEnabled": IfImplemented(False),
                          "AuthCtrlr.LocalAuthorizeOffline": True})
    token = csms.tokens.valid
    evse, connector = csms.configured.evse_id, csms.configured.connector_id
    await states.id_token_local_auth_list(csms, sut, token)
    mark = csms.mark()
    await states.start_offline_transaction(csms, sut, token, evse)
    with csms.step(f"Manual Actions: present idToken {token.id_token} again, unplug the cable, drive out of the "
                   "parking bay (no bay sensor is driven)"):
        await sut.present_token(token)
        await sut.unplug(evse, connector)
    with csms.step("1-2. The station empties its queue (the harness answers the event with the idToken "
                   "Accepted): every TransactionEvent before the StopAuthorized one offline true"):
        events = await _events_until(csms, mark, lambda p: p.get("triggerReason") == "StopAuthorized",
                                     "the queued TransactionEvents up to one with triggerReason StopAuthorized")
        for record in events[:-1]:
            if record.frame.payload.get("offline") is not True:  # type: ignore[union-attr]
                raise csms.failure("a TransactionEvent before the StopAuthorized one lacks offline true ($.offline)",
                                   actual=record.raw[:400], rules=("SEQ",))
    with csms.step("3. Reusable state ParkingBayUnoccupied"):
        await states.parking_bay_unoccupied(csms, sut)


@testcase("TC_C_26_CS")
async def test_TC_C_26_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    if await csms.read_variable("AuthCtrlr.OfflineTxForUnknownIdEnabled") is None:
        raise NotApplicable("AuthCtrlr.OfflineTxForUnknownIdEnabled is not implemented (prerequisite)")
    await _authorizes(csms)
    await csms.configure({"LocalAuthListCtrlr.Enabled": IfImplemented(True),
                          "AuthCtrlr.LocalPreAuthorize": IfImplemented(True),
                          "AuthCtrlr.OfflineTxForUnknownIdEnabled": True, "AuthCtrlr.LocalAuthorizeOffline": True,
                          "TxCtrlr.MaxEnergyOnInvalidId": IfImplemented(0), "TxCtrlr.StopTxOnInvalidId": False})
    # the table presents the configured valid idToken: a token the station may not know, whose transaction the
    # harness then calls Invalid (a made-up token would stay Invalid in the station's cache for the next run)
    token = csms.tokens.valid
    evse, connector = csms.configured.evse_id, csms.configured.connector_id
    mark = csms.mark()  # what the station sends once back, registered before it can come
    occupied = csms.expect_status(evse, connector, "Occupied", after=mark)
    invalid = csms.expect("TransactionEvent", {"idToken": {"idToken": token.id_token}},
                          respond={"idTokenInfo": {"status": "Invalid"}}, after=mark,
                          description=f"TransactionEvent with idToken {token.id_token}")
    back = await states.start_offline_transaction(csms, sut, token, evse)
    with csms.step("1-2 (errata 2024-11). Back online, the station reports its connector Occupied"):
        await csms.received(occupied, within=csms.reconnect_wait(2))
    with csms.step("The station empties its queue; the harness answers the TransactionEvent with the idToken "
                   "Invalid; one event reports chargingState SuspendedEVSE"):
        answered = await csms.received(invalid)
        transaction = answered.frame.payload.get("transactionInfo", {}).get("transactionId")  # type: ignore[union-attr]
        await csms.receive("TransactionEvent", {"transactionInfo": {"transactionId": transaction,
                                                                    "chargingState": "SuspendedEVSE"}},
                           after=mark, shared=True, description="a TransactionEvent with chargingState SuspendedEVSE")
    with csms.step("3. Reusable state StopAuthorized (the same idToken)"):
        await states.stop_authorized(csms, sut, token, local=True)
    with csms.step("Tool validation of step 1: every TransactionEvent the station queued while offline has "
                   "offline true"):
        _queued_offline(csms, mark, back)
    with csms.step("4. Reusable state EVConnectedPostSession"):
        await states.ev_connected_post_session(csms, sut)
    with csms.step("5. Reusable state EVDisconnected"):
        await states.ev_disconnected(csms, sut)


# ---- TC_C_22..25_CS: offline authorization through the Local Authorization List (C13) ------------------------------
def _authorized_with(token: IdToken) -> dict[str, Any]:
    return {"triggerReason": "Authorized", "idToken": {"idToken": token.id_token}}


async def _offline_refusal(csms: CsmsRole, sut: StationControl, token: IdToken, status: str) -> None:
    """C_22/23/24: the list holds `token` as `status`; offline, the EV enters the bay and the token is presented;
    back online, only when TxStartPoint has ParkingBayOccupancy the queue holds a TransactionEvent EVDetected with
    offline true (the tables' step 5). That the refused token authorized nothing is beyond the tables."""
    await booted(csms, sut)
    await _implemented_true(csms, "LocalAuthListCtrlr.Available")
    await _authorizes(csms)
    await csms.configure({"LocalAuthListCtrlr.Enabled": IfImplemented(True),
                          "AuthCtrlr.LocalPreAuthorize": IfImplemented(True),
                          "AuthCtrlr.OfflineTxForUnknownIdEnabled": IfImplemented(False),
                          "AuthCtrlr.LocalAuthorizeOffline": True, **states.offline_window(csms)})
    await states.id_token_local_auth_list(csms, sut, token, status=status)
    start, _ = await csms.tx_points()
    bay = "ParkingBayOccupancy" in start
    evse = csms.configured.evse_id
    with csms.step(f"1-3. The harness closes the connection and refuses reconnects. Manual Actions: drive the EV into "
                   f"the parking bay{'' if bay else ' (no bay sensor is driven: TxStartPoint has no bay)'}, present "
                   f"idToken {token.id_token} ({status} in the list)"):
        await csms.go_offline()
        mark = csms.mark()
        detected = csms.expect("TransactionEvent", {"triggerReason": "EVDetected", "offline": True}, after=mark,
                               description="TransactionEvent triggerReason EVDetected, offline true") if bay else None
        if bay:
            await sut.parking_bay(evse, True)
        await sut.present_token(token, evse)
    with csms.step("4. The harness accepts the reconnect" + (
            "; 5-6. TransactionEvent offline true, triggerReason EVDetected" if bay else "")):
        csms.go_online(reconnect_awaited=False)  # the window below, the reconnect in it, is the declared wait
        with csms.beyond_part6("C13.FR.02", f"the {status.lower()} idToken authorized nothing while offline"):
            await csms.expect_none("TransactionEvent", _authorized_with(token),
                                   within=csms.reconnect_wait() + csms.timeout(None),
                                   reason=f"the Local Authorization List holds idToken {token.id_token} as {status}",
                                   requirements=("C13.FR.02",))
        if detected is not None:
            await csms.received(detected, within=csms.reconnect_wait())
    if bay:
        with csms.step("Manual Action: drive the EV out of the parking bay"):
            await sut.parking_bay(evse, False)


@testcase("TC_C_22_CS")
async def test_TC_C_22_CS(csms: CsmsRole, sut: StationControl) -> None:
    await _offline_refusal(csms, sut, csms.tokens.invalid, "Invalid")


@testcase("TC_C_23_CS")
async def test_TC_C_23_CS(csms: CsmsRole, sut: StationControl) -> None:
    await _offline_refusal(csms, sut, csms.tokens.blocked, "Blocked")


@testcase("TC_C_24_CS")
async def test_TC_C_24_CS(csms: CsmsRole, sut: StationControl) -> None:
    await _offline_refusal(csms, sut, csms.tokens.expired, "Expired")


@testcase("TC_C_25_CS")
async def test_TC_C_25_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await _implemented_true(csms, "LocalAuthListCtrlr.Available")
    await _implemented_true(csms, "AuthCacheCtrlr.Available")  # errata 2025-04: the variable's right name
    if await csms.read_variable("AuthCtrlr.OfflineTxForUnknownIdEnabled") is None:
        raise NotApplicable("AuthCtrlr.OfflineTxForUnknownIdEnabled is not implemented (prerequisite)")
    await _authorizes(csms)
    duration = csms.configured.transaction_duration
    await csms.configure({"LocalAuthListCtrlr.Enabled": IfImplemented(True),
                          "AuthCtrlr.LocalPreAuthorize": IfImplemented(True),
                          "AuthCtrlr.OfflineTxForUnknownIdEnabled": True, "AuthCtrlr.LocalAuthorizeOffline": True,
                          "TxCtrlr.StopTxOnInvalidId": False, **states.offline_window(csms)})
    token = csms.tokens.valid
    await states.id_token_cached(csms, sut, token)
    await states.id_token_local_auth_list(csms, sut, token, status="Invalid")
    await states.ev_connected_pre_session(csms, sut)
    reason = (f"the Local Authorization List holds idToken {token.id_token} as Invalid, which outranks the cache's "
              "Accepted: no transaction may start")
    with csms.step(f"1. The harness closes the connection and refuses reconnects. Manual Action: present idToken "
                   f"{token.id_token}; the harness waits the Transaction Duration ({duration:g} s)"):
        await csms.go_offline()
        rules = [csms.forbid("TransactionEvent", started, reason=reason, requirements=("C13.FR.01", "C14.FR.01"))
                 for started in ({"eventType": "Started"}, _authorized_with(token))]
        await sut.present_token(token, csms.configured.evse_id)
        await csms.hold(duration, "<Configured Transaction Duration>")
    with csms.step("2-3. The harness accepts the reconnect; the station does not start a transaction (MeterValues "
                   "allowed)"):
        csms.go_online(reconnect_awaited=False)  # the window below, the reconnect in it, is the declared wait
        await csms.hold(csms.reconnect_wait() + csms.timeout(None), "the reconnect and the station's queue: no "
                        "transaction starts")
        for rule in rules:
            csms.allow(rule)


# ---- TC_C_27..31_CS: online authorization through the Local Authorization List (C14) -------------------------------
async def _listed_online(csms: CsmsRole, sut: StationControl, token: IdToken, status: str) -> None:
    """Before of C_27..C_31: the list available (prerequisite) and enabled, LocalPreAuthorize true (each if
    implemented), for a token that is not Accepted LocalAuthListCtrlr.DisablePostAuthorize false (if implemented);
    memory state: `token` in the list with `status`."""
    await booted(csms, sut)
    await _implemented_true(csms, "LocalAuthListCtrlr.Available")
    await _authorizes(csms)
    await csms.configure({"LocalAuthListCtrlr.Enabled": IfImplemented(True),
                          "AuthCtrlr.LocalPreAuthorize": IfImplemented(True),
                          **({} if status == "Accepted" else
                             {"LocalAuthListCtrlr.DisablePostAuthorize": IfImplemented(False)})})
    await states.id_token_local_auth_list(csms, sut, token, status=status)


async def _list_entry_asked(csms: CsmsRole, sut: StationControl, token: IdToken, status: str) -> None:
    """C_28/29/30: the token the list holds as `status` is presented; the station still asks the CSMS (C14.FR.03),
    which answers `status`."""
    await _asked(csms, sut, token, status, f"the {status.lower()} idToken {token.id_token} of the list")


@testcase("TC_C_27_CS")
async def test_TC_C_27_CS(csms: CsmsRole, sut: StationControl) -> None:
    token = csms.tokens.valid
    await _listed_online(csms, sut, token, "Accepted")
    with csms.step(f"Manual Action: present the valid idToken {token.id_token} of the list. 1-2. TransactionEvent "
                   "triggerReason Authorized with it when TxStartPoint has Authorized or a transaction runs; "
                   "Accepted"):
        await states.authorized(csms, sut, token, authorize=False, local=True)
    with csms.step("3. Reusable state EVConnectedPreSession"):
        await states.ev_connected_pre_session(csms, sut)
    with csms.step("4. Reusable state EnergyTransferStarted (post scenario: energy is transferred)"):
        await states.energy_transfer_started(csms, sut)


@testcase("TC_C_28_CS")
async def test_TC_C_28_CS(csms: CsmsRole, sut: StationControl) -> None:
    await _listed_online(csms, sut, csms.tokens.invalid, "Invalid")
    await _list_entry_asked(csms, sut, csms.tokens.invalid, "Invalid")


@testcase("TC_C_29_CS")
async def test_TC_C_29_CS(csms: CsmsRole, sut: StationControl) -> None:
    await _listed_online(csms, sut, csms.tokens.blocked, "Blocked")
    await states.ev_connected_pre_session(csms, sut)
    await _list_entry_asked(csms, sut, csms.tokens.blocked, "Blocked")


@testcase("TC_C_30_CS")
async def test_TC_C_30_CS(csms: CsmsRole, sut: StationControl) -> None:
    await _listed_online(csms, sut, csms.tokens.expired, "Expired")
    await states.ev_connected_pre_session(csms, sut)
    await _list_entry_asked(csms, sut, csms.tokens.expired, "Expired")


@testcase("TC_C_31_CS")
async def test_TC_C_31_CS(csms: CsmsRole, sut: StationControl) -> None:
    token = csms.tokens.invalid
    await _listed_online(csms, sut, token, "Invalid")
    csms.answer_token(token, {"status": "Accepted"})  # the CSMS's status is newer than the list's
    with csms.step(f"1. Reusable state Authorized: present the idToken {token.id_token} the list holds as Invalid; "
                   "the harness answers Accepted"):
        await states.authorized(csms, sut, token, local=True)
    with csms.step("2. Reusable state EVConnectedPreSession"):
        await states.ev_connected_pre_session(csms, sut)
    with csms.step("3. Reusable state EnergyTransferStarted (post scenario: energy is transferred)"):
        await states.energy_transfer_started(csms, sut)


@testcase("TC_C_58_CS")
async def test_TC_C_58_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await _implemented_true(csms, "LocalAuthListCtrlr.Available")
    if await csms.read_variable("LocalAuthListCtrlr.DisablePostAuthorize") is None:
        raise NotApplicable("LocalAuthListCtrlr.DisablePostAuthorize is not implemented (prerequisite)")
    await _authorizes(csms)
    await csms.configure({"LocalAuthListCtrlr.Enabled": IfImplemented(True),
                          "AuthCtrlr.LocalPreAuthorize": IfImplemented(True),
                          "LocalAuthListCtrlr.DisablePostAuthorize": True})
    token = csms.tokens.invalid
    await states.id_token_local_auth_list(csms, sut, token, status="Invalid")
    wait = float(csms.configured.message_timeout)
    reason = ("LocalAuthListCtrlr.DisablePostAuthorize is true: a token the list holds as Invalid is refused without "
              "an AuthorizeRequest")
    with csms.step(f"Manual Action: present the invalid idToken {token.id_token} of the list. 1. The station sends no "
                   f"AuthorizeRequest and refuses it (the harness watches {wait:g} s)"):
        rules = [csms.forbid("Authorize", {"idToken": {"idToken": token.id_token}}, reason=reason),
                 csms.forbid("TransactionEvent", _authorized_with(token), reason=reason)]
        try:
            await sut.present_token(token)
            await csms.hold(wait, "the station decides from its list alone")
        finally:
            for rule in rules:
                csms.allow(rule)


def _queued_offline(csms: CsmsRole, mark: Record | None, back: Record | None) -> None:
    """Every TransactionEvent stamped before the harness accepted the reconnection was queued while the station
    was offline: it must carry offline true."""
    if back is None:
        return
    for record in _calls(csms, "TransactionEvent", after=mark):
        payload = record.frame.payload  # type: ignore[union-attr]
        stamp = _timestamp(payload.get("timestamp"))
        if stamp is not None and stamp < back.time and payload.get("offline") is not True:
            raise csms.failure("a TransactionEvent queued while offline lacks offline true ($.offline)",
                               actual=record.raw[:400], rules=("SEQ",))


def _timestamp(value: Any) -> float | None:
    """An OCPP dateTime as seconds since the epoch (None when it is not one: the schema check says so)."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


# ---- transcript helpers --------------------------------------------------------------------------------------------
def _calls(csms: CsmsRole, action: str, *, after: Record | None) -> list[Record]:
    """The station's CALLs of `action` after `after`, in order."""
    start = after.seq if after is not None else 0
    return [r for r in csms.transcript.records
            if r.seq > start and r.direction == "rx" and r.message_type == 2 and r.action == action]


def _names(record: Record, token: IdToken) -> bool:
    """Whether the CALL names `token` in its idToken field."""
    given = record.frame.payload.get("idToken") if isinstance(record.frame, Call) else None
    return isinstance(given, dict) and given.get("idToken") == token.id_token


def _transaction_events(csms: CsmsRole, *, after: Record) -> list[Record]:
    return _calls(csms, "TransactionEvent", after=after)


async def _events_until(csms: CsmsRole, mark: Record | None, until: Callable[[dict[str, Any]], bool],
                        what: str) -> list[Record]:
    """The station's TransactionEvents after `mark`, up to and including the first for which `until` holds
    (waiting for the station to reconnect and empty its queue)."""
    seen: dict[int, Record] = {}

    def wanted(record: Record) -> bool:
        if record.direction != "rx" or record.message_type != 2 or record.action != "TransactionEvent":
            return False
        seen[record.seq] = record
        return until(record.frame.payload)  # type: ignore[union-attr]

    last = await csms.wait_record(wanted, what=what, after=mark.seq if mark is not None else 0,
                                  within=csms.reconnect_wait(2))
    return [r for seq, r in sorted(seen.items()) if seq <= last.seq]
