"""Block E Transactions, SUT = Charging Station: the start and stop options (E01, E06), local start and stop (E03,
E07), the EV-side disconnect (E09, E10) and DisableRemoteAuthorization, each from its Part 6 table (errata applied).

TxStartPoint / TxStopPoint: the tables say "If the mutability is ReadWrite then it contains X"; their prerequisites
rule out a read-only value without X (or with a point that would end the case another way). The harness keeps
the station's own value when it already fits, else writes X alone; a station that refuses ends the case *not
applicable* with its value named.
"""

from __future__ import annotations

from typing import Any

from harness import (
    ANY,
    AbsentOr,
    CsmsRole,
    IfImplemented,
    IfWritable,
    NotApplicable,
    OneOf,
    Record,
    StationControl,
    booted,
    check_interval,
    difference,
    states,
    testcase,
)

# "AuthEnabled is true (If implemented AND ReadWrite)", "DisableRemoteAuthorization is false (If implemented)"
AUTH_ENABLED = {"AuthCtrlr.Enabled": IfWritable(True), "AuthCtrlr.DisableRemoteAuthorization": IfImplemented(False)}
START, STOP = "TxCtrlr.TxStartPoint", "TxCtrlr.TxStopPoint"


async def _point(csms: CsmsRole, key: str, member: str, forbidden: tuple[str, ...] = (),
                 extra: dict[str, Any] | None = None) -> dict[str, str | None]:
    """Configuration state `key` contains `member` (with `extra` values), and the table's prerequisite: the value
    in force has `member` and none of `forbidden`, else the case is not applicable. The values in force."""
    current = await csms.configuration.members(key)
    fits = member in current and not set(current) & set(forbidden)
    values = await csms.configure({key: IfWritable(",".join(current) if fits else member), **(extra or {})})
    got = set((values[key] or "").split(","))
    if member not in got or got & set(forbidden):
        unwanted = f" and none of {', '.join(forbidden)}" if forbidden else ""
        raise NotApplicable(f"the station keeps {key} = {values[key]!r} (read-only): the table's prerequisite needs "
                            f"{member}{unwanted}")
    return values


def _event_problems(payload: dict[str, Any], wanted: dict[str, Any]) -> list[str]:
    return difference(wanted, payload)


def _check(csms: CsmsRole, record: Record, wanted: dict[str, Any], what: str, requirements: tuple[str, ...]) -> None:
    """A table's tool validation of one received TransactionEvent."""
    problems = _event_problems(record.frame.payload, wanted)  # type: ignore[union-attr]
    if problems:
        raise csms.failure(f"the TransactionEvent {what} is not as the table wants it", message="\n".join(problems),
                           expected=repr(wanted), actual=record.raw[:600], requirements=requirements, rules=("SEQ",))


def _remote(csms: CsmsRole) -> bool:
    return csms.profile.control.remote_start


def _detachable(csms: CsmsRole) -> bool:
    """The station has a detachable cable (HFS-1); a fixed cable (HFS-2 alone) skips the station-side steps."""
    pics = csms.profile.pics
    return bool(pics.get("HFS-1")) or not pics.get("HFS-2")


async def _suspended(csms: CsmsRole, sut: StationControl) -> str:
    """Reusable state EnergyTransferSuspended (after EnergyTransferStarted); the transaction's id."""
    await states.energy_transfer_started(csms, sut)
    tx = csms.transaction_on(csms.configured.evse_id)
    await states.energy_transfer_suspended(csms, sut)
    assert tx is not None  # energy_transfer_started waited for its event
    return tx


async def _ev_side_lost(csms: CsmsRole, sut: StationControl, tx: str, fields: dict[str, Any], steps: str,
                        what: str, requirements: tuple[str, ...]) -> Record:
    """Manual Action: the EV side loses the cable; the TransactionEvent that reports it (EVCommunicationLost, Idle,
    plus `fields`)."""
    evse, connector = csms.configured.evse_id, csms.configured.connector_id
    with csms.step(f"Manual Action: disconnect the EV and EVSE on the EV side. {steps}. TransactionEvent {what}"):
        mark = csms.mark()
        lost = csms.expect("TransactionEvent", {"triggerReason": "EVCommunicationLost",
                                                "transactionInfo": {"transactionId": tx}}, after=mark)
        await sut.ev_side(evse, connector, False)
        record = await csms.received(lost)
        _check(csms, record, {**fields, "transactionInfo": {"chargingState": "Idle", **fields.get("transactionInfo", {})}},
               what, requirements)
        if record.frame.payload.get("eventType") == "Ended":  # type: ignore[union-attr]
            csms.authorized.pop(evse, None)
        return record


