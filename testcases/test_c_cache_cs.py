"""Block C, the Authorization Cache (C10-C12), SUT = Charging Station (the harness plays the CSMS).

Each case follows its Part 6 table (errata applied). The token is presented at the station (Part 6's local
scenario; errata 2025-02 §6.2.22 allows the remote one too, which these cases leave to the Authorized state's
setting where they use it). Where the harness must answer a token otherwise than the profile's token list says
(a valid token the table calls Invalid), it says so with `csms.answer_token` for the rest of the case. Prerequisite
rows the station's own values rule out end the case as not applicable; a plain configuration value a station
does not implement (LocalPreAuthorize) makes the case not applicable too, as the table cannot be set up.
"""

from __future__ import annotations

from typing import Any

from harness import (
    CsmsRole,
    IdToken,
    IfImplemented,
    NotApplicable,
    Record,
    StationControl,
    Where,
    booted,
    states,
    testcase,
)

CACHE_ON = {"AuthCacheCtrlr.Enabled": IfImplemented(True), "AuthCtrlr.LocalPreAuthorize": IfImplemented(True)}
ASK_AGAIN = {"AuthCacheCtrlr.DisablePostAuthorize": IfImplemented(False)}


# ---- Prerequisite(s) rows ------------------------------------------------------------------------------------------
async def _cache_available(csms: CsmsRole) -> None:
    """AuthCacheCtrlr.Available implemented with value true (errata 2025-04 names it so), and an authorization
    method other than NoAuthorization (AuthCtrlr.Enabled not false)."""
    if await csms.read_variable("AuthCacheCtrlr.Available") != "true":
        raise NotApplicable("AuthCacheCtrlr.Available is not implemented with value true (prerequisite)")
    if await csms.read_variable("AuthCtrlr.Enabled") == "false":
        raise NotApplicable("AuthCtrlr.Enabled is false: the station authorizes nothing (prerequisite: an "
                            "authorization method other than NoAuthorization)")


async def _implemented(csms: CsmsRole, key: str, why: str) -> None:
    if await csms.read_variable(key) is None:
        raise NotApplicable(f"{key} is not implemented ({why})")


def _step_event(csms: CsmsRole, token: IdToken, mark: Record | None, respond: dict[str, Any] | None = None) -> Any:
    """A TransactionEvent with triggerReason Authorized naming `token` (Updated when a transaction runs)."""
    running = csms.transaction_on(csms.configured.evse_id)
    return csms.expect("TransactionEvent", {"eventType": "Updated" if running else "Started",
                                            "triggerReason": "Authorized", "idToken": token.wire()},
                       respond=respond, after=mark, shared=True,
                       description=f"TransactionEvent Authorized with idToken {token.id_token}")


async def _present_asked(csms: CsmsRole, sut: StationControl, token: IdToken, status: str, title: str) -> Record:
    """Present `token`; its AuthorizeRequest (idToken and type) is answered `status`."""
    with csms.step(title):
        auth = csms.expect("Authorize", {"idToken": token.wire()}, respond={"idTokenInfo": {"status": status}},
                           after=csms.mark(), description=f"AuthorizeRequest for idToken {token.id_token} type "
                                                          f"{token.type}")
        await sut.present_token(token)
        return await csms.received(auth)


# ---- TC_C_09/10/11_CS: a refused token in the cache is asked about again --------------------------------------------
async def _cached_refusal(csms: CsmsRole, sut: StationControl, token: IdToken, status: str) -> None:
    await booted(csms, sut)
    await _cache_available(csms)
    await csms.configure({**CACHE_ON, **ASK_AGAIN})
    await states.id_token_cached(csms, sut, token)
    await states.ev_connected_pre_session(csms, sut)
    await _present_asked(csms, sut, token, status,
                         f"Manual Action: present the cached {status} idToken {token.id_token}. 1-2. AuthorizeRequest "
                         f"with its idToken and type; the harness responds {status}")


@testcase("TC_C_09_CS")
async def test_TC_C_09_CS(csms: CsmsRole, sut: StationControl) -> None:
    await _cached_refusal(csms, sut, csms.tokens.invalid, "Invalid")


@testcase("TC_C_10_CS")
async def test_TC_C_10_CS(csms: CsmsRole, sut: StationControl) -> None:
    await _cached_refusal(csms, sut, csms.tokens.blocked, "Blocked")


@testcase("TC_C_11_CS", notes="the table's validation names the valid token; the expired one is presented")
async def test_TC_C_11_CS(csms: CsmsRole, sut: StationControl) -> None:
    await _cached_refusal(csms, sut, csms.tokens.expired, "Expired")


