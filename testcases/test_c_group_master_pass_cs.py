"""Block C: a different idToken, GroupId and the Master Pass (C01, C09, C16), SUT = Charging Station (the harness
plays the CSMS).

Each case follows its Part 6 table (errata applied). The Master Pass token is the profile's
`id_tokens.master_pass`; its groupIdToken is the <Configured masterPassGroupId> the case writes to
AuthCtrlr.MasterPassGroupId and the harness answers. Where a table's validation names the valid token for a step
that presents another one (TC_C_42/45_CS), the token presented is checked.
"""

from __future__ import annotations

from typing import Any

from harness import (
    ANY,
    Call,
    CsmsRole,
    IdToken,
    IfImplemented,
    IfWritable,
    NotApplicable,
    PreconditionNotMet,
    Record,
    StationControl,
    Where,
    booted,
    difference,
    states,
    testcase,
)

AUTH_ENABLED = {"AuthCtrlr.Enabled": IfWritable(True), "AuthCtrlr.DisableRemoteAuthorization": IfImplemented(False)}
_ENDS_AT_STOP = ("Authorized", "PowerPathClosed", "EnergyTransfer")  # TxStopPoints that end it when authorization ends


async def _authorizes(csms: CsmsRole) -> None:
    if await csms.read_variable("AuthCtrlr.Enabled") == "false":
        raise NotApplicable("AuthCtrlr.Enabled is false: the station authorizes nothing (prerequisite: an "
                            "authorization method other than NoAuthorization)")


async def _forget(csms: CsmsRole, token: IdToken) -> None:
    """Memory state "the different idToken does not exist in the Authorization Cache or Local Authorization List":
    a Differential update takes it off an enabled list, a ClearCache empties the cache (answers not judged)."""
    with csms.step(f"Memory: idToken {token.id_token} is neither on the Local Authorization List nor in the cache"):
        if await csms.read_variable("LocalAuthListCtrlr.Enabled") == "true":
            version = (await csms.call_ok("GetLocalListVersion", {})).get("versionNumber", 0)
            await csms.call_ok("SendLocalList", {"versionNumber": int(version) + 1, "updateType": "Differential",
                                                 "localAuthorizationList": [{"idToken": token.wire()}]})
        if await csms.read_variable("AuthCacheCtrlr.Available") == "true":
            await csms.call_ok("ClearCache", {})


async def _quiet(csms: CsmsRole, mark: Record | None, reason: str, requirements: tuple[str, ...],
                 **forbidden: Any) -> None:
    """From `mark` on and for the message timeout, the station sends no TransactionEvent matching any of
    `forbidden` (name -> partial payload); periodic meter values may go on."""
    wait = float(csms.configured.message_timeout)
    rules = [csms.forbid("TransactionEvent", payload, reason=f"{reason} ({name})", requirements=requirements)
             for name, payload in forbidden.items()]
    try:
        await csms.hold(wait, f"the message timeout: {reason}")
    finally:
        for rule in rules:
            csms.allow(rule)
    start = mark.seq if mark is not None else 0
    for record in csms.transcript.records:  # sent before the watch began (right behind the answer)
        if record.seq > start and record.direction == "rx" and record.action == "TransactionEvent" and (
                isinstance(record.frame, Call)):
            for name, payload in forbidden.items():
                if not difference(payload, record.frame.payload):
                    raise csms.failure(f"forbidden message: TransactionEvent: {reason} ({name})",
                                       actual=record.raw[:400], requirements=requirements, rules=("SEQ",))


def _asked(csms: CsmsRole, token: IdToken, info: dict[str, Any], mark: Record | None) -> Any:
    return csms.expect("Authorize", {"idToken": token.wire()}, respond={"idTokenInfo": info}, after=mark,
                       description=f"AuthorizeRequest for idToken {token.id_token} type {token.type}")