async def _station_side_unplug(csms: CsmsRole, sut: StationControl, steps: str, *, token_first: bool) -> None:
    """The end of E_17 / E_24 / E_25: with a detachable cable (the driver's token first, to unlock it, where the
    table says so) the cable is pulled at the station: its connector is reported Available."""
    evse, connector = csms.configured.evse_id, csms.configured.connector_id
    if not _detachable(csms):
        csms.transcript.note("fixed cable (HFS-2): the station-side manual actions are left out, as the table says")
    with csms.step(("Manual Actions: present the idToken that started the transaction, disconnect the cable at the "
                    if token_first else "Manual Action: disconnect the cable at the ") + f"station. {steps}. The "
                   "connector is reported Available"):
        mark = csms.mark()
        available = csms.expect_status(evse, connector, "Available", after=mark)
        if _detachable(csms):
            if token_first:
                await sut.present_token(csms.tokens.valid)
            await sut.unplug(evse, connector)
        await csms.received(available)


# ---- E01 start options, E03 local start ---------------------------------------------------------------------------
@testcase("TC_E_01_CS")
async def test_TC_E_01_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await _point(csms, START, "PowerPathClosed", ("ParkingBayOccupancy", "EVConnected", "Authorized", "DataSigned"))
    await states.authorized(csms, sut)
    with csms.step("1. Reusable state EVConnectedPreSession (errata 2025-02: then 2. EnergyTransferStarted)"):
        await states.ev_connected_pre_session(csms, sut)
    await states.energy_transfer_started(csms, sut)  # 2


@testcase("TC_E_02_CS")
async def test_TC_E_02_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await _point(csms, START, "EnergyTransfer",
                 ("ParkingBayOccupancy", "EVConnected", "Authorized", "DataSigned", "PowerPathClosed"))
    await states.authorized(csms, sut)
    evse, connector, token = csms.configured.evse_id, csms.configured.connector_id, csms.tokens.valid
    with csms.step("Manual Action: connect the EV. 1-2. Connector Occupied; 3-4. TransactionEvent Started, "
                   "ChargingStateChanged or Authorized (RemoteStart), the idToken, EVSE and connector, Charging"):
        mark = csms.mark()
        occupied = csms.expect_status(evse, connector, "Occupied", after=mark)
        started = csms.expect("TransactionEvent", {"eventType": "Started"}, after=mark)
        await sut.plug_in(evse, connector)
        await csms.received(occupied)
        record = await csms.received(started)
        _check(csms, record, {
            "triggerReason": "RemoteStart" if _remote(csms) else OneOf("ChargingStateChanged", "Authorized"),
            "idToken": {"idToken": token.id_token, "type": token.type},
            "evse": {"id": evse, "connectorId": ANY}, "transactionInfo": {"chargingState": "Charging"}},
            "Started at the energy transfer", ("E01.FR.06",))


@testcase("TC_E_05_CS", notes="LocalPreAuthorize false is written where implemented: a station without it does not "
                              "pre-authorize")
async def test_TC_E_05_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    timeout = csms.configured.ev_connection_timeout
    await csms.configure({"TxCtrlr.EVConnectionTimeOut": timeout, **AUTH_ENABLED,
                          "AuthCacheCtrlr.Enabled": IfImplemented(False),
                          "AuthCtrlr.LocalPreAuthorize": IfImplemented(False)})
    start, stop = await csms.tx_points()
    evse = csms.configured.evse_id
    first = await states.authorized(csms, sut, local=True)
    started = "ParkingBayOccupancy" in start or "Authorized" in start
    with csms.step(f"1-2. No EV within EVConnectionTimeOut ({timeout} s): TransactionEvent EVConnectTimeout (only "
                   "when the transaction started): Ended with stoppedReason Timeout when TxStopPoint has Authorized, "
                   "else Updated"):
        if started and first is not None:
            ended = "Authorized" in stop
            csms.sut_timer(timeout, "the station's EVConnectionTimeOut", since=first.mono)
            record = await csms.receive("TransactionEvent", {"triggerReason": "EVConnectTimeout"},
                                        within=timeout + csms.settings.timing.tolerance + csms.timeout(None))
            _check(csms, record, {"eventType": "Ended", "transactionInfo": {"stoppedReason": "Timeout"}}
                   if ended else {"eventType": "Updated"}, "EVConnectTimeout", ("E03.FR.05",))
            csms.transcript.note(check_interval(record.mono - first.mono, expected=timeout,
                                                tolerance=csms.settings.timing.tolerance,
                                                requirements=("E03.FR.05",), what="EVConnectionTimeOut",
                                                minimum_only=True))
        else:
            await csms.hold(timeout + csms.settings.timing.tolerance, "EVConnectionTimeOut expires")
    csms.authorized.pop(evse, None)
    with csms.step("3. Reusable state Authorized (local): the EVSE takes a new session"):
        await states.authorized(csms, sut, local=True)
    await states.energy_transfer_started(csms, sut)  # 4