@testcase("TC_C_12_CS", notes="the table's validation names the valid token; the invalid one is presented")
async def test_TC_C_12_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await _cache_available(csms)
    await csms.configure({**CACHE_ON, **ASK_AGAIN})
    token = csms.tokens.invalid
    await states.id_token_cached(csms, sut, token)
    await states.ev_connected_pre_session(csms, sut)
    csms.answer_token(token, {"status": "Accepted"})  # the CSMS now knows it as valid: its events too
    await _present_asked(csms, sut, token, "Accepted",
                         f"Manual Action: present the idToken {token.id_token} the cache holds as Invalid. 1-2. "
                         "AuthorizeRequest with its idToken and type; the harness responds Accepted. 3-4 (optional). "
                         "TransactionEvent, answered Accepted")
    csms.authorized[csms.configured.evse_id] = token
    with csms.step("5. Reusable state EnergyTransferStarted (post scenario: energy transfer is started)"):
        await states.energy_transfer_started(csms, sut)


# ---- TC_C_13_CS: Accepted in the cache, the cable not connected yet --------------------------------------------------
@testcase("TC_C_13_CS")
async def test_TC_C_13_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await _cache_available(csms)
    await csms.configure(CACHE_ON)
    token = csms.tokens.valid
    await states.id_token_cached(csms, sut, token)
    await states.parking_bay_occupied(csms, sut)
    with csms.step(f"Manual Action: present the cached idToken {token.id_token}. 1-2. TransactionEvent Authorized "
                   "with it (Started, or Updated in a running transaction) when TxStartPoint has Authorized or a "
                   "transaction runs; Accepted"):
        await states.authorized(csms, sut, token, authorize=False, local=True)
    with csms.step("3. Reusable state EVConnectedPreSession"):
        await states.ev_connected_pre_session(csms, sut)
    with csms.step("4. Reusable state EnergyTransferStarted (post scenario: energy transfer is started)"):
        await states.energy_transfer_started(csms, sut)


# ---- TC_C_57_CS: DisablePostAuthorize ----------------------------------------------------------------------------
@testcase("TC_C_57_CS")
async def test_TC_C_57_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await _cache_available(csms)
    await _implemented(csms, "AuthCacheCtrlr.DisablePostAuthorize", "prerequisite")
    await csms.configure({**CACHE_ON, "AuthCacheCtrlr.DisablePostAuthorize": True})
    token = csms.tokens.invalid
    await states.id_token_cached(csms, sut, token)
    await states.ev_connected_pre_session(csms, sut)
    wait = float(csms.configured.message_timeout)
    with csms.step(f"Manual Action: present the cached Invalid idToken {token.id_token}. 1. The station sends no "
                   f"AuthorizeRequest and no transaction starts (the harness watches {wait:g} s)"):
        mark = csms.mark()
        rule = csms.forbid("Authorize", {"idToken": {"idToken": token.id_token}},
                           reason="AuthCacheCtrlr.DisablePostAuthorize is true: a token the cache holds as Invalid is "
                                  "refused without an AuthorizeRequest", requirements=("C12.FR.05",))
        try:
            await sut.present_token(token)
            await csms.hold(wait, "the station decides from its cache alone")
        finally:
            csms.allow(rule)
        started = [r for r in csms.transcript.records if r.seq > (mark.seq if mark else 0) and r.direction == "rx"
                   and r.action == "TransactionEvent" and r.message_type == 2
                   # an authorization: the Started event with the token, or its Authorized update (an Ended event
                   # carrying it belongs to the session of the memory state IdTokenCached, arriving late)
                   and (r.frame.payload.get("eventType") == "Started"  # type: ignore[union-attr]
                        or r.frame.payload.get("triggerReason") == "Authorized")  # type: ignore[union-attr]
                   and r.frame.payload.get("idToken", {}).get("idToken") == token.id_token]  # type: ignore[union-attr]
        if started:
            raise csms.failure("the station authorized a token its cache holds as Invalid",
                               actual=started[0].raw[:400], requirements=("C12.FR.05",), rules=("SEQ",))