# ---- TC_C_04_CS ----------------------------------------------------------------------------------------------------
@testcase("TC_C_04_CS", notes="the prerequisite of one reader per EVSE is the lab's to meet")
async def test_TC_C_04_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await csms.configure(AUTH_ENABLED)
    await _authorizes(csms)
    starting, different = csms.tokens.valid, csms.tokens.valid2
    if different.group_id_token and different.group_id_token == starting.group_id_token:
        raise PreconditionNotMet("TC_C_04_CS needs a second valid idToken outside the group of the first",
                                 fix="give id_tokens.valid2 no groupIdToken, or another than id_tokens.valid's")
    await _forget(csms, different)
    await states.energy_transfer_started(csms, sut)
    evse = csms.configured.evse_id
    mark = csms.mark()
    with csms.step(f"Manual Action: present a different idToken, {different.id_token}. 1-2. AuthorizeRequest with "
                   "it; the harness responds Accepted"):
        auth = _asked(csms, different, {"status": "Accepted"}, mark)
        await sut.present_token(different)
        await csms.received(auth)
    with csms.step("Note and post scenario validation: no TransactionEvent with an idToken, no Ended event; the "
                   "harness waits the message timeout"):
        await _quiet(csms, mark, f"idToken {different.id_token} did not start the transaction", ("C01.FR.03",),
                     with_id_token={"idToken": ANY},
                     ended={"eventType": "Ended", "transactionInfo": {"transactionId": csms.transaction_on(evse)}})


# ---- TC_C_42_CS ----------------------------------------------------------------------------------------------------
@testcase("TC_C_42_CS")
async def test_TC_C_42_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await _authorizes(csms)
    first, invalid = csms.tokens.valid, csms.tokens.invalid
    group = first.group_id_token
    if not group:
        raise PreconditionNotMet("TC_C_42_CS needs a valid idToken with a <Configured groupIdToken>",
                                 fix="give id_tokens.valid a groupIdToken in the station profile")
    accepted = {"status": "Accepted", "groupIdToken": {"idToken": group, "type": "Central"}}
    csms.answer_token(first, accepted)
    await states.ev_connected_pre_session(csms, sut)
    with csms.step(f"Manual Action: present idToken {first.id_token} (group {group}). 1-2. AuthorizeRequest with it; "
                   "Accepted with the groupIdToken. 3-4. TransactionEvent Authorized with it when TxStartPoint has "
                   "Authorized or a transaction runs; Accepted with the groupIdToken"):
        auth = csms.expect("Authorize", {"idToken": first.wire()}, after=csms.mark(), shared=True,
                           description=f"AuthorizeRequest for idToken {first.id_token} type {first.type}")
        await states.authorized(csms, sut, first, local=True)
        await csms.received(auth)
    with csms.step("5. Reusable state EnergyTransferStarted"):
        await states.energy_transfer_started(csms, sut)
    with csms.step(f"Manual Action: present the invalid idToken {invalid.id_token} of the group. 6-7. "
                   "AuthorizeRequest with it; the harness responds Invalid with the groupIdToken; no TransactionEvent "
                   "follows and the energy transfer goes on"):
        mark = csms.mark()
        auth = _asked(csms, invalid, {"status": "Invalid", "groupIdToken": accepted["groupIdToken"]}, mark)
        await sut.present_token(invalid)
        await csms.received(auth)
        await _quiet(csms, mark, f"idToken {invalid.id_token} is Invalid: it may not stop the transaction", ("C09.FR.11",),
                     any_but_meter_values={"triggerReason": Where(lambda v: v != "MeterValuePeriodic",
                                                                  "a trigger other than MeterValuePeriodic")})


# ---- TC_C_45_CS, TC_C_49_CS: the Master Pass ---------------------------------------------------------------------
def _master_pass(csms: CsmsRole) -> tuple[IdToken, str]:
    """<Configured masterpass_idtoken> and <Configured masterPassGroupId> (its groupIdToken)."""
    master = csms.tokens.master_pass
    if master is None or not master.group_id_token:
        raise PreconditionNotMet("the case needs a Master Pass idToken with its groupIdToken",
                                 fix="give id_tokens.master_pass (with groupIdToken = the MasterPassGroupId) in the "
                                     "station profile")
    return master, master.group_id_token


def _start_point_fits(start: tuple[str, ...]) -> bool:
    return bool({"Authorized", "PowerPathClosed"} & set(start)) and not {"ParkingBayOccupancy", "EVConnected"} & set(start)