@testcase("TC_E_10_CS")
async def test_TC_E_10_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await _point(csms, START, "Authorized", extra=AUTH_ENABLED)
    with csms.step("1. Reusable state Authorized (local): AuthorizeRequest, TransactionEvent Started, Authorized"):
        await states.authorized(csms, sut, local=True)
    await states.ev_connected_pre_session(csms, sut)  # 2
    await states.energy_transfer_started(csms, sut)  # 3


@testcase("TC_E_11_CS")
async def test_TC_E_11_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await _point(csms, START, "DataSigned", ("ParkingBayOccupancy", "EVConnected", "Authorized"),
                 extra={"SampledDataCtrlr.SignReadings": True})
    await states.authorized(csms, sut)
    evse, connector, token = csms.configured.evse_id, csms.configured.connector_id, csms.tokens.valid
    with csms.step("Manual Action: connect the EV. 1-2. Connector Occupied; 3-4. TransactionEvent Started, "
                   "SignedDataReceived, the idToken, EVSE and connector, a signed Transaction.Begin value"):
        mark = csms.mark()
        occupied = csms.expect_status(evse, connector, "Occupied", after=mark)
        started = csms.expect("TransactionEvent", {"eventType": "Started"}, after=mark)
        await sut.plug_in(evse, connector)
        await csms.received(occupied)
        record = await csms.received(started)
        _check(csms, record, {
            "triggerReason": OneOf("RemoteStart", "SignedDataReceived") if _remote(csms) else "SignedDataReceived",
            "idToken": {"idToken": token.id_token, "type": token.type}, "evse": {"id": evse, "connectorId": ANY}},
            "Started with the signed data", ("E01.FR.04",))
        _check_signed_begin(csms, record)
    tx = csms.transaction_on(evse)
    with csms.step("5-6. TransactionEvent Updated, ChargingStateChanged, Charging"):
        await csms.receive("TransactionEvent", {"eventType": "Updated", "triggerReason": "ChargingStateChanged",
                                                "transactionInfo": {"transactionId": tx, "chargingState": "Charging"}},
                           after=record)


def _check_signed_begin(csms: CsmsRole, record: Record) -> None:
    """Step 3 of TC_E_11_CS: a sampledValue with context Transaction.Begin and all four signedMeterValue fields."""
    payload = record.frame.payload  # type: ignore[union-attr]
    values = [v for m in payload.get("meterValue") or [] if isinstance(m, dict)
              for v in m.get("sampledValue") or [] if isinstance(v, dict)]
    signed = [v for v in values if v.get("context") == "Transaction.Begin" and isinstance(v.get("signedMeterValue"), dict)
              and all(v["signedMeterValue"].get(k) for k in ("encodingMethod", "publicKey", "signedMeterData",
                                                               "signingMethod"))]
    if not signed:
        raise csms.failure("the Started event carries no signed Transaction.Begin meter value",
                           expected="meterValue with sampledValue.context Transaction.Begin and signedMeterValue "
                                    "encodingMethod, publicKey, signedMeterData, signingMethod",
                           actual=record.raw[:600], requirements=("E01.FR.04",), rules=("SEQ",))


@testcase("TC_E_12_CS", notes="The EV drives into the bay by the control action parking-bay.")
async def test_TC_E_12_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await _point(csms, START, "ParkingBayOccupancy")
    evse = csms.configured.evse_id
    with csms.step("1. Reusable state ParkingBayOccupied: Manual Action: drive the EV into the parking bay; "
                   "TransactionEvent Started, EVDetected"):
        mark = csms.mark()
        detected = csms.expect("TransactionEvent", {"eventType": "Started", "triggerReason": "EVDetected"}, after=mark)
        await sut.parking_bay(evse, True)
        await csms.received(detected)
    await states.authorized(csms, sut)  # 2
    await states.ev_connected_pre_session(csms, sut)  # 3
    await states.energy_transfer_started(csms, sut)  # 4