# ---- TC_C_15/16/17/18_CS: Accepted in the cache, Invalid at the CSMS, learned once back online ----------------------
def _offline_configuration(*, stop: bool, max_energy: int, backoff: int | None) -> dict[str, Any]:
    values: dict[str, Any] = {"AuthCacheCtrlr.Enabled": IfImplemented(True),
                              "AuthCtrlr.LocalPreAuthorize": IfImplemented(True),
                              "AuthCtrlr.LocalAuthorizeOffline": True,
                              "AuthCtrlr.OfflineTxForUnknownIdEnabled": IfImplemented(True),
                              "TxCtrlr.StopTxOnInvalidId": stop, "TxCtrlr.MaxEnergyOnInvalidId": max_energy}
    if backoff is not None:  # C_15 / C_18: a back-off long enough for the manual actions, no random part
        values.update({"OCPPCommCtrlr.OfflineThreshold": backoff + 60,
                       "OCPPCommCtrlr.RetryBackOffWaitMinimum": backoff,
                       "OCPPCommCtrlr.RetryBackOffRandomRange": 0})
    return values


async def _cached_then_invalid(csms: CsmsRole, sut: StationControl, *, stop: bool, max_energy: int,
                               backoff: bool, wait: float, until: str) -> list[Record]:
    """Before and steps 1-4: the valid token cached (and on the local list where there is one), the EV connected;
    offline, the token presented, the table's wait; back online the station empties its queue and the harness
    answers every event naming the token Invalid. Returns the station's TransactionEvents from going offline up
    to and including the first whose triggerReason is `until` (or, for "SuspendedEVSE", whose chargingState is)."""
    await booted(csms, sut)
    await _cache_available(csms)
    if max_energy:
        await _implemented(csms, "TxCtrlr.MaxEnergyOnInvalidId", "prerequisite: MaxEnergyOnInvalidId implemented")
    minimum = csms.configured.retry_back_off_wait_minimum if backoff else None
    await csms.configure(_offline_configuration(stop=stop, max_energy=max_energy, backoff=minimum))
    token, evse = csms.tokens.valid, csms.configured.evse_id
    await states.id_token_cached(csms, sut, token)
    if await csms.read_variable("LocalAuthListCtrlr.Available") == "true":
        await states.id_token_local_auth_list(csms, sut, token)
    await states.ev_connected_pre_session(csms, sut)
    with csms.step(f"1. The harness closes the connection and refuses reconnects. Manual Action: present the cached "
                   f"idToken {token.id_token}; the harness waits {wait:g} s"):
        mark = csms.mark()
        await csms.go_offline()
        await sut.present_token(token, evse)
        csms.authorized[evse] = token
        await csms.hold(wait, "the table's wait while offline")
    with csms.step("2. The harness accepts the reconnection; 3-4. the station empties its queue, the harness answers "
                   f"every TransactionEvent with idToken {token.id_token} Invalid"):
        csms.answer_token(token, {"status": "Invalid"})
        csms.go_online()

        def last(record: Record) -> bool:
            payload = record.frame.payload  # type: ignore[union-attr]
            if until == "SuspendedEVSE":
                return payload.get("transactionInfo", {}).get("chargingState") == "SuspendedEVSE"
            return payload.get("triggerReason") == until

        return await _events_until(csms, mark, last, f"the queued TransactionEvents up to one with {until}")


async def _events_until(csms: CsmsRole, mark: Record | None, until: Any, what: str) -> list[Record]:
    seen: dict[int, Record] = {}

    def wanted(record: Record) -> bool:
        if record.direction != "rx" or record.message_type != 2 or record.action != "TransactionEvent":
            return False
        seen[record.seq] = record
        return bool(until(record))

    last = await csms.wait_record(wanted, what=what, after=mark.seq if mark is not None else 0,
                                  within=csms.reconnect_wait(2) + csms.configured.transaction_duration)
    return [r for seq, r in sorted(seen.items()) if seq <= last.seq]


def _payloads(events: list[Record]) -> list[dict[str, Any]]:
    return [r.frame.payload for r in events]  # type: ignore[union-attr]


def _authorized_offline(csms: CsmsRole, events: list[Record], token: IdToken, *, required: bool) -> None:
    """"A message with (optional): triggerReason Authorized, the idToken, offline true"."""
    authorized = [r for r in events if r.frame.payload.get("triggerReason") == "Authorized"]  # type: ignore[union-attr]
    if not authorized:
        if required:
            raise csms.failure("no TransactionEvent with triggerReason Authorized among the queued events",
                               actual=events[-1].raw[:400] if events else "", rules=("SEQ",))
        return
    payload = authorized[0].frame.payload  # type: ignore[union-attr]
    given = payload.get("idToken") or {}
    if (given.get("idToken"), given.get("type")) != (token.id_token, token.type) or payload.get("offline") is not True:
        raise csms.failure("the queued Authorized TransactionEvent does not name the idToken with offline true",
                           expected=f"idToken {token.id_token} type {token.type}, offline true",
                           actual=authorized[0].raw[:400], rules=("SEQ",))