@testcase("TC_C_45_CS", notes="the table's validation names the valid token; the Master Pass is presented")
async def test_TC_C_45_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await _authorizes(csms)
    master, group = _master_pass(csms)
    start, _ = await csms.tx_points()
    if not _start_point_fits(start):
        await csms.configure({"TxCtrlr.TxStartPoint": IfWritable("PowerPathClosed")})
        start, _ = await csms.tx_points()
        if not _start_point_fits(start):
            raise NotApplicable(f"TxStartPoint is {','.join(start)} (read-only): it must have Authorized or "
                                "PowerPathClosed and neither ParkingBayOccupancy nor EVConnected")
    await csms.configure({"AuthCtrlr.MasterPassGroupId": group})
    reason = f"the Master Pass idToken {master.id_token} starts no transaction"
    charging = csms.forbid("TransactionEvent", {"triggerReason": "ChargingStateChanged",
                                                "transactionInfo": {"chargingState": "Charging"}},
                           reason=reason, requirements=("C16.FR.03",))
    try:
        with csms.step(f"Manual Action: present the Master Pass idToken {master.id_token}. 1-2. AuthorizeRequest with "
                       f"it; the harness responds Accepted with groupIdToken {group}"):
            auth = _asked(csms, master, {"status": "Accepted", "groupIdToken": {"idToken": group, "type": "Central"}},
                          csms.mark())
            await sut.present_token(master)
            await csms.received(auth)
        with csms.step("3. Reusable state EVConnectedPreSession"):
            await states.ev_connected_pre_session(csms, sut)
        with csms.step("4. No TransactionEvent with triggerReason ChargingStateChanged and chargingState Charging "
                       "(the harness watches the message timeout)"):
            await csms.hold(float(csms.configured.message_timeout), reason)
    finally:
        csms.allow(charging)


async def _charging_everywhere(csms: CsmsRole, sut: StationControl) -> dict[int, str | None]:
    """EnergyTransferStarted on EVSE 1 with <Configured valid_idtoken> and, where the station has it, on EVSE 2
    with valid_idtoken2 (a third EVSE would need a third token the tables do not name). Returns EVSE -> its
    transaction."""
    tokens = {1: csms.tokens.valid, 2: csms.tokens.valid2}
    evses = sorted({e for e, _ in csms.connectors()} & set(tokens))
    for evse in evses:
        with csms.step(f"Reusable state EnergyTransferStarted on EVSE {evse} with idToken {tokens[evse].id_token}"):
            await states.authorized(csms, sut, tokens[evse], evse, local=True)
            await states.energy_transfer_started(csms, sut, evse)
    return {evse: csms.transaction_on(evse) for evse in evses}


async def _master_pass_stops(csms: CsmsRole, sut: StationControl, master: IdToken, group: str,
                             running: dict[int, str | None], *, select: list[int] | bool | None) -> None:
    """Steps 1-4: the Master Pass is presented, its AuthorizeRequest answered Accepted with the group; (with a UI,
    `select`: the user selects those EVSEs' transactions, None: all); the transactions of `running` stop."""
    _, stop = await csms.tx_points()
    ends = any(p in stop for p in _ENDS_AT_STOP)
    mark = csms.mark()
    with csms.step(f"Manual Action: present the Master Pass idToken {master.id_token}. 1-2. AuthorizeRequest with "
                   f"it; the harness responds Accepted with groupIdToken {group}"):
        auth = _asked(csms, master, {"status": "Accepted", "groupIdToken": {"idToken": group, "type": "Central"}},
                      mark)
        await sut.present_token(master)
        await csms.received(auth)
    if select is not False:
        chosen = None if select is None or select is True else list(select)
        which = "all transactions" if chosen is None else f"the transaction on EVSE {', '.join(map(str, chosen))}"
        with csms.step(f"Manual Action: on the Master Pass UI select to stop {which}"):
            await sut.select_transactions(chosen)
    with csms.step(f"3-4. TransactionEvents stopping the transaction of EVSE {' and '.join(map(str, running))}: "
                   "idToken omitted or the Master Pass; Ended with stoppedReason MasterPass"):
        for evse, transaction in running.items():
            if transaction is None:
                raise csms.failure(f"no transaction runs on EVSE {evse}", rules=("SEQ",))
            events = await csms.transaction_events(
                transaction, after=mark, what=f"the TransactionEvents stopping the transaction on EVSE {evse}",
                until=lambda r: r.frame.payload.get("eventType") == "Ended" or (  # type: ignore[union-attr]
                    not ends and r.frame.payload.get("triggerReason") == "StopAuthorized"))  # type: ignore[union-attr]
            _judge_master_stop(csms, events, master, ends=ends)
            csms.authorized.pop(evse, None)