@testcase("TC_E_13_CS")
async def test_TC_E_13_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await _point(csms, START, "Authorized", extra=AUTH_ENABLED)
    with csms.step("1. Reusable state Authorized (remote): RequestStartTransaction Accepted, AuthorizeRequest when "
                   "AuthorizeRemoteStart is true, TransactionEvent Started, RemoteStart, remoteStartId"):
        await states.authorized(csms, sut, how="remote")
    await states.ev_connected_pre_session(csms, sut)  # 2
    await states.energy_transfer_started(csms, sut)  # 3


@testcase("TC_E_38_CS")
async def test_TC_E_38_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    start, _ = await csms.tx_points()
    if "EnergyTransfer" in start:
        raise NotApplicable("the station's TxStartPoint contains EnergyTransfer (the table's prerequisite rules it out)")
    await states.authorized(csms, sut)
    evse = csms.configured.evse_id
    with csms.step("Manual Action: set the EV to a state in which it is not ready for energy transfer"):
        await sut.suspend_ev(evse)
    mark = csms.mark()
    await states.ev_connected_pre_session(csms, sut)  # 1
    with csms.step("2-3. TransactionEvent ChargingStateChanged, SuspendedEV"):
        await csms.receive("TransactionEvent", {"triggerReason": "ChargingStateChanged",
                                                "transactionInfo": {"chargingState": "SuspendedEV"}}, after=mark)


@testcase("TC_E_52_CS")
async def test_TC_E_52_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    if await csms.read_variable("AuthCtrlr.DisableRemoteAuthorization") is None:
        raise NotApplicable("AuthCtrlr.DisableRemoteAuthorization is not implemented (the table's prerequisite)")
    await csms.configure({"AuthCtrlr.Enabled": IfImplemented(True), "AuthCtrlr.DisableRemoteAuthorization": True})
    token = csms.tokens.valid
    with csms.step("Memory state: none of the configured valid idTokens in the Authorization Cache or the Local "
                   "Authorization List"):
        flags = await csms.configuration.read("AuthCacheCtrlr.Enabled", "LocalAuthListCtrlr.Enabled")
        if flags["AuthCacheCtrlr.Enabled"] == "true":
            await csms.call_ok("ClearCache", {}, {"status": "Accepted"})
        if flags["LocalAuthListCtrlr.Enabled"] == "true":
            version = (await csms.call_ok("GetLocalListVersion", {})).get("versionNumber", 0)
            await csms.call_ok("SendLocalList", {"versionNumber": int(version) + 1, "updateType": "Full",
                                                 "localAuthorizationList": []}, {"status": "Accepted"})
    await states.parking_bay_occupied(csms, sut)
    with csms.step(f"Manual Action: present idToken {token.id_token} (neither cached nor in the local list). 1. The "
                   "station sends no AuthorizeRequest"):
        mark = csms.mark()
        authorize = csms.forbid("Authorize", reason="DisableRemoteAuthorization is true: the station authorizes only "
                                "by its cache and local list", requirements=("C01.FR.05",))
        await sut.present_token(token)
        await csms.hold(csms.settings.timing.default_timeout, "the station must not ask the CSMS")
        csms.allow(authorize)
    with csms.step("Errata 2025-04: 2. Reusable state EVConnectedPreSession; 3. the station does not start charging"):
        await states.ev_connected_pre_session(csms, sut)
        await csms.expect_none("TransactionEvent", {"transactionInfo": {"chargingState": "Charging"}},
                               within=csms.settings.timing.default_timeout, requirements=("C01.FR.05",),
                               reason="the authorization was refused: no energy")
    csms.transcript.note(f"no AuthorizeRequest and no charging since #{mark.seq if mark else 0}")


# ---- E06 stop options, E07 local stop ------------------------------------------------------------------------------
@testcase("TC_E_06_CS")
async def test_TC_E_06_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await csms.configure(AUTH_ENABLED)
    await states.energy_transfer_started(csms, sut)
    await states.stop_authorized(csms, sut, local=True)  # 1
    await states.ev_connected_post_session(csms, sut)  # 2
    await states.ev_disconnected(csms, sut)  # 3
    await states.parking_bay_unoccupied(csms, sut)  # 4


