"""Block C Authorization, SUT = CSMS (the harness plays a Charging Station).

Each case follows its Part 6 table: the harness's station sends what the table's OCTT sends (the profile's
<Configured …> tokens) and checks the CSMS's answers as the tool validations do. What a table leaves to the CSMS
(a ClearCache) is asked of it through the control adapter, with an empty payload where the
CSMS chooses the content.
"""

from __future__ import annotations

from typing import Any

from harness import (
    CsmsControl,
    IdToken,
    OneOf,
    PreconditionNotMet,
    StationRole,
    StationTransaction,
    states,
    station_booted,
    testcase,
)


@testcase("TC_C_02_CSMS")
async def test_TC_C_02_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    token = station.tokens.invalid
    with station.step(f"1-2. AuthorizeRequest with the configured invalid idToken {token.id_token}; the CSMS "
                      "responds Invalid or Unknown"):
        await station.authorize(token, {"idTokenInfo": {"status": OneOf("Invalid", "Unknown")}})


@testcase("TC_C_06_CSMS")
async def test_TC_C_06_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    token = station.tokens.blocked  # Before: the lab has set this token Blocked at the CSMS
    with station.step(f"1-2. AuthorizeRequest with the configured blocked idToken {token.id_token}; the CSMS "
                      "responds Blocked or Invalid"):
        await station.authorize(token, {"idTokenInfo": {"status": OneOf("Blocked", "Invalid")}})


@testcase("TC_C_08_CSMS")
async def test_TC_C_08_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    tx = await states.station_ev_connected(station, station.configured.evse_id, station.configured.connector_id)
    token = station.tokens.valid
    with station.step(f"1-2. TransactionEvent Updated, triggerReason Authorized, with the idToken the station has "
                      f"cached ({token.id_token}; the transaction already runs); idTokenInfo Accepted"):
        await tx.event("Updated", "Authorized", {"idTokenInfo": {"status": "Accepted"}}, id_token=token,
                       charging_state="EVConnected")


def _group_of(station: StationRole) -> tuple[IdToken, IdToken, str]:
    """Memory state "two valid idTokens with the same GroupId are configured": <Configured valid_idtoken>,
    <Configured valid_idtoken2> and <Configured groupIdToken>, from the profile's token list."""
    first, second = station.tokens.valid, station.tokens.group
    group = first.group_id_token
    if not group or second.group_id_token != group or second.id_token == first.id_token:
        raise PreconditionNotMet("the case needs two valid idTokens with one <Configured groupIdToken>",
                                 fix="in the CSMS profile give id_tokens.valid and id_tokens.group (another token) "
                                     "the same groupIdToken, and configure both so at the CSMS")
    return first, second, group


@testcase("TC_C_39_CSMS")
async def test_TC_C_39_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    first, second, group = _group_of(station)
    accepted: dict[str, Any] = {"idTokenInfo": {"status": "Accepted", "groupIdToken": {"idToken": group}}}
    tx = await states.station_ev_connected(station, station.configured.evse_id, station.configured.connector_id)
    with station.step(f"1-2. AuthorizeRequest with idToken {second.id_token}; Accepted, groupIdToken {group}"):
        await station.authorize(second, accepted)
    with station.step(f"3-4. TransactionEvent Updated, triggerReason Authorized, idToken {first.id_token}; "
                      f"Accepted, groupIdToken {group}"):
        await tx.event("Updated", "Authorized", accepted, id_token=first, charging_state="EVConnected")
    with station.step("5. Reusable state EnergyTransferStarted"):
        await states.station_energy_transfer(station, tx)
    with station.step(f"6-7. AuthorizeRequest with idToken {second.id_token}; Accepted, groupIdToken {group}"):
        await station.authorize(second, accepted)
    with station.step(f"8-9. TransactionEvent Updated, triggerReason StopAuthorized, idToken {second.id_token}; "
                      f"Accepted, groupIdToken {group}"):
        await tx.event("Updated", "StopAuthorized", accepted, id_token=second)
    with station.step("10. Reusable state EVConnectedPostSession"):
        await states.station_ev_connected_post_session(station, tx)
    with station.step("11. Reusable state EVDisconnected"):
        await states.station_ev_disconnected(station, tx)