async def _after_stop(csms: CsmsRole, sut: StationControl, evses: list[int]) -> None:
    for evse in evses:
        with csms.step(f"5-7. Reusable states EVConnectedPostSession, EVDisconnected, ParkingBayUnoccupied, EVSE {evse}"):
            await states.ev_connected_post_session(csms, sut, evse)
            await states.ev_disconnected(csms, sut, evse)
            await states.parking_bay_unoccupied(csms, sut, evse)


async def _master_pass_set_up(csms: CsmsRole, sut: StationControl) -> tuple[IdToken, str]:
    await booted(csms, sut)
    await _authorizes(csms)
    master, group = _master_pass(csms)
    await csms.configure({"AuthCtrlr.MasterPassGroupId": group})
    return master, group


@testcase("TC_C_47_CS")
async def test_TC_C_47_CS(csms: CsmsRole, sut: StationControl) -> None:
    master, group = await _master_pass_set_up(csms, sut)
    running = await _charging_everywhere(csms, sut)
    await _master_pass_stops(csms, sut, master, group, running, select=None)
    await _after_stop(csms, sut, list(running))


@testcase("TC_C_48_CS")
async def test_TC_C_48_CS(csms: CsmsRole, sut: StationControl) -> None:
    master, group = await _master_pass_set_up(csms, sut)
    running = await _charging_everywhere(csms, sut)
    first = min(running)
    mark = csms.mark()
    await _master_pass_stops(csms, sut, master, group, {first: running[first]}, select=[first])
    await _after_stop(csms, sut, [first])
    others = {evse: tx for evse, tx in running.items() if evse != first}
    with csms.step("Post scenario validation: every other EVSE still transfers energy"):
        for evse, transaction in others.items():
            stopped = [r for r in csms.transactions.get(str(transaction), [])
                       if r.seq > (mark.seq if mark else 0) and _stops(r.frame.payload)]  # type: ignore[union-attr]
            if stopped:
                raise csms.failure(f"the transaction on EVSE {evse} stopped too, though only EVSE {first}'s was "
                                   "selected", actual=stopped[-1].raw[:400], requirements=("C16.FR.01",),
                                   rules=("SEQ",))


def _stops(payload: dict[str, Any]) -> bool:
    """Whether a TransactionEvent reports its energy transfer stopped or the transaction ended."""
    state = payload.get("transactionInfo", {}).get("chargingState")
    return (payload.get("eventType") == "Ended" or payload.get("triggerReason") == "StopAuthorized"
            or (state is not None and state != "Charging"))


@testcase("TC_C_49_CS")
async def test_TC_C_49_CS(csms: CsmsRole, sut: StationControl) -> None:
    master, group = await _master_pass_set_up(csms, sut)
    running = await _charging_everywhere(csms, sut)
    await _master_pass_stops(csms, sut, master, group, running, select=False)
    await _after_stop(csms, sut, list(running))


def _judge_master_stop(csms: CsmsRole, events: list[Record], master: IdToken, *, ends: bool) -> None:
    """Tool validation of step 3: an idToken in the stop events is the Master Pass (or omitted); the Ended event
    (the last one, when TxStopPoint ends the transaction here) has stoppedReason MasterPass (errata 2024-09)."""
    for record in events:
        given = record.frame.payload.get("idToken")  # type: ignore[union-attr]
        if record.frame.payload.get("triggerReason") in ("StopAuthorized", "Deauthorized") and (  # type: ignore[union-attr]
                given is not None and (given.get("idToken"), given.get("type")) != (master.id_token, master.type)):
            raise csms.failure("the stop event names another idToken than the Master Pass",
                               expected=f"idToken omitted or {master.id_token} type {master.type}",
                               actual=record.raw[:400], rules=("SEQ",))
    last = events[-1].frame.payload  # type: ignore[union-attr]
    if ends and (last.get("eventType") != "Ended"
                 or last.get("transactionInfo", {}).get("stoppedReason") != "MasterPass"):
        raise csms.failure("the transaction did not end with stoppedReason MasterPass",
                           expected="eventType Ended, transactionInfo.stoppedReason MasterPass",
                           actual=events[-1].raw[:400], requirements=("C16.FR.07",), rules=("SEQ",))