@testcase("TC_E_07_CS")
async def test_TC_E_07_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await _point(csms, STOP, "PowerPathClosed", ("Authorized",))
    await states.energy_transfer_started(csms, sut)
    with csms.step("Manual Action: present the idToken to stop. 1. Reusable state StopAuthorized: the transaction "
                   "ends with the power path"):
        await states.stop_authorized(csms, sut, local=True)


@testcase("TC_E_08_CS")
async def test_TC_E_08_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await _point(csms, STOP, "EnergyTransfer", ("Authorized", "PowerPathClosed"))
    await states.energy_transfer_started(csms, sut)
    with csms.step("1. Reusable state StopAuthorized: the transaction ends with the energy transfer"):
        await states.stop_authorized(csms, sut)


@testcase("TC_E_14_CS")
async def test_TC_E_14_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await _point(csms, STOP, "EVConnected", ("EnergyTransfer", "PowerPathClosed", "DataSigned", "Authorized"))
    await states.energy_transfer_started(csms, sut)
    await states.stop_authorized(csms, sut)
    await states.ev_connected_post_session(csms, sut)
    evse, connector = csms.configured.evse_id, csms.configured.connector_id
    tx = csms.transaction_on(evse)
    reasons = ("Remote", "EVDisconnected") if _remote(csms) else ("Local", "EVDisconnected")
    with csms.step("Manual Action: disconnect the EV and EVSE. 1-2. Connector Available; 3-4. TransactionEvent "
                   "Ended, EVCommunicationLost, Idle, stoppedReason " + " or ".join(reasons)
                   + ("" if _remote(csms) else " (or omitted)")):
        mark = csms.mark()
        available = csms.expect_status(evse, connector, "Available", after=mark)
        ended = csms.expect("TransactionEvent", {"triggerReason": "EVCommunicationLost",
                                                 "transactionInfo": {"transactionId": tx}}, after=mark)
        await sut.unplug(evse, connector)
        await csms.received(available)
        record = await csms.received(ended)
        _check(csms, record, {"eventType": "Ended", "transactionInfo": {
            "chargingState": "Idle", "stoppedReason": OneOf(*reasons) if _remote(csms) else AbsentOr(OneOf(*reasons))}},
            "Ended at the EV disconnect", ("E06.FR.02",))
        csms.authorized.pop(evse, None)


@testcase("TC_E_16_CS")
async def test_TC_E_16_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await _point(csms, STOP, "Authorized", ("EnergyTransfer", "DataSigned"), extra={
        **AUTH_ENABLED, "AuthCtrlr.OfflineTxForUnknownIdEnabled": IfImplemented(True), "TxCtrlr.StopTxOnInvalidId": True})
    token = csms.tokens.valid
    flags = await csms.configuration.read("AuthCacheCtrlr.Enabled", "LocalAuthListCtrlr.Enabled")
    if flags["AuthCacheCtrlr.Enabled"] is not None:
        await states.id_token_cached(csms, sut, token)
    if flags["LocalAuthListCtrlr.Enabled"] is not None:
        await states.id_token_local_auth_list(csms, sut, token)
    invalid = csms.expect("TransactionEvent", {"idToken": {"idToken": token.id_token}},
                          respond={"idTokenInfo": {"status": "Invalid"}})
    mark = await states.start_offline_transaction(csms, sut, token)
    with csms.step("1-2. The station empties its queue (offline true); the harness answers the event with the "
                   "idToken Invalid"):
        first = await csms.received(invalid, within=csms.reconnect_wait())
        tx = first.frame.payload.get("transactionInfo", {}).get("transactionId")  # type: ignore[union-attr]
    with csms.step("3-4. TransactionEvent Ended, Deauthorized, stoppedReason DeAuthorized"):
        events = await csms.transaction_events(tx, after=mark, what="the Deauthorized end of the transaction",
                                               until=lambda r: r.frame.payload.get("eventType") == "Ended")  # type: ignore[union-attr]
        _check(csms, events[-1], {"eventType": "Ended", "triggerReason": "Deauthorized",
                                  "transactionInfo": {"stoppedReason": "DeAuthorized"}},
               "Ended after the Invalid idToken", ("E06.FR.04", "C15.FR.04"))
        queued = [r for r in events[:-1] if r.seq <= first.seq]
        late = [r for r in queued if r.frame.payload.get("offline") is not True]  # type: ignore[union-attr]
        if late:
            raise csms.failure("an event of the offline period went out without offline true", actual=late[0].raw[:600],
                               requirements=("E06.FR.04",), rules=("TX-3",))
    csms.authorized.pop(csms.configured.evse_id, None)