async def _group_started(station: StationRole) -> tuple[IdToken, IdToken, str, dict[str, Any], StationTransaction]:
    """C_40 / C_43 (the tokens of the group in the CSMS's Local Authorization List): EVConnectedPreSession; 1-2.
    TransactionEvent Authorized with the valid idToken, Accepted with the groupIdToken; 3. EnergyTransferStarted."""
    first, second, group = _group_of(station)
    accepted: dict[str, Any] = {"idTokenInfo": {"status": "Accepted", "groupIdToken": {"idToken": group}}}
    tx = await states.station_ev_connected(station, station.configured.evse_id, station.configured.connector_id)
    with station.step(f"1-2. TransactionEvent Updated, triggerReason Authorized, idToken {first.id_token}; "
                      f"Accepted, groupIdToken {group}"):
        await tx.event("Updated", "Authorized", accepted, id_token=first, charging_state="EVConnected")
    with station.step("3. Reusable state EnergyTransferStarted"):
        await states.station_energy_transfer(station, tx)
    return first, second, group, accepted, tx


async def _group_stopped(station: StationRole, tx: StationTransaction, second: IdToken, group: str,
                         accepted: dict[str, Any], steps: tuple[str, str, str]) -> None:
    with station.step(f"{steps[0]}. TransactionEvent Updated, triggerReason StopAuthorized, idToken "
                      f"{second.id_token}; Accepted, groupIdToken {group}"):
        await tx.event("Updated", "StopAuthorized", accepted, id_token=second)
    with station.step(f"{steps[1]}. Reusable state EVConnectedPostSession"):
        await states.station_ev_connected_post_session(station, tx)
    with station.step(f"{steps[2]}. Reusable state EVDisconnected"):
        await states.station_ev_disconnected(station, tx)


@testcase("TC_C_40_CSMS")
async def test_TC_C_40_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    _, second, group, accepted, tx = await _group_started(station)
    await _group_stopped(station, tx, second, group, accepted, ("5-6", "7", "8"))


@testcase("TC_C_43_CSMS")
async def test_TC_C_43_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    _, second, group, accepted, tx = await _group_started(station)
    with station.step(f"4-5. AuthorizeRequest with idToken {second.id_token}; Accepted, groupIdToken {group}"):
        await station.authorize(second, accepted)
    await _group_stopped(station, tx, second, group, accepted, ("6-7", "8", "9"))


# ---- block C coverage ---------------------------------------------------------------------------------------------
@testcase("TC_C_07_CSMS")
async def test_TC_C_07_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    token = station.tokens.expired  # Before: the lab has set this token Expired at the CSMS
    with station.step(f"1-2. AuthorizeRequest with the configured expired idToken {token.id_token}; the CSMS "
                      "responds Expired or Invalid"):
        await station.authorize(token, {"idTokenInfo": {"status": OneOf("Expired", "Invalid")}})


@testcase("TC_C_20_CSMS")
async def test_TC_C_20_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    tx = await states.station_ev_connected(station, station.configured.evse_id, station.configured.connector_id)
    token = station.tokens.invalid
    with station.step(f"1-2. TransactionEvent Updated, triggerReason Authorized, with the invalid idToken "
                      f"{token.id_token} the station's cache accepted (the transaction already runs); the CSMS "
                      "responds idTokenInfo Invalid or Unknown"):
        await tx.event("Updated", "Authorized", {"idTokenInfo": {"status": OneOf("Invalid", "Unknown")}},
                       id_token=token, charging_state="EVConnected")