def _charging_offline(csms: CsmsRole, events: list[Record]) -> None:
    """"A message with: triggerReason ChargingStateChanged, offline true"."""
    if not any(p.get("triggerReason") == "ChargingStateChanged" and p.get("offline") is True for p in _payloads(events)):
        raise csms.failure("no queued TransactionEvent with triggerReason ChargingStateChanged and offline true "
                           "($.offline)", actual=events[-1].raw[:400] if events else "", rules=("SEQ",))


@testcase("TC_C_15_CS")
async def test_TC_C_15_CS(csms: CsmsRole, sut: StationControl) -> None:
    duration = float(csms.configured.transaction_duration)
    events = await _cached_then_invalid(csms, sut, stop=False, max_energy=10000, backoff=True, wait=duration,
                                        until="ChargingStateChanged")
    token = csms.tokens.valid
    with csms.step("Tool validation of step 3: the Authorized event (optional) and the ChargingStateChanged event "
                   "with offline true"):
        _authorized_offline(csms, events, token, required=False)
        _charging_offline(csms, events)
    wait = float(csms.configured.message_timeout)
    with csms.step(f"Tool validation of step 3: no Deauthorized and no SuspendedEVSE event (MaxEnergyOnInvalidId "
                   f"10000 Wh is not used up; the harness watches {wait:g} s)"):
        await csms.hold(wait, "the station may not stop the energy before MaxEnergyOnInvalidId is delivered")
        _no_stop(csms, [r for r in csms.transcript.records if r.seq >= events[0].seq and r.direction == "rx"
                        and r.action == "TransactionEvent" and r.message_type == 2])


def _no_stop(csms: CsmsRole, events: list[Record]) -> None:
    for record, payload in zip(events, _payloads(events), strict=True):
        if payload.get("triggerReason") == "Deauthorized" or (
                payload.get("triggerReason") == "ChargingStateChanged"
                and payload.get("transactionInfo", {}).get("chargingState") == "SuspendedEVSE"):
            raise csms.failure("the station stopped the energy (Deauthorized or SuspendedEVSE) though "
                               "MaxEnergyOnInvalidId is not used up", actual=record.raw[:400], rules=("SEQ",))


@testcase("TC_C_16_CS")
async def test_TC_C_16_CS(csms: CsmsRole, sut: StationControl) -> None:
    events = await _cached_then_invalid(csms, sut, stop=True, max_energy=0, backoff=False, wait=5.0,
                                        until="Deauthorized")
    with csms.step("5-6. TransactionEvent triggerReason Deauthorized. Tool validation of step 3: the Authorized "
                   "event (optional), ChargingStateChanged with offline true, Deauthorized"):
        _authorized_offline(csms, events, csms.tokens.valid, required=False)
        _charging_offline(csms, events)


@testcase("TC_C_17_CS")
async def test_TC_C_17_CS(csms: CsmsRole, sut: StationControl) -> None:
    events = await _cached_then_invalid(csms, sut, stop=False, max_energy=0, backoff=False, wait=5.0,
                                        until="SuspendedEVSE")
    with csms.step("5-6. The station stops offering energy: chargingState SuspendedEVSE. Tool validation: the "
                   "Authorized event with the idToken and offline true, a SuspendedEVSE event"):
        _authorized_offline(csms, events, csms.tokens.valid, required=True)
        # "no message with triggerReason SuspendedEVSE": not a TriggerReasonEnumType value, the schema check has it


@testcase("TC_C_18_CS")
async def test_TC_C_18_CS(csms: CsmsRole, sut: StationControl) -> None:
    duration = float(csms.configured.transaction_duration)
    events = await _cached_then_invalid(csms, sut, stop=True, max_energy=500, backoff=True, wait=duration,
                                        until="Deauthorized")
    with csms.step("5-6. TransactionEvent triggerReason Deauthorized with offline false. Tool validation of step 3: "
                   "the Authorized event (optional), ChargingStateChanged with offline true"):
        _authorized_offline(csms, events, csms.tokens.valid, required=False)
        _charging_offline(csms, events)
        if events[-1].frame.payload.get("offline", False) is not False:  # type: ignore[union-attr]
            raise csms.failure("the Deauthorized TransactionEvent carries offline true: it happened online",
                               actual=events[-1].raw[:400], rules=("SEQ",))