@testcase("TC_E_17_CS")
async def test_TC_E_17_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await _point(csms, STOP, "Authorized", ("EVConnected", "PowerPathClosed", "EnergyTransfer"),
                 extra={"TxCtrlr.StopTxOnEVSideDisconnect": IfWritable(True),
                        "OCPPCommCtrlr.UnlockOnEVSideDisconnect": False, **AUTH_ENABLED})
    if await csms.read_variable("TxCtrlr.StopTxOnEVSideDisconnect") != "true":
        raise NotApplicable("StopTxOnEVSideDisconnect cannot be true (the table's prerequisite)")
    tx = await _suspended(csms, sut)
    await _ev_side_lost(csms, sut, tx, {"eventType": "Ended", "transactionInfo": {"stoppedReason": "EVDisconnected"}},
                        "1-2", "Ended, EVCommunicationLost, Idle, stoppedReason EVDisconnected", ("E06.FR.04",))
    await _station_side_unplug(csms, sut, "3-4", token_first=True)


@testcase("TC_E_19_CS", notes="The EV drives in and out of the bay by the control action parking-bay.")
async def test_TC_E_19_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await _point(csms, STOP, "ParkingBayOccupancy",
                 ("EnergyTransfer", "PowerPathClosed", "DataSigned", "Authorized", "EVConnected"))
    evse = csms.configured.evse_id
    with csms.step("Reusable state ParkingBayOccupied: the EV drives into the bay"):
        await sut.parking_bay(evse, True)
    await states.energy_transfer_started(csms, sut)
    tx = csms.transaction_on(evse)
    await states.stop_authorized(csms, sut)
    await states.ev_connected_post_session(csms, sut)
    await states.ev_disconnected(csms, sut)
    with csms.step("Manual Action: drive the EV out of the parking bay. 1-2. TransactionEvent Ended, EVDeparted, "
                   "stoppedReason " + ("Remote" if _remote(csms) else "Local")):
        mark = csms.mark()
        departed = csms.expect("TransactionEvent", {"triggerReason": "EVDeparted"}, after=mark)
        await sut.parking_bay(evse, False)
        record = await csms.received(departed)
        _check(csms, record, {"eventType": "Ended", "transactionInfo": {
            "transactionId": tx, "stoppedReason": "Remote" if _remote(csms) else "Local"}}, "EVDeparted", ("E06.FR.01",))


async def _ev_side_ends(csms: CsmsRole, sut: StationControl, reasons: tuple[str, ...]) -> None:
    """TC_E_20 / TC_E_54: TxStopPoint EVConnected, StopTxOnEVSideDisconnect false where writable; from
    EnergyTransferSuspended the EV side loses the cable and the transaction ends."""
    await booted(csms, sut)
    values = await _point(csms, STOP, "EVConnected", ("EnergyTransfer", "PowerPathClosed"),
                          extra={"TxCtrlr.StopTxOnEVSideDisconnect": IfWritable(False)})
    if values["TxCtrlr.StopTxOnEVSideDisconnect"] == "true" and "Authorized" in (values[STOP] or ""):
        raise NotApplicable("StopTxOnEVSideDisconnect stays true and TxStopPoint contains Authorized (the table's "
                            "prerequisite rules that combination out)")
    tx = await _suspended(csms, sut)
    await _ev_side_lost(csms, sut, tx, {"eventType": "Ended", "transactionInfo": {"stoppedReason": OneOf(*reasons)}},
                        "1-2", f"Ended, EVCommunicationLost, Idle, stoppedReason {' or '.join(reasons)}",
                        ("E06.FR.02",))


@testcase("TC_E_20_CS")
async def test_TC_E_20_CS(csms: CsmsRole, sut: StationControl) -> None:
    await _ev_side_ends(csms, sut, ("EVDisconnected",))


@testcase("TC_E_54_CS")
async def test_TC_E_54_CS(csms: CsmsRole, sut: StationControl) -> None:
    await _ev_side_ends(csms, sut, ("StoppedByEV", "EVDisconnected"))


@testcase("TC_E_21_CS")
async def test_TC_E_21_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await _point(csms, STOP, "Authorized", ("PowerPathClosed",))
    await states.energy_transfer_started(csms, sut)
    await _remote_stop(csms, "Ended, RemoteStop, stoppedReason Remote")