@testcase("TC_C_38_CSMS")
async def test_TC_C_38_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    cleared = station.expect("ClearCache", respond={"status": "Rejected"})
    with station.step("Manual Action: ask the CSMS to clear the station's authorization cache"):
        await sut.trigger(station.identity, "ClearCache", {})
    with station.step("1-2. ClearCacheRequest; the station responds Rejected"):
        await station.received(cleared)


def _master_pass(station: StationRole) -> tuple[IdToken, str]:
    """Memory state "an idToken with the Master Pass as GroupId is configured": the profile's Master Pass token,
    known so at the CSMS, and its groupIdToken (<Configured masterPassGroupId>)."""
    master = station.tokens.master_pass
    if master is None or not master.group_id_token:
        raise PreconditionNotMet("the case needs the CSMS's Master Pass idToken",
                                 fix="give id_tokens.master_pass (with its groupIdToken, the Master Pass group) in "
                                     "the CSMS profile, and configure it so at the CSMS")
    return master, master.group_id_token


async def _charging_on_both(station: StationRole) -> dict[int, StationTransaction]:
    """EnergyTransferStarted on EVSE 1 with <Configured valid_idtoken> and on EVSE 2 with valid_idtoken2."""
    running = {}
    for evse, token in ((1, station.tokens.valid), (2, station.tokens.valid2)):
        with station.step(f"Reusable state EnergyTransferStarted on EVSE {evse} with idToken {token.id_token}"):
            tx = await states.station_ev_connected(station, evse, 1)
            await states.station_authorized(station, tx, token)
            await states.station_energy_transfer(station, tx)
            running[evse] = tx
    return running


@testcase("TC_C_47_CSMS")
async def test_TC_C_47_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    master, _ = _master_pass(station)
    running = await _charging_on_both(station)
    with station.step(f"1-2. AuthorizeRequest with the Master Pass idToken {master.id_token}; the CSMS responds"):
        await station.authorize(master)
    with station.step("3-4. TransactionEvent Ended, stoppedReason MasterPass, with the Master Pass idToken, for both "
                      "EVSEs; the CSMS responds to each"):
        for tx in running.values():
            await tx.event("Ended", "StopAuthorized", id_token=master, charging_state="EVConnected",
                           stopped_reason="MasterPass")


@testcase("TC_C_48_CSMS", notes="step 1 sends the Master Pass token (the table's valid token could not be "
                                "answered with the Master Pass group)")
async def test_TC_C_48_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    master, group = _master_pass(station)
    running = await _charging_on_both(station)
    accepted: dict[str, Any] = {"idTokenInfo": {"status": "Accepted", "groupIdToken": {"idToken": group}}}
    with station.step(f"1-2. AuthorizeRequest with the Master Pass idToken {master.id_token}; the CSMS responds "
                      f"Accepted with groupIdToken {group}"):
        await station.authorize(master, accepted)
    with station.step("3-4. TransactionEvent Ended for EVSE 1, stoppedReason MasterPass, with the Master Pass "
                      f"idToken; the CSMS responds Accepted with groupIdToken {group}"):
        await running[1].event("Ended", "StopAuthorized", accepted, id_token=master, charging_state="EVConnected",
                               stopped_reason="MasterPass")


@testcase("TC_C_49_CSMS")
async def test_TC_C_49_CSMS(station: StationRole, sut: CsmsControl) -> None:
    await station_booted(station)
    master, _ = _master_pass(station)
    running = await _charging_on_both(station)
    with station.step(f"1-2. AuthorizeRequest with the Master Pass idToken {master.id_token}; the CSMS responds"):
        await station.authorize(master)
    token = station.tokens.valid
    with station.step(f"3-4. TransactionEvent Ended, stoppedReason MasterPass, with idToken {token.id_token} (as the "
                      "table says), for both EVSEs; the CSMS responds to each"):
        for tx in running.values():
            await tx.event("Ended", "StopAuthorized", id_token=token, charging_state="EVConnected",
                           stopped_reason="MasterPass")