# ---- TC_C_32/33/34/36/38/46_CS: storing and clearing ---------------------------------------------------------------
@testcase("TC_C_32_CS")
async def test_TC_C_32_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await _cache_available(csms)
    await _implemented(csms, "AuthCtrlr.LocalPreAuthorize", "the table sets it true")
    await csms.configure({"AuthCacheCtrlr.Enabled": IfImplemented(True), "AuthCtrlr.LocalPreAuthorize": True})
    token = csms.tokens.valid
    await states.id_token_cached(csms, sut, token)
    with csms.step("1. Reusable state Booted (a power cycle)"):
        await booted(csms, sut, power_cycle=True)
    mark = csms.mark()
    with csms.step(f"Manual Action: present the cached idToken {token.id_token}. 2-3. TransactionEvent Authorized "
                   "with it when TxStartPoint has Authorized or a transaction runs; Accepted"):
        await states.authorized(csms, sut, token, authorize=False, local=True)
    with csms.step("4. Reusable state EVConnectedPreSession"):
        await states.ev_connected_pre_session(csms, sut)
    with csms.step("5. Reusable state EnergyTransferStarted"):
        await states.energy_transfer_started(csms, sut)
    with csms.beyond_part6("C10.FR.02", "the cache outlived the reboot: no AuthorizeRequest for the cached token"):
        asked = [r for r in csms.transcript.records if r.seq > (mark.seq if mark else 0) and r.direction == "rx"
                 and r.action == "Authorize" and r.message_type == 2]
        if asked:
            raise csms.failure("after the reboot the station asked the CSMS about the token its cache held as "
                               "Accepted (LocalPreAuthorize is true): the cache did not survive the reboot",
                               actual=asked[0].raw[:400], requirements=("C10.FR.02",), rules=("SEQ",))


async def _forget(csms: CsmsRole, token: IdToken) -> None:
    """The token must be unknown to the station for the table's first AuthorizeRequest: where the case enabled the
    Local Authorization List, a Differential update takes the token out of it (an earlier case may have put it
    there), and a ClearCache empties the cache (its answer is not judged here)."""
    with csms.step(f"Memory: idToken {token.id_token} is neither on the Local Authorization List nor in the cache"):
        if await csms.read_variable("LocalAuthListCtrlr.Enabled") == "true":
            version = (await csms.call_ok("GetLocalListVersion", {})).get("versionNumber", 0)
            await csms.call_ok("SendLocalList", {"versionNumber": int(version) + 1, "updateType": "Differential",
                                                 "localAuthorizationList": [{"idToken": token.wire()}]})
        await csms.call_ok("ClearCache", {})


@testcase("TC_C_33_CS")
async def test_TC_C_33_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await _cache_available(csms)
    await _implemented(csms, "AuthCtrlr.LocalPreAuthorize", "the table sets it true")
    await _implemented(csms, "LocalAuthListCtrlr.Enabled", "the table sets it true")
    await csms.configure({"AuthCacheCtrlr.Enabled": IfImplemented(True), "AuthCtrlr.LocalPreAuthorize": True,
                          "LocalAuthListCtrlr.Enabled": True})
    token = csms.tokens.valid
    await _forget(csms, token)
    await states.ev_connected_pre_session(csms, sut)
    with csms.step(f"Manual Action: present idToken {token.id_token}. 1-2. AuthorizeRequest with it, Accepted. 3-4. "
                   "TransactionEvent Authorized with it (Started, or Updated in a running transaction) when "
                   "TxStartPoint has ParkingBayOccupancy, EVConnected, Authorized or PowerPathClosed; Accepted"):
        auth = csms.expect("Authorize", {"idToken": token.wire()}, after=csms.mark(), shared=True,
                           description=f"AuthorizeRequest for idToken {token.id_token} type {token.type}")
        await states.authorized(csms, sut, token, local=True)
        await csms.received(auth)
    with csms.step("5. Reusable state EnergyTransferStarted"):
        await states.energy_transfer_started(csms, sut)
    with csms.step("6. Reusable state EVConnectedPostSession (after StopAuthorized, its Before)"):
        await states.stop_authorized(csms, sut, token, local=True)
        await states.ev_connected_post_session(csms, sut)
    with csms.step("7. Reusable state EVDisconnected"):
        await states.ev_disconnected(csms, sut)
    with csms.step("8-9. Reusable states ParkingBayUnoccupied, ParkingBayOccupied"):
        await states.parking_bay_unoccupied(csms, sut)
        await states.parking_bay_occupied(csms, sut)
    with csms.step("10. Reusable state EVConnectedPreSession"):
        await states.ev_connected_pre_session(csms, sut)
    csms.answer_token(token, {"status": "Invalid"})
    with csms.step(f"Manual Action: present idToken {token.id_token} again (the cache holds it Accepted). 12-13. "
                   "TransactionEvent Authorized with it when TxStartPoint has Authorized or a transaction runs; the "
                   "harness responds Invalid"):
        await states.authorized(csms, sut, token, authorize=False, local=True)