async def _remote_stop(csms: CsmsRole, what: str) -> None:
    """Steps 1-4 of TC_E_21 / TC_E_35: RequestStopTransaction Accepted; the events up to Ended: one says
    RemoteStop, the last is Ended with stoppedReason Remote."""
    evse = csms.configured.evse_id
    tx = csms.transaction_on(evse)
    with csms.step("1-2. RequestStopTransactionRequest for the transaction; Accepted"):
        mark = csms.mark()
        await csms.call_ok("RequestStopTransaction", {"transactionId": tx}, {"status": "Accepted"})
    with csms.step(f"3-4. TransactionEvent {what}"):
        assert tx is not None
        events = await csms.transaction_events(tx, after=mark, what="the TransactionEvents of the remote stop",
                                               until=lambda r: r.frame.payload.get("eventType") == "Ended")  # type: ignore[union-attr]
        if not any(e.frame.payload.get("triggerReason") == "RemoteStop" for e in events):  # type: ignore[union-attr]
            raise csms.failure("no TransactionEvent of the stop says triggerReason RemoteStop", actual=events[-1].raw[:600],
                               requirements=("E06.FR.03", "F03.FR.09"), rules=("SEQ",))
        _check(csms, events[-1], {"eventType": "Ended", "transactionInfo": {"stoppedReason": "Remote"}},
               "that ends the transaction", ("E06.FR.15", "F03.FR.09"))
    csms.authorized.pop(evse, None)


@testcase("TC_E_35_CS")
async def test_TC_E_35_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await _point(csms, STOP, "PowerPathClosed", ("Authorized",))
    await states.energy_transfer_started(csms, sut)
    await _remote_stop(csms, "RemoteStop (in one of them); the last Ended, stoppedReason Remote")


@testcase("TC_E_22_CS")
async def test_TC_E_22_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await _point(csms, STOP, "EnergyTransfer")
    await states.energy_transfer_started(csms, sut)
    evse = csms.configured.evse_id
    tx = csms.transaction_on(evse)
    with csms.step("Manual Action: the EV suspends the energy transfer. 1-2. TransactionEvent ChargingStateChanged: "
                   "Ended with EVConnected, or Updated with SuspendedEV"):
        mark = csms.mark()
        changed = csms.expect("TransactionEvent", {"triggerReason": "ChargingStateChanged",
                                                   "transactionInfo": {"transactionId": tx}}, after=mark)
        await sut.suspend_ev(evse)
        record = await csms.received(changed)
        payload = record.frame.payload  # type: ignore[union-attr]
        state = payload.get("transactionInfo", {}).get("chargingState")
        pair = {"EVConnected": "Ended", "SuspendedEV": "Updated"}
        if pair.get(state) != payload.get("eventType"):
            raise csms.failure("the EV suspended: the event is neither Ended with EVConnected nor Updated with "
                               "SuspendedEV", actual=record.raw[:600], requirements=("E06.FR.07",), rules=("SEQ",))
        if payload.get("eventType") == "Ended":
            csms.authorized.pop(evse, None)


# ---- E09 / E10 EV-side disconnect ---------------------------------------------------------------------------------
@testcase("TC_E_24_CS")
async def test_TC_E_24_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await csms.configure({"TxCtrlr.StopTxOnEVSideDisconnect": True, "OCPPCommCtrlr.UnlockOnEVSideDisconnect": True})
    tx = await _suspended(csms, sut)
    await _ev_side_lost(csms, sut, tx, {}, "1-2", "EVCommunicationLost, Idle", ("E09.FR.01", "E09.FR.02"))
    await _station_side_unplug(csms, sut, "3-4", token_first=False)


@testcase("TC_E_25_CS")
async def test_TC_E_25_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await csms.configure({"TxCtrlr.StopTxOnEVSideDisconnect": True, "OCPPCommCtrlr.UnlockOnEVSideDisconnect": False})
    tx = await _suspended(csms, sut)
    await _ev_side_lost(csms, sut, tx, {}, "1-2", "EVCommunicationLost, Idle", ("E09.FR.01", "E09.FR.03"))
    await _station_side_unplug(csms, sut, "3-4", token_first=True)


@testcase("TC_E_26_CS")
async def test_TC_E_26_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await _point(csms, STOP, "Authorized", ("EnergyTransfer", "PowerPathClosed", "DataSigned", "EVConnected"),
                 extra={"OCPPCommCtrlr.UnlockOnEVSideDisconnect": False, "TxCtrlr.StopTxOnEVSideDisconnect": False})
    tx = await _suspended(csms, sut)
    evse, connector = csms.configured.evse_id, csms.configured.connector_id
    mark = csms.mark()
    await _ev_side_lost(csms, sut, tx, {"eventType": "Updated"}, "1-2", "Updated, EVCommunicationLost, Idle",
                        ("E10.FR.01",))
    if not _detachable(csms):
        with csms.step("3-4. The connector is reported Available (a fixed cable)"):
            await csms.receive_status(evse, connector, "Available", after=mark)
    with csms.step("Manual Action: reconnect the EV on the EV side. 5-6. TransactionEvent Updated, CablePluggedIn, "
                   "EVConnected; 7-8. Updated, ChargingStateChanged, Charging"):
        mark = csms.mark()
        plugged = csms.expect("TransactionEvent", {"eventType": "Updated", "triggerReason": "CablePluggedIn",
                                                   "transactionInfo": {"transactionId": tx,
                                                                       "chargingState": "EVConnected"}}, after=mark)
        charging = csms.expect("TransactionEvent", {"eventType": "Updated", "triggerReason": "ChargingStateChanged",
                                                    "transactionInfo": {"transactionId": tx,
                                                                        "chargingState": "Charging"}}, after=mark)
        await sut.ev_side(evse, connector, True)
        await csms.received(plugged)
        await csms.received(charging)


@testcase("TC_E_37_CS")
async def test_TC_E_37_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await _point(csms, STOP, "PowerPathClosed", ("EnergyTransfer", "EVConnected", "DataSigned"),
                 extra={"TxCtrlr.StopTxOnEVSideDisconnect": IfWritable(False)})
    tx = await _suspended(csms, sut)
    await _ev_side_lost(csms, sut, tx, {"eventType": "Ended", "transactionInfo": {
        "stoppedReason": OneOf("EVDisconnected", "StoppedByEV")}}, "1-2",
        "Ended, EVCommunicationLost, Idle, stoppedReason EVDisconnected or StoppedByEV", ("E06.FR.06",))


@testcase("TC_E_27_CS", notes="Errata 2025-04: no EV reconnect; EVConnectionTimeOut runs out.")
async def test_TC_E_27_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    values = await _point(csms, STOP, "Authorized", ("EnergyTransfer", "PowerPathClosed", "DataSigned", "EVConnected"),
                          extra={"OCPPCommCtrlr.UnlockOnEVSideDisconnect": False,
                                 "TxCtrlr.StopTxOnEVSideDisconnect": False})
    timeout_value = await csms.read_variable("TxCtrlr.EVConnectionTimeOut")
    timeout = int(timeout_value) if timeout_value and timeout_value.isdigit() else csms.configured.ev_connection_timeout
    tx = await _suspended(csms, sut)
    evse, connector = csms.configured.evse_id, csms.configured.connector_id
    mark = csms.mark()
    lost = await _ev_side_lost(csms, sut, tx, {"eventType": "Updated"}, "1-2", "Updated, EVCommunicationLost, Idle",
                               ("E10.FR.02",))
    with csms.step("3-4. The connector is reported Available (a fixed cable)"):
        await csms.receive_status(evse, connector, "Available", after=mark)
    ends = "Authorized" in (values[STOP] or "")
    with csms.step(f"5-6. No EV within EVConnectionTimeOut ({timeout} s): TransactionEvent EVConnectTimeout, "
                   + ("Ended, stoppedReason Timeout" if ends else "Updated (TxStopPoint ParkingBayOccupancy)")):
        csms.sut_timer(timeout, "the station's EVConnectionTimeOut", since=lost.mono)
        record = await csms.receive("TransactionEvent", {"triggerReason": "EVConnectTimeout",
                                                         "transactionInfo": {"transactionId": tx}}, after=lost,
                                    within=timeout + csms.settings.timing.tolerance + csms.timeout(None))
        _check(csms, record, {"eventType": "Ended", "transactionInfo": {"stoppedReason": "Timeout"}} if ends
               else {"eventType": "Updated"}, "EVConnectTimeout", ("E10.FR.02",))
        csms.transcript.note(check_interval(record.mono - lost.mono, expected=timeout,
                                            tolerance=csms.settings.timing.tolerance, requirements=("E10.FR.02",),
                                            what="EVConnectionTimeOut", minimum_only=True))
        csms.authorized.pop(evse, None)