@testcase("TC_C_34_CS")
async def test_TC_C_34_CS(csms: CsmsRole, sut: StationControl) -> None:
    # errata 2025-04 §6.2.28: Authorized (cached, answered Invalid), Deauthorized, EVDisconnected, the bay, Authorized
    await booted(csms, sut)
    await _cache_available(csms)
    await _implemented(csms, "AuthCtrlr.LocalPreAuthorize", "the table sets it true")
    await _implemented(csms, "LocalAuthListCtrlr.Enabled", "the table sets it true")
    await csms.configure({"AuthCacheCtrlr.Enabled": IfImplemented(True), "AuthCtrlr.LocalPreAuthorize": True,
                          "LocalAuthListCtrlr.Enabled": True, "TxCtrlr.StopTxOnInvalidId": True,
                          "TxCtrlr.MaxEnergyOnInvalidId": 0})
    token = csms.tokens.valid
    await _forget(csms, token)
    await states.id_token_cached(csms, sut, token)
    mark = csms.mark()
    csms.answer_token(token, {"status": "Invalid"})
    with csms.step(f"1. Reusable state Authorized: present the cached idToken {token.id_token}; the harness answers "
                   "it Invalid"):
        await states.authorized(csms, sut, token, authorize=False, local=True)
    with csms.step("2. Reusable state Deauthorized"):
        await states.deauthorized(csms, sut, token, after=mark)
    with csms.step("3. Reusable state EVDisconnected"):
        await states.ev_disconnected(csms, sut)
    with csms.step("4-5. Reusable states ParkingBayUnoccupied, ParkingBayOccupied"):
        await states.parking_bay_unoccupied(csms, sut)
        await states.parking_bay_occupied(csms, sut)
    await _present_asked(csms, sut, token, "Invalid",
                         f"6. Reusable state Authorized with idToken {token.id_token}, now cached as Invalid: its "
                         "AuthorizeRequest (idToken and type; the original step 7) is answered Invalid")


@testcase("TC_C_36_CS")
async def test_TC_C_36_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await _cache_available(csms)
    # a station without LocalPreAuthorize never pre-authorizes: it is as the table wants it (false)
    await csms.configure({"AuthCacheCtrlr.Enabled": True, "AuthCtrlr.LocalPreAuthorize": IfImplemented(False)})
    token = csms.tokens.valid
    await states.id_token_cached(csms, sut, token)
    await _present_asked(csms, sut, token, "Invalid",
                         f"Manual Action: present the cached idToken {token.id_token}. 1-2. AuthorizeRequest with "
                         "its idToken and type (LocalPreAuthorize is false); the harness responds Invalid")


@testcase("TC_C_38_CS")
async def test_TC_C_38_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await _cache_available(csms)
    await _implemented(csms, "AuthCtrlr.LocalPreAuthorize", "prerequisite")
    await _implemented(csms, "AuthCacheCtrlr.Enabled", "the cache cannot be disabled (Part 5: AuthCacheEnabled "
                                                       "implemented)")
    await csms.configure({"AuthCacheCtrlr.Enabled": IfImplemented(False)})
    await states.id_token_cached(csms, sut, csms.tokens.valid)
    with csms.step("1-2. ClearCacheRequest; the station responds Rejected (its cache is disabled)"):
        await csms.call_ok("ClearCache", {}, {"status": "Rejected"})


@testcase("TC_C_46_CS")
async def test_TC_C_46_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await _cache_available(csms)
    await _implemented(csms, "AuthCacheCtrlr.LifeTime", "prerequisite")
    duration = csms.configured.transaction_duration
    await csms.configure({"AuthCacheCtrlr.LifeTime": max(int(duration), 1),
                          "AuthCtrlr.LocalPreAuthorize": IfImplemented(True)})
    token = csms.tokens.valid
    await states.id_token_cached(csms, sut, token)
    await states.ev_connected_pre_session(csms, sut)
    with csms.step(f"1. The harness waits the configured Transaction Duration ({duration:g} s): the cache entry expires"):
        await csms.hold(max(duration, 1.0), "the configured Transaction Duration (AuthCacheLifeTime)")
    mark = csms.mark()
    with csms.step(f"2. Reusable state Authorized (local) with idToken {token.id_token}"):
        await states.authorized(csms, sut, token, local=True)
    with csms.beyond_part6("C10.FR.08", "an expired cache entry is not used: the station asks the CSMS"):
        asked = [r for r in csms.transcript.records if r.seq > (mark.seq if mark else 0) and r.direction == "rx"
                 and r.action == "Authorize" and r.message_type == 2]
        if not asked:
            raise csms.failure("no AuthorizeRequest: the station used a cache entry older than AuthCacheLifeTime",
                               requirements=("C10.FR.08",), rules=("SEQ",))


# ---- TC_C_41/44_CS: GroupId with the cache ------------------------------------------------------------------------
def _group(csms: CsmsRole) -> tuple[IdToken, IdToken, dict[str, Any]]:
    """<Configured valid_idtoken> and the other valid token of its group (<Configured valid_idtoken2 with GroupId>),
    and the idTokenInfo the harness answers them with."""
    first, other = csms.tokens.valid, csms.tokens.group
    group = first.group_id_token
    if not group or other.group_id_token != group or other.id_token == first.id_token:
        raise NotApplicable("two valid idTokens with one <Configured groupIdToken> are not configured "
                            "(id_tokens.valid and id_tokens.group of the profile)")
    return first, other, {"status": "Accepted", "groupIdToken": {"idToken": group, "type": "Central"}}


async def _start_cached(csms: CsmsRole, sut: StationControl, token: IdToken, accepted: dict[str, Any], *,
                        where: str = "cached") -> None:
    """Present the cached token: 1-2. TransactionEvent Authorized with it when TxStartPoint has Authorized or a
    transaction runs (or the EV is in and TxStartPoint has PowerPathClosed), answered Accepted with the group;
    then 3. EnergyTransferStarted."""
    csms.answer_token(token, accepted)
    with csms.step(f"Manual Action: present the {where} idToken {token.id_token}. 1-2. TransactionEvent Authorized "
                   "with it (Started, or Updated in a running transaction); Accepted with the groupIdToken"):
        await states.authorized(csms, sut, token, authorize=False, local=True)
    with csms.step("3. Reusable state EnergyTransferStarted"):
        await states.energy_transfer_started(csms, sut)


async def _stopped_by_group(csms: CsmsRole, sut: StationControl, first: IdToken, other: IdToken, *, what: str,
                            hold: bool) -> None:
    """C_40 / C_41 from step 4: `other` of the first token's group is presented (after the Transaction Duration
    when `hold`); a TransactionEvent StopAuthorized naming either token of the group; EVConnectedPostSession,
    EVDisconnected, ParkingBayUnoccupied."""
    evse = csms.configured.evse_id
    running = csms.transaction_on(evse)
    with csms.step(f"Manual Action: present {what} {other.id_token} of the same group. 4. StopAuthorized: a "
                   "TransactionEvent with triggerReason StopAuthorized naming the idToken"):
        if hold:
            await csms.hold(csms.configured.transaction_duration, "the configured Transaction Duration")
        stop = csms.expect("TransactionEvent", {"triggerReason": "StopAuthorized",
                                                "transactionInfo": {"transactionId": running}}, after=csms.mark(),
                           description="TransactionEvent StopAuthorized")
        await sut.present_token(other)
        stopped = await csms.received(stop)
        named = stopped.frame.payload.get("idToken")  # type: ignore[union-attr]
        if not isinstance(named, dict) or (named.get("idToken"), named.get("type")) not in (
                (first.id_token, first.type), (other.id_token, other.type)):
            raise csms.failure("the StopAuthorized event does not name the idToken of the group",
                               expected=f"idToken {first.id_token} (the table) or {other.id_token}",
                               actual=stopped.raw[:400], rules=("SEQ",))
        csms.authorized.pop(evse, None)
    with csms.step("5. Reusable state EVConnectedPostSession"):
        await states.ev_connected_post_session(csms, sut)
    with csms.step("6. Reusable state EVDisconnected"):
        await states.ev_disconnected(csms, sut)
    with csms.step("7. Reusable state ParkingBayUnoccupied"):
        await states.parking_bay_unoccupied(csms, sut)


@testcase("TC_C_41_CS", notes="the StopAuthorized event may name either token of the group")
async def test_TC_C_41_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await _cache_available(csms)
    first, other, accepted = _group(csms)
    await csms.configure(CACHE_ON)
    await states.id_token_cached(csms, sut, first)
    await states.id_token_cached(csms, sut, other)
    await states.ev_connected_pre_session(csms, sut)
    await _start_cached(csms, sut, first, accepted)
    await _stopped_by_group(csms, sut, first, other, what="the cached idToken", hold=True)


async def _group_listed(csms: CsmsRole, sut: StationControl, second: IdToken,
                        status: str) -> tuple[IdToken, dict[str, Any]]:
    """Before of C_40 / C_43: the Local Authorization List available (prerequisite) and enabled, LocalPreAuthorize
    true (each if implemented); memory state: the valid idToken and `second` (`status`) in the list, both with
    <Configured groupIdToken>; then EVConnectedPreSession. The valid idToken and the group's Accepted answer."""
    if await csms.read_variable("LocalAuthListCtrlr.Available") != "true":
        raise NotApplicable("LocalAuthListCtrlr.Available is not implemented with value true (prerequisite)")
    first, _, accepted = _group(csms)
    await csms.configure({"LocalAuthListCtrlr.Enabled": IfImplemented(True),
                          "AuthCtrlr.LocalPreAuthorize": IfImplemented(True)})
    await states.id_token_local_auth_list(csms, sut, first, with_group=True, others=((second, status),))
    await states.ev_connected_pre_session(csms, sut)
    return first, accepted


@testcase("TC_C_40_CS", notes="the StopAuthorized event may name either token of the group")
async def test_TC_C_40_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    _, other, _ = _group(csms)
    first, accepted = await _group_listed(csms, sut, other, "Accepted")
    await _start_cached(csms, sut, first, accepted, where="listed")
    await _stopped_by_group(csms, sut, first, other, what="idToken", hold=False)


async def _not_stopped(csms: CsmsRole, token: IdToken, mark: Record | None) -> None:
    """The note "OCTT will wait to see if CS indeed doesn't send a TransactionEventRequest": from `mark` on and for
    the message timeout, no TransactionEvent but the periodic meter values the station may send meanwhile."""
    wait = float(csms.configured.message_timeout)
    reason = f"the CSMS answered idToken {token.id_token} Invalid: the transaction must go on untouched"
    rule = csms.forbid("TransactionEvent", {"triggerReason": Where(lambda v: v != "MeterValuePeriodic",
                                                                   "a trigger other than MeterValuePeriodic")},
                       reason=reason, requirements=("C09.FR.11",))
    try:
        await csms.hold(wait, reason)
    finally:
        csms.allow(rule)
    early = [r for r in csms.transcript.records if r.seq > (mark.seq if mark else 0) and r.direction == "rx"
             and r.action == "TransactionEvent" and r.message_type == 2
             and r.frame.payload.get("triggerReason") != "MeterValuePeriodic"]  # type: ignore[union-attr]
    if early:  # sent right behind the answer, before the watch began
        raise csms.failure(f"forbidden message: TransactionEvent: {reason}", actual=early[0].raw[:400],
                           requirements=("C09.FR.11",), rules=("SEQ",))


async def _refused_in_group(csms: CsmsRole, sut: StationControl, invalid: IdToken, accepted: dict[str, Any],
                            what: str) -> None:
    """C_43 / C_44 steps 4-5: the invalid token is presented, its AuthorizeRequest names it and is answered Invalid
    with the group's groupIdToken; the transaction goes on (no TransactionEvent but periodic meter values)."""
    refused = {"idTokenInfo": {"status": "Invalid", "groupIdToken": accepted["groupIdToken"]}}
    with csms.step(f"Manual Action: present {what} {invalid.id_token}. 4-5. AuthorizeRequest with its idToken and "
                   "type; the harness responds Invalid with the group's groupIdToken; no TransactionEvent follows"):
        mark = csms.mark()
        auth = csms.expect("Authorize", {"idToken": invalid.wire()}, respond=refused, after=mark,
                           description=f"AuthorizeRequest for idToken {invalid.id_token} type {invalid.type}")
        await sut.present_token(invalid)
        await csms.received(auth)
        await _not_stopped(csms, invalid, mark)


@testcase("TC_C_44_CS")
async def test_TC_C_44_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await _cache_available(csms)
    first, _, accepted = _group(csms)
    invalid = csms.tokens.invalid
    await csms.configure({**CACHE_ON, **ASK_AGAIN})
    await states.id_token_cached(csms, sut, first)
    await states.id_token_cached(csms, sut, invalid)
    await states.ev_connected_pre_session(csms, sut)
    await _start_cached(csms, sut, first, accepted)
    await _refused_in_group(csms, sut, invalid, accepted, "the cached invalid idToken")


@testcase("TC_C_43_CS")
async def test_TC_C_43_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    invalid = csms.tokens.invalid
    first, accepted = await _group_listed(csms, sut, invalid, "Invalid")
    await _start_cached(csms, sut, first, accepted, where="listed")
    await _refused_in_group(csms, sut, invalid, accepted, "the invalid idToken of the list (same group),")
